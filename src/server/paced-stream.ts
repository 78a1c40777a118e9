import type { EventTable } from "./event-table.ts";
import type { Scheduler, Timer } from "./scheduler.ts";
import type { EventSink, PushEvents } from "./sse.ts";

const DONE: IteratorResult<string> = { done: true, value: undefined };

/**
 * SSE events sent at their deadlines (performance.now() ms, non-decreasing), each rendered from its
 * table (server/event-table.ts) when it is sent. Deadlines are absolute, so a late turn of the event
 * loop delays one event and never the ones after it, with one exception: when the first event goes
 * out late (a busy loop while thousands of streams start), every later deadline moves by that much.
 * Generation then starts when its first token is out, as a model's does: the lateness is added to
 * the time to first token, and the token rate from there holds (kept to the old deadlines, the rest
 * of the stream would come in a burst: 10,000 streams started over 5 s measured a worst-stream rate
 * 6% high, the first token late by ~0.6 s of a 10-s stream).
 *
 * Two ways to consume them:
 * - push (sse.ts uses it): `pushTo(sink)` writes each event into the response straight from the
 *   shared scheduler's callback, together with any others already due, in one flush. No promise
 *   or async step per event: at thousands of streams the per-event cost is what limits the server.
 * - pull: an async iterator whose `next()` resolves at the event's deadline.
 *
 * `onEnd` runs exactly once: when the last event is out (the simulated generation is over) or when
 * the consumer calls `return()` (sse.ts does when the client goes away), which also drops the
 * pending timer at once.
 */
export class PacedEvents implements AsyncIterableIterator<string>, PushEvents {
  #index = 0;
  /** How late the first event went out (ms): added to every deadline after it. */
  #shift = 0;
  #ended = false;
  #timer: Timer | undefined;
  /** Pull mode: the pending next()'s resolver. */
  #waiting: ((result: IteratorResult<string>) => void) | undefined;
  /** Push mode: where events go, and how pushTo()'s promise is settled. */
  #sink: EventSink | undefined;
  #pushed: (() => void) | undefined;

  constructor(
    private readonly events: EventTable,
    private readonly deadlines: Float64Array,
    private readonly scheduler: Scheduler,
    private readonly onEnd: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (events.length === 0) this.#end();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** How late the first event is at `now` (ms), by which every later one moves: so far while it is not out yet. */
  lateBy(now: number): number {
    return this.#index === 0 && !this.#ended ? Math.max(0, now - this.deadlines[0]!) : this.#shift;
  }

  /** Events not yet sent. */
  get remaining(): number {
    return this.#ended ? 0 : this.events.length - this.#index;
  }

  next(): Promise<IteratorResult<string>> {
    if (this.#ended || this.#index >= this.events.length) return Promise.resolve(DONE);
    if (this.#waiting !== undefined || this.#sink !== undefined) throw new Error("PacedEvents: one consumer at a time");
    const now = this.now();
    const at = this.#due(this.#index);
    if (at <= now) return Promise.resolve(this.#take(now));
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#timer = this.scheduler.at(at, this.#wake);
    });
  }

  /** Writes every event into `sink` at its deadline; resolves when the last is out or the stream was ended. */
  pushTo(sink: EventSink): Promise<void> {
    if (this.#waiting !== undefined || this.#sink !== undefined) throw new Error("PacedEvents: one consumer at a time");
    if (this.#ended || this.#index >= this.events.length) return Promise.resolve();
    return new Promise((resolve) => {
      this.#sink = sink;
      this.#pushed = resolve;
      this.#push();
    });
  }

  return(): Promise<IteratorResult<string>> {
    if (this.#timer !== undefined) this.scheduler.cancel(this.#timer);
    this.#timer = undefined;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    this.#end();
    waiting?.(DONE);
    return Promise.resolve(DONE);
  }

  /** The scheduler's callback: one per stream, not a closure per event. */
  readonly #wake = (): void => {
    this.#timer = undefined;
    if (this.#sink !== undefined) return this.#push();
    const resolve = this.#waiting;
    this.#waiting = undefined;
    resolve?.(this.#ended ? DONE : this.#take(this.now()));
  };

  /** Writes the events due now in one flush, then sleeps until the next deadline (or until a full buffer drains). */
  #push(): void {
    const sink = this.#sink!;
    let pending: Promise<unknown> | undefined;
    try {
      const now = this.now();
      let wrote = false;
      while (!this.#ended && this.#due(this.#index) <= now && pending === undefined) {
        const result = sink.write(this.#take(now).value as string);
        if (result instanceof Promise) pending = result;
        wrote = true;
      }
      if (wrote) {
        const flushed = sink.flush();
        if (flushed instanceof Promise) pending = flushed;
      }
    } catch {
      // the connection is gone: nothing more to send
      this.return();
    }
    if (this.#ended) {
      const done = this.#pushed;
      this.#pushed = undefined;
      // The last events must reach the socket before the response is closed.
      if (pending !== undefined) void pending.then(done, done);
      else done?.();
      return;
    }
    // A full buffer (a client not reading) holds the schedule until it drains: pacing never queues unboundedly.
    if (pending !== undefined) void pending.then(() => this.#wake(), () => this.return());
    else this.#timer = this.scheduler.at(this.#due(this.#index), this.#wake);
  }

  /** Event i's deadline, moved by the first event's lateness. */
  #due(i: number): number {
    return this.deadlines[i]! + this.#shift;
  }

  /** The next event; `now` is the time its deadline was checked against (events due with the first stay due). */
  #take(now: number): IteratorResult<string> {
    if (this.#index === 0) this.#shift = this.lateBy(now);
    const value = this.events.render(this.#index++);
    if (this.#index >= this.events.length) this.#end();
    return { done: false, value };
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.onEnd();
    // A push in progress ends with the stream (return() while pushing, or the last event taken).
    if (this.#sink !== undefined && this.#pushed !== undefined && this.#index < this.events.length) {
      const done = this.#pushed;
      this.#pushed = undefined;
      done();
    }
  }
}

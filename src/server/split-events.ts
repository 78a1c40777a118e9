import type { EventSink, PushEvents } from "./sse.ts";

const DONE: IteratorResult<string> = { done: true, value: undefined };

/**
 * A pair longer than this (in UTF-16 units: at most 3 UTF-8 bytes each) is written joined. Bun sends a
 * write of 2 KB or more at once, as a chunk of its own: a big head (logprobs) written alone would then
 * leave its event split over two HTTP chunks, where llama-server sends one per event. Joining costs
 * little next to such a head.
 */
const JOIN_ABOVE = 600;

/**
 * The events of a stream answered at once, each kept as two strings, a head and a tail: written as
 * two writes and never joined. A joined event is a rope that the write must flatten (allocate and
 * copy) before copying it again into the socket's buffer; for 17 events that cost ~6 µs of a
 * stream's ~33 µs in a bare Bun.serve measurement. A chat stream's events are a head per event (its
 * delta; made once per reply text) and one tail shared by the stream (its id, time and model).
 *
 * `pushTo` (sse.ts uses it) writes each event's two parts (joined past {@link JOIN_ABOVE}) and
 * flushes once per event, so that each event is one HTTP chunk. Iterated, it yields the joined events (fault injection and tests read those).
 * `return()` ends it, also in the middle of a push.
 */
export class SplitEvents implements IterableIterator<string>, PushEvents {
  /** Pairs taken so far. */
  #index = 0;
  #ended = false;

  /** @param parts head, tail, head, tail, ...: event i is `parts[2i] + parts[2i + 1]` (a tail may be ""). */
  constructor(private readonly parts: readonly string[]) {
    if (parts.length % 2 !== 0) throw new RangeError(`SplitEvents needs head/tail pairs (got ${parts.length} parts)`);
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Events not yet taken (server/faults.ts reads it to cut a stream before its last two events). */
  get remaining(): number {
    return this.#ended ? 0 : this.parts.length / 2 - this.#index;
  }

  next(): IteratorResult<string> {
    if (this.remaining === 0) return DONE;
    const i = 2 * this.#index++;
    return { done: false, value: this.parts[i]! + this.parts[i + 1]! };
  }

  return(): IteratorResult<string> {
    this.#ended = true;
    return DONE;
  }

  /**
   * Writes every event, synchronously while no write or flush has to wait: then undefined, and the
   * caller can close the stream in the same turn. Once one has to wait (a full buffer), the rest
   * follows asynchronously and the promise settles when all is written or the stream was ended.
   */
  pushTo(sink: EventSink): Promise<void> | undefined {
    const parts = this.parts;
    while (this.remaining > 0) {
      const i = 2 * this.#index++;
      let head = parts[i]!;
      let tail = parts[i + 1]!;
      if (head.length + tail.length > JOIN_ABOVE) {
        head += tail;
        tail = "";
      }
      const wroteHead = sink.write(head);
      if (wroteHead instanceof Promise) return this.#resume(sink, wroteHead, tail);
      if (tail !== "") {
        const wrote = sink.write(tail);
        if (wrote instanceof Promise) return this.#resume(sink, wrote, "");
      }
      const flushed = sink.flush();
      if (flushed instanceof Promise) return this.#resume(sink, flushed, undefined);
    }
    return undefined;
  }

  /** After `waiting`: the rest of the current event (its tail unless "" or undefined, its flush unless undefined), then the others. */
  async #resume(sink: EventSink, waiting: Promise<unknown>, tail: string | undefined): Promise<void> {
    await waiting;
    if (this.#ended) return;
    if (tail !== undefined) {
      if (tail !== "") {
        const wrote = sink.write(tail);
        if (wrote instanceof Promise) await wrote;
        if (this.#ended) return;
      }
      const flushed = sink.flush();
      if (flushed instanceof Promise) await flushed;
    }
    // Another wait nests one more frame: only a client that keeps its buffer full stalls a stream repeatedly.
    await this.pushTo(sink);
  }
}

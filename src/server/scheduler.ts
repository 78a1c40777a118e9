/**
 * One timer for every paced reply: a min-heap of deadlines on the performance.now() clock,
 * serviced by a single setTimeout re-armed to the earliest one. Thousands of streams each waiting
 * for their next token then cost one timer, and callbacks due in the same millisecond run in one
 * turn of the event loop instead of one timer each.
 *
 * A callback never runs before its deadline (the timer is armed to the next whole millisecond
 * after it); it may run late when the event loop is busy, which is why paced replies schedule
 * every event against an absolute deadline: lateness never accumulates.
 */
export interface Timer {
  /** performance.now() milliseconds at which `fire` is due. */
  readonly at: number;
  /** Order among equal deadlines: first scheduled, first run. */
  readonly seq: number;
  readonly fire: () => void;
  cancelled: boolean;
}

export class Scheduler {
  readonly #heap: Timer[] = [];
  #seq = 0;
  #cancelled = 0;
  #handle: ReturnType<typeof setTimeout> | undefined;
  /** Deadline the armed setTimeout was set for; Infinity when none is armed. */
  #armedFor = Infinity;
  /** While due callbacks run, new ones wait for the re-arm at the end of the turn. */
  #running = false;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Pending callbacks (cancelled ones not counted). */
  get size(): number {
    return this.#heap.length - this.#cancelled;
  }

  /** Runs `fire` at `at` (performance.now() ms), or on the next timer turn if that is already past. */
  at(at: number, fire: () => void): Timer {
    const timer: Timer = { at, seq: this.#seq++, fire, cancelled: false };
    this.#push(timer);
    if (!this.#running && at < this.#armedFor) this.#arm();
    return timer;
  }

  /** Forgets a pending callback; cancelling twice, or after it ran, does nothing. */
  cancel(timer: Timer): void {
    if (timer.cancelled) return;
    timer.cancelled = true;
    // Cancelled timers stay in the heap until they surface; compact when they are most of it.
    if (++this.#cancelled > 64 && this.#cancelled * 2 > this.#heap.length) this.#compact();
  }

  #arm(): void {
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#armedFor = Infinity;
    const first = this.#heap[0];
    if (first === undefined) return;
    this.#armedFor = first.at;
    // ceil: a timer that woke early would find nothing due and spin until the deadline.
    this.#handle = setTimeout(this.#run, Math.max(0, Math.ceil(first.at - this.now())));
  }

  readonly #run = (): void => {
    this.#handle = undefined;
    this.#armedFor = Infinity;
    const now = this.now();
    const heap = this.#heap;
    this.#running = true;
    while (heap.length > 0 && heap[0]!.at <= now) {
      const timer = this.#pop();
      if (timer.cancelled) {
        this.#cancelled--;
        continue;
      }
      timer.cancelled = true; // ran: a later cancel() is a no-op
      try {
        timer.fire();
      } catch {
        // one reply's failure must not stop the others' clocks
      }
    }
    this.#running = false;
    this.#arm();
  };

  #compact(): void {
    const live = this.#heap.filter((t) => !t.cancelled);
    this.#heap.length = 0;
    this.#cancelled = 0;
    for (const timer of live) this.#push(timer);
    if (!this.#running) this.#arm();
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): Timer {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

const before = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** The scheduler every paced reply of the process shares. */
export const SCHEDULER = new Scheduler();

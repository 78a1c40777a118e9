import { HttpError } from "./errors.ts";
import type { SlotState, SlotTask, SlotView } from "./slots.ts";

/** A client that went away while its reply was queued or generated (nginx's 499); only the log sees it. */
export const clientLeft = () => new HttpError(499, "invalid_request_error", "client closed the connection before its reply was sent");

/** What /slots shows of a task, given when the task asks for its slots. */
export interface TaskInfo {
  /** The effective token limit; -1 = unlimited. */
  readonly nPredict: number;
  /** The task's parameters in /slots' short form; called only when /slots is read. */
  readonly params: () => Record<string, unknown>;
}

/** How far a task has got, for /slots' next_token (set once the reply is known). */
export interface Progress {
  /** Tokens generated so far, at performance.now() time `now`. */
  decoded(now: number): number;
  /** Tokens the reply has in all. */
  readonly total: number;
  /** The reply's text: has_new_line, once it is out, says whether it has a line break (looked at only when /slots is read). */
  readonly text: string;
}

/** Slots held by one task, from acquire() to release(). */
export class Lease {
  progress: Progress | undefined;
  #params: Record<string, unknown> | undefined;
  released = false;

  constructor(
    readonly idTask: number,
    readonly slots: readonly number[],
    readonly task: TaskInfo,
  ) {}

  params(): Record<string, unknown> {
    return (this.#params ??= this.task.params());
  }
}

interface Waiter {
  readonly count: number;
  readonly task: TaskInfo;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  gone: boolean;
}

/** Called with the busy slots and the queued tasks after every change (the /metrics gauges). */
export type SlotsListener = (processing: number, deferred: number) => void;

/**
 * With --threads-http > 1 the -np slots are divided among the workers (see slotShares): each worker
 * runs its own pool over a range of the process's slot ids, and marks its slots busy in one shared
 * byte array so /slots and /props from any worker show every slot.
 */
export interface SharedSlots {
  /** One byte per slot of the process: 1 while busy. */
  readonly busy: Uint8Array;
  /** This pool's first slot id. */
  readonly offset: number;
  /** Task ids: first, first + step, ... so that no two workers' tasks share an id. */
  readonly firstTask: number;
  readonly taskStep: number;
}

/**
 * How -np slots are divided among `workers` workers: as evenly as possible, in id order, and at
 * least one each (so with -np below the worker count the process has one slot per worker).
 * Shared slots with one FIFO queue across threads would need a cross-thread wake-up for every
 * release; divided, a worker's queue stays the single-threaded one, at the price that a request
 * may wait for a slot of its own worker while another worker's is idle.
 */
export function slotShares(slots: number, workers: number): { readonly offset: number; readonly count: number }[] {
  const shares: { offset: number; count: number }[] = [];
  let offset = 0;
  for (let w = 0; w < workers; w++) {
    const count = Math.max(1, Math.floor(slots / workers) + (w < slots % workers ? 1 : 0));
    shares.push({ offset, count });
    offset += count;
  }
  return shares;
}

/**
 * -np slots, as llama-server runs them: a task takes as many slots as it generates sequences (n
 * choices), and waits in a FIFO queue while too few are idle — never a 429 or 503. A task that
 * gives up while queued (its client disconnected) leaves the queue at once; one that gives up
 * while running frees its slots at once.
 *
 * acquire() is synchronous when the slots are free (no promise, no allocation beyond the lease):
 * with instant replies a slot is taken and released within the same call, and the pool costs
 * next to nothing.
 */
export class SlotPool implements SlotView {
  /** The task on each slot now (busy), or the last one it ran (idle, as llama-server keeps it). */
  readonly #tasks: (Lease | undefined)[];
  readonly #busy: Uint8Array;
  /**
   * Idle slot ids, least recently used first (llama-server picks the LRU idle slot): a ring
   * buffer, so taking and returning a slot is O(1) whatever -np is.
   */
  readonly #idleRing: Int32Array;
  #idleHead = 0;
  #idle: number;
  #nextTask = 0;
  readonly #offset: number;
  readonly #taskStep: number;
  readonly #sharedBusy: Uint8Array | undefined;
  readonly #queue: Waiter[] = [];
  #queueHead = 0;
  #deferred = 0;

  constructor(
    readonly total: number,
    readonly nCtx: number,
    private readonly listener?: SlotsListener,
    private readonly now: () => number = () => performance.now(),
    shared?: SharedSlots,
  ) {
    if (!(Number.isInteger(total) && total >= 1)) throw new RangeError(`slot count must be a positive integer (got ${total})`);
    this.#offset = shared?.offset ?? 0;
    this.#nextTask = shared?.firstTask ?? 0;
    this.#taskStep = shared?.taskStep ?? 1;
    this.#sharedBusy = shared?.busy;
    this.#tasks = new Array<Lease | undefined>(total).fill(undefined);
    this.#busy = new Uint8Array(total);
    this.#idleRing = Int32Array.from({ length: total }, (_, id) => id);
    this.#idle = total;
  }

  /** Busy slots (llamacpp:requests_processing). */
  get processing(): number {
    return this.total - this.#idle;
  }

  /** Tasks waiting for slots (llamacpp:requests_deferred). */
  get deferred(): number {
    return this.#deferred;
  }

  /**
   * Takes `count` slots (1..total) for a task: the lease at once when they are idle and nobody is
   * queued before it, else a promise that settles in FIFO order. When the request's signal aborts
   * while the task is queued, it leaves the queue and the promise rejects with the client-closed
   * error. The signal is fetched only when the task must queue: Bun builds a request's signal on
   * first use (~0.7 µs), and a lease granted at once never needs it.
   */
  acquire(count: number, task: TaskInfo, signalOf?: () => AbortSignal | undefined): Lease | Promise<Lease> {
    if (!(Number.isInteger(count) && count >= 1 && count <= this.total)) {
      throw new RangeError(`a task needs 1 to ${this.total} slots (asked for ${count})`);
    }
    if (this.#deferred === 0 && count <= this.#idle) return this.#grant(count, task);
    const signal = signalOf?.();
    if (signal?.aborted) throw clientLeft();
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = {
        count,
        task,
        resolve,
        reject,
        signal,
        gone: false,
        onAbort: () => this.#leave(waiter),
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      this.#deferred++;
      this.#changed();
    });
  }

  /** Frees a lease's slots and hands them to the queue; releasing twice does nothing. */
  release(lease: Lease): void {
    if (lease.released) return;
    lease.released = true;
    for (const slot of lease.slots) {
      const id = slot - this.#offset;
      this.#busy[id] = 0;
      if (this.#sharedBusy) Atomics.store(this.#sharedBusy, slot, 0);
      this.#idleRing[(this.#idleHead + this.#idle++) % this.total] = id;
    }
    this.#pump();
    this.#changed();
  }

  states(): readonly SlotState[] {
    const now = this.now();
    return this.#tasks.map((lease, id) => {
      const state: SlotState = { id: this.#offset + id, nCtx: this.nCtx, isProcessing: this.#busy[id] === 1 };
      return lease === undefined ? state : { ...state, task: taskState(lease, now) };
    });
  }

  #grant(count: number, task: TaskInfo): Lease {
    const slots: number[] = [];
    for (let k = 0; k < count; k++) {
      const id = this.#idleRing[this.#idleHead]!;
      this.#idleHead = (this.#idleHead + 1) % this.total;
      this.#idle--;
      this.#busy[id] = 1;
      if (this.#sharedBusy) Atomics.store(this.#sharedBusy, this.#offset + id, 1);
      slots.push(this.#offset + id);
    }
    const lease = new Lease(this.#nextTask, slots, task);
    this.#nextTask += this.#taskStep;
    for (const id of slots) this.#tasks[id - this.#offset] = lease;
    this.#changed();
    return lease;
  }

  /** Grants queued tasks, in order, while the one at the head fits. */
  #pump(): void {
    const queue = this.#queue;
    while (this.#queueHead < queue.length) {
      const waiter = queue[this.#queueHead]!;
      if (waiter.gone) {
        this.#queueHead++;
        continue;
      }
      if (waiter.count > this.#idle) break;
      this.#queueHead++;
      waiter.gone = true;
      this.#deferred--;
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.resolve(this.#grant(waiter.count, waiter.task));
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > queue.length) {
      queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
  }

  #leave(waiter: Waiter): void {
    if (waiter.gone) return;
    waiter.gone = true;
    this.#deferred--;
    waiter.reject(clientLeft());
    // A multi-slot task at the head may have held back smaller ones that fit now.
    this.#pump();
    this.#changed();
  }

  #changed(): void {
    this.listener?.(this.processing, this.#deferred);
  }
}

/** /slots' view of a task: its id, params and next_token, live while it runs. */
function taskState(lease: Lease, now: number): SlotTask {
  const progress = lease.progress;
  const decoded = progress === undefined ? 0 : lease.released ? progress.total : Math.min(progress.total, progress.decoded(now));
  const limit = lease.task.nPredict;
  return {
    idTask: lease.idTask,
    params: lease.params(),
    hasNextToken: !lease.released,
    hasNewLine: progress !== undefined && decoded === progress.total && progress.text.includes("\n"),
    nRemain: limit < 0 ? -1 : Math.max(0, limit - decoded),
    nDecoded: decoded,
  };
}

/**
 * The process's slots as /slots and /props show them with --threads-http > 1: this worker's own
 * (with their tasks), and the others' busy or idle from the shared flags (their tasks live in the
 * other threads).
 */
export class ProcessSlots implements SlotView {
  readonly total: number;

  constructor(
    readonly local: SlotPool,
    readonly busy: Uint8Array,
    readonly offset: number,
  ) {
    this.total = busy.length;
  }

  get nCtx(): number {
    return this.local.nCtx;
  }

  states(): readonly SlotState[] {
    const own = this.local.states();
    return Array.from({ length: this.total }, (_, id) => {
      const local = id - this.offset;
      if (local >= 0 && local < own.length) return own[local]!;
      return { id, nCtx: this.nCtx, isProcessing: Atomics.load(this.busy, id) === 1 };
    });
  }
}

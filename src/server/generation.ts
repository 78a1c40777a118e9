import type { ChatOutcome } from "./answer.ts";
import type { ServerContext } from "./context.ts";
import { HttpError, invalidRequest } from "./errors.ts";
import { inTokenOrder, type EventTable } from "./event-table.ts";
import { PacedEvents } from "./paced-stream.ts";
import { Pacer, realTime, type PacingConfig, type Timeline } from "./pacing.ts";
import type { Scheduler } from "./scheduler.ts";
import { clientLeft, SlotPool, type Lease, type Progress, type TaskInfo } from "./slot-pool.ts";

/** What a completion route hands the app: a JSON body or SSE events, and the log's outcome. */
export interface Served {
  readonly body?: string;
  readonly events?: Iterable<string> | AsyncIterable<string>;
  readonly outcome: ChatOutcome;
}

/** A completion's claim on the server: how many slots, what /slots shows, and its client's signal. */
export interface Job {
  /** Sequences generated at once (n choices, or prompts): one slot each, at most -np. */
  readonly slots: number;
  readonly task: TaskInfo;
  /**
   * The request's signal: a client that goes away leaves the queue or frees its slots. Fetched only
   * when the job waits (for a slot, or on the simulated clock): Bun builds a request's signal on
   * first use, ~0.7 µs of a reply sent at once.
   */
  readonly signal?: () => AbortSignal | undefined;
}

/** A reply as the route made it, once its slots were held. */
export interface Made {
  readonly outcome: ChatOutcome;
  /** The JSON body, built when it is sent (its `created` is then the send time). */
  readonly body?: () => string;
  /** SSE events, in order (a reply sent at once). */
  readonly events?: Iterable<string>;
  /** A paced stream's events, rendered when sent, and each one's token ordinal (1 = the first token; may be fractional). */
  readonly paced?: { readonly table: EventTable; readonly ordinals: Float64Array };
  /** With pacing: the reply's timeline, and the tokens of its longest sequence (the reply ends after them). */
  readonly timeline?: Timeline;
  readonly longest?: number;
  /** For /slots: tokens of the first sequence, and its text (has_new_line). */
  readonly tokens: number;
  readonly text: string;
}

/**
 * Runs one completion: takes its slots (waiting in the FIFO queue if need be), lets `produce`
 * answer, then sends the reply on the reply's simulated timeline. Without pacing the reply is
 * sent at once and its slots are free again before this returns; with pacing a JSON reply is
 * sent when its generation ends, and a stream's headers go out with its first token, its events
 * at their deadlines. Slots are released when the generation ends or the client goes away.
 */
export function generate(ctx: ServerContext, job: Job, produce: (pacer: Pacer | undefined, lease: Lease | undefined) => Made): Served | Promise<Served> {
  const pool = ctx.pool;
  const lease = pool?.acquire(Math.min(job.slots, pool.total), job.task, job.signal);
  if (lease instanceof Promise) return lease.then((held) => run(ctx, job, held, produce));
  return run(ctx, job, lease, produce);
}

/** Frees a completion's slots, when it holds any. */
function releaseLease(ctx: ServerContext, lease: Lease | undefined): void {
  if (lease !== undefined) ctx.pool!.release(lease);
}

/** A reply sent at once has every token decoded: a method rather than a closure per reply. */
function allDecoded(this: Progress): number {
  return this.total;
}

function run(ctx: ServerContext, job: Job, lease: Lease | undefined, produce: (pacer: Pacer | undefined, lease: Lease | undefined) => Made): Served | Promise<Served> {
  const pacer = ctx.pacing?.paced ? ctx.pacing : undefined;
  // The simulated clock starts when the slot is taken: answering is part of the time to first token.
  const start = pacer === undefined ? 0 : performance.now();
  let made: Made;
  try {
    made = produce(pacer, lease);
  } catch (error) {
    releaseLease(ctx, lease);
    throw error;
  }
  const timeline = made.timeline;
  if (pacer === undefined || timeline === undefined) {
    if (lease !== undefined) lease.progress = { total: made.tokens, text: made.text, decoded: allDecoded };
    releaseLease(ctx, lease);
    return made.events ? { outcome: made.outcome, events: made.events } : { outcome: made.outcome, body: made.body!() };
  }
  const release = () => releaseLease(ctx, lease);
  const config = pacer.config;
  // The stream, once made: one whose first token went out late runs that much later (paced-stream.ts), and /slots counts its tokens from there.
  let paced: PacedEvents | undefined;
  if (lease !== undefined) {
    lease.progress = { total: made.tokens, text: made.text, decoded: (now) => timeline.tokensBy((now - start - (paced?.lateBy(now) ?? 0)) * config.timeScale, made.tokens) };
  }
  const scheduler = pacer.scheduler;
  const signal = job.signal?.();
  if (made.paced !== undefined) {
    const { table, ordinals } = inTokenOrder(made.paced.table, made.paced.ordinals);
    const deadlines = ordinals.map((x) => realTime(config, start, timeline.tokenAt(x)));
    const onAbort = () => void stream.return();
    const stream = new PacedEvents(table, deadlines, scheduler, () => {
      signal?.removeEventListener("abort", onAbort);
      release();
    });
    paced = stream;
    // llama-server sends a stream's headers with its first result: queueing and prefill come first.
    return waitUntil(scheduler, deadlines[0] ?? start, signal).then(
      () => {
        if (signal?.aborted) {
          void stream.return();
          throw clientLeft();
        }
        signal?.addEventListener("abort", onAbort, { once: true });
        return { outcome: made.outcome, events: stream };
      },
      (error) => {
        void stream.return();
        throw error;
      },
    );
  }
  const end = realTime(config, start, timeline.endAt(made.longest ?? made.tokens));
  return waitUntil(scheduler, end, signal).then(
    () => {
      release();
      return { outcome: made.outcome, body: made.body!() };
    },
    (error) => {
      release();
      throw error;
    },
  );
}

/** Resolves at `at` (performance.now() ms); rejects with the client-closed error if `signal` aborts first. */
export function waitUntil(scheduler: Scheduler, at: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(clientLeft());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      scheduler.cancel(timer);
      reject(clientLeft());
    };
    const timer = scheduler.at(at, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Context size (-c): llama-server's limits on a prompt and on what a slot can generate after it.

export const CONTEXT_MESSAGE = "the request exceeds the available context size, try increasing it";

/** A prompt that fills the slot's context gets llama-server [A]'s 400, before anything is generated or streamed. */
export function checkContext(promptTokens: number, nCtx: number): void {
  if (promptTokens >= nCtx) {
    throw new HttpError(400, "exceed_context_size_error", CONTEXT_MESSAGE, { n_prompt_tokens: promptTokens, n_ctx: nCtx });
  }
}

/** n_cmpl (n): at most one completion per slot, llama-server's 400 above -np. */
export function checkChoices(n: number, slots: number): void {
  if (n > slots) throw invalidRequest("n_cmpl cannot be greater than the number of slots, please increase -np");
}

/** A request's token limit under the server's -n: llama-server lowers one above a positive -n to it (-1 stays -1). */
export const capped = (limit: number, serverLimit: number): number => (serverLimit > 0 && limit > serverLimit ? serverLimit : limit);

/**
 * The token limit a reply is generated under: the request's (negative = none), and in any case
 * what the slot's context leaves (llama-server stops when prompt + generated + 1 reaches n_ctx,
 * with finish_reason "length"). `byContext` says the context is the tighter of the two.
 */
export function generationLimit(limit: number | undefined, promptTokens: number, nCtx: number): { readonly maxTokens: number; readonly byContext: boolean } {
  const room = Math.max(0, nCtx - promptTokens - 1);
  if (limit === undefined || limit < 0 || limit > room) return { maxTokens: room, byContext: true };
  return { maxTokens: limit, byContext: false };
}

// ---------------------------------------------------------------------------------------------------------
// Start-up: the context fields main.ts builds from the flags.

/** The slots (-np, -c) and the pacing (--ttft-ms, --tps, ...) a server runs completions with; the gauges follow the slots. */
export function completionRuntime(
  server: { readonly parallel: number; readonly slotContext: number },
  pacing: PacingConfig,
  seed: number,
  metrics?: { setSlots(processing: number, deferred: number): void },
): { readonly slots: SlotPool; readonly pool: SlotPool; readonly pacing: Pacer } {
  const pool = new SlotPool(server.parallel, server.slotContext, metrics ? (processing, deferred) => metrics.setSlots(processing, deferred) : undefined);
  return { slots: pool, pool, pacing: new Pacer(pacing, seed) };
}

// Fault injection (issue 8 §4): a fault drawn per request from the run seed, --fail-first per
// question, --crash-after, and the --loading-ms phase. app.ts calls in at four points: before the
// key check (loadingReply), after routing (open, then early), once the body is read (before), and
// when the reply is ready (respond).
import type { FaultErrorCode, FaultOptions } from "../config.ts";
import { below, uniform } from "../decide/random.ts";
import { detectJudge } from "../judge/detect.ts";
import type { ChatOutcome, PromptMessage } from "./answer.ts";
import { parseCompletionRequest } from "./completions.ts";
import type { ServerContext } from "./context.ts";
import { errorBody } from "./errors.ts";
import { parseChatRequest } from "./request.ts";
import { bodyThen, cutStream, dropResponse, onFinished } from "./fault-responses.ts";
import { sseResponse } from "./sse.ts";

/** The label of llamasim_faults_total. */
export type FaultKind = "error_429" | "error_500" | "error_503" | "drop" | "hang" | "midstream_drop" | "fail_first" | "loading";

/** What one request was drawn to suffer. */
export type RequestFault =
  | { readonly kind: "error"; readonly status: FaultErrorCode }
  | { readonly kind: "drop" }
  | { readonly kind: "hang" }
  /** `cut` in [0, 1): where in the stream the connection is cut. */
  | { readonly kind: "midstream"; readonly cut: number };

/** A reply in app.ts's shape (its Reply), for the error and loading replies made here. */
export interface FaultReply {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  readonly error: string;
  readonly headers?: Record<string, string>;
}

/** What respond() needs of the route's reply. */
export interface ReplyView {
  readonly status: number;
  readonly body: string;
  readonly events?: Iterable<string> | AsyncIterable<string>;
  readonly outcome?: ChatOutcome;
}

export interface FaultHooks {
  /** How long a hung request is held at most: --timeout, as llama-server's read/write timeout. */
  readonly hangTimeoutMs: number;
  /** Called once, right after the --crash-after reply has left; it is expected to exit. */
  readonly crash?: (replies: number) => void;
  /** Milliseconds on a monotonic clock (tests pass their own). */
  readonly now?: () => number;
}

/** Same string as app.ts's JSON type, so its prebuilt headers apply. */
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * First key of the fault draws: far above any question index, so it never meets the Decider's keys
 * (which start with one) nor its own stream tags (decide/streams.ts).
 */
const FAULT_STREAM = 0xfa017001;

/**
 * Paths that are never faulted: health (llama-server's liveness probe), and what watches the
 * simulator (/metrics, its own /sim/* routes), which should see the faults, not suffer them.
 */
export const isExempt = (path: string): boolean => path === "/health" || path === "/v1/health" || path === "/metrics" || path.startsWith("/sim/");

const CHAT_PATHS: ReadonlySet<string> = new Set(["/v1/chat/completions", "/chat/completions", "/api/chat"]);
const COMPLETION_PATHS: ReadonlySet<string> = new Set(["/completion", "/completions", "/v1/completions"]);
const isAnswerPath = (path: string): boolean => CHAT_PATHS.has(path) || COMPLETION_PATHS.has(path);

/** The routes llama-server [A] serves while it loads (everything else, /health too, gets 503). */
const LOADING_OPEN_PATHS: ReadonlySet<string> = new Set(["/models", "/v1/models", "/api/tags"]);

/** llama-server's 503 while loading, from its middleware: key order message, type, code. */
export const LOADING_BODY = JSON.stringify({ error: { message: "Loading model", type: "unavailable_error", code: 503 } });

/**
 * After the --crash-after reply is handed to the socket and before the exit: an exit's reset would
 * discard bytes still in the send buffer.
 */
const CRASH_DELAY_MS = 50;

/**
 * The injected error replies. 503 is the body a real llama-server sends on any route while it
 * loads (the only 503 a completion route ever gives); 500 is its handler error; 429 never comes
 * from llama-server but from the proxies and gateways in front of it, so it takes OpenAI's type.
 */
function errorReply(status: FaultErrorCode, flag: string): FaultReply {
  const error = `injected ${status} (${flag})`;
  if (status === 503) return { status, body: LOADING_BODY, contentType: JSON_TYPE, error, headers: { "Retry-After": "1" } };
  if (status === 429) {
    const body = JSON.stringify({ error: { code: 429, message: "Rate limit exceeded, retry later", type: "rate_limit_error" } });
    return { status, body, contentType: JSON_TYPE, error, headers: { "Retry-After": "1" } };
  }
  return { status, body: errorBody(500, "server_error", "Internal server error"), contentType: JSON_TYPE, error };
}

/** The request log's line for a request that got no response at all (status 0). */
const dropReply = (why: string): FaultReply => ({ status: 0, body: "", contentType: JSON_TYPE, error: `no response: ${why}` });

/**
 * The index of the dataset question a completion request carries, found as the route finds it
 * (same messages, same matcher); undefined for judge requests, unmatched prompts and bad bodies.
 */
export function matchedQuestion(path: string, body: unknown, ctx: ServerContext): number | undefined {
  let messages: readonly PromptMessage[];
  try {
    messages = CHAT_PATHS.has(path) ? parseChatRequest(body).messages : [{ role: "user", text: parseCompletionRequest(body, ctx).prompts[0]?.text ?? "" }];
  } catch {
    return undefined;
  }
  if (detectJudge(messages) !== undefined) return undefined;
  return ctx.findQuestion(messages.map((m) => m.text));
}

/** The ledger's verdict-"error" record of an injected error, at the attempt the request would have been. */
function recordError(ctx: ServerContext, index: number): void {
  const question = ctx.question(index);
  ctx.oracle?.onInjectedError(question.dataset ?? ctx.dataset.name, question.id, ctx.decider.ledger.peekAttempt(index), question.answer);
}

const countFault = (ctx: ServerContext, kind: FaultKind): void => ctx.oracle?.metrics?.onFault(kind);

/**
 * The counts faults keep: in one process, private arrays; with --threads-http > 1, views of shared
 * memory every worker updates with Atomics, so the draw sequence, --fail-first's per-question
 * counts and --crash-after's reply count are the process's, not each worker's.
 */
export interface FaultCells {
  /** [0]: faulted requests drawn so far (each draw's key). */
  readonly draws: BigUint64Array;
  /** --fail-first: attempts seen per question index (allocated on first use when private). */
  readonly failed: Uint32Array | undefined;
  /** --crash-after: [reply numbers claimed, replies sent, 1 once crashing]. */
  readonly crash: Int32Array;
}

export function faultCells(questionCount?: number, share: (bytes: number) => ArrayBufferLike = (n) => new ArrayBuffer(n)): FaultCells {
  return {
    draws: new BigUint64Array(share(8)),
    failed: questionCount === undefined ? undefined : new Uint32Array(share(4 * questionCount), 0, questionCount),
    crash: new Int32Array(share(12), 0, 3),
  };
}

const RESERVED = 0;
const REPLIES = 1;
const CRASHING = 2;

/** The server's faults: the options, the draw counter, --fail-first's and --crash-after's counts, hung requests. */
export class Faults {
  readonly options: FaultOptions;
  readonly seed: number;
  readonly #hooks: FaultHooks;
  readonly #now: () => number;
  /** Cumulative bounds of the one uniform draw: error, drop, hang, midstream. */
  readonly #bounds: readonly [number, number, number, number];
  readonly #drawing: boolean;
  readonly #active: boolean;
  /** Faulted requests drawn so far (the draw's key, so a seeded run replays), --fail-first's and --crash-after's counts. */
  readonly #draws: BigUint64Array;
  #failed: Uint32Array | undefined;
  readonly #crash: Int32Array;
  #loadingUntil: number;
  readonly #hangs = new Set<(why: string) => void>();
  /** Set by endHangs: the server is stopping, and a hang drawn from now on ends at once. */
  #stopped = false;

  constructor(options: FaultOptions, seed: number, hooks: FaultHooks, cells: FaultCells = faultCells()) {
    this.options = options;
    this.#draws = cells.draws;
    this.#failed = cells.failed;
    this.#crash = cells.crash;
    this.seed = seed;
    this.#hooks = hooks;
    this.#now = hooks.now ?? (() => performance.now());
    const e = options.errorRate;
    const d = e + options.dropRate;
    const h = d + options.hangRate;
    this.#bounds = [e, d, h, h + options.midstreamDropRate];
    this.#drawing = this.#bounds[3] > 0;
    this.#active = this.#drawing || options.failFirst > 0 || options.crashAfter > 0;
    this.#loadingUntil = options.loadingMs > 0 ? this.#now() + options.loadingMs : 0;
  }

  /** Whether any fault can happen at all (the loading phase aside). */
  get active(): boolean {
    return this.#active;
  }

  /** The fault of the next eligible request, from (seed, its number); undefined = none. */
  draw(): RequestFault | undefined {
    if (!this.#drawing) return undefined;
    const n = Number(Atomics.add(this.#draws, 0, 1n)) + 1;
    const u = uniform(this.seed, [FAULT_STREAM, n]);
    const [e, d, h, m] = this.#bounds;
    if (u >= m) return undefined;
    if (u < e) {
      const codes = this.options.errorCodes;
      return { kind: "error", status: codes[below(codes.length, this.seed, [FAULT_STREAM, n, 1])]! };
    }
    if (u < d) return { kind: "drop" };
    if (u < h) return { kind: "hang" };
    return { kind: "midstream", cut: uniform(this.seed, [FAULT_STREAM, n, 2]) };
  }

  /** Whether the --loading-ms phase still lasts. */
  get loading(): boolean {
    if (this.#loadingUntil !== 0 && this.#now() >= this.#loadingUntil) this.#loadingUntil = 0;
    return this.#loadingUntil !== 0;
  }

  /** While --loading-ms lasts: llama-server's 503 for every path but the model list; else undefined. */
  loadingReply(path: string, ctx: ServerContext): FaultReply | undefined {
    if (!this.loading || LOADING_OPEN_PATHS.has(path)) return undefined;
    countFault(ctx, "loading");
    return { status: 503, body: LOADING_BODY, contentType: JSON_TYPE, error: "Loading model (--loading-ms)" };
  }

  /** The faults of one routed request (`path` below --api-prefix); undefined when nothing can happen to it. */
  open(path: string, request: Request, ctx: ServerContext): RequestFaults | undefined {
    if (!this.#active || isExempt(path)) return undefined;
    if (this.#crashing) return new RequestFaults(this, path, request, ctx, { kind: "drop" }, "the process is crashing (--crash-after)");
    const fault = this.draw();
    if (fault === undefined && !(isAnswerPath(path) && (this.options.failFirst > 0 || this.options.crashAfter > 0))) return undefined;
    return new RequestFaults(this, path, request, ctx, fault);
  }

  /** Whether this attempt at question `index` is one of its first --fail-first K (and counts it). */
  failsFirst(index: number, questionCount: number): boolean {
    const failed = (this.#failed ??= new Uint32Array(questionCount));
    for (;;) {
      const seen = Atomics.load(failed, index);
      if (seen >= this.options.failFirst) return false;
      if (Atomics.compareExchange(failed, index, seen, seen + 1) === seen) return true;
    }
  }

  /** Holds a request without answering until the client leaves, --timeout passes or the server stops. */
  hang(request: Request, ctx: ServerContext): Promise<FaultReply> {
    countFault(ctx, "hang");
    return new Promise((resolve) => {
      const end = (why: string) => {
        clearTimeout(timer);
        request.signal.removeEventListener("abort", onAbort);
        this.#hangs.delete(end);
        resolve(dropReply(`hung (--hang-rate) until ${why}`));
      };
      const onAbort = () => end("the client gave up");
      const timer = setTimeout(() => end("--timeout"), this.#hooks.hangTimeoutMs);
      this.#hangs.add(end);
      // A request handled after endHangs (it waited for its turn's batch, server/turn-batch.ts) must not hold the shutdown up.
      if (this.#stopped) end("the server stopped");
      else if (request.signal.aborted) end("the client gave up");
      else request.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Requests hung right now. */
  get hanging(): number {
    return this.#hangs.size;
  }

  /** Ends every hung request (without a response): they would otherwise hold a graceful shutdown up. */
  endHangs(): void {
    this.#stopped = true;
    for (const end of [...this.#hangs]) end("the server stopped");
  }

  /** Replies sent so far, as --crash-after counts them. */
  get replies(): number {
    return Atomics.load(this.#crash, REPLIES);
  }

  /** Whether the --crash-after reply has gone out: every request is dropped from then on. */
  get #crashing(): boolean {
    return Atomics.load(this.#crash, CRASHING) === 1;
  }

  /** --crash-after: claims a reply number before the route runs; false once N are claimed or sent. */
  reserve(): boolean {
    const crash = this.#crash;
    for (;;) {
      if (this.#crashing) return false;
      const claimed = Atomics.load(crash, RESERVED);
      if (claimed >= this.options.crashAfter) return false;
      if (Atomics.compareExchange(crash, RESERVED, claimed, claimed + 1) === claimed) return true;
    }
  }

  /** A claimed reply was not given (an error reply instead): the number is free again. */
  release(): void {
    Atomics.sub(this.#crash, RESERVED, 1);
  }

  /** A claimed reply is going out; true for the N-th, after which every request is dropped. */
  commit(): boolean {
    const replies = Atomics.add(this.#crash, REPLIES, 1) + 1;
    if (replies < this.options.crashAfter) return false;
    Atomics.store(this.#crash, CRASHING, 1);
    return true;
  }

  /** The N-th reply has left: exit shortly, once its bytes are on their way. */
  crashSoon(): void {
    const crash = this.#hooks.crash;
    if (crash) setTimeout(() => crash(this.replies), CRASH_DELAY_MS);
  }
}

/** One request's faults, from routing to its response. */
export class RequestFaults {
  #fault: RequestFault | undefined;
  #dropping: string | undefined;
  #reserved = false;

  constructor(
    readonly faults: Faults,
    readonly path: string,
    readonly request: Request,
    readonly ctx: ServerContext,
    fault: RequestFault | undefined,
    dropWhy?: string,
  ) {
    this.#fault = fault;
    this.#dropping = dropWhy;
  }

  get fault(): RequestFault | undefined {
    return this.#fault;
  }

  /** Before the body is read: a drop (its log reply) or a hang (resolving with one); undefined to go on. */
  early(): FaultReply | Promise<FaultReply> | undefined {
    if (this.#dropping !== undefined) return dropReply(this.#dropping);
    const kind = this.#fault?.kind;
    if (kind === "drop") {
      countFault(this.ctx, "drop");
      return this.#drop("dropped (--drop-rate)");
    }
    if (kind === "hang") {
      this.#dropping = "hung";
      return this.faults.hang(this.request, this.ctx);
    }
    return undefined;
  }

  /**
   * After the body is read (undefined for routes that read none), before the route runs: an
   * injected error or a --fail-first 503 as the reply, each recorded in the ledger when it carries
   * a question; a drop while crashing; else undefined, and --crash-after's claim on a reply.
   */
  before(body: unknown): FaultReply | undefined {
    const { faults, path, ctx } = this;
    const answer = isAnswerPath(path);
    const fault = this.#fault;
    if (fault?.kind === "error") {
      this.#fault = undefined;
      if (answer) {
        const index = matchedQuestion(path, body, ctx);
        if (index !== undefined) recordError(ctx, index);
      }
      countFault(ctx, `error_${fault.status}`);
      return errorReply(fault.status, "--error-rate");
    }
    if (answer && faults.options.failFirst > 0) {
      const index = matchedQuestion(path, body, ctx);
      if (index !== undefined && faults.failsFirst(index, ctx.dataset.questions.length)) {
        this.#fault = undefined;
        recordError(ctx, index);
        countFault(ctx, "fail_first");
        return errorReply(503, "--fail-first");
      }
    }
    if (answer && faults.options.crashAfter > 0) {
      if (!faults.reserve()) return this.#drop("the process is crashing (--crash-after)");
      this.#reserved = true;
    }
    return undefined;
  }

  /**
   * The response for a reply when a fault changes it: none at all (a drop), a stream cut midway,
   * or the --crash-after reply that exits the process once sent; undefined = send it as usual.
   */
  respond(reply: ReplyView, headers: Headers | Record<string, string>, head: boolean): Response | undefined {
    if (this.#dropping !== undefined) return dropResponse();
    let crash = false;
    if (this.#reserved) {
      this.#reserved = false;
      if (reply.status === 200 && reply.outcome !== undefined) crash = this.faults.commit();
      else this.faults.release();
    }
    const fault = this.#fault;
    if (fault?.kind === "midstream") {
      countFault(this.ctx, "midstream_drop");
      if (crash) this.faults.crashSoon();
      // A reply that is not a stream has nothing to cut midway: it is dropped whole.
      return reply.events && !head ? cutStream(reply.events, headers, reply.status, fault.cut) : dropResponse();
    }
    if (!crash) return undefined;
    const sent = () => this.faults.crashSoon();
    if (reply.events && !head) return sseResponse(onFinished(reply.events, sent), headers, reply.status);
    return bodyThen(reply.body, headers, reply.status, sent);
  }

  #drop(why: string): FaultReply {
    this.#dropping = why;
    return dropReply(why);
  }
}

/** One banner line naming the faults in force; undefined when there are none. */
export function faultSummary(options: FaultOptions): string | undefined {
  const parts: string[] = [];
  if (options.errorRate > 0) parts.push(`error-rate ${options.errorRate} (${options.errorCodes.join(",")})`);
  if (options.dropRate > 0) parts.push(`drop-rate ${options.dropRate}`);
  if (options.hangRate > 0) parts.push(`hang-rate ${options.hangRate}`);
  if (options.midstreamDropRate > 0) parts.push(`midstream-drop-rate ${options.midstreamDropRate}`);
  if (options.failFirst > 0) parts.push(`fail-first ${options.failFirst}`);
  if (options.crashAfter > 0) parts.push(`crash-after ${options.crashAfter}`);
  if (options.loadingMs > 0) parts.push(`loading-ms ${options.loadingMs}`);
  return parts.length > 0 ? parts.join(", ") : undefined;
}

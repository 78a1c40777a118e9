// --threads-http N (N > 1): N Bun workers serve one port, each with its own Bun.serve and
// SO_REUSEPORT, so the kernel spreads connections over them; this main thread owns the port check,
// the gathering of GET /sim/ledger pages, --crash-after's exit and the graceful shutdown.
//
// The port: a socket with SO_REUSEPORT shares its port with any other socket of the same user that
// sets it too, so the workers must never be the first to bind. The main thread binds first WITHOUT
// it, which fails if anything listens there (a second llama-sim, whatever its --threads-http, or any
// other program), and learns the number --port 0 picked. It answers llama-server's 503 "Loading
// model" while the workers build their indexes, then closes, and the workers bind at once; a
// program binding in that gap without SO_REUSEPORT makes the workers fail (port busy), and one
// with it is found by the /proc check that follows (server/port-check.ts).
import { availableParallelism } from "node:os";
import type { Config } from "../config.ts";
import type { Dataset } from "../dataset/types.ts";
import { mergeParts, type LedgerPart } from "../decide/ledger-merge.ts";
import { Ledger as DecisionLedger } from "../decide/ledger.ts";
import { tallyKeys } from "../decide/tally.ts";
import { LOADING_BODY } from "./faults.ts";
import { foreignListeners } from "./port-check.ts";
import { allocateShared, type SharedState } from "./shared-state.ts";
import type { DrainResult } from "./shutdown.ts";
import { slotShares } from "./slot-pool.ts";
import type { FromWorker, ToWorker, WorkerData } from "./worker-protocol.ts";

/**
 * Workers for a --threads-http value: -1 (llama-server's "auto", its default) is 1 here, since one
 * thread is what llama-sim has always run and a process that spreads over every core should be
 * asked for; 0 is one per core; N is N. SO_REUSEPORT spreads connections only on Linux, so other
 * systems run one thread (with `notice` saying so).
 */
export function workerCount(threadsHttp: number, cores = availableParallelism(), platform: string = process.platform): { readonly count: number; readonly notice?: string } {
  const asked = threadsHttp === 0 ? cores : threadsHttp < 0 ? 1 : threadsHttp;
  if (asked > 1 && platform !== "linux") return { count: 1, notice: `--threads-http ${threadsHttp}: several HTTP threads need Linux's SO_REUSEPORT; serving on one` };
  return { count: Math.max(1, asked) };
}

/** A start-up failure: the message is the user's one line; `port` marks a bind failure (reported as the N = 1 one is). */
export class WorkerStartError extends Error {
  constructor(
    message: string,
    readonly port: boolean,
  ) {
    super(message);
  }
}

export interface PoolOptions {
  readonly config: Config;
  readonly dataset: Dataset;
  readonly workers: number;
  /** The --ledger file, opened O_APPEND by the caller. */
  readonly ledgerFd: number | undefined;
  /** --crash-after's N-th reply has left a worker. */
  readonly onCrash: (replies: number) => void;
  /** A worker died after start-up (a bug): the process cannot serve as asked. */
  readonly onWorkerError: (message: string) => void;
  /**
   * The worker entry (server/worker.ts). Inside a `bun build --compile` binary every bundled
   * module's import.meta.url is the binary's root, where entrypoints sit by their path below src/,
   * so main.ts names it relative to itself; the default suits running from source.
   */
  readonly entry?: URL;
}

/** How long a page of GET /sim/ledger waits for the workers' parts (a worker that died gives none). */
const COLLECT_WAIT_MS = 2000;
/** How long the exit waits for workers to write out their request logs. */
const FLUSH_WAIT_MS = 500;

export class WorkerPool {
  /** The decisions' totals, read from the shared counters (the shutdown's summary line). */
  readonly totals: DecisionLedger;
  /** Duplicate question texts, as the banner reports them (from the first worker's index). */
  duplicates = 0;
  readonly #workers: Worker[];
  readonly #waiting = new Map<Worker, Map<FromWorker["t"], (message: FromWorker) => void>>();
  /** Collections of GET /sim/ledger pages in progress: id -> a part arrived. */
  readonly #parts = new Map<number, (part: LedgerPart) => void>();
  #nextCollect = 0;

  private constructor(
    readonly url: string,
    readonly port: number,
    workers: Worker[],
    shared: SharedState,
    questionCount: number,
    readonly ledgerKeep: number,
  ) {
    this.#workers = workers;
    this.totals = new DecisionLedger(questionCount, shared.attempts);
  }

  get size(): number {
    return this.#workers.length;
  }

  /**
   * Checks the port, starts the workers, waits until each has built its server context, and has them
   * bind. Throws a WorkerStartError (after ending any worker it started) when anything fails.
   */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    const { config, dataset, workers: count } = options;
    let probe: ReturnType<typeof Bun.serve>;
    try {
      probe = Bun.serve({
        hostname: config.host,
        port: config.port,
        reusePort: false,
        development: false,
        fetch: () => new Response(LOADING_BODY, { status: 503, headers: { "Content-Type": "application/json; charset=utf-8", Server: "llama.cpp" } }),
      });
    } catch (error) {
      throw new WorkerStartError(error instanceof Error ? error.message : String(error), true);
    }
    const port = probe.port!;
    const url = probe.url.href;
    const shares = slotShares(config.server.parallel, count);
    const datasets = new Set(dataset.questions.map((q) => q.dataset ?? dataset.name));
    const shared = allocateShared({
      questionCount: dataset.questions.length,
      tallyKeyCount: tallyKeys(dataset.questions.map((q) => ({ dataset: q.dataset ?? dataset.name, question: q.id }))).length,
      datasetCount: datasets.size,
      workers: count,
      slots: shares.reduce((sum, s) => sum + s.count, 0),
    });
    const processStartTimeUnix = Math.floor(Date.now() / 1000);
    const workers: Worker[] = [];
    const self = new WorkerPool(url, port, workers, shared, dataset.questions.length, config.decision.ledgerKeep);
    let started = false;
    try {
      for (let w = 0; w < count; w++) {
        const data: WorkerData = {
          config,
          dataset,
          shared,
          worker: w,
          workers: count,
          slots: shares[w]!,
          ledgerFd: options.ledgerFd,
          processStartTimeUnix,
        };
        const worker = new Worker(options.entry ?? new URL("./worker.ts", import.meta.url), { workerData: data } as WorkerOptions);
        workers.push(worker);
        self.#listen(worker, options, () => started);
      }
      const ready = await self.#all("ready", (m) => m.t === "failed" && new WorkerStartError(m.message, false));
      self.duplicates = ready[0]?.t === "ready" ? ready[0].duplicates : 0;
      // From here to the workers' bind is one message round trip (see the top of this file).
      probe.stop(true);
      for (const worker of workers) post(worker, { t: "listen", port });
      await self.#all("listening", (m) => m.t === "failed" && new WorkerStartError(m.message, true));
      const foreign = foreignListeners(port);
      if (foreign.length > 0) {
        throw new WorkerStartError(`port ${port} is also held by another process (found ${foreign.length} listening socket${foreign.length === 1 ? "" : "s"} that are not llama-sim's)`, true);
      }
      started = true;
      return self;
    } catch (error) {
      probe.stop(true);
      for (const worker of workers) worker.terminate();
      if (error instanceof WorkerStartError) throw error;
      throw new WorkerStartError(error instanceof Error ? error.message : String(error), false);
    }
  }

  /**
   * Drains every worker at once (each stops accepting, finishes its in-flight replies, cuts what is
   * left after `graceMs`, writes out its request log) and adds up how it went.
   */
  async drain(graceMs: number): Promise<DrainResult> {
    for (const worker of this.#workers) post(worker, { t: "stop", graceMs });
    const results = await this.#all("drained", () => false, graceMs + 5000);
    let pending = 0;
    let clean = true;
    let left: number | undefined;
    for (const r of results) {
      if (r?.t !== "drained") {
        clean = false;
        continue;
      }
      pending += r.pending;
      clean &&= r.clean;
      if (r.left !== undefined) left = (left ?? 0) + r.left;
    }
    return { pending, clean, left };
  }

  /** Has every worker write out its request log (before an exit), waiting at most FLUSH_WAIT_MS. */
  async flush(): Promise<void> {
    for (const worker of this.#workers) post(worker, { t: "flush" });
    await this.#all("flushed", () => false, FLUSH_WAIT_MS);
  }

  /**
   * Every worker's records for a page. Each answers between two of its turns, so every seq it took
   * up to `upTo` is written by then: the merged page has no holes that later fill in.
   */
  #collect(since: number, limit: number, upTo: number): Promise<LedgerPart[]> {
    const id = this.#nextCollect++;
    const parts: LedgerPart[] = [];
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#parts.delete(id);
        resolve(parts);
      };
      const timer = setTimeout(done, COLLECT_WAIT_MS);
      this.#parts.set(id, (part) => {
        parts.push(part);
        if (parts.length === this.#workers.length) done();
      });
      for (const worker of this.#workers) post(worker, { t: "collect", id, since, limit, upTo });
    });
  }

  /** Ends every worker at once (tests; the process's own exit ends them anyway). */
  terminate(): void {
    for (const worker of this.#workers) worker.terminate();
  }

  #listen(worker: Worker, options: PoolOptions, started: () => boolean): void {
    const waiting = new Map<FromWorker["t"], (message: FromWorker) => void>();
    this.#waiting.set(worker, waiting);
    worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      switch (m.t) {
        case "page":
          void this.#collect(m.since, m.limit, m.upTo).then((parts) => post(worker, { t: "page", id: m.id, ...mergeParts(parts, m.since, m.limit, m.upTo, this.ledgerKeep) }));
          return;
        case "part":
          this.#parts.get(m.id)?.(m);
          return;
        case "crash":
          options.onCrash(m.replies);
          return;
        default: {
          const key = m.t === "failed" ? (m.stage === "build" ? "ready" : "listening") : m.t;
          const resolve = waiting.get(key);
          waiting.delete(key);
          resolve?.(m);
        }
      }
    });
    worker.addEventListener("error", (event: ErrorEvent) => {
      const message = `a --threads-http worker failed: ${event.message}`;
      const resolve = waiting.get("ready") ?? waiting.get("listening");
      if (!started() && resolve) return resolve({ t: "failed", stage: waiting.has("ready") ? "build" : "listen", message });
      if (started()) options.onWorkerError(message);
    });
  }

  /**
   * Waits for one `t` message from every worker. `failure` turns a message into the error to throw;
   * with `timeoutMs`, a worker that does not answer in time gives undefined.
   */
  async #all(t: FromWorker["t"], failure: (m: FromWorker) => Error | false, timeoutMs?: number): Promise<(FromWorker | undefined)[]> {
    const answers = this.#workers.map(
      (worker) =>
        new Promise<FromWorker | undefined>((resolve) => {
          this.#waiting.get(worker)!.set(t, resolve);
          if (timeoutMs !== undefined) setTimeout(() => resolve(undefined), timeoutMs).unref?.();
        }),
    );
    const results = await Promise.all(answers);
    for (const r of results) {
      const error = r && failure(r);
      if (error) throw error;
    }
    return results;
  }
}

function post(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}

// How the process ends (issue 8 §8): SIGINT/SIGTERM drain in-flight replies for up to
// --shutdown-grace-ms, then cut the rest; a second signal exits at once; --crash-after exits on
// purpose with status 3. Every way out flushes the request log and closes the ledger first.

/** What of Bun's Server the shutdown uses. */
export interface Stoppable {
  /** false: stop listening and let in-flight requests finish (resolves when they have); true: cut them. */
  stop(closeActiveConnections?: boolean): Promise<void> | void;
  readonly pendingRequests?: number;
}

/** How a drain went: in-flight requests when it began, and those cut after the grace period. */
export interface DrainResult {
  readonly pending: number;
  /** false when the grace period ran out first. */
  readonly clean: boolean;
  /** Requests still unfinished when cut (undefined when the server cannot tell). */
  readonly left: number | undefined;
}

/**
 * Stops accepting connections, lets in-flight replies (paced streams included) finish, and cuts
 * whatever is left after `graceMs`. Each --threads-http worker drains its own server this way.
 */
export async function drain(server: Stoppable, graceMs: number): Promise<DrainResult> {
  const pending = server.pendingRequests ?? 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = Promise.resolve(server.stop(false)).then(() => true);
  const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
  const clean = await Promise.race([drained, graceOver]);
  clearTimeout(timer);
  if (clean) return { pending, clean, left: undefined };
  const left = server.pendingRequests;
  await Promise.resolve(server.stop(true)).catch(() => undefined);
  return { pending, clean, left };
}

export interface LifecycleOptions {
  /** Drained on the first signal, unless `drain` is given. */
  readonly server?: Stoppable;
  readonly graceMs: number;
  /**
   * Drains the server (default: drain(server, graceMs)); with --threads-http > 1, every worker's
   * at once, summed.
   */
  readonly drain?: () => Promise<DrainResult>;
  /**
   * Flushes the request log and closes the ledger. A promise (workers flushing their logs) is
   * awaited before the exit; a plain function exits at once, as one process always has.
   */
  readonly flush: (() => void) | (() => Promise<void>);
  /** The closing line's account of the run, e.g. "answered 12 matched requests, 9 correctly (75.0%)". */
  readonly summary: () => string;
  /** Ends requests that would hold the drain up for nothing (injected hangs). */
  readonly beforeDrain?: () => void;
  /** One stderr line. */
  readonly log: (line: string) => void;
  readonly exit: (code: number) => void;
}

/** Status of the --crash-after exit: non-zero, and apart from 1 (start-up failures) and 2 (bad flags). */
export const CRASH_EXIT_CODE = 3;

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export class Lifecycle {
  readonly #options: LifecycleOptions;
  #stopping = false;
  #exited = false;

  constructor(options: LifecycleOptions) {
    this.#options = options;
  }

  /** Whether a shutdown has begun. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * The first signal: stop accepting connections, let in-flight replies (paced streams included)
   * finish, cut whatever is left after the grace period, then flush and exit 0. A second signal
   * flushes and exits at once with 128 + the signal's number.
   */
  async shutdown(signal: string): Promise<void> {
    const o = this.#options;
    if (this.#stopping) {
      this.#exit(128 + (SIGNAL_NUMBERS[signal] ?? 15), `llama-sim: ${signal} again, exiting at once; ${o.summary()}`);
      return;
    }
    this.#stopping = true;
    o.beforeDrain?.();
    const drainAll = o.drain ?? (() => (o.server ? drain(o.server, o.graceMs) : Promise.resolve({ pending: 0, clean: true, left: undefined })));
    const { pending, clean, left } = await drainAll();
    const cut = clean ? "" : `; cut ${left ?? "the"} unfinished ${left === 1 ? "request" : "requests"} after --shutdown-grace-ms ${o.graceMs}`;
    const waited = pending > 0 ? `; waited for ${pending} in-flight ${pending === 1 ? "request" : "requests"}` : "";
    this.#exit(0, `llama-sim: ${signal}, stopping; ${o.summary()}${waited}${cut}`);
  }

  /** --crash-after: the N-th reply has been sent; exit now, as a crash would, but with logs and ledger flushed. */
  crash(replies: number): void {
    this.#exit(CRASH_EXIT_CODE, `llama-sim: crashing on purpose after ${replies} ${replies === 1 ? "reply" : "replies"} (--crash-after); ${this.#options.summary()}`);
  }

  /** Installs the SIGINT and SIGTERM handlers, and SIGHUP's (a closed terminal or session): the same orderly stop. */
  listen(on: (signal: "SIGHUP" | "SIGINT" | "SIGTERM", handler: () => void) => void = (s, h) => void process.on(s, h)): void {
    for (const signal of ["SIGHUP", "SIGINT", "SIGTERM"] as const) on(signal, () => void this.shutdown(signal));
  }

  #exit(code: number, line: string): void {
    if (this.#exited) return;
    this.#exited = true;
    const o = this.#options;
    const finish = () => {
      o.log(line);
      o.exit(code);
    };
    let flushed: void | Promise<void>;
    try {
      flushed = o.flush();
    } catch (error) {
      finish();
      throw error;
    }
    if (flushed instanceof Promise) void flushed.catch(() => undefined).then(finish);
    else finish();
  }
}

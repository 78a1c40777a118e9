// How the process ends (issue 8 §8): SIGINT/SIGTERM drain in-flight replies for up to
// --shutdown-grace-ms, then cut the rest; a second signal exits at once; --crash-after exits on
// purpose with status 3. Every way out flushes the request log and closes the ledger first.

/** What of Bun's Server the shutdown uses. */
export interface Stoppable {
  /** false: stop listening and let in-flight requests finish (resolves when they have); true: cut them. */
  stop(closeActiveConnections?: boolean): Promise<void> | void;
  readonly pendingRequests?: number;
}

export interface LifecycleOptions {
  readonly server: Stoppable;
  readonly graceMs: number;
  /** Flushes the request log and closes the ledger. */
  readonly flush: () => void;
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

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

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
    const pending = o.server.pendingRequests ?? 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const drained = Promise.resolve(o.server.stop(false)).then(() => true);
    const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), o.graceMs)));
    const clean = await Promise.race([drained, graceOver]);
    clearTimeout(timer);
    let cut = "";
    if (!clean) {
      const left = o.server.pendingRequests;
      cut = `; cut ${left ?? "the"} unfinished ${left === 1 ? "request" : "requests"} after --shutdown-grace-ms ${o.graceMs}`;
      await Promise.resolve(o.server.stop(true)).catch(() => undefined);
    }
    const waited = pending > 0 ? `; waited for ${pending} in-flight ${pending === 1 ? "request" : "requests"}` : "";
    this.#exit(0, `llama-sim: ${signal}, stopping; ${o.summary()}${waited}${cut}`);
  }

  /** --crash-after: the N-th reply has been sent; exit now, as a crash would, but with logs and ledger flushed. */
  crash(replies: number): void {
    this.#exit(CRASH_EXIT_CODE, `llama-sim: crashing on purpose after ${replies} ${replies === 1 ? "reply" : "replies"} (--crash-after); ${this.#options.summary()}`);
  }

  /** Installs the SIGINT and SIGTERM handlers. */
  listen(on: (signal: "SIGINT" | "SIGTERM", handler: () => void) => void = (s, h) => void process.on(s, h)): void {
    for (const signal of ["SIGINT", "SIGTERM"] as const) on(signal, () => void this.shutdown(signal));
  }

  #exit(code: number, line: string): void {
    if (this.#exited) return;
    this.#exited = true;
    const o = this.#options;
    try {
      o.flush();
    } finally {
      o.log(line);
      o.exit(code);
    }
  }
}

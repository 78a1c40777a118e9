// End-to-end harness: runs the COMPILED binary (./llama-sim at the repo root, built by `make llama-sim`),
// never the source. Each server gets `--port 0`, a fresh temporary --cache-dir and HOME, and an explicit
// minimal environment, so nothing touches ~/.cache or depends on the caller's shell.
import { expect } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../..");
/** ./llama-sim; LLAMA_SIM_E2E_BINARY points the suite at another build (e.g. dist/llama-sim-linux-x64). */
export const BINARY = process.env.LLAMA_SIM_E2E_BINARY ? resolve(process.env.LLAMA_SIM_E2E_BINARY) : join(ROOT, "llama-sim");
export const SHARED = resolve(ROOT, "../shared");
/** Relative to ROOT, exactly as a user would type it from the repo root. */
export const AIME_FILE_REL = "../shared/datasets/aimo-validation-aime/train.jsonl";
export const AIME_FILE = join(ROOT, AIME_FILE_REL);

const BANNER = /^llama-sim listening on http:\/\/(\S+):(\d+)$/;
const DEFAULT_START_TIMEOUT_MS = 15_000;

export function assertBinary(): void {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} does not exist: run \`make llama-sim\` first`);
}

/** A fresh temporary directory, removed by cleanupTempDirs() (and by Sim.stop for the ones it owns). */
const tempDirs = new Set<string>();
export function tempDir(label = "tmp"): string {
  const dir = mkdtempSync(join(tmpdir(), `llama-sim-e2e-${label}-`));
  tempDirs.add(dir);
  return dir;
}
export function cleanupTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** The minimal environment every spawn gets unless a test asks for exactly something else. */
export function minimalEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: home, ...extra };
}

/** Reads a byte stream as lines as they arrive, keeping them all, and wakes waiters. */
class LineCollector {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  private waiters = new Set<() => void>();
  private ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.pump(stream);
  }

  get text(): string {
    return this.lines.join("\n");
  }

  get closed(): boolean {
    return this.ended;
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    try {
      for await (const chunk of stream) {
        pending += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = pending.indexOf("\n")) !== -1) {
          this.lines.push(pending.slice(0, nl).replace(/\r$/, ""));
          pending = pending.slice(nl + 1);
        }
        this.wake();
      }
    } catch {
      // the process was killed mid-write; keep what arrived
    }
    pending += decoder.decode();
    if (pending !== "") this.lines.push(pending);
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with the first line (from `from` on) that matches, or rejects at the timeout or stream end. */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.lines.length; i++) {
          if (pattern.test(this.lines[i]!)) {
            finish();
            resolvePromise(this.lines[i]!);
            return true;
          }
        }
        if (this.ended) {
          finish();
          reject(new Error(`stream ended without a line matching ${pattern}; got:\n${this.text}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got:\n${this.text}`));
      }, timeoutMs);
      const waiter = () => void check();
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      check();
    });
  }
}

export interface SimOptions {
  /** Extra arguments after `--port 0 --cache-dir DIR`. */
  readonly args?: readonly string[];
  /** Added to the minimal environment. */
  readonly env?: Record<string, string>;
  /** Use this cache directory (kept after stop) instead of a fresh temporary one. */
  readonly cacheDir?: string;
  readonly startTimeoutMs?: number;
}

export interface Sim {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly host: string;
  readonly port: number;
  /** http://HOST:PORT, no trailing slash. */
  readonly url: string;
  readonly cacheDir: string;
  /** Every stderr line so far (banner included). */
  readonly stderrLines: readonly string[];
  /** Index of the first stderr line after the banner. */
  readonly bannerEnd: number;
  /** The banner's `key: value` lines (dataset, questions, success rate, seed, model, ready in). */
  readonly banner: Record<string, string>;
  waitForStderr(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  readonly alive: boolean;
  /** SIGTERM (or `signal`), await exit (SIGKILL after 5 s); resolves with the exit code. Idempotent. */
  stop(signal?: "SIGTERM" | "SIGINT"): Promise<number | null>;
}

const running = new Set<Sim>();

/** Starts the binary and resolves once its banner names the real port. */
export async function startSim(options: SimOptions = {}): Promise<Sim> {
  assertBinary();
  const home = tempDir("home");
  const cacheDir = options.cacheDir ?? tempDir("cache");
  const args = ["--port", "0", "--cache-dir", cacheDir, ...(options.args ?? [])];
  const proc = Bun.spawn([BINARY, ...args], {
    cwd: ROOT,
    env: minimalEnv(home, options.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = new LineCollector(proc.stderr);
  // stdout is drained so a chatty binary can never block on a full pipe.
  const stdout = new LineCollector(proc.stdout);
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let bannerLine: string;
  try {
    bannerLine = await stderr.waitFor(BANNER, timeoutMs);
  } catch (error) {
    proc.kill("SIGKILL");
    await proc.exited;
    await stderr.done;
    throw new Error(
      `llama-sim ${args.join(" ")} did not print its banner (exit ${proc.exitCode}): ${(error as Error).message.split("\n")[0]}\n` +
        `--- stderr ---\n${stderr.text}\n--- stdout ---\n${stdout.text}`,
    );
  }
  const [, host, portText] = BANNER.exec(bannerLine)!;
  const bannerIndex = stderr.lines.indexOf(bannerLine);
  // The banner is written with one write(); its key lines follow immediately.
  await stderr.waitFor(/^\s+ready in:/, 2_000, bannerIndex);
  const banner: Record<string, string> = {};
  let bannerEnd = bannerIndex + 1;
  for (; bannerEnd < stderr.lines.length; bannerEnd++) {
    const m = /^\s{2}([a-z ]+):\s+(.*)$/.exec(stderr.lines[bannerEnd]!);
    if (!m) break;
    banner[m[1]!] = m[2]!;
    if (m[1] === "ready in") {
      bannerEnd++;
      break;
    }
  }
  let stopped: Promise<number | null> | undefined;
  const sim: Sim = {
    proc,
    host: host!,
    port: Number(portText),
    url: `http://${host}:${portText}`,
    cacheDir,
    stderrLines: stderr.lines,
    bannerEnd,
    banner,
    waitForStderr: (pattern, ms = 5_000, from = 0) => stderr.waitFor(pattern, ms, from),
    get alive() {
      return proc.exitCode === null && proc.signalCode === null;
    },
    stop(signal = "SIGTERM") {
      stopped ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill(signal);
          const killer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
          await proc.exited;
          clearTimeout(killer);
        }
        await Promise.all([stderr.done, stdout.done]);
        running.delete(sim);
        return proc.exitCode;
      })();
      return stopped;
    },
  };
  running.add(sim);
  return sim;
}

/** Stops every server still running (for afterAll) and removes temporary directories. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
  cleanupTempDirs();
}

export interface RunResult {
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Non-empty stderr lines. */
  readonly stderrLines: string[];
}

/** Runs the binary to completion (for --help, --version and start-up failures). */
export async function runToExit(
  args: readonly string[],
  options: { env?: Record<string, string>; exactEnv?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  assertBinary();
  const env = options.exactEnv ? (options.env ?? {}) : minimalEnv(tempDir("home"), options.env);
  const proc = Bun.spawn([BINARY, ...args], { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 10_000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return {
    exitCode: proc.exitCode,
    signalCode: proc.signalCode,
    stdout,
    stderr,
    stderrLines: stderr.split("\n").filter((l) => l.trim() !== ""),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Dataset and grading helpers (what llama-eval does), computed independently of src/.

export interface AimeItem {
  readonly id: string;
  readonly problem: string;
  readonly rawAnswer: string;
  /** The grader's gold: leading zeros stripped ("033" -> "33"). */
  readonly gold: string;
}

let aimeCache: AimeItem[] | undefined;
export function loadAime(): AimeItem[] {
  aimeCache ??= readFileSync(AIME_FILE, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const row = JSON.parse(line) as { id: number; problem: string; answer: string };
      return { id: String(row.id), problem: row.problem, rawAnswer: row.answer, gold: row.answer.trim().replace(/^0+(?=\d)/, "") };
    });
  return aimeCache;
}

/** llama-eval's AIME template (eval-clients.md). */
export function aimePrompt(question: string): string {
  return `Solve the following math problem step by step. Put your answer inside \\boxed{}.\n\n${question}\n\nRemember to put your answer inside \\boxed{}.\n`;
}

/** llama-eval's regex grader: the last \boxed{...} in the last 10 lines, stripped; undefined if none. */
export function lastBoxed(content: string): string | undefined {
  const tail = content.split("\n").slice(-10).join("\n");
  const all = [...tail.matchAll(/\\boxed\{([^{}]*)\}/g)];
  return all.at(-1)?.[1]?.trim();
}

/** The chat body llama-eval sends for one case. */
export function evalBody(question: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "llama", messages: [{ role: "user", content: aimePrompt(question) }], n_predict: -1, ...extra };
}

export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

/** Runs `work` over items with at most `limit` in flight (llama-eval uses 32 worker threads). */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  for (let start = 0; start < items.length; start += limit) {
    const slice = items.slice(start, start + limit);
    const done = await Promise.all(slice.map((item, i) => work(item, start + i)));
    done.forEach((r, i) => (results[start + i] = r));
  }
  return results;
}

export interface ErrorBody {
  readonly error: { readonly code: number; readonly message: string; readonly type: string };
}

/** Asserts llama-server's error envelope, exactly `{"error":{"code","message","type"}}`, and returns it. */
export async function expectError(res: Response, status: number, type?: string): Promise<ErrorBody> {
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status });
  expect(res.headers.get("content-type") ?? "").toContain("application/json");
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "type"]);
  expect(body.error.code).toBe(status);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(typeof body.error.type).toBe("string");
  if (type !== undefined) expect(body.error.type).toBe(type);
  return body;
}

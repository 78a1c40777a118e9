// Child processes of `make bench`: tracked and killed on every way out (exit, error, ctrl-C), servers
// started on a free port and waited for, and what /proc says about them.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { CLK_TCK, KEEP, ROOT, log } from "./knobs.ts";
import { allowedCpuList, onCpus, pinning, type Pinning } from "./pin.ts";

// ---------------------------------------------------------------------------------------------------
// Child processes: tracked, killed on every way out.

export const children = new Set<Subprocess>();
export const TMP = mkdtempSync(join(tmpdir(), "llama-sim-bench-"));
let cleanedUp = false;
export function cleanup(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {}
  }
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
}
process.on("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    log(`\nbench: ${signal}, killing ${children.size} child process(es)`);
    cleanup();
    process.exit(130);
  });
}

/** Raises the open-files limit to the hard limit, then execs: the pid stays the command's own. */
export const withFdLimit = (cmd: string[]) => ["sh", "-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", ...cmd];

export function spawn(
  cmd: string[],
  opts: { stdout?: "pipe" | "ignore" | number; stderr?: "pipe" | "ignore" | number; cwd?: string; env?: Record<string, string> } = {},
): Subprocess {
  const child = Bun.spawn(cmd, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: opts.stdout ?? "ignore",
    stderr: opts.stderr ?? "ignore",
  });
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

export async function stop(what: Subprocess | Server): Promise<void> {
  const child = "proc" in what ? what.proc : what;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await child.exited;
  clearTimeout(killer);
}

export async function run(cmd: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string; cpuSeconds: number }> {
  const child = spawn(cmd, { stdout: "pipe", stderr: "pipe", cwd });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout as ReadableStream).text(),
    new Response(child.stderr as ReadableStream).text(),
    child.exited,
  ]);
  const cpuSeconds = Number(child.resourceUsage()?.cpuTime.total ?? NaN) / 1e6;
  return { code, stdout, stderr, cpuSeconds };
}

/** CPU seconds (user + system, all threads) a live process has used, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export async function healthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

export interface Server {
  readonly name: string;
  readonly proc: Subprocess;
  readonly port: number;
  readonly url: string;
  /** Process start to first 200 from /health. */
  readonly startMs: number;
  readonly stderrFile: string;
  /** VmRSS right after start-up, before any load. */
  readonly idleRssKiB: number;
  /** Set when the server runs pinned to one CPU: wrk() then runs pinned to another. Cleared by unpin(). */
  pin: Pinning | undefined;
}

export function procStatus(pid: number): { rssKiB: number; hwmKiB: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

export interface StartOptions {
  /** Give up after this long (default 120 s). */
  readonly timeoutMs?: number;
  readonly env?: Record<string, string>;
  /** Pin the server to one CPU (lib/pin.ts) when pinning is on: for single-server wrk runs only. */
  readonly pin?: boolean;
}

export async function startServer(name: string, cmd: string[], opts: StartOptions = {}): Promise<Server> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const pin = opts.pin ? pinning() : undefined;
  const port = freePort();
  const stderrFile = join(TMP, `${name.replace(/[^\w.-]+/g, "_")}.stderr`);
  const fd = openSync(stderrFile, "w");
  const t0 = performance.now();
  const proc = spawn(withFdLimit(onCpus(pin?.server, [...cmd, "--port", String(port)])), { stderr: fd, env: opts.env ?? {} });
  closeSync(fd);
  for (;;) {
    if (await healthy(port)) break;
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}: ${readFileSync(stderrFile, "utf8").slice(0, 2000)}`);
    if (performance.now() - t0 > timeoutMs) throw new Error(`${name} not healthy after ${timeoutMs} ms`);
    await Bun.sleep(1);
  }
  const startMs = performance.now() - t0;
  // The pid measured (/proc/<pid>/stat) must be the server itself on its CPU, not sh or taskset: both exec.
  if (pin && allowedCpuList(proc.pid) !== pin.server) throw new Error(`${name} (pid ${proc.pid}) runs on CPUs ${allowedCpuList(proc.pid)}, not ${pin.server}`);
  await Bun.sleep(50);
  return { name, proc, port, url: `http://127.0.0.1:${port}`, startMs, stderrFile, idleRssKiB: procStatus(proc.pid).rssKiB, pin };
}

/** Lets a pinned server (all its threads) run on every CPU again, for scenarios that must not be pinned. */
export async function unpin(server: Server): Promise<void> {
  if (!server.pin) return;
  const r = await run(["taskset", "-a", "-p", "-c", allowedCpuList(), String(server.proc.pid)]);
  if (r.code !== 0) throw new Error(`unpinning ${server.name} failed: ${r.stderr}`);
  server.pin = undefined;
}

/** POSTs a body and returns status, byte size and number of SSE events. */
export async function probe(url: string, body: string): Promise<{ status: number; bytes: number; events: number; text: string }> {
  const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  const text = await response.text();
  return { status: response.status, bytes: Buffer.byteLength(text), events: text.split(/^data: /m).length - 1, text };
}

export async function checkServes(server: Server, bodies: readonly string[]): Promise<void> {
  for (const body of [bodies[0]!, bodies[bodies.length >> 1]!, bodies[bodies.length - 1]!]) {
    const p = await probe(server.url, body);
    if (p.status !== 200 || !p.text.includes("\\\\boxed{")) {
      throw new Error(`${server.name} answered ${p.status} to a benchmark body: ${p.text.slice(0, 300)}`);
    }
  }
}

export async function readFirstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let text = "";
  const decoder = new TextDecoder();
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  reader.releaseLock();
  return text.split("\n")[0]!.trim();
}


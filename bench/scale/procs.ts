// The scale test's child processes: llama-sim replicas and nginx. Each writes stderr to a file in
// the run directory (no pipe to fill up); every child is killed when the test ends, whatever happens.
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";

export interface Child {
  readonly name: string;
  readonly proc: Subprocess;
  readonly logFile: string;
  readonly alive: boolean;
}

const children = new Set<Child>();

function spawnLogged(name: string, cmd: readonly string[], dir: string, env: Record<string, string>): Child {
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, "w");
  const proc = Bun.spawn([...cmd], { cwd: dir, env, stdin: "ignore", stdout: fd, stderr: fd });
  closeSync(fd);
  const child: Child = {
    name,
    proc,
    logFile,
    get alive() {
      return proc.exitCode === null && proc.signalCode === null;
    },
  };
  children.add(child);
  return child;
}

export const logOf = (child: Child): string => readFileSync(child.logFile, "utf8");

/** Polls until `check` returns a value, the child exits, or the time is up. */
async function waitFor<T>(child: Child, what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (!child.alive) throw new Error(`${child.name} exited (${child.proc.exitCode ?? child.proc.signalCode}) before ${what}:\n${logOf(child)}`);
    if (performance.now() > deadline) throw new Error(`${child.name}: no ${what} within ${timeoutMs} ms:\n${logOf(child)}`);
    await Bun.sleep(20);
  }
}

export interface Replica extends Child {
  readonly port: number;
  readonly url: string;
  readonly ledger: string;
}

const BANNER = /^llama-sim listening on http:\/\/127\.0\.0\.1:(\d+)$/m;

/** Starts one replica on a free port (--port 0) and resolves when its banner names the port. */
export async function startReplica(binary: string, name: string, dir: string, args: readonly string[]): Promise<Replica> {
  const ledger = join(dir, `${name}.jsonl`);
  const child = spawnLogged(name, [binary, "--port", "0", "--ledger", ledger, "--cache-dir", join(dir, "cache"), ...args], dir, {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
  });
  const port = await waitFor(child, "banner", 15_000, () => {
    const m = BANNER.exec(logOf(child));
    return m ? Number(m[1]) : undefined;
  });
  return Object.assign(child, { port, url: `http://127.0.0.1:${port}`, ledger });
}

/** A port nothing listens on right now (the kernel's pick for a socket that is then closed). */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/** nginx in the foreground (`daemon off`), resolved once it answers on `url`'s /health. */
export async function startNginx(nginx: string, dir: string, config: string, url: string): Promise<Child> {
  const child = spawnLogged("nginx", [nginx, "-p", dir, "-c", config, "-g", "daemon off;"], dir, { PATH: process.env.PATH ?? "/usr/bin:/bin" });
  await waitFor(child, "answer on /health", 10_000, async () => {
    try {
      return (await fetch(`${url}/health`)).status === 200 ? true : undefined;
    } catch {
      return undefined;
    }
  });
  return child;
}

/** Stops a child (SIGTERM, SIGKILL after 5 s) and waits for it. */
export async function stop(child: Child, signal: "SIGTERM" | "SIGQUIT" = "SIGTERM"): Promise<void> {
  if (child.alive) {
    child.proc.kill(signal);
    const killer = setTimeout(() => child.proc.kill("SIGKILL"), 5_000);
    await child.proc.exited;
    clearTimeout(killer);
  }
  children.delete(child);
}

/** Stops every child still running and waits for them (SIGKILL after 5 s). */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stop(child)));
}

/**
 * Every child still running, for ctrl-C: SIGTERM, not SIGKILL, because a SIGKILLed nginx
 * master leaves its workers running; llama-sim and nginx both exit promptly on SIGTERM.
 */
export function killAll(): void {
  for (const child of children) if (child.alive) child.proc.kill("SIGTERM");
  children.clear();
}

/**
 * The memory allocator's settings for a long-running server. Bun's allocator (mimalloc) hands pages
 * of freed memory back to the OS about 10 ms after a collection frees them, and a busy server
 * faults them straight back in: on a virtual machine each fault is a trip to the hypervisor. With
 * MIMALLOC_PURGE_DELAY=-1 freed pages are kept for reuse: page faults under load fell from ~0.3 to
 * ~0.05 per request and server CPU per request by 12–16% on the bench machine, at the cost of
 * memory going back to the OS only when the process exits. mimalloc reads its settings once, at
 * process start, so the compiled binary restarts itself in place (execve: same pid, same arguments,
 * same descriptors) with the setting added, about 10 ms before it loads anything. A
 * MIMALLOC_PURGE_DELAY the user set (any value) is left alone, and so is a run from source.
 */
import { resolve } from "node:path";

export const PURGE_DELAY = "MIMALLOC_PURGE_DELAY";

export interface TuningHost {
  readonly env: Record<string, string | undefined>;
  /** Bun.main: `/$bunfs/…` in a binary built with `bun build --compile`. */
  readonly main: string;
  readonly execPath: string;
  /**
   * The path the process was started by, when it is this same binary (a symlink, say): restarting
   * through it keeps the process's name (`ps`, `pkill`) as it was. Else execPath.
   */
  readonly startedAs?: { readonly file: string; readonly argv0: string };
  /** process.argv: [runtime, script, ...arguments]. */
  readonly argv: readonly string[];
  readonly execve?: (file: string, args: string[], env: Record<string, string>) => never;
}

/** Whether this process restarts: a compiled binary that can execve, with no MIMALLOC_PURGE_DELAY set. */
const restarts = (host: TuningHost): boolean => host.env[PURGE_DELAY] === undefined && host.main.startsWith("/$bunfs/") && host.execve !== undefined;

/** The execve arguments that restart this binary with the allocator tuned, or undefined when it should run as it is. */
export function tunedRestart(host: TuningHost): { file: string; args: string[]; env: Record<string, string> } | undefined {
  if (!restarts(host)) return undefined;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(host.env)) if (value !== undefined) env[key] = value;
  env[PURGE_DELAY] = "-1";
  const file = host.startedAs?.file ?? host.execPath;
  return { file, args: [host.startedAs?.argv0 ?? file, ...host.argv.slice(2)], env };
}

/** Restarts the process with the allocator tuned (see above); returns only when it does not (or cannot) restart. */
export function tuneAllocator(host: TuningHost = processHost()): void {
  const restart = tunedRestart(host);
  if (restart === undefined) return;
  try {
    host.execve!(restart.file, restart.args, restart.env);
  } catch {
    // No execve here (a locked-down sandbox, a deleted binary): serve untuned rather than not at all.
  }
}

/** This process as a TuningHost; the name it was started by is looked up only when it will restart. */
function processHost(): TuningHost {
  const host: TuningHost = { env: process.env, main: Bun.main, execPath: process.execPath, argv: process.argv, execve: process.execve };
  return restarts(host) ? { ...host, startedAs: startedAs(process.argv0, process.execPath) } : host;
}

/** The file argv0 names (as given, or found on PATH), if it is this binary; never another program a supervisor named. */
export function startedAs(argv0: string, execPath: string): { file: string; argv0: string } | undefined {
  const file = argv0.includes("/") ? argv0 : Bun.which(argv0);
  if (!file) return undefined;
  // The usual case, the binary's own path (no ".." that a symlinked directory could redirect): decided
  // without loading node:fs, ~5 ms of every start-up.
  if (!file.split("/").includes("..") && resolve(file) === execPath) return { file, argv0 };
  try {
    const { realpathSync } = require("node:fs") as typeof import("node:fs");
    // .native: the kernel's answer. The plain one collapses "x/.." before resolving links, as the kernel does not.
    if (realpathSync.native(file) === realpathSync.native(execPath)) return { file, argv0 };
  } catch {
    // A name that is no file: restart through execPath.
  }
  return undefined;
}

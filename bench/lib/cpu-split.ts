// Splits a server's `perf record -g` samples into where the CPU went — the kernel, Bun's runtime (native
// code with no JS on the stack: HTTP parsing and writing, the event loop), the JIT-compiled JavaScript,
// native code that JavaScript called (JSON, strings, Response, regexes' slow paths), other threads —
// and names the JS function each JS and JS-called sample belongs to, from JSC's jitdump.
import { codeAt, jsFunction, type JitCode } from "./jitdump.ts";

export interface FunctionCost {
  name: string;
  /** Samples in the function's own JIT code (and the stubs it called). */
  js: number;
  /** Samples in native code it called (Bun, JSC's runtime, libc). */
  native: number;
  /** Samples in the kernel under it (syscalls, page faults). */
  kernel: number;
}

export interface CpuSplit {
  readonly samples: number;
  readonly kernel: number;
  /** Native code with no JS function on the stack: Bun's HTTP server and event loop, GC triggered there. */
  readonly runtime: number;
  readonly js: number;
  readonly nativeFromJs: number;
  /** Samples of threads other than the main one (JIT compilers, GC helpers, Bun's thread pool). */
  readonly otherThreads: number;
  /** Blocks or call-chain lines not in the expected format (counted nowhere else): a check on the parse. */
  readonly unreadable: number;
  /** By JS function, most samples first. */
  readonly functions: readonly FunctionCost[];
}

const FRAME = /^\s*([0-9a-f]+)\s+\((.*)\)\s*$/;
/** Kernel text lives in the top half of the address space (x86-64, arm64); modules ("[nf_conntrack]") included. */
const KERNEL_START = 2 ** 63;

/**
 * `perf script -F tid,ip,dso` output of a `perf record -g` run: one block per sample, the thread id on
 * its first line, then the call chain from the leaf out, one "address (dso)" per line.
 */
export function splitSamples(script: string, codes: readonly JitCode[], mainTid: number): CpuSplit {
  let samples = 0;
  let kernel = 0;
  let runtime = 0;
  let js = 0;
  let nativeFromJs = 0;
  let otherThreads = 0;
  let unreadable = 0;
  // By jsFunction's id; named by its name, with the id's hash where two functions share a name (three are called `run`).
  const functions = new Map<string, FunctionCost>();
  const cost = (id: string, name: string) => {
    let c = functions.get(id);
    if (!c) functions.set(id, (c = { name, js: 0, native: 0, kernel: 0 }));
    return c;
  };
  for (const block of script.split(/\n\s*\n/)) {
    const lines = block.split("\n").filter((line) => line.trim() !== "");
    if (lines.length === 0) continue;
    const tid = Number(lines[0]!.trim());
    if (!Number.isInteger(tid)) {
      unreadable++;
      continue;
    }
    samples++;
    if (tid !== mainTid) {
      otherThreads++;
      continue;
    }
    const frames = lines.slice(1).map((line) => FRAME.exec(line)).filter((m) => m !== null);
    if (frames.length !== lines.length - 1) unreadable++;
    if (frames.length === 0) {
      runtime++;
      continue;
    }
    const leafIp = parseInt(frames[0]![1]!, 16);
    const { inJit, owner } = ownerOf(frames, codes);
    if (inJit) {
      js++;
      cost(owner!.id, owner!.name).js++;
    } else if (leafIp >= KERNEL_START || frames[0]![2]!.startsWith("[kernel")) {
      kernel++;
      if (owner) cost(owner.id, owner.name).kernel++;
    } else if (owner) {
      nativeFromJs++;
      cost(owner.id, owner.name).native++;
    } else runtime++;
  }
  const named = new Map<string, number>();
  for (const c of functions.values()) named.set(c.name, (named.get(c.name) ?? 0) + 1);
  for (const [id, c] of functions) if (named.get(c.name)! > 1) c.name = `${c.name} (${id.slice(id.lastIndexOf("#"))})`;
  const sorted = [...functions.values()].sort((a, b) => b.js + b.native + b.kernel - (a.js + a.native + a.kernel));
  return { samples, kernel, runtime, js, nativeFromJs, otherThreads, unreadable, functions: sorted };
}

const STUBS_ONLY = { id: "(JIT stubs)", name: "(JIT stubs with no JS caller)" };

/**
 * Whether a call chain's leaf is JIT code, and the innermost JS function on it: a stub (thunk, inline
 * cache) runs for the function that called it. A user frame under a user frame is a return address: one
 * byte back is the call, inside the caller even when the call ends its code. The first user frame under
 * the kernel is where user code was interrupted.
 */
function ownerOf(frames: readonly RegExpExecArray[], codes: readonly JitCode[]): { inJit: boolean; owner: { id: string; name: string } | undefined } {
  let inJit = false;
  let stubs = false;
  let previousIp = KERNEL_START;
  for (let i = 0; i < frames.length; i++) {
    const ip = parseInt(frames[i]![1]!, 16);
    const code = codeAt(codes, previousIp < KERNEL_START ? ip - 1 : ip);
    previousIp = ip;
    if (!code) continue;
    if (i === 0) inJit = true;
    const fn = jsFunction(code.name);
    if (fn) return { inJit, owner: fn };
    stubs = true;
  }
  return { inJit, owner: stubs ? STUBS_ONLY : undefined };
}

// Splits a server's `perf record -g` samples into where the CPU went — the kernel, Bun's runtime (native
// code with no JS on the stack: HTTP parsing and writing, the event loop), the JIT-compiled JavaScript,
// native code that JavaScript called (JSON, strings, Response, regexes' slow paths), other threads —
// and names the JS function each JS and JS-called sample belongs to, from JSC's jitdump.
import { codeAt, functionOf, type JitCode } from "./jitdump.ts";

export interface FunctionCost {
  readonly name: string;
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
  /** By JS function, most samples first. */
  readonly functions: readonly FunctionCost[];
}

const FRAME = /^\s*([0-9a-f]+)\s+\((.*)\)\s*$/;

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
  const functions = new Map<string, FunctionCost>();
  const cost = (name: string) => {
    let c = functions.get(name);
    if (!c) functions.set(name, (c = { name, js: 0, native: 0, kernel: 0 }));
    return c;
  };
  for (const block of script.split(/\n\s*\n/)) {
    const lines = block.split("\n").filter((line) => line.trim() !== "");
    const tid = Number(lines[0]?.trim());
    if (!Number.isInteger(tid)) continue;
    samples++;
    if (tid !== mainTid) {
      otherThreads++;
      continue;
    }
    const frames = lines.slice(1).map((line) => FRAME.exec(line)).filter((m) => m !== null);
    if (frames.length === 0) {
      runtime++;
      continue;
    }
    const leafCode = codeAt(codes, parseInt(frames[0]![1]!, 16));
    // The innermost JS function on the stack: a stub (thunk, inline cache) runs for the function that called it.
    let owner: string | undefined;
    let stubsOnly = false;
    for (const m of frames) {
      const code = codeAt(codes, parseInt(m[1]!, 16));
      if (!code) continue;
      owner = functionOf(code.name);
      if (owner !== undefined) break;
      stubsOnly = true;
    }
    if (owner === undefined && stubsOnly) owner = "(JIT stubs with no JS caller)";
    const leafDso = frames[0]![2]!;
    if (leafCode) {
      js++;
      cost(owner!).js++;
    } else if (leafDso.startsWith("[kernel")) {
      kernel++;
      if (owner !== undefined) cost(owner).kernel++;
    } else if (owner !== undefined) {
      nativeFromJs++;
      cost(owner).native++;
    } else runtime++;
  }
  const sorted = [...functions.values()].sort((a, b) => b.js + b.native + b.kernel - (a.js + a.native + a.kernel));
  return { samples, kernel, runtime, js, nativeFromJs, otherThreads, functions: sorted };
}

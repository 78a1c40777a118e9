// Where a request's CPU goes, llama-sim against the floor, under the same wrk load: `perf record -g` on
// each server (pinned, as in the throughput runs), its samples split into kernel, Bun's runtime, JS and
// native code called from JS (lib/cpu-split.ts), JS named from JSC's jitdump (lib/jitdump.ts).
//
// JSC's own sampling profiler (scenarios/profile.ts) sees only JS frames and slows the JS it samples;
// perf sees every layer and costs both servers alike. Both binaries are built here without --minify
// and --bytecode so that functions keep their names; their JIT-compiled steady state is the same code.
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BUN, ROOT, ROUNDS, SECONDS, SEED, SUCCESS_RATE, WARMUP, log } from "../lib/knobs.ts";
import { splitSamples, type CpuSplit } from "../lib/cpu-split.ts";
import { parseJitdump } from "../lib/jitdump.ts";
import { markdownTable, signed } from "../lib/markdown.ts";
import { TMP, run, spawn, startServer, stop, type Server } from "../lib/procs.ts";
import { wrk, writeLuaScript, type Script } from "../lib/wrk.ts";
import type { DatasetCase } from "./throughput.ts";

/** perf's sampling rate, Hz: each sample stands for 1/FREQUENCY s of one CPU. */
const FREQUENCY = 1999;

export interface CpuSplitSide {
  readonly label: string;
  readonly requests: number;
  /** Server CPU per request in the profiled run (/proc), perf's own cost included. */
  readonly cpuUsPerRequest: number;
  readonly split: CpuSplit;
}

export interface CpuSplitResult {
  readonly dataset: string;
  readonly floor: CpuSplitSide;
  readonly sim: CpuSplitSide;
}

/** Why perf cannot profile here, or undefined when it can. */
async function perfUnavailable(): Promise<string | undefined> {
  if (!Bun.which("perf")) return "perf not found (Debian: linux-perf; `make bench` installs it)";
  const probe = await run(["perf", "record", "-g", "-F", String(FREQUENCY), "-o", "/dev/null", "--", "true"]);
  return probe.code === 0 ? undefined : `perf record failed: ${probe.stderr.trim().split("\n").at(-1)}`;
}

async function compile(name: string, entries: string[]): Promise<string> {
  const out = join(TMP, name);
  const built = await run([BUN, "build", "--compile", ...entries.map((e) => join(ROOT, e)), "--outfile", out]);
  if (built.code !== 0) throw new Error(`building ${name} failed: ${built.stderr}`);
  return out;
}

interface Profiled {
  readonly label: string;
  readonly server: Server;
  readonly dir: string;
  /** perf script text of every measured window. */
  readonly scripts: string[];
  requests: number;
  cpuSeconds: number;
}

async function startProfiled(label: string, cmd: string[]): Promise<Profiled> {
  const dir = join(TMP, `jitdump-${label.replace(/\W+/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  // MIMALLOC_PURGE_DELAY set as llama-sim's own restart would (src/tuning.ts), so it does not restart.
  const env = { BUN_JSC_useJITDump: "1", BUN_JSC_jitDumpDirectory: dir, MIMALLOC_PURGE_DELAY: "-1" };
  const server = await startServer(`${label} under perf`, cmd, { env, pin: true });
  return { label, server, dir, scripts: [], requests: 0, cpuSeconds: 0 };
}

/** One measured window: wrk for SECONDS with perf recording the server. */
async function measure(p: Profiled, script: Script): Promise<void> {
  const data = join(TMP, `perf-${p.server.proc.pid}.data`);
  // --no-buildid-cache: else perf copies each ~110 MB binary of this run's temp dir into ~/.debug, every run.
  const perf = spawn(["perf", "record", "-g", "--no-buildid-cache", "-F", String(FREQUENCY), "-p", String(p.server.proc.pid), "-o", data, "--", "sleep", String(SECONDS + 1)]);
  await Bun.sleep(300);
  const r = await wrk(p.server, script, SECONDS);
  // perf may start yet be refused the server's pid (ptrace access, a container's seccomp).
  if ((await perf.exited) !== 0) throw new Error(`perf record -p ${p.server.proc.pid} exited with ${perf.exitCode}`);
  const text = await run(["perf", "script", "-i", data, "-F", "tid,ip,dso"]);
  if (text.code !== 0) throw new Error(`perf script failed: ${text.stderr}`);
  p.scripts.push(text.stdout);
  p.requests += r.requests;
  p.cpuSeconds += (r.serverCpu / r.rps) * r.requests;
}

async function finish(p: Profiled): Promise<CpuSplitSide> {
  await stop(p.server);
  // JSC names it jit-<n>-<pid>.dump.
  const pid = p.server.proc.pid;
  const dump = readdirSync(p.dir).find((f) => f.endsWith(`-${pid}.dump`));
  if (!dump) throw new Error(`${p.label}: no jitdump for pid ${pid} in ${p.dir}`);
  const split = splitSamples(p.scripts.join("\n\n"), parseJitdump(readFileSync(join(p.dir, dump))), pid);
  const cpuUsPerRequest = (p.cpuSeconds / p.requests) * 1e6;
  log(`${p.label}: ${split.samples} samples, ${p.requests} requests, ${cpuUsPerRequest.toFixed(1)} µs CPU a request`);
  return { label: p.label, requests: p.requests, cpuUsPerRequest, split };
}

/** The split for the floor and for llama-sim on `c`'s bodies, or why it was skipped. */
export async function cpuSplitScenario(c: DatasetCase): Promise<CpuSplitResult | { skipped: string }> {
  const why = await perfUnavailable();
  if (why) return { skipped: why };
  const sides: Profiled[] = [];
  // A failure past the probe (perf refused the pid, no jitdump) skips the section rather than the whole bench;
  // the servers stop either way, so that they do not run beside the scenarios after this one.
  try {
    const floorBin = await compile("baseline-named", ["bench/baseline.ts"]);
    const simBin = await compile("llama-sim-named", ["src/main.ts", "src/start.ts", "src/server/worker.ts"]);
    sides.push(await startProfiled("baseline", [floorBin]));
    sides.push(await startProfiled("llama-sim --quiet", [simBin, "--dataset-file", c.file, "--seed", SEED, "--success-rate", SUCCESS_RATE, "--quiet"]));
    const script = writeLuaScript(join(TMP, "cpu-split.lua"), c.bodies);
    // Longer than the throughput runs' warm-up: the request ring and the JIT reach their steady state.
    for (const p of sides) await wrk(p.server, script, WARMUP + 2);
    // Alternating windows, as the throughput rounds alternate, so that a burst of load from elsewhere falls on both.
    for (let round = 0; round < ROUNDS; round++) for (const p of round % 2 ? [...sides].reverse() : sides) await measure(p, script);
    const [floor, sim] = [await finish(sides[0]!), await finish(sides[1]!)];
    // perf without the right to sample the kernel (perf_event_paranoid > 1 for a non-root user) silently records
    // user time only: the shares would then spread the kernel's CPU over the other layers.
    if (floor.split.kernel === 0 || sim.split.kernel === 0) return { skipped: "perf recorded no kernel samples (kernel.perf_event_paranoid > 1?)" };
    // A perf whose script output reads differently would otherwise be split wrongly without a word.
    for (const side of [floor, sim]) {
      if (side.split.unreadable > 0.01 * side.split.samples) return { skipped: `${side.label}: ${side.split.unreadable} of ${side.split.samples} perf samples not in the expected format` };
    }
    return { dataset: c.label, floor, sim };
  } catch (error) {
    return { skipped: `failed: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    for (const p of sides) await stop(p.server);
  }
}

/** Microseconds of CPU a request for `samples` of a side's split (its shares of the measured CPU). */
export function usPerRequest(side: CpuSplitSide, samples: number): number {
  return side.split.samples === 0 ? 0 : (samples / side.split.samples) * side.cpuUsPerRequest;
}

/** RESULTS.md's section for the split (or the reason it was skipped). */
export function cpuSplitSection(r: CpuSplitResult | { skipped: string }): string[] {
  const L = ["### Where a request's CPU goes, against the floor (perf)", ""];
  if ("skipped" in r) return [...L, `Skipped: ${r.skipped}.`, ""];
  const table = (head: string[], rows: string[][]) => L.push(...markdownTable(head, rows));
  const us = (x: number) => x.toFixed(2);
  L.push(
    `\`perf record -g -F ${FREQUENCY}\` on each server under the same wrk load (${r.dataset}, ${ROUNDS} alternating windows of ${SECONDS} s each after a warm-up, server pinned as above). ` +
      "Each layer's share of the samples is shown as µs of the server CPU a request measured in those windows " +
      "(perf's own cost included, so both sides read above the throughput table). JS is named from JSC's jitdump; both binaries " +
      "are built without --minify and --bytecode for the names, the same code otherwise. Functions that share a name are told apart " +
      "by JSC's hash of their code, and a function the JIT inlined counts in its caller's JS.",
    "",
  );
  const { floor, sim } = r;
  const layers: [string, (s: CpuSplit) => number][] = [
    ["kernel (TCP, syscalls)", (s) => s.kernel],
    ["Bun's runtime, no JS on the stack (HTTP server, event loop)", (s) => s.runtime],
    ["native code called from JS (body read and parse, Response, strings, regexes)", (s) => s.nativeFromJs],
    ["JS (JIT-compiled)", (s) => s.js],
    ["other threads (JIT compilers, GC helpers)", (s) => s.otherThreads],
  ];
  const rows = layers.map(([name, of]) => {
    const a = usPerRequest(floor, of(floor.split));
    const b = usPerRequest(sim, of(sim.split));
    return [name, us(a), us(b), signed(b - a)];
  });
  rows.push(["total", us(floor.cpuUsPerRequest), us(sim.cpuUsPerRequest), signed(sim.cpuUsPerRequest - floor.cpuUsPerRequest)]);
  table(["layer", "floor µs/req", "llama-sim µs/req", "difference"], rows);
  L.push(`llama-sim's JS functions, most CPU first (µs a request; "native" and "kernel" are what they called):`, "");
  table(
    ["function", "JS", "native", "kernel", "total"],
    // A "|" in a regex would end the table cell, code span or not.
    sim.split.functions.slice(0, 20).map((f) => [`\`${f.name.replaceAll("|", "\\|")}\``, us(usPerRequest(sim, f.js)), us(usPerRequest(sim, f.native)), us(usPerRequest(sim, f.kernel)), us(usPerRequest(sim, f.js + f.native + f.kernel))]),
  );
  return L;
}

// Where llama-sim's time goes: a CPU profile of it run from source under the same wrk load, and wall-clock
// timers around the matcher and JSON (bench/instrumented.ts).
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { BUN, ROOT, SECONDS, SEED, SUCCESS_RATE, WARMUP } from "../lib/knobs.ts";
import { TMP, startServer } from "../lib/procs.ts";
import { wrk, writeLuaScript } from "../lib/wrk.ts";
import type { DatasetCase } from "./throughput.ts";

// ---------------------------------------------------------------------------------------------------
// CPU profile of llama-sim from source (readable names; same code as the binary, unminified)

export interface ProfileSummary {
  readonly samples: number;
  readonly busy: number;
  readonly rps: number;
  readonly serverCpu: number;
  readonly wrkCpu: number;
  readonly self: { name: string; share: number }[];
  readonly inclusive: { name: string; share: number }[];
  readonly buckets: { name: string; share: number }[];
}

export interface TimerSummary {
  calls: number;
  totalMs: number;
  avgUs: number;
  p50Us: number;
  p99Us: number;
}

export interface Timings {
  readonly rps: number;
  readonly requests: number;
  readonly cpuUsPerRequest: number;
  readonly question: TimerSummary;
  readonly parse: TimerSummary;
  readonly stringify: TimerSummary;
}

export async function timedRun(c: DatasetCase): Promise<Timings> {
  const out = join(TMP, "timings.json");
  const server = await startServer(
    "llama-sim instrumented",
    [BUN, join(ROOT, "bench/instrumented.ts"), "--dataset-file", c.file, "--seed", SEED, "--success-rate", SUCCESS_RATE, "--quiet"],
    // Pinned like the binary's runs it is compared with in the report (CPU per request).
    { env: { BENCH_TIMINGS: out }, pin: true },
  );
  const script = writeLuaScript(join(TMP, "timed.lua"), c.bodies);
  await wrk(server, script, WARMUP);
  server.proc.kill("SIGUSR2");
  await Bun.sleep(20);
  const r = await wrk(server, script, SECONDS);
  server.proc.kill("SIGINT");
  await server.proc.exited;
  const t = JSON.parse(readFileSync(out, "utf8")) as { question: TimerSummary; parse: TimerSummary; stringify: TimerSummary };
  return { rps: r.rps, requests: r.requests, cpuUsPerRequest: (r.serverCpu / r.rps) * 1e6, ...t };
}

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export async function cpuProfile(c: DatasetCase): Promise<ProfileSummary> {
  const dir = join(TMP, "profile");
  const server = await startServer("llama-sim profiled", [
    BUN, "--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=250", join(ROOT, "src/main.ts"),
    "--dataset-file", c.file, "--seed", SEED, "--success-rate", SUCCESS_RATE, "--quiet",
  ]);
  const script = writeLuaScript(join(TMP, "profile.lua"), c.bodies);
  await wrk(server, script, WARMUP);
  const runStart = performance.now();
  const r = await wrk(server, script, SECONDS);
  const runEnd = performance.now();
  server.proc.kill("SIGINT");
  await server.proc.exited;
  const exitAt = performance.now();
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("no .cpuprofile written");
  const prof = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: CpuNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  // Keep only the samples taken during the measured wrk run (not start-up, index build or warm-up):
  // the profile ends at exit, so the run is [end - (exit - runStart), end - (exit - runEnd)] in its clock (µs).
  const from = prof.endTime - (exitAt - runStart) * 1000;
  const to = prof.endTime - (exitAt - runEnd) * 1000;
  let at = prof.startTime;
  const windowed: number[] = [];
  prof.samples.forEach((id, i) => {
    at += prof.timeDeltas[i] ?? 0;
    if (at >= from && at <= to) windowed.push(id);
  });
  const byId = new Map<number, CpuNode>();
  const parent = new Map<number, number>();
  for (const n of prof.nodes) byId.set(n.id, n);
  for (const n of prof.nodes) for (const ch of n.children ?? []) parent.set(ch, n.id);
  const label = (n: CpuNode) => {
    const f = n.callFrame;
    const name = f.functionName || "(anonymous)";
    if (!f.url) return name;
    const rel = f.url.replace(/^file:\/\//, "").replace(`${ROOT}/`, "");
    return `${name} (${rel}:${f.lineNumber + 1})`;
  };
  const bucketOf = (n: CpuNode) => {
    const f = n.callFrame;
    if (f.functionName === "(garbage collector)") return "garbage collector";
    if (f.functionName === "(program)" || f.functionName === "(root)") return "runtime (HTTP, event loop, not attributed to JS)";
    const url = f.url;
    // A frame with no name and no script right under the root: Bun's native HTTP server and event loop
    // (uWebSockets: sockets, parsing, writing), plus any idle time; JSC cannot see inside it.
    if (!url && !f.functionName && parent.get(n.id) !== undefined && byId.get(parent.get(n.id)!)!.callFrame.functionName === "(root)") {
      return "native HTTP server / event loop (no JS frame; includes any idle time)";
    }
    if (!url) return `native: ${f.functionName || "(anonymous)"}`;
    const m = /\/src\/([^/]+\/)?([^/]+)\.ts/.exec(url);
    if (m) return `src/${m[1] ?? ""}${m[2]}.ts`;
    return `builtin JS: ${basename(url)}`;
  };
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const buckets = new Map<string, number>();
  let busy = 0;
  for (const id of windowed) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === "(idle)") continue;
    busy++;
    self.set(label(node), (self.get(label(node)) ?? 0) + 1);
    buckets.set(bucketOf(node), (buckets.get(bucketOf(node)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const l = label(n);
      if (l === "(root)" || seen.has(l)) continue;
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + 1);
    }
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, n]) => ({ name, share: n / busy }));
  return { samples: windowed.length, busy, rps: r.rps, serverCpu: r.serverCpu, wrkCpu: r.wrkCpu, self: top(self, 20), inclusive: top(incl, 25), buckets: top(buckets, 20) };
}

// CPU pinning for the single-server wrk runs: the server on the last CPU this process may use, wrk on
// the first (taskset). On a small shared machine wrk, the server and its GC helper threads otherwise
// migrate across cores and the server's CPU per request is noisy; pinned, the server's GC threads share
// its one core, which is the honest per-core cost. Decided once per run; BENCH_PIN=0 turns it off.
import { readFileSync } from "node:fs";
import { PIN, log } from "./knobs.ts";

/** `taskset -c` CPU lists: where a pinned server runs, and where wrk runs against it. */
export interface Pinning {
  readonly server: string;
  readonly wrk: string;
}

/** Parses a CPU list as /proc and taskset write it ("0-3,6,8-9") into CPU numbers, ascending. */
export function parseCpuList(list: string): number[] {
  const cpus = new Set<number>();
  for (const part of list.trim().split(",")) {
    if (part === "") continue;
    const [a, b] = part.split("-").map(Number) as [number, number | undefined];
    for (let c = a; c <= (b ?? a); c++) cpus.add(c);
  }
  return [...cpus].sort((x, y) => x - y);
}

/** The CPU list a process may run on (Cpus_allowed_list in /proc/<pid>/status). */
export function allowedCpuList(pid: number | "self" = "self"): string {
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no Cpus_allowed_list in /proc/${pid}/status`);
  return m[1]!;
}

let decided: { pinning: Pinning | undefined; note: string } | undefined;

function decide(): { pinning: Pinning | undefined; note: string } {
  if (!PIN) return { pinning: undefined, note: "none (BENCH_PIN=0)" };
  const cpus = parseCpuList(allowedCpuList());
  if (cpus.length < 2) return { pinning: undefined, note: `none (only ${cpus.length} CPU available)` };
  if (!Bun.which("taskset")) return { pinning: undefined, note: "none (taskset not found; util-linux)" };
  const pinning = { server: String(cpus.at(-1)), wrk: String(cpus[0]) };
  return { pinning, note: `server pinned to CPU ${pinning.server}, wrk to CPU ${pinning.wrk} (taskset)` };
}

/** Where pinned runs go, or undefined when they run unpinned (BENCH_PIN=0, one CPU, no taskset): logged once. */
export function pinning(): Pinning | undefined {
  if (!decided) {
    decided = decide();
    log(`CPU pinning of the single-server wrk runs: ${decided.note}`);
  }
  return decided.pinning;
}

/** For the report: how the single-server wrk runs were placed. */
export function pinningNote(): string {
  pinning();
  return decided!.note;
}

/** `cmd` run on `cpus` (taskset execs it, so the pid stays the command's own), or as it is. */
export const onCpus = (cpus: string | undefined, cmd: string[]) => (cpus === undefined ? cmd : ["taskset", "-c", cpus, ...cmd]);

// `make bench`, --threads-http: throughput and CPU per request of one worker against two (issue 9 §2),
// non-streaming llama-eval bodies under the same wrk load as the per-core figures. Called once from
// bench/run.ts's main after it wrote the report; adds (or replaces) its own section in that file.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A running server as bench/run.ts starts it. */
interface Server {
  readonly proc: { readonly pid: number };
  readonly port: number;
}

interface WrkRun {
  readonly rps: number;
  /** Server CPU during the run, in cores (all threads). */
  readonly serverCpu: number;
  readonly wrkCpu: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
}

type Script = { file: string; count: number; bytes: number };

/** What bench/run.ts lends: its tracked servers, its wrk runner and Lua bodies, and its knobs. */
export interface ThreadsHooks {
  readonly tmp: string;
  /** The llama-sim command for a dataset file, with the bench's seed and success rate. */
  readonly simArgs: (file: string) => string[];
  /** Datasets to measure: name, file, and llama-eval chat bodies for it. */
  readonly cases: readonly { readonly label: string; readonly file: string; readonly bodies: readonly string[] }[];
  startServer(name: string, cmd: string[]): Promise<Server>;
  stop(server: Server): Promise<void>;
  writeLuaScript(file: string, bodies: readonly string[]): Script;
  wrk(server: Server, script: Script, seconds: number): Promise<WrkRun>;
  log(line: string): void;
  readonly seconds: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly connections: number;
  readonly cores: number;
}

interface Variant {
  readonly label: string;
  readonly threads: number;
  readonly flags: readonly string[];
  readonly runs: WrkRun[];
}

interface CaseReport {
  readonly label: string;
  readonly variants: readonly Variant[];
}

/** One thread (as llama-sim always ran), two, and two in exact mode (each decision takes the schedule's lock). */
const VARIANTS: readonly Omit<Variant, "runs">[] = [
  { label: "--threads-http 1", threads: 1, flags: ["--threads-http", "1"] },
  { label: "--threads-http 2", threads: 2, flags: ["--threads-http", "2"] },
  { label: "--threads-http 2 --mode exact", threads: 2, flags: ["--threads-http", "2", "--mode", "exact"] },
];

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const cpuUs = (r: WrkRun) => (r.serverCpu / r.rps) * 1e6;
const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "—");

const HEADING = "## Every core: --threads-http";

/**
 * Measures every case with one thread and two, in alternating rounds (the order rotated each round,
 * each server warmed first), then writes the section into `out` (bench/RESULTS.md).
 */
export async function threadsBench(h: ThreadsHooks, out: string): Promise<void> {
  const reports: CaseReport[] = [];
  for (const [i, c] of h.cases.entries()) {
    h.log(`\n== --threads-http 1 vs 2: ${c.label}`);
    const script = h.writeLuaScript(join(h.tmp, `threads-${i}.lua`), c.bodies);
    const variants: Variant[] = VARIANTS.map((v) => ({ ...v, runs: [] }));
    const servers: Server[] = [];
    for (const v of variants) servers.push(await h.startServer(`llama-sim ${v.label}`, [...h.simArgs(c.file), "--quiet", ...v.flags]));
    try {
      for (const server of servers) if (h.warmup > 0) await h.wrk(server, script, h.warmup);
      for (let round = 0; round < h.rounds; round++) {
        for (let k = 0; k < variants.length; k++) {
          const at = (k + round) % variants.length;
          const r = await h.wrk(servers[at]!, script, h.seconds);
          variants[at]!.runs.push(r);
          h.log(
            `threads ${c.label} round ${round + 1}: ${variants[at]!.label.padEnd(34)} ${fmt(r.rps).padStart(7)} req/s  CPU server ${r.serverCpu.toFixed(2)} (${cpuUs(r).toFixed(1)} µs/req) wrk ${r.wrkCpu.toFixed(2)}`,
          );
        }
      }
    } finally {
      for (const server of servers) await h.stop(server);
    }
    reports.push({ label: c.label, variants });
  }
  writeSection(out, section(h, reports));
}

function section(h: ThreadsHooks, reports: readonly CaseReport[]): string[] {
  const L: string[] = [HEADING, ""];
  L.push(
    `Non-streaming llama-eval bodies (as above), \`wrk -t1 -c${h.connections}\`, ${h.seconds} s per run after a ${h.warmup} s warm-up, ` +
      `${h.rounds} rounds alternating; medians. Server CPU is the whole process's (every thread), from /proc. This machine has ` +
      `${h.cores} cores, and wrk runs on the same machine: two workers compete with wrk for them, so the speed-up shown is what is left ` +
      "after the load generator's share, not what two dedicated cores would give. In exact mode every decision steps one schedule " +
      "shared by the workers, under a lock.",
    "",
  );
  L.push("| dataset | server | req/s | p50 ms | p99 ms | server CPU (cores) | CPU µs/request | wrk CPU (cores) | req/s vs 1 thread | errors |");
  L.push("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of reports) {
    const one = r.variants[0]!;
    for (const v of r.variants) {
      const rps = median(v.runs.map((x) => x.rps));
      const speedup = median(v.runs.map((x, i) => x.rps / one.runs[i]!.rps));
      const errors = v.runs.reduce((n, x) => n + x.non2xx + x.socketErrors, 0);
      L.push(
        `| ${r.label} | ${v.label} | ${fmt(rps)} | ${median(v.runs.map((x) => x.p50ms)).toFixed(2)} | ${median(v.runs.map((x) => x.p99ms)).toFixed(2)} | ` +
          `${median(v.runs.map((x) => x.serverCpu)).toFixed(2)} | ${median(v.runs.map(cpuUs)).toFixed(1)} | ${median(v.runs.map((x) => x.wrkCpu)).toFixed(2)} | ` +
          `${v === one ? "1" : `${speedup.toFixed(2)}×`} | ${errors} |`,
      );
    }
  }
  L.push("");
  for (const r of reports) {
    const [one, two] = r.variants as [Variant, Variant];
    const perCore = (v: Variant) => median(v.runs.map((x) => x.rps / x.serverCpu));
    L.push(
      `- ${r.label}: two workers serve ${median(two.runs.map((x, i) => x.rps / one.runs[i]!.rps)).toFixed(2)}× the requests of one; ` +
        `per CPU-second of the server ${fmt(perCore(two))} requests against ${fmt(perCore(one))} with one thread ` +
        `(${((perCore(two) / perCore(one)) * 100).toFixed(0)}%: what sharing costs per request).`,
    );
  }
  L.push("");
  return L;
}

/** Puts the section into the report: replacing an earlier one (up to the next "## "), or at the end. */
function writeSection(out: string, lines: readonly string[]): void {
  const text = readFileSync(out, "utf8");
  const start = text.indexOf(`\n${HEADING}\n`);
  const body = lines.join("\n");
  if (start === -1) return writeFileSync(out, `${text.replace(/\n*$/, "\n\n")}${body}\n`);
  const next = text.indexOf("\n## ", start + 1);
  writeFileSync(out, `${text.slice(0, start + 1)}${body}\n${next === -1 ? "" : text.slice(next)}`);
}

// Figures from wrk runs: medians, paired ratios of two servers measured in the same round, and the
// alternating rounds that produce them.
import { ROUNDS, SECONDS, WARMUP, elapsed, log } from "./knobs.ts";
import type { Server } from "./procs.ts";
import { wrk, type Script, type WrkRun } from "./wrk.ts";

// ---------------------------------------------------------------------------------------------------
// Statistics

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "—");
export const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : "—");
export const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

export interface Variant {
  readonly key: string;
  readonly label: string;
  readonly server: Server;
  readonly script: { file: string; count: number; bytes: number };
  readonly runs: WrkRun[];
}

export const summary = (v: Variant) => ({
  rps: median(v.runs.map((r) => r.rps)),
  p50ms: median(v.runs.map((r) => r.p50ms)),
  p99ms: median(v.runs.map((r) => r.p99ms)),
  errors: v.runs.reduce((n, r) => n + r.non2xx + r.socketErrors, 0),
  serverCpu: median(v.runs.map((r) => r.serverCpu)),
  cpuUs: median(v.runs.map(cpuUsPerRequest)),
  wrkCpu: median(v.runs.map((r) => r.wrkCpu)),
  requests: v.runs.reduce((n, r) => n + r.requests, 0),
});

/** Median over rounds of a/b, where both ran in the same round. */
export const pairedRatio = (a: Variant, b: Variant) => median(a.runs.map((r, i) => r.rps / b.runs[i]!.rps));
/** Server CPU time per request served (all threads), µs: unlike req/s, barely moved by other load on the machine. */
export const cpuUsPerRequest = (r: WrkRun) => (r.serverCpu / r.rps) * 1e6;
/** Median over rounds of a's requests per CPU-second over b's (= b's CPU per request / a's). */
export const pairedCpuRatio = (a: Variant, b: Variant) => median(a.runs.map((r, i) => cpuUsPerRequest(b.runs[i]!) / cpuUsPerRequest(r)));

/** Warms every variant once, then ROUNDS rounds of one run each, the order rotated every round. */
export async function alternate(title: string, variants: Variant[]): Promise<void> {
  for (const v of variants) {
    if (WARMUP > 0) await wrk(v.server, v.script, WARMUP);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + round) % variants.length]!;
      const r = await wrk(v.server, v.script, SECONDS);
      v.runs.push(r);
      log(
        `[${elapsed()}] ${title} round ${round + 1}: ${v.label.padEnd(34)} ${fmt(r.rps).padStart(7)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms  CPU server ${r.serverCpu.toFixed(2)} wrk ${r.wrkCpu.toFixed(2)}` +
          (r.non2xx + r.socketErrors ? `  ERRORS non-2xx ${r.non2xx} socket ${r.socketErrors}` : ""),
      );
    }
  }
}


// `make bench`'s knobs (environment), paths and progress log, shared by bench/run.ts and its scenarios.
// BENCH_SECONDS (5) per measured wrk run, BENCH_WARMUP (1) s of wrk per server before its first
// measured run, BENCH_ROUNDS (3) alternating rounds, BENCH_CONNECTIONS (64), BENCH_STARTS (20) start-up
// runs per case, BENCH_STREAM_CAP (8192) most concurrent streams tried, BENCH_PROFILE (1; 0 skips the
// CPU profile), BENCH_KEEP (0; 1 keeps the temp dir), BENCH_OUT (bench/RESULTS.md), BENCH_SIM (./llama-sim),
// BENCH_PACING_STREAMS (2000) and BENCH_PACING_TPS (20), BENCH_PACING_MANY (10000), BENCH_PACING_CORE_START
// (1000) and BENCH_PACING_CORE_CAP (16000): the paced-stream scenarios (bench/scenarios/pacing.ts). BENCH_PIN (1; 0
// runs everything unpinned): pin the single-server wrk runs' server and wrk to separate CPUs (lib/pin.ts).
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BUN = process.execPath;
/** The binary under test: ./llama-sim (make builds it), or BENCH_SIM. */
export const SIM = process.env.BENCH_SIM || join(ROOT, "llama-sim");
export const env = (name: string, fallback: number) => {
  const v = process.env[name];
  return v === undefined || v === "" ? fallback : Number(v);
};
export const SECONDS = env("BENCH_SECONDS", 5);
export const WARMUP = env("BENCH_WARMUP", 1);
export const ROUNDS = env("BENCH_ROUNDS", 3);
export const CONNECTIONS = env("BENCH_CONNECTIONS", 64);
export const STARTS = env("BENCH_STARTS", 20);
export const STREAM_CAP = env("BENCH_STREAM_CAP", 8192);
/** Paced streams (bench/scenarios/pacing.ts): how many at once, and their --tps. */
export const PACING_STREAMS = env("BENCH_PACING_STREAMS", 2000);
export const PACING_TPS = env("BENCH_PACING_TPS", 20);
export const PROFILE = env("BENCH_PROFILE", 1) !== 0;
/** Pin server and wrk to separate CPUs in the single-server throughput runs (when ≥ 2 CPUs and taskset). */
export const PIN = env("BENCH_PIN", 1) !== 0;
export const KEEP = env("BENCH_KEEP", 0) !== 0;
export const OUT = process.env.BENCH_OUT || join(import.meta.dir, "..", "RESULTS.md");
export const SAMPLED_BODIES = 2000;
/** Extra latency runs at lower concurrency: one connection (service time) and llama-eval's default of 32 workers. */
export const LOW_CONCURRENCY = [1, 32];
export const LOW_SECONDS = 3;
export const CLK_TCK = 100; // USER_HZ: /proc/<pid>/stat's unit on Linux
export const SEED = "1";
export const SUCCESS_RATE = "0.8";

export const log = (line: string) => console.log(line);
export const began = performance.now();
export const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s`;
export const phase = (name: string) => log(`\n[${elapsed()}] == ${name}`);

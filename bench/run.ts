// `make bench`: llama-sim against a floor, under load, and writes bench/RESULTS.md.
// Not part of `make test` or CI. Run after `make llama-sim`:
//   node_modules/.bin/bun bench/run.ts
// Knobs (environment): see bench/lib/knobs.ts. The scenarios live in bench/scenarios/ (throughput,
// streaming, paced streams, start-up, profile, cpu-split) and bench/threads.ts (--threads-http);
// bench/report.ts renders the report. Paced streams are measured by bench/pacing.ts, a raw-socket client.
//
// Everything listens on 127.0.0.1. Every child process is tracked and killed on exit, error or ctrl-C.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { AIME_FILE } from "./data.ts";
import type { MatcherResult } from "./matcher.bench.ts";
import { pacingScenarios } from "./scenarios/pacing.ts";
import { threadsBench } from "./threads.ts";
import { BUN, CONNECTIONS, KEEP, OUT, PACING_STREAMS, PACING_TPS, PROFILE, ROOT, ROUNDS, SECONDS, SIM, WARMUP, began, log, phase } from "./lib/knobs.ts";
import { TMP, cleanup, cpuSecondsOf, procStatus, run, startServer, stop, withFdLimit, type Server } from "./lib/procs.ts";
import { pinning, pinningNote } from "./lib/pin.ts";
import { fmt } from "./lib/stats.ts";
import { ensureWrk, wrk, writeLuaScript } from "./lib/wrk.ts";
import { renderReport } from "./report.ts";
import { cpuSplitScenario, type CpuSplitResult } from "./scenarios/cpu-split.ts";
import { cpuProfile, timedRun, type ProfileSummary, type Timings } from "./scenarios/profile.ts";
import { startupScenario } from "./scenarios/startup.ts";
import { concurrentStreams, streamingScenario } from "./scenarios/streaming.ts";
import { datasetCases, simArgs, throughputScenarios } from "./scenarios/throughput.ts";

async function main(): Promise<void> {
  log(`llama-sim bench: temp dir ${TMP}${KEEP ? " (kept)" : ""}`);
  if (!existsSync(SIM)) throw new Error(`${SIM} is missing: run make llama-sim first`);
  const wrkPath = await ensureWrk();
  const wrkVersion = (await run([wrkPath, "-v"])).stdout.split("\n")[0]?.trim() ?? "?";
  const simVersion = (await run([SIM, "--version"])).stdout.trim().replace(/\n/g, "; ");
  const git = (await run(["git", "rev-parse", "--short=12", "HEAD"])).stdout.trim();
  const dirty = (await run(["git", "status", "--porcelain", "--untracked-files=no"])).stdout.trim() !== "";
  const loadBefore = loadavg();

  phase("baseline: bun build --compile bench/baseline.ts");
  const baselineBin = join(TMP, "baseline");
  // Built as the Makefile builds ./llama-sim (bytecode included), so start-up compares like with like.
  const built = await run([BUN, "build", "--compile", "--minify", "--bytecode", "--format=esm", join(ROOT, "bench/baseline.ts"), "--outfile", baselineBin]);
  if (built.code !== 0) throw new Error(`building the baseline failed: ${built.stderr}`);
  // Pinned: the floor of every single-server wrk run (concurrentStreams unpins it for its own run).
  const baseline = await startServer("baseline", [baselineBin], { pin: true });
  log(`baseline on ${baseline.url} (compiled, same Bun as llama-sim), up in ${baseline.startMs.toFixed(0)} ms`);

  const { cases, aimeQuestions, synthFile } = datasetCases();

  // ---- non-streaming throughput, per dataset
  const { results, lowConcurrency, aimeQuiet } = await throughputScenarios(cases, baseline);

  // ---- streaming throughput (AIME), and concurrent streams
  const stream = await streamingScenario(aimeQuestions, cases[0]!.bodies[0]!, baseline, baselineBin, aimeQuiet);
  const concurrency = await concurrentStreams(stream.streamBodies[0]!, aimeQuiet, baseline);
  await stop(aimeQuiet);

  // ---- paced streams (--tps, --ttft-ms), 10,000 at once, streams per core, and queueing on few slots
  phase(`paced streams: ${PACING_STREAMS} at ${PACING_TPS} tok/s (bench/pacing.ts), 10,000 at once, streams per core, then N + k clients on -np 4`);
  const pacing = await pacingScenarios(
    {
      bun: BUN,
      tmp: TMP,
      simArgs: simArgs(AIME_FILE),
      body: stream.streamBodies[0]!,
      startServer: (name, cmd) => startServer(name, cmd),
      stop: (server) => stop(server.proc as Subprocess),
      run,
      withFdLimit,
      cpuSecondsOf,
      hwmKiB: (pid) => procStatus(pid).hwmKiB,
      log,
    },
    PACING_STREAMS,
    PACING_TPS,
  );

  // ---- start-up
  const startups = await startupScenario(baselineBin);
  await stop(baseline);

  // ---- matcher alone
  phase("matcher alone: bench/matcher.bench.ts (mitata)");
  const matcherJson = join(TMP, "matcher.json");
  const m = await run([BUN, join(ROOT, "bench/matcher.bench.ts"), "--synthetic", synthFile, "--json", matcherJson]);
  process.stdout.write(m.stdout);
  if (m.code !== 0) throw new Error(`matcher bench failed: ${m.stderr}`);
  const matcher = JSON.parse(readFileSync(matcherJson, "utf8")) as MatcherResult[];

  // ---- CPU profile
  let profile: ProfileSummary | undefined;
  let timings: Timings | undefined;
  let cpuSplit: CpuSplitResult | { skipped: string } | undefined;
  if (PROFILE) {
    phase("where the CPU goes: perf record -g on the floor and on llama-sim (GSM8K train, --quiet) under wrk");
    cpuSplit = await cpuSplitScenario(cases[1]!);
    if ("skipped" in cpuSplit) log(`skipped: ${cpuSplit.skipped}`);
    phase("CPU profile: bun --cpu-prof src/main.ts (GSM8K train, --quiet) under wrk");
    profile = await cpuProfile(cases[1]!);
    phase("timers around question() / JSON.parse / JSON.stringify: bench/instrumented.ts (GSM8K train, --quiet) under wrk");
    timings = await timedRun(cases[1]!);
    log(
      `${fmt(timings.rps)} req/s, server CPU ${timings.cpuUsPerRequest.toFixed(1)} µs/request; question() ${timings.question.avgUs.toFixed(1)} µs avg ` +
        `(p50 ${timings.question.p50Us.toFixed(1)}, p99 ${timings.question.p99Us.toFixed(1)}), JSON.parse ${(timings.parse.totalMs * 1000 / timings.requests).toFixed(1)} µs, JSON.stringify ${(timings.stringify.totalMs * 1000 / timings.requests).toFixed(1)} µs per request`,
    );
  }

  const loadAfter = loadavg();
  const report = renderReport({
    results,
    lowConcurrency,
    stream,
    concurrency,
    pacing,
    startups,
    matcher,
    profile,
    timings,
    cpuSplit,
    machine: {
      cpu: /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "?",
      cores: cpus().length,
      kernel: release(),
      bun: Bun.version,
      wrk: wrkVersion,
      sim: simVersion,
      git: `${git}${dirty ? " (working tree has uncommitted changes)" : ""}`,
      date: new Date().toISOString(),
      load: `${loadBefore.map((x) => x.toFixed(2)).join(" ")} before, ${loadAfter.map((x) => x.toFixed(2)).join(" ")} after`,
      minutes: (performance.now() - began) / 60000,
      pinning: pinningNote(),
      pinned: pinning() !== undefined,
    },
  });
  writeFileSync(OUT, report);
  // --threads-http 1 vs 2 (bench/threads.ts): adds its own section to the report just written.
  await threadsBench({ tmp: TMP, simArgs, cases: cases.slice(0, 2).map((c) => ({ label: c.label, file: c.file, bodies: c.bodies })), startServer, stop: (s) => stop(s.proc as Subprocess), writeLuaScript, wrk: (s, script, seconds) => wrk(s as Server, script, seconds), log, seconds: SECONDS, warmup: WARMUP, rounds: ROUNDS, connections: CONNECTIONS, cores: cpus().length }, OUT);
  phase(`wrote ${OUT}`);
  process.stdout.write(report.slice(report.indexOf("## Targets"), report.indexOf("## Non-streaming")));
}

try {
  await main();
  cleanup();
  process.exit(0);
} catch (error) {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  cleanup();
  process.exit(1);
}

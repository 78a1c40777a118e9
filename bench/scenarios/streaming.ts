// Streaming: throughput of llama-eval's AIME bodies with "stream": true against two fixed-SSE floors of
// llama-sim's event count (one buffered body; event by event, one chunk and flush each, as llama-sim
// sends a stream), and N simultaneous streaming requests on raw sockets (bench/streams.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StepResult as StreamStep } from "../streams.ts";
import { BUN, ROOT, SAMPLED_BODIES, STREAM_CAP, log, phase } from "../lib/knobs.ts";
import { TMP, probe, procStatus, run, startServer, stop, unpin, withFdLimit, type Server } from "../lib/procs.ts";
import { alternate, type Variant } from "../lib/stats.ts";
import { writeLuaScript } from "../lib/wrk.ts";
import { bodiesFor } from "./throughput.ts";

export interface StreamingResult {
  /** Buffered floor, event-by-event floor, llama-sim. */
  readonly variants: Variant[];
  readonly simProbe: { bytes: number; events: number };
  readonly baseProbe: { bytes: number; events: number };
  readonly eventsProbe: { bytes: number; events: number };
  readonly simJson: { bytes: number };
  readonly baseJson: { bytes: number };
  readonly streamBodies: string[];
}

export async function streamingScenario(aimeQuestions: readonly string[], jsonBody: string, baseline: Server, baselineBin: string, sim: Server): Promise<StreamingResult> {
  phase('streaming: AIME, "stream": true');
  const events = await startServer("baseline --sse-events", [baselineBin, "--sse-events"], { pin: true });
  const streamBodies = bodiesFor(aimeQuestions, "aime", SAMPLED_BODIES, true);
  const streamScript = writeLuaScript(join(TMP, "aime-stream.lua"), streamBodies);
  const simProbe = await probe(sim.url, streamBodies[0]!);
  const baseProbe = await probe(baseline.url, streamBodies[0]!);
  const eventsProbe = await probe(events.url, streamBodies[0]!);
  const simJson = await probe(sim.url, jsonBody);
  const baseJson = await probe(baseline.url, jsonBody);
  log(`stream events: llama-sim ${simProbe.events}, floor ${baseProbe.events} (buffered), ${eventsProbe.events} (event by event)`);
  const variants: Variant[] = [
    { key: "baseline", label: "baseline (fixed SSE, one buffered body)", server: baseline, script: streamScript, runs: [] },
    { key: "events", label: "baseline (fixed SSE, event by event)", server: events, script: streamScript, runs: [] },
    { key: "quiet", label: "llama-sim --quiet (stream)", server: sim, script: streamScript, runs: [] },
  ];
  await alternate("stream", variants);
  await stop(events);
  return { variants, simProbe, baseProbe, eventsProbe, simJson, baseJson, streamBodies };
}

export type Concurrency = Record<string, { steps: StreamStep[]; hwmKiB: number }>;

/** N simultaneous streaming requests, N doubling up to BENCH_STREAM_CAP, against llama-sim and the buffered floor. */
export async function concurrentStreams(body: string, sim: Server, baseline: Server): Promise<Concurrency> {
  phase(`concurrent streams (raw sockets, N up to ${STREAM_CAP})`);
  const streamBodyFile = join(TMP, "stream-body.json");
  writeFileSync(streamBodyFile, body);
  const counts = [256, 512, 1024, 2048, 4096, 8192, 16384].filter((n) => n <= STREAM_CAP);
  const concurrency: Concurrency = {};
  for (const [name, server] of [
    ["llama-sim", sim],
    ["baseline", baseline],
  ] as const) {
    await unpin(server); // the throughput runs pinned it; N streams at once are measured on every core
    const r = await run(withFdLimit([BUN, join(ROOT, "bench/streams.ts"), "--port", String(server.port), "--body-file", streamBodyFile, "--min-events", "3", "--counts", counts.join(",")]));
    if (r.code !== 0) throw new Error(`streams.ts failed: ${r.stderr}`);
    const steps = r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as StreamStep);
    concurrency[name] = { steps, hwmKiB: procStatus(server.proc.pid).hwmKiB };
    for (const s of steps) {
      log(`${name.padEnd(9)} N=${String(s.n).padStart(5)}: ${s.ok} ok, ${s.errors} errors${s.firstError ? ` (${s.firstError})` : ""}; all connected in ${s.connectMs.toFixed(0)} ms, all streams done ${s.drainMs.toFixed(0)} ms after the requests`);
    }
  }
  return concurrency;
}

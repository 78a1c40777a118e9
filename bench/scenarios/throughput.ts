// Non-streaming throughput per dataset: llama-sim (--quiet, with a request log, and on a 90-row subset
// of the same set) against the floor, in alternating rounds; latency at lower concurrency on AIME. Every
// server here is pinned to one CPU and wrk to another (lib/pin.ts), as is the floor run.ts starts.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  AIME_FILE,
  GSM8K_TRAIN_FILE,
  TEMPLATES,
  chatBody,
  readQuestions,
  sample,
  syntheticRows,
  writeSyntheticJsonl,
  type TemplateName,
} from "../data.ts";
import { LOW_CONCURRENCY, LOW_SECONDS, SAMPLED_BODIES, SEED, SIM, SUCCESS_RATE, elapsed, log, phase } from "../lib/knobs.ts";
import { TMP, checkServes, procStatus, startServer, stop, type Server } from "../lib/procs.ts";
import { alternate, fmt, type Variant } from "../lib/stats.ts";
import { wrk, writeLuaScript, type WrkRun } from "../lib/wrk.ts";

export interface DatasetCase {
  readonly key: string;
  readonly label: string;
  readonly file: string;
  readonly questions: number;
  readonly bodies: string[];
  readonly control?: { label: string; file: string; bodies: string[] };
}

export interface CaseResult {
  readonly c: DatasetCase;
  readonly baseline: Variant;
  readonly quiet: Variant;
  readonly logged: Variant;
  readonly control?: Variant;
  readonly quietRss: { idleKiB: number; rssKiB: number; hwmKiB: number };
  readonly loggedRss: { idleKiB: number; rssKiB: number; hwmKiB: number };
  readonly logLines: number;
  readonly logBytes: number;
}

export function bodiesFor(questions: readonly string[], template: TemplateName, count: number, stream = false): string[] {
  return sample(questions, count, 1).map((q) => chatBody(TEMPLATES[template](q), stream));
}

export const simArgs = (file: string) => [SIM, "--dataset-file", file, "--seed", SEED, "--success-rate", SUCCESS_RATE];

/** The three datasets (AIME, GSM8K train, 100,000 synthetic questions), their bodies, and the 90-row controls. */
export function datasetCases(): { cases: DatasetCase[]; aimeQuestions: string[]; synthFile: string } {
  phase("inputs");
  const aimeQuestions = readQuestions(AIME_FILE, "problem");
  const gsmQuestions = readQuestions(GSM8K_TRAIN_FILE, "question");
  const synthRows = syntheticRows(100_000);
  const synthFile = writeSyntheticJsonl(join(TMP, "synthetic-100k.jsonl"), synthRows);
  const synthQuestions = synthRows.map((r) => r.question);
  const gsm90File = join(TMP, "gsm8k-train-first90.jsonl");
  writeFileSync(gsm90File, readFileSync(GSM8K_TRAIN_FILE, "utf8").split("\n").slice(0, 90).join("\n") + "\n");
  const synth90File = writeSyntheticJsonl(join(TMP, "synthetic-first90.jsonl"), synthRows.slice(0, 90));
  const cases: DatasetCase[] = [
    { key: "aime", label: "AIME (90)", file: AIME_FILE, questions: aimeQuestions.length, bodies: bodiesFor(aimeQuestions, "aime", SAMPLED_BODIES) },
    {
      key: "gsm8k",
      label: "GSM8K train (7,473)",
      file: GSM8K_TRAIN_FILE,
      questions: gsmQuestions.length,
      bodies: bodiesFor(gsmQuestions, "gsm8k", SAMPLED_BODIES),
      control: { label: "GSM8K train, first 90 rows", file: gsm90File, bodies: bodiesFor(gsmQuestions.slice(0, 90), "gsm8k", 90) },
    },
    {
      key: "synthetic",
      label: "synthetic (100,000)",
      file: synthFile,
      questions: synthQuestions.length,
      bodies: bodiesFor(synthQuestions, "gsm8k", SAMPLED_BODIES),
      control: { label: "synthetic, first 90 rows", file: synth90File, bodies: bodiesFor(synthQuestions.slice(0, 90), "gsm8k", 90) },
    },
  ];
  for (const c of cases) {
    const avg = c.bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) / c.bodies.length;
    log(`${c.label}: ${c.bodies.length} distinct bodies, ${avg.toFixed(0)} bytes on average`);
  }
  return { cases, aimeQuestions, synthFile };
}

export interface ThroughputResult {
  readonly results: CaseResult[];
  readonly lowConcurrency: { connections: number; label: string; run: WrkRun }[];
  /** llama-sim --quiet on AIME, left running for the streaming scenarios. */
  readonly aimeQuiet: Server;
}

export async function throughputScenarios(cases: readonly DatasetCase[], baseline: Server): Promise<ThroughputResult> {
  const results: CaseResult[] = [];
  const lowConcurrency: { connections: number; label: string; run: WrkRun }[] = [];
  let aimeQuiet: Server | undefined;
  for (const c of cases) {
    phase(`non-streaming: ${c.label}`);
    const script = writeLuaScript(join(TMP, `${c.key}.lua`), c.bodies);
    const quiet = await startServer(`llama-sim ${c.key} quiet`, [...simArgs(c.file), "--quiet"], { pin: true });
    const logged = await startServer(`llama-sim ${c.key} logged`, simArgs(c.file), { pin: true });
    log(`llama-sim --quiet up in ${quiet.startMs.toFixed(0)} ms, with request log in ${logged.startMs.toFixed(0)} ms (stderr -> ${basename(logged.stderrFile)})`);
    await checkServes(quiet, c.bodies);
    await checkServes(logged, c.bodies);
    await checkServes(baseline, c.bodies);
    const variants: Variant[] = [
      { key: "baseline", label: "baseline", server: baseline, script, runs: [] },
      { key: "quiet", label: "llama-sim --quiet", server: quiet, script, runs: [] },
      { key: "logged", label: "llama-sim, request log to file", server: logged, script, runs: [] },
    ];
    let controlServer: Server | undefined;
    if (c.control) {
      controlServer = await startServer(`llama-sim ${c.key} control`, [...simArgs(c.control.file), "--quiet"], { pin: true });
      await checkServes(controlServer, c.control.bodies);
      const controlScript = writeLuaScript(join(TMP, `${c.key}-control.lua`), c.control.bodies);
      variants.push({ key: "control", label: `llama-sim --quiet, ${c.control.label}`, server: controlServer, script: controlScript, runs: [] });
    }
    await alternate(c.key, variants);
    if (c.key === "aime") {
      for (const connections of LOW_CONCURRENCY) {
        for (const v of variants.slice(0, 2)) {
          const r = await wrk(v.server, v.script, LOW_SECONDS, connections);
          lowConcurrency.push({ connections, label: v.label, run: r });
          log(`[${elapsed()}] aime -c${connections}: ${v.label.padEnd(34)} ${fmt(r.rps).padStart(7)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms`);
        }
      }
    }
    const statusOf = (s: Server) => ({ idleKiB: s.idleRssKiB, ...procStatus(s.proc.pid) });
    const quietRss = statusOf(quiet);
    const loggedRss = statusOf(logged);
    await stop(logged); // flushes its log
    const logText = readFileSync(logged.stderrFile, "utf8");
    results.push({
      c,
      baseline: variants[0]!,
      quiet: variants[1]!,
      logged: variants[2]!,
      control: variants[3],
      quietRss,
      loggedRss,
      logLines: logText.split("\n").length - 1,
      logBytes: Buffer.byteLength(logText),
    });
    if (controlServer) await stop(controlServer);
    if (c.key === "aime") aimeQuiet = quiet;
    else await stop(quiet);
  }
  return { results, lowConcurrency, aimeQuiet: aimeQuiet! };
}

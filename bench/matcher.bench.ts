// The question matcher alone (src/match/index.ts), with mitata: time per lookup for hits (the dataset's
// questions inside llama-eval's template, as the server receives them: one message) and misses
// (questions from another set in the same template), for AIME (90), GSM8K train (7,473) and a synthetic
// 100,000-question set; plus index build time and size (index.stats).
//
// Every mitata sample is ONE lookup (batching off), cycling through the inputs, so p50/p99 are per
// lookup, over different prompts, GC pauses included.
//
//   bun bench/matcher.bench.ts [--synthetic FILE.jsonl] [--json OUT.json] [--quick]
import { readFileSync, writeFileSync } from "node:fs";
import { do_not_optimize, measure } from "mitata";
import { QuestionIndex } from "../src/match/index.ts";
import {
  AIME_FILE,
  GSM8K_TRAIN_FILE,
  MATH500_FILE,
  TEMPLATES,
  readQuestions,
  sample,
  syntheticRows,
  type TemplateName,
} from "./data.ts";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes("--quick");
const SAMPLE_NS = (quick ? 150 : 400) * 1e6; // mitata min_cpu_time per measurement

export interface LookupStats {
  readonly prompts: number;
  readonly avgChars: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly avgus: number;
  readonly samples: number;
}

export interface MatcherResult {
  readonly name: string;
  readonly questions: number;
  readonly buildMs: number;
  readonly buildRuns: number;
  readonly nodes: number;
  readonly indexBytes: number;
  readonly vocabularyBytes: number;
  readonly bytes: number;
  readonly hit: LookupStats;
  /** The same hits through `question()`, once its first request has learned the template. */
  readonly templateHit: LookupStats;
  /** Of those hit prompts, the share `question()` answered from the template (the rest: scans). */
  readonly templateShare: number;
  readonly miss: LookupStats;
  /** Hit prompts whose match was not the expected question (should be 0). */
  readonly wrongHits: number;
  /** "Miss" prompts that matched something and were dropped from the miss set. */
  readonly droppedMisses: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function lookups(prompts: readonly string[], lookUp: (messages: readonly string[]) => unknown): Promise<LookupStats> {
  const inputs = prompts.map((p) => [p] as const);
  let i = 0;
  const stats = await measure(
    () => {
      do_not_optimize(lookUp(inputs[i]!));
      if (++i === inputs.length) i = 0;
    },
    { batch_threshold: 0, min_cpu_time: SAMPLE_NS, max_samples: 1e6 },
  );
  return {
    prompts: prompts.length,
    avgChars: prompts.reduce((n, p) => n + p.length, 0) / prompts.length,
    p50us: stats.p50 / 1e3,
    p99us: stats.p99 / 1e3,
    avgus: stats.avg / 1e3,
    samples: stats.samples.length,
  };
}

async function benchSet(name: string, questions: string[], template: TemplateName, missQuestions: string[]): Promise<MatcherResult> {
  // Build: median over a few builds (one for huge sets, where a build takes seconds).
  const runs = questions.length > 50_000 ? 1 : 3;
  let index!: QuestionIndex;
  const buildTimes: number[] = [];
  for (let r = 0; r < runs; r++) {
    Bun.gc(true);
    index = QuestionIndex.build(questions);
    buildTimes.push(index.stats.buildMs);
  }
  const wrap = TEMPLATES[template];
  const hitIds = sample(questions.map((_, i) => i), 2000, 7);
  const hits = hitIds.map((i) => wrap(questions[i]!));
  let wrongHits = 0;
  hitIds.forEach((q, k) => {
    const m = index.find([hits[k]!]);
    // Duplicate texts match as their first occurrence.
    if (m === undefined || questions[m.question] !== questions[q]) wrongHits++;
  });
  // question() over the same hits, checked against find() as it goes; the first learns the template.
  const before = index.templateHits;
  hits.forEach((p) => {
    if (index.question([p]) !== index.find([p])?.question) wrongHits++;
  });
  const templateShare = (index.templateHits - before) / hits.length;
  const missCandidates = sample(missQuestions, 2000, 11).map(wrap);
  const misses = missCandidates.filter((p) => index.find([p]) === undefined);
  const result: MatcherResult = {
    name,
    questions: questions.length,
    buildMs: median(buildTimes),
    buildRuns: runs,
    nodes: index.stats.nodes,
    indexBytes: index.stats.indexBytes,
    vocabularyBytes: index.stats.vocabularyBytes,
    bytes: index.stats.bytes,
    hit: await lookups(hits, (m) => index.find(m)),
    templateHit: await lookups(hits, (m) => index.question(m)),
    templateShare,
    miss: await lookups(misses, (m) => index.find(m)),
    wrongHits,
    droppedMisses: missCandidates.length - misses.length,
  };
  return result;
}

function syntheticQuestions(file: string | undefined, count: number): string[] {
  if (!file) return syntheticRows(count).map((r) => r.question);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { question: string }).question);
}

const aime = readQuestions(AIME_FILE, "problem");
const gsm8k = readQuestions(GSM8K_TRAIN_FILE, "question");
const gsm8kTest = readQuestions(GSM8K_TRAIN_FILE.replace("train.jsonl", "test.jsonl"), "question");
const math500 = readQuestions(MATH500_FILE, "problem");
const synthetic = syntheticQuestions(flag("--synthetic"), 100_000);
// Misses for the synthetic set: same generator, other seed — as close to the indexed questions as it gets.
const syntheticMisses = syntheticRows(2000, 99).map((r) => r.question);

const results: MatcherResult[] = [];
for (const [name, questions, template, misses] of [
  ["AIME (90)", aime, "aime", math500],
  ["GSM8K train (7,473)", gsm8k, "gsm8k", gsm8kTest],
  [`synthetic (${synthetic.length.toLocaleString("en-US")})`, synthetic, "gsm8k", syntheticMisses],
] as const) {
  const r = await benchSet(name, questions as string[], template, misses as string[]);
  results.push(r);
  const f = (x: number) => x.toFixed(2).padStart(8);
  console.log(
    `${r.name.padEnd(22)} build ${r.buildMs.toFixed(1).padStart(8)} ms  ${(r.bytes / 1048576).toFixed(2).padStart(6)} MiB  ` +
      `hit p50 ${f(r.hit.p50us)} µs p99 ${f(r.hit.p99us)} µs   template hit p50 ${f(r.templateHit.p50us)} µs (${(100 * r.templateShare).toFixed(1)}%)   miss p50 ${f(r.miss.p50us)} µs p99 ${f(r.miss.p99us)} µs` +
      (r.wrongHits ? `  WRONG HITS: ${r.wrongHits}` : ""),
  );
}
const out = flag("--json");
if (out) writeFileSync(out, JSON.stringify(results, null, 2));

// The chain-of-thought generator alone (src/respond/reasoning.ts), with mitata: time per reply for
// AIME, GSM8K and MATH-500 problems at several target lengths, with an answer and without.
//
// Every mitata sample is ONE call (batching off), cycling through problems and keys, so p50/p99 are
// per reply, GC pauses included. The problem facts are memoised, as in the server: after the first
// pass over the inputs every call hits the memo, which is the steady state of a running server.
//
//   bun bench/reasoning.bench.ts [--json OUT.json] [--quick]
import { writeFileSync } from "node:fs";
import { do_not_optimize, measure } from "mitata";
import { reasoningText, type ReasoningInput } from "../src/respond/reasoning.ts";
import { AIME_FILE, GSM8K_TRAIN_FILE, MATH500_FILE, readQuestions, sample } from "./data.ts";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes("--quick");
const SAMPLE_NS = (quick ? 150 : 400) * 1e6; // mitata min_cpu_time per measurement

export interface ReasoningResult {
  readonly name: string;
  readonly targetTokens: number;
  readonly answered: boolean;
  readonly avgChars: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly avgus: number;
  readonly samples: number;
}

async function bench(name: string, problems: readonly string[], targetTokens: number, answered: boolean): Promise<ReasoningResult> {
  const inputs: ReasoningInput[] = problems.map((problem, i) => ({
    problem,
    answer: answered ? String(100 + (i % 900)) : undefined,
    targetTokens,
    seed: 12345,
    keys: [i, 0],
  }));
  const avgChars = inputs.reduce((n, input) => n + reasoningText(input).length, 0) / inputs.length;
  let i = 0;
  let attempt = 0;
  const stats = await measure(
    () => {
      const input = inputs[i]!;
      // A new attempt each pass: other keys, other text, as repeated asks in a server.
      do_not_optimize(reasoningText(attempt === 0 ? input : { ...input, keys: [i, attempt] }));
      if (++i === inputs.length) {
        i = 0;
        attempt++;
      }
    },
    { batch_threshold: 0, min_cpu_time: SAMPLE_NS, max_samples: 1e6 },
  );
  return {
    name,
    targetTokens,
    answered,
    avgChars,
    p50us: stats.p50 / 1e3,
    p99us: stats.p99 / 1e3,
    avgus: stats.avg / 1e3,
    samples: stats.samples.length,
  };
}

const sets: [string, string[]][] = [
  ["AIME", readQuestions(AIME_FILE, "problem")],
  ["GSM8K", sample(readQuestions(GSM8K_TRAIN_FILE, "question"), 500, 3)],
  ["MATH-500", readQuestions(MATH500_FILE, "problem")],
];
const targets = quick ? [1000, 8192] : [250, 1000, 4096, 32768];

const results: ReasoningResult[] = [];
for (const [name, problems] of sets) {
  for (const target of targets) {
    for (const answered of [true, false]) {
      if (!answered && target !== 1000) continue;
      const r = await bench(name, problems, target, answered);
      results.push(r);
      const f = (x: number) => x.toFixed(1).padStart(8);
      console.log(
        `${r.name.padEnd(9)} ${String(r.targetTokens).padStart(6)} tokens ${r.answered ? "answer   " : "no answer"} ` +
          `${Math.round(r.avgChars).toString().padStart(7)} chars   p50 ${f(r.p50us)} µs  p99 ${f(r.p99us)} µs  avg ${f(r.avgus)} µs`,
      );
    }
  }
}
const out = flag("--json");
if (out) writeFileSync(out, JSON.stringify(results, null, 2));

// The success rate, measured the way llama-eval measures it: through real HTTP, graded by the last \boxed{}.
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { AIME_FILE_REL, evalBody, inBatches, lastBoxed, loadAime, postJson, startSim, stopAll, type Sim } from "./harness.ts";

const aime = loadAime();
const REPEATS = 5;
/** Each of the 90 questions 5 times: n = 450 cases, in round-robin order (so a question is never in flight twice). */
const CASES = Array.from({ length: REPEATS * aime.length }, (_, i) => aime[i % aime.length]!);
const N = CASES.length;
const BATCH = 32; // llama-eval's default thread count

afterAll(stopAll);

async function startRated(rate: number, seed: number): Promise<Sim> {
  return startSim({ args: ["--dataset-file", AIME_FILE_REL, "--success-rate", String(rate), "--seed", String(seed), "--quiet"] });
}

/** Sends all cases, returns per case whether the grader would mark it correct, plus the raw answers. */
async function runEval(sim: Sim): Promise<{ correct: boolean[]; answers: string[] }> {
  const graded = await inBatches(CASES, BATCH, async (q) => {
    const res = await postJson(`${sim.url}/v1/chat/completions`, evalBody(q.problem));
    const text = await res.text();
    if (res.status !== 200) throw new Error(`q=${q.id}: HTTP ${res.status} ${text}`);
    const body = JSON.parse(text) as { choices: { message: { content: string }; finish_reason: string }[] };
    if (body.choices[0]!.finish_reason !== "stop") throw new Error(`q=${q.id}: finish_reason ${body.choices[0]!.finish_reason}`);
    const boxed = lastBoxed(body.choices[0]!.message.content) ?? "";
    return { correct: boxed === q.gold, answer: boxed };
  });
  return { correct: graded.map((g) => g.correct), answers: graded.map((g) => g.answer) };
}

/*
 * Hoeffding: for n independent Bernoulli(p) outcomes with sum k, P(|k - n·p| >= t) <= 2·exp(-2t²/n).
 * Setting the right side to δ gives t = sqrt(n·ln(2/δ)/2). Over NUM_RUNS runs a union bound with
 * δ = 1e-9 / NUM_RUNS keeps the chance of a false failure of the whole property below 1e-9.
 *   NUM_RUNS = 4: δ = 2.5e-10, ln(2/δ) = ln(8e9) = 2.0794 + 20.7233 = 22.8027,
 *   n = 450:      t = sqrt(450 · 22.8027 / 2) = sqrt(5130.6) ≈ 71.63,
 * so k must lie within ±71.6 of 450·p (a ±15.9-point band on the measured accuracy).
 * The simulator draws each outcome from a hash of (seed, question, attempt), which the bound treats as
 * independent fair draws. An implementation that ignores p, inverts it (1 - p) or uses a fixed rate
 * leaves this band for most p.
 */
const NUM_RUNS = 4;
const DELTA = 1e-9 / NUM_RUNS;
const T = Math.sqrt((N * Math.log(2 / DELTA)) / 2);

describe("success rate through HTTP", () => {
  test("the bound's arithmetic is what the comment says", () => {
    expect(N).toBe(450);
    expect(T).toBeCloseTo(71.63, 1);
  });

  test(
    "property: for any rate p and seed, the graded accuracy of 450 cases is within Hoeffding's bound of p",
    async () => {
      const seen: { p: number; seed: number; k: number }[] = [];
      await fc.assert(
        fc.asyncProperty(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat({ max: 0xffffffff }), async (p, seed) => {
          const sim = await startRated(p, seed);
          try {
            expect(sim.banner.seed).toBe(String(seed));
            const { correct } = await runEval(sim);
            const k = correct.filter(Boolean).length;
            seen.push({ p, seed, k });
            // Exact at the ends: rate 0 is never right, rate 1 always.
            if (p === 0) expect(k).toBe(0);
            if (p === 1) expect(k).toBe(N);
            expect(Math.abs(k - N * p)).toBeLessThanOrEqual(T);
          } finally {
            await sim.stop();
          }
        }),
        { numRuns: NUM_RUNS, endOnFailure: true },
      );
      expect(seen).toHaveLength(NUM_RUNS);
    },
    30_000,
  );

  test("replayable: the same seed twice gives identical per-question outcomes and answers; another seed does not", async () => {
    const [a, b, c] = await Promise.all([startRated(0.5, 123456789), startRated(0.5, 123456789), startRated(0.5, 987654321)]);
    try {
      const [ra, rb, rc] = await Promise.all([runEval(a!), runEval(b!), runEval(c!)]);
      expect(rb.correct).toEqual(ra.correct);
      expect(rb.answers).toEqual(ra.answers);
      // Per question: the outcome of its 1st..5th ask.
      const perQuestion = (r: { correct: boolean[] }) => aime.map((_, qi) => r.correct.filter((__, i) => i % aime.length === qi));
      expect(perQuestion(rb)).toEqual(perQuestion(ra));
      // A different seed gives a different run (identical by chance: 2^-450 at p = 0.5).
      expect(rc.correct).not.toEqual(ra.correct);
      // The five asks of one question are separate draws, not one draw repeated.
      expect(perQuestion(ra).some((outcomes) => new Set(outcomes).size === 2)).toBe(true);
    } finally {
      await Promise.all([a!.stop(), b!.stop(), c!.stop()]);
    }
  }, 30_000);
});

// Decision modes (issue 7 §1) proved through real HTTP against the compiled binary: random converges and
// replays, fixed scores exactly round(p·N) whatever the order, concurrency or replica, exact keeps every
// prefix within 1, difficulty's pass@k matches what /sim/stats expects, --greedy / request seeds fix the
// reply, and X-Sim-Outcome / POST /sim/reset obey --allow-override.
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { rng } from "../fixtures/random.ts";
import { inBatches, stopAll, type Sim } from "./harness.ts";
import {
  aimeItems,
  bodyFor,
  chat,
  chatOk,
  getStats,
  gradedCorrect,
  gsm8kItems,
  pool,
  readLedger,
  shuffled,
  stableBody,
  startEmbedded,
  tailBound,
  type Item,
  type LedgerRecord,
} from "./sim-http.ts";

afterAll(stopAll);

const AIME = aimeItems();
const GSM8K = gsm8kItems();
const CONCURRENCY = 32; // llama-eval's default worker threads

/** Rates as k/1000, so round(p·N), floor(p·n) and ceil(p·n) are exact integer arithmetic in the test. */
const permille = fc.integer({ min: 0, max: 1000 });
const seedArb = fc.nat({ max: 0xffffffff });
const rateFlags = (k: number, seed: number, mode: string) => ["--success-rate", String(k / 1000), "--seed", String(seed), "--mode", mode];

/** round(k/1000 · n), halves up (the round(p·N)). */
const roundRate = (k: number, n: number) => Math.floor((2 * k * n + 1000) / 2000);

async function stopBoth(...sims: Sim[]): Promise<void> {
  await Promise.all(sims.map((s) => s.stop()));
}

describe("random mode", () => {
  /*
   * 90 AIME questions x 8 attempts = 720 independent Bernoulli(p) replies per run. tailBound (Hoeffding /
   * Bernstein with variance p(1-p)) at δ = 1e-9 / RUNS per run: by the union bound the whole property fails
   * falsely with probability < 1e-9. At p = 0.5 the band is about ±72 of 360 (±10 points).
   */
  const EXAMPLES: [number, number][] = [[500, 1]];
  const RUNS = 4; // fast-check counts the examples among numRuns
  const N = AIME.length * 8;

  test(
    "property: the graded accuracy of 720 requests at 32-way concurrency is within a binomial bound of p (failure probability < 1e-9)",
    async () => {
      await fc.assert(
        fc.asyncProperty(permille, seedArb, async (k, seed) => {
          const sim = await startEmbedded("aime", rateFlags(k, seed, "random"));
          try {
            const cases = Array.from({ length: N }, (_, i) => AIME[i % AIME.length]!);
            const correct = await pool(cases, CONCURRENCY, async (item) => gradedCorrect((await chatOk(sim, bodyFor("aime", item))).choices[0]!.message.content, item.gold));
            const hits = correct.filter(Boolean).length;
            const p = k / 1000;
            const t = tailBound(N, p * (1 - p), 1e-9 / RUNS);
            console.log(`random: p=${p} seed=${seed}: ${hits}/${N} correct = ${(hits / N).toFixed(4)} (bound ±${(t / N).toFixed(4)})`);
            if (k === 0) expect(hits).toBe(0);
            if (k === 1000) expect(hits).toBe(N);
            expect(Math.abs(hits - N * p)).toBeLessThanOrEqual(t);
            // /sim/stats counted the same replies the grader saw.
            const stats = await getStats(sim);
            expect(stats.mode).toBe("random");
            expect(stats.totals.scored).toBe(N);
            expect(stats.totals.correct).toBe(hits);
          } finally {
            await sim.stop();
          }
        }),
        // unbiased: draw p and seeds uniformly, not fast-check's small-value bias (p near 0 proves little).
        { numRuns: RUNS, examples: EXAMPLES, unbiased: true, endOnFailure: true },
      );
    },
    30_000,
  );

  /** Round-robin over the questions in batches of 32, so no question is ever in flight twice: a deterministic sequence. */
  async function replay(sim: Sim): Promise<{ bodies: string[]; verdicts: boolean[][] }> {
    const sequence = Array.from({ length: 3 * AIME.length }, (_, i) => ({ item: AIME[i % AIME.length]!, i }));
    const replies = await inBatches(sequence, CONCURRENCY, async ({ item, i }) => {
      // Mixed requests: plain, with a request seed, and n = 3.
      const extra = i % 5 === 0 ? { seed: i } : i % 7 === 0 ? { n: 3 } : {};
      const r = await chat(sim, bodyFor("aime", item, extra));
      expect(r.status).toBe(200);
      return { body: stableBody(r.text), verdicts: r.body!.choices.map((c) => gradedCorrect(c.message.content, item.gold)) };
    });
    return { bodies: replies.map((r) => r.body), verdicts: replies.map((r) => r.verdicts) };
  }

  test("replays exactly: two processes with the same --seed give the same verdicts and bodies (modulo id/created); another seed does not", async () => {
    const flags = (seed: number) => rateFlags(500, seed, "random");
    const [a, b, c] = await Promise.all([startEmbedded("aime", flags(4242)), startEmbedded("aime", flags(4242)), startEmbedded("aime", flags(4243))]);
    try {
      const [ra, rb, rc] = await Promise.all([replay(a), replay(b), replay(c)]);
      expect(rb.verdicts).toEqual(ra.verdicts);
      expect(rb.bodies).toEqual(ra.bodies);
      const flat = (r: { verdicts: boolean[][] }) => r.verdicts.flat();
      const differ = flat(ra).filter((v, i) => v !== flat(rc)[i]).length;
      console.log(`random replay: ${ra.bodies.length} requests (${flat(ra).length} choices) identical across two processes; ${differ} verdicts differ under another seed`);
      // Independent p = 0.5 verdicts agree on all ~300 choices with probability 2^-300.
      expect(differ).toBeGreaterThan(0);
    } finally {
      await stopBoth(a, b, c);
    }
  });
});

describe("fixed mode", () => {
  /** One pass: each item to `pick(item)`, `CONCURRENCY` in flight; returns question id -> [graded correct, content]. */
  async function pass(items: readonly Item[], preset: "aime" | "gsm8k", pick: (item: Item) => Sim): Promise<Map<string, [boolean, string]>> {
    const out = new Map<string, [boolean, string]>();
    await pool(items, CONCURRENCY, async (item) => {
      const content = (await chatOk(pick(item), bodyFor(preset, item))).choices[0]!.message.content!;
      out.set(item.id, [gradedCorrect(content, item.gold), content]);
    });
    return out;
  }
  const score = (m: Map<string, [boolean, string]>) => [...m.values()].filter(([c]) => c).length;

  test(
    "property: a full AIME pass scores exactly round(p·90) in shuffled orders, at 32-way concurrency, and split over two processes; repeats give identical text",
    async () => {
      await fc.assert(
        fc.asyncProperty(permille, seedArb, fc.nat(), async (k, seed, orderSeed) => {
          const random = rng(orderSeed);
          const [a, b] = await Promise.all([startEmbedded("aime", rateFlags(k, seed, "fixed")), startEmbedded("aime", rateFlags(k, seed, "fixed"))]);
          try {
            const want = roundRate(k, AIME.length);
            const first = await pass(shuffled(AIME, random), "aime", () => a);
            // Second pass: another order, each question sent to a random one of the two processes.
            const second = await pass(shuffled(AIME, random), "aime", () => (random() < 0.5 ? a : b));
            // Third pass, all on b: b has now seen some questions before and some not.
            const third = await pass(shuffled(AIME, random), "aime", () => b);
            console.log(`fixed: p=${k / 1000} seed=${seed}: scores ${score(first)}, ${score(second)}, ${score(third)} of 90 (round(p·N) = ${want})`);
            for (const run of [first, second, third]) {
              expect(score(run)).toBe(want);
              // The same question, the same reply text, on every attempt and in both processes.
              for (const [id, [, content]] of run) expect(content).toBe(first.get(id)![1]);
            }
          } finally {
            await stopBoth(a, b);
          }
        }),
        // 0.15 · 90 = 13.5: a half, rounded up to 14.
        { numRuns: 4, examples: [[150, 77, 1]], unbiased: true, endOnFailure: true },
      );
    },
    30_000,
  );

  test("GSM8K (1319 questions) split at random over two processes scores exactly round(0.73·1319) = 963", async () => {
    const flags = rateFlags(730, 99, "fixed");
    const [a, b] = await Promise.all([startEmbedded("gsm8k", flags), startEmbedded("gsm8k", flags)]);
    try {
      const random = rng(7);
      const split = await pass(shuffled(GSM8K, random), "gsm8k", () => (random() < 0.5 ? a : b));
      const [sa, sb] = await Promise.all([getStats(a), getStats(b)]);
      console.log(`fixed gsm8k: ${score(split)}/1319 correct (a served ${sa.totals.scored}: ${sa.totals.correct}, b ${sb.totals.scored}: ${sb.totals.correct})`);
      expect(roundRate(730, 1319)).toBe(963);
      expect(score(split)).toBe(963);
      expect(sa.totals.correct + sb.totals.correct).toBe(963);
      expect(sa.totals.scored + sb.totals.scored).toBe(1319);
    } finally {
      await stopBoth(a, b);
    }
  });
});

describe("exact mode", () => {
  test(
    "property: after a 32-way concurrent run, every prefix of n scored requests (ledger order) has floor(p·n) or ceil(p·n) correct",
    async () => {
      await fc.assert(
        fc.asyncProperty(permille, seedArb, fc.nat(), async (k, seed, orderSeed) => {
          const sim = await startEmbedded("aime", rateFlags(k, seed, "exact"));
          try {
            const cases = shuffled(
              Array.from({ length: 6 * AIME.length }, (_, i) => AIME[i % AIME.length]!),
              rng(orderSeed),
            );
            const graded = new Map<string, boolean>();
            await pool(cases, CONCURRENCY, async (item) => {
              const body = await chatOk(sim, bodyFor("aime", item));
              graded.set(body.id, gradedCorrect(body.choices[0]!.message.content, item.gold));
            });
            const { records } = await readLedger(sim, 250);
            expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
            expect(records).toHaveLength(cases.length);
            let correct = 0;
            let maxDeviation = 0;
            records.forEach((r, i) => {
              const n = i + 1;
              expect(graded.get(r.id)).toBe(r.verdict === "correct");
              if (r.verdict === "correct") correct++;
              const low = Math.floor((k * n) / 1000);
              const high = Math.ceil((k * n) / 1000);
              if (correct !== low && correct !== high) throw new Error(`prefix n=${n}: ${correct} correct, want ${low} or ${high}`);
              maxDeviation = Math.max(maxDeviation, Math.abs(correct - (k * n) / 1000));
            });
            // Spread over questions: at 0 < p < 1 some question is right on one attempt and wrong on another.
            const perQuestion = new Map<string, Set<string>>();
            for (const r of records) perQuestion.set(r.question, (perQuestion.get(r.question) ?? new Set()).add(r.verdict));
            const mixed = [...perQuestion.values()].filter((s) => s.size > 1).length;
            console.log(`exact: p=${k / 1000} seed=${seed}: ${correct}/${records.length} correct, max prefix deviation |c(n) - p·n| = ${maxDeviation.toFixed(3)}, ${mixed} questions both right and wrong`);
            expect(maxDeviation).toBeLessThan(1);
            if (k >= 100 && k <= 900) expect(mixed).toBeGreaterThan(0);
          } finally {
            await sim.stop();
          }
        }),
        { numRuns: 4, examples: [[500, 9, 1]], unbiased: true, endOnFailure: true },
      );
    },
    30_000,
  );
});

/** The unbiased pass@k estimator 1 - C(n-c, k) / C(n, k) (Chen et al. 2021), written independently of src/. */
function passAtK(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let ratio = 1;
  for (let i = n - c + 1; i <= n; i++) ratio *= 1 - k / i;
  return 1 - ratio;
}

function binomialPmf(n: number, c: number, p: number): number {
  let coefficient = 1;
  for (let i = 1; i <= c; i++) coefficient = (coefficient * (n - c + i)) / i;
  return coefficient * p ** c * (1 - p) ** (n - c);
}

/**
 * The largest variance, over every p in [0, 1], of the pass@k estimator from S samples: a bound on each
 * question's variance whatever its (unknown) p_i. Scanned on a grid of 2001 points, plus 1% for what lies
 * between grid points (the variance is a smooth polynomial in p of degree 2S).
 */
function maxEstimatorVariance(samples: number, k: number): number {
  let max = 0;
  for (let g = 0; g <= 2000; g++) {
    const p = g / 2000;
    let mean = 0;
    let square = 0;
    for (let c = 0; c <= samples; c++) {
      const w = binomialPmf(samples, c, p);
      const x = passAtK(samples, c, k);
      mean += w * x;
      square += w * x * x;
    }
    max = Math.max(max, square - mean * mean);
  }
  return max * 1.01;
}

describe("difficulty mode", () => {
  const KS = [1, 2, 4, 8] as const;
  const SAMPLES = 16; // per question: two requests with n = 8 (-np 8)
  const RUNS = 2;

  /*
   * Each question i is sampled S = 16 times; its pass@k estimate X_i is unbiased for 1 - (1 - p_i)^k and
   * independent across questions, so the mean over the N = 1319 GSM8K questions has expectation exactly the
   * expected pass@k /sim/stats reports (the mean over all questions). Each X_i lies in [0, 1] with variance at
   * most maxEstimatorVariance(16, k) (0.016 for k = 1 .. 0.107 for k = 8), so Bernstein bounds the deviation at
   * δ = 1e-9 / (RUNS · 4) per comparison: a false failure of the whole test has probability < 1e-9.
   */
  test(
    "property: observed pass@k (k = 1, 2, 4, 8) over GSM8K, 16 samples per question, is within a Bernstein bound of /sim/stats' expected pass@k",
    async () => {
      const delta = 1e-9 / (RUNS * KS.length);
      const variance = Object.fromEntries(KS.map((k) => [k, maxEstimatorVariance(SAMPLES, k)]));
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 150, max: 850 }), fc.double({ min: 1, max: 8, noNaN: true }), seedArb, async (k1000, spread, seed) => {
          const p = k1000 / 1000;
          const sim = await startEmbedded("gsm8k", [...rateFlags(k1000, seed, "difficulty"), "--difficulty-spread", String(spread), "-np", "8"]);
          try {
            const correctById = new Map<string, number>();
            const work = GSM8K.flatMap((item) => [item, item]);
            await pool(work, CONCURRENCY, async (item) => {
              const body = await chatOk(sim, bodyFor("gsm8k", item, { n: 8 }));
              expect(body.choices).toHaveLength(8);
              const hits = body.choices.filter((c) => gradedCorrect(c.message.content, item.gold)).length;
              correctById.set(item.id, (correctById.get(item.id) ?? 0) + hits);
            });
            const stats = await getStats(sim);
            expect(stats.mode).toBe("difficulty");
            const expected = stats.expected_pass_at_k!;
            expect(Object.keys(expected).sort()).toEqual(["1", "2", "4", "8"]);
            const lines: string[] = [];
            for (const k of KS) {
              const observed = GSM8K.reduce((s, item) => s + passAtK(SAMPLES, correctById.get(item.id)!, k), 0) / GSM8K.length;
              const bound = tailBound(GSM8K.length, variance[k]!, delta) / GSM8K.length;
              lines.push(`pass@${k} observed ${observed.toFixed(4)} expected ${expected[String(k)]!.toFixed(4)} (bound ±${bound.toFixed(4)})`);
              expect(Math.abs(observed - expected[String(k)]!)).toBeLessThanOrEqual(bound);
              // The server's own estimate from its tally is the same number.
              expect(stats.pass_at_k![String(k)]!).toBeCloseTo(observed, 10);
            }
            console.log(`difficulty: p=${p} spread=${spread.toFixed(2)} seed=${seed}: ${lines.join("; ")}`);
            // The questions' rates differ, so by Jensen pass@8 is below that of one common rate with the same mean.
            expect(expected["8"]!).toBeLessThan(1 - (1 - expected["1"]!) ** 8);
            // The Beta's mean is p: the mean of 1319 draws from Beta(p·s, (1-p)·s), variance p(1-p)/(s+1),
            // is within Bernstein's bound of p (δ = 1e-9 / RUNS / 4 again).
            const betaBound = tailBound(GSM8K.length, (p * (1 - p)) / (spread + 1), delta) / GSM8K.length;
            expect(Math.abs(expected["1"]! - p)).toBeLessThanOrEqual(betaBound);
          } finally {
            await sim.stop();
          }
        }),
        { numRuns: RUNS, unbiased: true, endOnFailure: true },
      );
    },
    40_000,
  );

  test("--difficulty dataset (AIME problem numbers, MATH-500 levels) is rescaled so the mean rate is exactly p", async () => {
    const flags = [...rateFlags(370, 5, "difficulty"), "--difficulty", "dataset"];
    const [aime, math] = await Promise.all([startEmbedded("aime", flags), startEmbedded("math500", flags)]);
    try {
      for (const sim of [aime, math]) {
        const stats = await getStats(sim);
        expect(stats.expected_pass_at_k!["1"]!).toBeCloseTo(0.37, 9);
        // Unequal per-question rates: pass@8 strictly below a uniform model's.
        expect(stats.expected_pass_at_k!["8"]!).toBeLessThan(1 - 0.63 ** 8 - 1e-6);
      }
    } finally {
      await stopBoth(aime, math);
    }
  });
});

describe("sampling parameters", () => {
  const QUESTIONS = AIME.slice(0, 30);
  const contentOf = async (sim: Sim, item: Item, extra: Record<string, unknown>) => stableBody((await chat(sim, bodyFor("aime", item, extra))).text);

  /** For each question, how many distinct replies `attempts` requests with `extra` got. */
  async function distinctReplies(sim: Sim, extra: (attempt: number) => Record<string, unknown>, attempts = 6): Promise<number[]> {
    return Promise.all(
      QUESTIONS.map(async (item) => {
        const seen = new Set<string>();
        for (let a = 0; a < attempts; a++) seen.add(await contentOf(sim, item, extra(a)));
        return seen.size;
      }),
    );
  }

  test("--greedy: temperature 0 gives the same outcome and text on every attempt; other temperatures and servers without --greedy vary", async () => {
    const [greedy, plain] = await Promise.all([startEmbedded("aime", [...rateFlags(500, 11, "random"), "--greedy"]), startEmbedded("aime", rateFlags(500, 11, "random"))]);
    try {
      const greedyZero = await distinctReplies(greedy, () => ({ temperature: 0 }));
      expect(greedyZero.every((n) => n === 1)).toBe(true);
      // A negative temperature is greedy too, as llama-server's sampler treats it.
      expect(new Set([await contentOf(greedy, QUESTIONS[0]!, { temperature: -1 }), await contentOf(greedy, QUESTIONS[0]!, { temperature: 0 })]).size).toBe(1);
      // 30 questions x 6 attempts at p = 0.5: all six verdicts equal on every question has probability (1/32)^30.
      const greedyWarm = await distinctReplies(greedy, () => ({ temperature: 0.8 }));
      const plainZero = await distinctReplies(plain, () => ({ temperature: 0 }));
      console.log(`greedy: distinct replies per question over 6 attempts: t=0 ${Math.max(...greedyZero)} max; t=0.8 ${greedyWarm.filter((n) => n > 1).length}/30 questions vary; no --greedy, t=0: ${plainZero.filter((n) => n > 1).length}/30 vary`);
      expect(greedyWarm.some((n) => n > 1)).toBe(true);
      expect(plainZero.some((n) => n > 1)).toBe(true);
    } finally {
      await stopBoth(greedy, plain);
    }
  });

  test("request seed: the same seed gives the same reply on every attempt and in another process; different seeds (and seed -1) vary", async () => {
    const flags = rateFlags(500, 12, "random");
    const [a, b] = await Promise.all([startEmbedded("aime", flags), startEmbedded("aime", flags)]);
    try {
      const same = await distinctReplies(a, () => ({ seed: 1234 }));
      expect(same.every((n) => n === 1)).toBe(true);
      // Process b has never seen these questions: attempt 0 there, attempt 6 on a; same seed, same reply.
      for (const item of QUESTIONS.slice(0, 5)) expect(await contentOf(b, item, { seed: 1234 })).toBe(await contentOf(a, item, { seed: 1234 }));
      const varied = await distinctReplies(a, (attempt) => ({ seed: attempt * 7919 + 1 }));
      const random = await distinctReplies(a, () => ({ seed: -1 }));
      console.log(`request seed: same seed 1 distinct reply per question; 6 different seeds: ${varied.filter((n) => n > 1).length}/30 questions vary; seed -1: ${random.filter((n) => n > 1).length}/30 vary`);
      expect(varied.some((n) => n > 1)).toBe(true);
      expect(random.some((n) => n > 1)).toBe(true);
    } finally {
      await stopBoth(a, b);
    }
  });
});

describe("X-Sim-Outcome and POST /sim/reset", () => {
  const item = AIME[3]!;
  const send = (sim: Sim, outcome: string) => chat(sim, bodyFor("aime", item), { "X-Sim-Outcome": outcome });
  const lastRecord = async (sim: Sim): Promise<LedgerRecord> => (await readLedger(sim)).records.at(-1)!;

  test("with --allow-override each outcome is forced and recorded; error is a 500 recorded as verdict error; a bad value is a 400", async () => {
    // p = 0 (never right unless forced) and p = 1 (always right unless forced).
    const [never, always] = await Promise.all([
      startEmbedded("aime", [...rateFlags(0, 1, "random"), "--allow-override"]),
      startEmbedded("aime", [...rateFlags(1000, 1, "random"), "--allow-override"]),
    ]);
    try {
      const correct = await send(never, "correct");
      expect(correct.status).toBe(200);
      expect(gradedCorrect(correct.body!.choices[0]!.message.content, item.gold)).toBe(true);
      expect(await lastRecord(never)).toMatchObject({ id: correct.body!.id, verdict: "correct", question: item.id });

      const wrong = await send(always, "WRONG "); // case and surrounding space do not matter
      expect(wrong.status).toBe(200);
      expect(gradedCorrect(wrong.body!.choices[0]!.message.content, item.gold)).toBe(false);
      expect(await lastRecord(always)).toMatchObject({ id: wrong.body!.id, verdict: "wrong" });

      const none = await send(always, "no-answer");
      expect(none.status).toBe(200);
      expect(none.body!.choices[0]!.message.content).not.toContain("\\boxed{");
      expect(await lastRecord(always)).toMatchObject({ id: none.body!.id, verdict: "no-answer", given: null });

      const error = await send(always, "error");
      expect(error.status).toBe(500);
      expect(JSON.parse(error.text).error.type).toBe("server_error");
      expect(await lastRecord(always)).toMatchObject({ verdict: "error", question: item.id });

      const bad = await send(always, "maybe");
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.text).error.type).toBe("invalid_request_error");

      const stats = await getStats(always);
      expect(stats.totals).toMatchObject({ scored: 3, correct: 0, wrong: 1, no_answer: 1, error: 1 });
    } finally {
      await stopBoth(never, always);
    }
  });

  test("without --allow-override the header is ignored and POST /sim/reset is a 403", async () => {
    const [never, always] = await Promise.all([startEmbedded("aime", rateFlags(0, 1, "random")), startEmbedded("aime", rateFlags(1000, 1, "random"))]);
    try {
      const forced = await send(never, "correct");
      expect(forced.status).toBe(200);
      expect(gradedCorrect(forced.body!.choices[0]!.message.content, item.gold)).toBe(false);
      const error = await send(always, "error");
      expect(error.status).toBe(200);
      expect(gradedCorrect(error.body!.choices[0]!.message.content, item.gold)).toBe(true);
      expect(await send(always, "maybe")).toMatchObject({ status: 200 });
      const reset = await fetch(`${always.url}/sim/reset`, { method: "POST" });
      expect(reset.status).toBe(403);
      expect((await getStats(always)).totals.scored).toBe(2);
    } finally {
      await stopBoth(never, always);
    }
  });

  test("with --allow-override POST /sim/reset clears the counters and attempts (exact mode's schedule starts again)", async () => {
    const sim = await startEmbedded("aime", [...rateFlags(500, 3, "exact"), "--allow-override"]);
    try {
      const run = async () => {
        const verdicts: boolean[] = [];
        for (const it of AIME.slice(0, 20)) verdicts.push(gradedCorrect((await chatOk(sim, bodyFor("aime", it))).choices[0]!.message.content, it.gold));
        return verdicts;
      };
      const first = await run();
      expect((await getStats(sim)).totals.scored).toBe(20);
      const reset = await fetch(`${sim.url}/sim/reset`, { method: "POST" });
      expect(reset.status).toBe(200);
      expect((await getStats(sim)).totals).toMatchObject({ scored: 0, correct: 0 });
      const second = await run();
      // Same schedule position, same attempts: the same verdicts again.
      expect(second).toEqual(first);
      const { records } = await readLedger(sim);
      expect(records.slice(20).map((r) => r.attempt)).toEqual(records.slice(0, 20).map((r) => r.attempt));
      expect(records.slice(20).every((r) => r.attempt === 0)).toBe(true);
    } finally {
      await sim.stop();
    }
  });
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Decider } from "../../src/decide/decide.ts";
import { fixedCorrectCount } from "../../src/decide/fixed.ts";
import { hoeffdingDeviation } from "../../src/decide/stats.ts";
import { TOTAL_FALSE_FAILURE } from "../stats.ts";

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
/** Rates as the user types them: k/1000. */
const rateArb = fc.integer({ min: 0, max: 1000 }).map((k) => k / 1000);

function fixedDecider(successRate: number, seed: number, questionCount: number): Decider {
  return new Decider({ mode: "fixed", successRate, seed, questionCount });
}

/** round(k/1000 * n), halves up, in integers. */
function expectedCorrect(rate: number, n: number): number {
  const k = Math.round(rate * 1000);
  return Math.floor((2 * k * n + 1000) / 2000);
}

describe("fixed mode", () => {
  test("round(p N) with halves up, exact on decimal rates", () => {
    const count = (p: number, n: number) => fixedCorrectCount(fixedDecider(p, 0, 1).rate, n);
    expect(count(0.35, 10)).toBe(4); // the double 0.35 * 10 is 3.4999999999999996
    expect(count(0.5, 3)).toBe(2);
    expect(count(0.25, 2)).toBe(1);
    expect(count(0.8, 90)).toBe(72);
    expect(count(0, 90)).toBe(0);
    expect(count(1, 90)).toBe(90);
  });

  test("property: a full pass in any order, repeated, scores exactly round(p N) every time", () => {
    fc.assert(
      fc.property(
        rateArb,
        seedArb,
        fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.shuffledSubarray(range(n), { minLength: n }), { minLength: 1, maxLength: 4 }))),
        (p, seed, [n, passes]) => {
          const decider = fixedDecider(p, seed, n);
          for (const order of passes) {
            const correct = order.filter((q) => decider.decide(q).correct).length;
            expect(correct).toBe(expectedCorrect(p, n));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test("property: two processes agree question by question whatever order each sees", () => {
    fc.assert(
      fc.property(rateArb, seedArb, fc.array(fc.integer({ min: 0, max: 49 }), { maxLength: 300 }), fc.array(fc.integer({ min: 0, max: 49 }), { maxLength: 300 }), (p, seed, asksA, asksB) => {
        const a = fixedDecider(p, seed, 50);
        const b = fixedDecider(p, seed, 50);
        // Process B has served some other traffic first.
        for (const q of asksB) b.decide(q);
        for (const q of asksA) {
          const x = a.decide(q);
          const y = b.decide(q);
          expect(y.correct).toBe(x.correct);
          expect(y.keys).toEqual([q]);
          expect(x.keys).toEqual([q]);
        }
      }),
      { numRuns: 200 },
    );
  });

  test("greedy and request seeds change nothing: keys stay [question]", () => {
    const decider = new Decider({ mode: "fixed", successRate: 0.5, seed: 9, questionCount: 5, greedy: true });
    const plain = decider.decide(3);
    for (const request of [{ temperature: 0 }, { requestSeed: 42 }, { temperature: 0.7, requestSeed: 7 }]) {
      const d = decider.decide(3, request);
      expect(d.keys).toEqual([3]);
      expect(d.correct).toBe(plain.correct);
      expect(d.probability).toBe(0.5);
    }
  });

  test("the correct set depends on the seed", () => {
    // Two independent uniformly random 50-subsets of 100 coincide with probability 1/C(100, 50) ~ 1e-29.
    const set = (seed: number) => range(100).filter((q) => fixedDecider(0.5, seed, 100).decide(q).correct);
    expect(set(1)).not.toEqual(set(2));
    expect(set(1)).toEqual(set(1));
  });

  test("property: the correct questions are spread, not the first round(p N) indices", () => {
    // Rank by hash makes the correct set a uniformly random K-subset, so the number of correct
    // questions among the first half is hypergeometric; Hoeffding's bound holds for sampling
    // without replacement too: P(|X - n K / N| >= t) <= 2 exp(-2 t^2 / n) with n = N/2 draws.
    // delta = 1e-9 / 100 runs.
    const runs = 100;
    const N = 2000;
    fc.assert(
      fc.property(seedArb, fc.integer({ min: 100, max: 900 }).map((k) => k / 1000), (seed, p) => {
        const decider = fixedDecider(p, seed, N);
        const k = expectedCorrect(p, N);
        const firstHalf = range(N / 2).filter((q) => decider.decide(q).correct).length;
        expect(Math.abs(firstHalf - k / 2)).toBeLessThanOrEqual(hoeffdingDeviation(N / 2, TOTAL_FALSE_FAILURE / runs));
      }),
      { numRuns: runs },
    );
  });

  test("expected pass@k is the fixed fraction for every k", () => {
    const decider = fixedDecider(0.35, 3, 10);
    for (const k of [1, 2, 8]) expect(decider.expectedPassAtK(k)).toBe(0.4);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

describe("fixed mode with several datasets served together", () => {
  test("property: each dataset's full pass scores exactly round(p n) of its own n questions", () => {
    fc.assert(
      fc.property(rateArb, seedArb, fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 2, maxLength: 4 }), (p, seed, sizes) => {
        // Datasets interleaved in the question list, as a merged index may hold them.
        const groups: string[] = [];
        const left = [...sizes];
        while (left.some((n) => n > 0)) for (let d = 0; d < left.length; d++) if (left[d]! > 0 && left[d]!--) groups.push(`set${d}`);
        const decider = new Decider({ mode: "fixed", successRate: p, seed, questionCount: groups.length, groups });
        const correct = new Map<string, number>();
        for (let q = 0; q < groups.length; q++) if (decider.decide(q).correct) correct.set(groups[q]!, (correct.get(groups[q]!) ?? 0) + 1);
        for (let d = 0; d < sizes.length; d++) expect(correct.get(`set${d}`) ?? 0).toBe(expectedCorrect(p, sizes[d]!));
        const total = [...correct.values()].reduce((a, b) => a + b, 0);
        expect(decider.expectedPassAtK(1)).toBeCloseTo(total / groups.length, 12);
      }),
      { numRuns: 300 },
    );
  });

  test("one dataset: the same set as without groups (replicas of older versions agree)", () => {
    fc.assert(
      fc.property(rateArb, seedArb, fc.integer({ min: 1, max: 200 }), (p, seed, n) => {
        const plain = fixedDecider(p, seed, n);
        const grouped = new Decider({ mode: "fixed", successRate: p, seed, questionCount: n, groups: new Array<string>(n).fill("aime") });
        for (let q = 0; q < n; q++) expect(grouped.decide(q).correct).toBe(plain.decide(q).correct);
      }),
      { numRuns: 200 },
    );
  });
});

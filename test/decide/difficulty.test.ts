import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Decider } from "../../src/decide/decide.ts";
import { DEFAULT_SPREAD, datasetProbabilities } from "../../src/decide/difficulty.ts";
import { bernsteinDeviation, hoeffdingDeviation, passAtK } from "../../src/decide/stats.ts";
import { TOTAL_FALSE_FAILURE } from "../stats.ts";

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });

function betaDecider(successRate: number, seed: number, questionCount: number, spread?: number): Decider {
  return new Decider({ mode: "difficulty", successRate, seed, questionCount, spread });
}

function mean(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return sum / xs.length;
}

describe("difficulty mode, Beta source", () => {
  test("property: the per-question probabilities average to p (Bernstein, failure probability < 1e-9)", () => {
    // p_i ~ Beta(p s, (1-p) s) i.i.d. in [0, 1] with variance p (1-p) / (s + 1), so
    // P(|sum p_i - N p| >= t) <= delta at t = bernsteinDeviation(N, variance, delta). delta = 1e-9 / 100 runs.
    const runs = 100;
    const N = 5000;
    fc.assert(
      fc.property(seedArb, fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.double({ min: 0.5, max: 50, noNaN: true }), (seed, p, spread) => {
        const probabilities = betaDecider(p, seed, N, spread).probabilities();
        const variance = (p * (1 - p)) / (spread + 1);
        expect(Math.abs(mean(probabilities) * N - N * p)).toBeLessThanOrEqual(bernsteinDeviation(N, variance, TOTAL_FALSE_FAILURE / runs));
        for (const x of probabilities) expect(x >= 0 && x <= 1).toBe(true);
      }),
      { numRuns: runs },
    );
  });

  test("the spread controls the variance: default 4 gives p (1-p) / 5", () => {
    // The sample variance of N = 20000 Beta(2, 2) draws (p = 1/2, s = 4; true variance 0.05). Each
    // (p_i - 1/2)^2 lies in [0, 1/4]: Hoeffding on the sum scaled by 4, delta = 1e-9 / 2 checks.
    const N = 20000;
    const t = hoeffdingDeviation(N, TOTAL_FALSE_FAILURE / 2) / 4 / N;
    const around = (xs: Float64Array) => xs.reduce((s, x) => s + (x - 0.5) ** 2, 0) / N;
    expect(Math.abs(around(betaDecider(0.5, 8, N).probabilities()) - 0.25 / (DEFAULT_SPREAD + 1))).toBeLessThanOrEqual(t);
    // s = 40: variance 0.25 / 41 = 0.0061.
    expect(Math.abs(around(betaDecider(0.5, 8, N, 40).probabilities()) - 0.25 / 41)).toBeLessThanOrEqual(t);
  });

  test("a question's probability depends on the seed and question only", () => {
    const small = betaDecider(0.6, 21, 10).probabilities();
    const large = betaDecider(0.6, 21, 1000).probabilities();
    expect([...large.subarray(0, 10)]).toEqual([...small]);
    expect([...betaDecider(0.6, 22, 10).probabilities()]).not.toEqual([...small]);
  });

  test("rates 0 and 1 are exact for every spread, and so are the verdicts", () => {
    for (const spread of [0.1, 1, 4, 100]) {
      const never = betaDecider(0, 1, 50, spread);
      const always = betaDecider(1, 1, 50, spread);
      expect(never.probabilities().every((x) => x === 0)).toBe(true);
      expect(always.probabilities().every((x) => x === 1)).toBe(true);
      for (let i = 0; i < 200; i++) {
        expect(never.decide(i % 50).correct).toBe(false);
        expect(always.decide(i % 50).correct).toBe(true);
      }
    }
  });

  test("each decision reports its question's probability", () => {
    const decider = betaDecider(0.4, 3, 20);
    const probabilities = decider.probabilities();
    for (let q = 0; q < 20; q++) expect(decider.decide(q).probability).toBe(probabilities[q]!);
  });
});

describe("difficulty mode, pass@k", () => {
  test("property: empirical pass@k matches expectedPassAtK (Hoeffding, failure probability < 1e-9)", () => {
    // Each of N questions is asked n = 8 times; given the decider's p_i, the unbiased estimator
    // passAtK(8, c_i, k) has mean 1 - (1 - p_i)^k, lies in [0, 1], and is independent across
    // questions, so its mean over questions is within hoeffdingDeviation(N, delta) / N of
    // expectedPassAtK(k). 4 values of k, 20 runs: delta = 1e-9 / 80.
    const runs = 20;
    const N = 2000;
    const n = 8;
    const ks = [1, 2, 4, 8];
    fc.assert(
      fc.property(seedArb, fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.double({ min: 0.5, max: 20, noNaN: true }), (seed, p, spread) => {
        const decider = betaDecider(p, seed, N, spread);
        const counts = new Array<number>(N).fill(0);
        for (let attempt = 0; attempt < n; attempt++) for (let q = 0; q < N; q++) if (decider.decide(q).correct) counts[q]!++;
        const t = hoeffdingDeviation(N, TOTAL_FALSE_FAILURE / (runs * ks.length)) / N;
        for (const k of ks) {
          const empirical = mean(counts.map((c) => passAtK(n, c, k)));
          expect(Math.abs(empirical - decider.expectedPassAtK(k))).toBeLessThanOrEqual(t);
        }
      }),
      { numRuns: runs },
    );
  });

  test("expectedPassAtK is mean 1 - (1 - p_i)^k and matches the Beta's pass@k", () => {
    const N = 5000;
    const decider = betaDecider(0.3, 4, N);
    const probabilities = decider.probabilities();
    expect(decider.expectedPassAtK(3)).toBeCloseTo(mean(probabilities.map((x) => 1 - (1 - x) ** 3)), 12);
    expect(decider.expectedPassAtK(0)).toBe(0);
    // For x ~ Beta(a, b), E[(1 - x)^k] = prod_{i<k} (b + i) / (a + b + i). With a = 1.2, b = 2.8
    // that makes pass@8 = 0.7963, well below random mode's 1 - 0.7^8 = 0.9424 (Jensen: spreading
    // the p_i lowers pass@k). The mean of N i.i.d. values in [0, 1] is within
    // hoeffdingDeviation(N, 1e-9) / N = 0.046 of it, failure probability < 1e-9.
    let miss = 1;
    for (let i = 0; i < 8; i++) miss *= (2.8 + i) / (4 + i);
    expect(Math.abs(decider.expectedPassAtK(8) - (1 - miss))).toBeLessThanOrEqual(hoeffdingDeviation(N, TOTAL_FALSE_FAILURE) / N);
    const random = new Decider({ mode: "random", successRate: 0.3, seed: 4, questionCount: N });
    expect(random.expectedPassAtK(8)).toBe(1 - 0.7 ** 8);
    expect(1 - miss).toBeLessThan(random.expectedPassAtK(8) - 0.1);
  });
});

describe("difficulty mode, dataset source", () => {
  const datasetDecider = (successRate: number, difficulties: readonly (number | undefined)[]) =>
    new Decider({ mode: "difficulty", difficultySource: "dataset", successRate, seed: 1, questionCount: difficulties.length, difficulties });

  test("property: the mean over questions is p, and harder questions get lower probabilities", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true }),
        fc.array(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }), { minLength: 1, maxLength: 200 }),
        (p, difficulties) => {
          const probabilities = datasetDecider(p, difficulties).probabilities();
          expect(Math.abs(mean(probabilities) - p)).toBeLessThanOrEqual(1e-12 + 1e-9 * p);
          const known = difficulties.filter((d): d is number => d !== undefined);
          const fallback = known.length > 0 ? known.reduce((s, d) => s + d, 0) / known.length : 0.5;
          const effective = difficulties.map((d) => d ?? fallback);
          for (let i = 0; i < effective.length; i++) {
            for (let j = 0; j < effective.length; j++) {
              if (effective[i]! < effective[j]!) expect(probabilities[i]!).toBeGreaterThanOrEqual(probabilities[j]!);
              if (effective[i] === effective[j]) expect(probabilities[i]).toBe(probabilities[j]!);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("equal or unknown difficulties give every question p; extremes of p are exact", () => {
    expect([...datasetProbabilities(0.3, [0.7, 0.7, 0.7])].every((x) => Math.abs(x - 0.3) < 1e-12)).toBe(true);
    expect([...datasetProbabilities(0.3, [undefined, undefined])].every((x) => Math.abs(x - 0.3) < 1e-12)).toBe(true);
    expect([...datasetProbabilities(0, [0, 0.5, 1])]).toEqual([0, 0, 0]);
    expect([...datasetProbabilities(1, [0, 0.5, 1])]).toEqual([1, 1, 1]);
    // An unknown difficulty is treated as the mean of the known ones (here 0.5).
    const [easy, unknown, middle, hard] = datasetProbabilities(0.6, [0, undefined, 0.5, 1]);
    expect(unknown).toBe(middle!);
    expect(easy!).toBeGreaterThan(middle!);
    expect(middle!).toBeGreaterThan(hard!);
  });

  test("difficulties must match the questions and lie in [0, 1]", () => {
    const make = (difficulties: readonly (number | undefined)[] | undefined, questionCount = 3) =>
      new Decider({ mode: "difficulty", difficultySource: "dataset", successRate: 0.5, seed: 1, questionCount, difficulties });
    expect(() => make(undefined)).toThrow(RangeError);
    expect(() => make([0.1, 0.2])).toThrow(RangeError);
    expect(() => make([0.1, 0.2, 1.5])).toThrow(RangeError);
    expect(() => make([0.1, NaN, 0.5])).toThrow(RangeError);
    expect(make([0.1, undefined, 0.9]).probabilities().length).toBe(3);
  });
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { keyedBeta, keyedLogGamma, keyedNormal } from "../../src/decide/beta.ts";
import { binomialTailBound } from "../../src/decide/stats.ts";
import { TOTAL_FALSE_FAILURE } from "../stats.ts";

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const N = 20000;
const GRID = Array.from({ length: 19 }, (_, i) => (i + 1) / 20);

/**
 * Dvoretzky–Kiefer–Wolfowitz: for n i.i.d. draws, P(sup_x |F_n(x) - F(x)| > e) <= 2 exp(-2 n e^2).
 * Checking on a grid only looks at part of the sup, so the same e bounds it.
 */
function dkwEpsilon(n: number, delta: number): number {
  return Math.sqrt(Math.log(2 / delta) / (2 * n));
}

function maxCdfGap(draws: Float64Array, cdf: (x: number) => number, grid: readonly number[]): number {
  const sorted = draws.slice().sort();
  let gap = 0;
  for (const x of grid) {
    let below = 0;
    while (below < sorted.length && sorted[below]! <= x) below++;
    gap = Math.max(gap, Math.abs(below / sorted.length - cdf(x)));
  }
  return gap;
}

describe("keyedBeta", () => {
  // Shapes with a closed-form CDF, covering alpha < 1 (boosted gamma) and alpha >= 1
  // (Marsaglia–Tsang directly). One DKW check per case; delta = 1e-9 / 6 cases.
  const cases: [string, number, number, (x: number) => number][] = [
    ["Beta(1, 1)", 1, 1, (x) => x],
    ["Beta(2, 1)", 2, 1, (x) => x * x],
    ["Beta(5, 1)", 5, 1, (x) => x ** 5],
    ["Beta(1, 3)", 1, 3, (x) => 1 - (1 - x) ** 3],
    ["Beta(1/2, 1/2)", 0.5, 0.5, (x) => (2 / Math.PI) * Math.asin(Math.sqrt(x))],
    ["Beta(0.2, 1)", 0.2, 1, (x) => x ** 0.2],
  ];
  const epsilon = dkwEpsilon(N, TOTAL_FALSE_FAILURE / cases.length);
  for (const [name, alpha, beta, cdf] of cases) {
    test(`${name} draws follow its CDF (DKW, failure probability < 1e-9 over all cases)`, () => {
      const draws = Float64Array.from({ length: N }, (_, i) => keyedBeta(alpha, beta, 77, [i]));
      expect(maxCdfGap(draws, cdf, GRID)).toBeLessThan(epsilon);
    });
  }

  test("zero shapes are the exact limits; tiny shapes stay in [0, 1]", () => {
    expect(keyedBeta(0, 3, 1, [1])).toBe(0);
    expect(keyedBeta(3, 0, 1, [1])).toBe(1);
    fc.assert(
      fc.property(seedArb, fc.double({ min: 1e-6, max: 100, noNaN: true }), fc.double({ min: 1e-6, max: 100, noNaN: true }), (seed, a, b) => {
        const x = keyedBeta(a, b, seed, [3]);
        return x >= 0 && x <= 1 && x === keyedBeta(a, b, seed, [3]);
      }),
      { numRuns: 2000 },
    );
    expect(() => keyedBeta(0, 0, 1, [])).toThrow(RangeError);
    expect(() => keyedBeta(-1, 2, 1, [])).toThrow(RangeError);
  });
});

describe("keyedLogGamma and keyedNormal", () => {
  test("Gamma(1) and Gamma(2) follow their CDFs (DKW, failure probability < 1e-9 over both)", () => {
    const epsilon = dkwEpsilon(N, TOTAL_FALSE_FAILURE / 2);
    const grid = Array.from({ length: 30 }, (_, i) => (i + 1) / 5);
    const g1 = Float64Array.from({ length: N }, (_, i) => Math.exp(keyedLogGamma(1, 5, [i])));
    expect(maxCdfGap(g1, (x) => 1 - Math.exp(-x), grid)).toBeLessThan(epsilon);
    const g2 = Float64Array.from({ length: N }, (_, i) => Math.exp(keyedLogGamma(2, 5, [i])));
    expect(maxCdfGap(g2, (x) => 1 - Math.exp(-x) * (1 + x), grid)).toBeLessThan(epsilon);
  });

  test("normal draws: P(|Z| < 1) = 0.6827 and P(Z < 0) = 1/2 (binomial, failure probability < 1e-9)", () => {
    const draws = Array.from({ length: N }, (_, i) => keyedNormal(11, [i]));
    const within = draws.filter((z) => Math.abs(z) < 1).length;
    const negative = draws.filter((z) => z < 0).length;
    expect(Math.abs(within - 0.682689492 * N)).toBeLessThanOrEqual(binomialTailBound(N, 0.682689492, TOTAL_FALSE_FAILURE / 2));
    expect(Math.abs(negative - N / 2)).toBeLessThanOrEqual(binomialTailBound(N, 0.5, TOTAL_FALSE_FAILURE / 2));
  });
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { below, uniform } from "../../src/decide/random.ts";
import { hoeffdingBound, TOTAL_FALSE_FAILURE } from "../stats.ts";

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const keysArb = fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 4 });

describe("uniform", () => {
  test("property: always in [0, 1)", () => {
    fc.assert(
      fc.property(seedArb, keysArb, (seed, keys) => {
        const u = uniform(seed, keys);
        return Number.isFinite(u) && u >= 0 && u < 1;
      }),
      { numRuns: 2000 },
    );
  });

  test("property: a pure function of seed and keys", () => {
    fc.assert(fc.property(seedArb, keysArb, (seed, keys) => uniform(seed, keys) === uniform(seed, [...keys])));
  });

  test("different seeds give different draws for the same keys", () => {
    const draws = new Set<number>();
    for (let seed = 0; seed < 1000; seed++) draws.add(uniform(seed, [3, 0]));
    // 53-bit values: a collision among 1000 draws has probability ~1e-10 for a good hash.
    expect(draws.size).toBe(1000);
  });

  test("different keys, including key order and length, give different draws", () => {
    const draws = new Set<number>();
    for (let q = 0; q < 100; q++) for (let a = 0; a < 10; a++) draws.add(uniform(7, [q, a]));
    draws.add(uniform(7, []));
    draws.add(uniform(7, [0]));
    draws.add(uniform(7, [0, 0, 0]));
    expect(draws.size).toBe(1003);
    expect(uniform(7, [1, 2])).not.toBe(uniform(7, [2, 1]));
  });

  test("mean and spread of many draws are those of U(0, 1)", () => {
    // Sum of n i.i.d. values in [0, 1]: Hoeffding P(|mean - 1/2| >= e) <= 2 exp(-2 n e^2).
    // n = 20000, delta = 1e-9 / 2 checks: e = sqrt(ln(4e9) / 40000) = 0.0235.
    const n = 20000;
    const draws = Array.from({ length: n }, (_, i) => uniform(99, [i]));
    const e = hoeffdingBound(n, TOTAL_FALSE_FAILURE / 2) / n;
    const mean = draws.reduce((s, x) => s + x, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(e);
    // Fraction below 1/4 is Binomial(n, 1/4)/n.
    const lowQuarter = draws.filter((x) => x < 0.25).length / n;
    expect(Math.abs(lowQuarter - 0.25)).toBeLessThan(e);
  });
});

describe("below", () => {
  test("property: an integer in [0, n)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), seedArb, keysArb, (n, seed, keys) => {
        const k = below(n, seed, keys);
        return Number.isInteger(k) && k >= 0 && k < n;
      }),
    );
  });

  test("below(1) is always 0 and every value of a small range occurs", () => {
    expect(below(1, 5, [1])).toBe(0);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(below(7, 5, [i]));
    // P(some value never occurs in 500 draws) <= 7 (6/7)^500 ~ 1e-33.
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});

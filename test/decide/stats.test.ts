import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { bernsteinDeviation, binomialTailBound, hoeffdingDeviation, passAtK, wilson95 } from "../../src/decide/stats.ts";

/** C(n, k) as an exact BigInt, for checking passAtK against its definition. */
function choose(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

describe("wilson95", () => {
  test("known values", () => {
    // 8 of 10: the textbook Wilson interval is [0.4902, 0.9433].
    const { low, high } = wilson95(8, 10);
    expect(low).toBeCloseTo(0.4902, 4);
    expect(high).toBeCloseTo(0.9433, 4);
    expect(wilson95(0, 0)).toEqual({ low: 0, high: 1 });
    expect(wilson95(0, 20).low).toBe(0);
    expect(wilson95(20, 20).high).toBe(1);
  });

  test("property: contains the observed rate, stays in [0, 1], narrows with n", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100000 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))), ([s, n]) => {
        const { low, high } = wilson95(s, n);
        expect(low).toBeGreaterThanOrEqual(0);
        expect(high).toBeLessThanOrEqual(1);
        expect(low).toBeLessThanOrEqual(s / n + 1e-12);
        expect(high).toBeGreaterThanOrEqual(s / n - 1e-12);
        const wider = wilson95(s, n);
        const quadrupled = wilson95(4 * s, 4 * n);
        expect(quadrupled.high - quadrupled.low).toBeLessThan(wider.high - wider.low);
      }),
    );
  });

  test("bad counts are refused", () => {
    expect(() => wilson95(3, 2)).toThrow(RangeError);
    expect(() => wilson95(-1, 2)).toThrow(RangeError);
    expect(() => wilson95(0.5, 2)).toThrow(RangeError);
  });
});

describe("passAtK", () => {
  test("property: equals 1 - C(n-c, k) / C(n, k)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }), fc.integer({ min: 1, max: n }))),
        ([n, c, k]) => {
          const exact = 1 - Number((choose(n - c, k) * 10n ** 15n) / choose(n, k)) / 1e15;
          expect(Math.abs(passAtK(n, c, k) - exact)).toBeLessThan(1e-12);
        },
      ),
    );
  });

  test("edge cases: pass@1 is c/n, no successes 0, too few failures 1", () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 15);
    expect(passAtK(10, 0, 5)).toBe(0);
    expect(passAtK(10, 6, 5)).toBe(1);
    expect(passAtK(5, 5, 5)).toBe(1);
    expect(() => passAtK(5, 1, 6)).toThrow(RangeError);
    expect(() => passAtK(5, 6, 1)).toThrow(RangeError);
  });
});

describe("tail bounds", () => {
  test("Hoeffding and Bernstein deviations solve their bounds for delta", () => {
    const n = 1000, delta = 1e-9, v = 0.01;
    const h = hoeffdingDeviation(n, delta);
    expect(2 * Math.exp((-2 * h * h) / n)).toBeCloseTo(delta, 20);
    const b = bernsteinDeviation(n, v, delta);
    expect(2 * Math.exp(-(b * b) / (2 * n * v + (2 * b) / 3))).toBeCloseTo(delta, 20);
  });

  test("binomialTailBound is the tighter one: Bernstein near 0 and 1, Hoeffding at 1/2", () => {
    expect(binomialTailBound(10000, 0.01, 1e-9)).toBe(bernsteinDeviation(10000, 0.0099, 1e-9));
    expect(binomialTailBound(10000, 0.01, 1e-9)).toBeLessThan(hoeffdingDeviation(10000, 1e-9) / 2);
    expect(binomialTailBound(10000, 0.5, 1e-9)).toBe(hoeffdingDeviation(10000, 1e-9));
  });
});

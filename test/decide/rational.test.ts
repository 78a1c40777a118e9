import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { limitDenominator, MAX_DENOMINATOR } from "../../src/decide/rational.ts";

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

describe("limitDenominator", () => {
  test("decimal rates come back as their exact fractions", () => {
    expect(limitDenominator(0.35)).toEqual({ numerator: 7, denominator: 20 });
    expect(limitDenominator(0.1)).toEqual({ numerator: 1, denominator: 10 });
    expect(limitDenominator(0.123456)).toEqual({ numerator: 1929, denominator: 15625 });
    expect(limitDenominator(1 / 3)).toEqual({ numerator: 1, denominator: 3 });
    expect(limitDenominator(0)).toEqual({ numerator: 0, denominator: 1 });
    expect(limitDenominator(1)).toEqual({ numerator: 1, denominator: 1 });
    expect(limitDenominator(0.5)).toEqual({ numerator: 1, denominator: 2 });
  });

  test("property: k / b with b <= 2^20 is recovered exactly, in lowest terms", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_DENOMINATOR }).chain((b) => fc.tuple(fc.integer({ min: 0, max: b }), fc.constant(b))),
        ([k, b]) => {
          const g = gcd(k, b);
          expect(limitDenominator(k / b)).toEqual({ numerator: k / g, denominator: b / g });
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("property: any rate gets a fraction at least as close as the nearest multiple of 2^-20", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (x) => {
        const { numerator, denominator } = limitDenominator(x);
        expect(denominator).toBeGreaterThanOrEqual(1);
        expect(denominator).toBeLessThanOrEqual(MAX_DENOMINATOR);
        expect(numerator).toBeGreaterThanOrEqual(0);
        expect(numerator).toBeLessThanOrEqual(denominator);
        const grid = Math.round(x * MAX_DENOMINATOR) / MAX_DENOMINATOR;
        // Allow a few ulps: the comparison itself is done in doubles here.
        expect(Math.abs(numerator / denominator - x)).toBeLessThanOrEqual(Math.abs(grid - x) + 1e-15);
      }),
      { numRuns: 2000 },
    );
  });

  test("rates outside [0, 1] are refused", () => {
    for (const bad of [-0.1, 1.5, NaN, Infinity]) expect(() => limitDenominator(bad)).toThrow(RangeError);
  });
});

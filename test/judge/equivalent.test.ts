/** Answer equivalence as a careful grader judges it: same value or same expression, whatever the spelling. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { equivalentAnswers } from "../../src/judge/extract.ts";
import { rationalValue } from "../../src/judge/numeric.ts";

const EQUIVALENT: [string, string][] = [
  ["1,000", "1000"],
  ["1000", "1000.0"],
  ["033", "33"],
  ["+5", "5"],
  ["-0", "0"],
  ["\\frac{1}{2}", "0.5"],
  ["\\frac{1}{2}", "1/2"],
  ["\\dfrac12", "\\frac{1}{2}"],
  ["\\tfrac{3}{4}", "0.75"],
  ["\\frac 34", "3/4"],
  ["-\\frac{1}{2}", "-0.5"],
  ["\\frac{-1}{2}", "-1/2"],
  ["2/(-3)", "-2/3"],
  ["(C)", "C"],
  ["c", "C"],
  ["[B]", "b"],
  ["$5$", "5"],
  ["\\(5\\)", "5"],
  ["\\text{5}", "5"],
  ["\\boxed{12}", "12"],
  [" 7 ", "7"],
  ["72 degrees", "72"],
  ["64", "64 square feet"],
  ["75^\\circ", "75"],
  ["50\\%", "50"],
  ["\\$32,\\!348", "32348"],
  ["\\sqrt3", "\\sqrt{3}"],
  ["11\\sqrt2", "11\\sqrt{2}"],
  ["x^{2}", "x^2"],
  ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"],
  ["\\text{even}", "Even"],
  ["2x + 3", "2x+3"],
];

const DIFFERENT: [string, string][] = [
  ["33", "34"],
  ["\\frac{1}{2}", "\\frac{1}{3}"],
  ["0.5", "0.51"],
  ["C", "D"],
  ["1,000", "1,001"],
  ["(1,2)", "(2,1)"],
  ["\\sqrt{2}", "\\sqrt{3}"],
  ["12", ""],
  ["", ""],
  ["no answer", "33"],
  ["2x+3", "3x+2"],
];

describe("equivalentAnswers", () => {
  for (const [a, b] of EQUIVALENT) {
    test(`${a} = ${b}`, () => {
      expect(equivalentAnswers(a, b)).toBe(true);
      expect(equivalentAnswers(b, a)).toBe(true);
    });
  }
  for (const [a, b] of DIFFERENT) {
    test(`${a} != ${b}`, () => {
      expect(equivalentAnswers(a, b)).toBe(false);
      expect(equivalentAnswers(b, a)).toBe(false);
    });
  }

  test("exact arithmetic: no float rounding (0.1 + 0.2 style traps, 20-digit integers)", () => {
    expect(equivalentAnswers("\\frac{1}{3}", "0.333333333333333333")).toBe(false);
    expect(equivalentAnswers("12345678901234567890", "12345678901234567891")).toBe(false);
    expect(equivalentAnswers("12345678901234567890", "12,345,678,901,234,567,890")).toBe(true);
    expect(rationalValue("\\frac{1}{0}")).toBeUndefined();
  });

  test("property: an integer equals its grouped, padded, signed, decimal and fraction spellings", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 9 }), (n, k) => {
        const grouped = n.toLocaleString("en-US");
        expect(equivalentAnswers(String(n), grouped)).toBe(true);
        expect(equivalentAnswers(String(n), `00${n}`)).toBe(true);
        expect(equivalentAnswers(String(n), `+${n}`)).toBe(true);
        expect(equivalentAnswers(String(n), `${n}.000`)).toBe(true);
        expect(equivalentAnswers(String(n), `\\frac{${n * k}}{${k}}`)).toBe(true);
        expect(equivalentAnswers(String(n), `${n * k}/${k}`)).toBe(true);
        expect(equivalentAnswers(String(n), String(n + 1))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  test("property: p/q equals its decimal when that decimal is finite, and not a neighbour", () => {
    fc.assert(
      fc.property(fc.integer({ min: -500, max: 500 }), fc.constantFrom(2, 4, 5, 8, 10, 16, 20, 25), (p, q) => {
        const decimal = String(p / q); // finite for denominators 2^a 5^b
        expect(equivalentAnswers(`\\frac{${p}}{${q}}`, decimal)).toBe(true);
        expect(equivalentAnswers(`${p}/${q}`, decimal)).toBe(true);
        expect(equivalentAnswers(`\\frac{${p + 1}}{${q}}`, decimal)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

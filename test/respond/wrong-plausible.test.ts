import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { answerPool, wrongAnswer, wrongFor } from "../../src/respond/wrong.ts";
import { exactValue, sameValue } from "../../src/respond/forms.ts";

describe("plausible wrong answers for integer golds (the shortcut without exact values)", () => {
  test("are wrongAnswer's first draw, never the gold's value, inside the pool's range when the gold is", () => {
    const pools = [answerPool(["0", "999", "33"]), answerPool(["-8", "0"]), answerPool(["1000000", "72", "5"]), answerPool(["\\frac{1}{2}", "abc"])];
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.constantFrom(...pools), fc.nat(), fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), (n, pool, seed, keys) => {
        const gold = String(n);
        const wrong = wrongFor("plausible", gold, pool, seed, keys)!;
        expect(wrong).toBe(wrongAnswer(gold, pool, seed, keys));
        expect(sameValue(exactValue(wrong)!, exactValue(gold)!)).toBe(false);
        const range = pool.integerRange;
        if (range && n >= range.min && n <= range.max && range.max > range.min) {
          expect(Number(wrong)).toBeGreaterThanOrEqual(range.min);
          expect(Number(wrong)).toBeLessThanOrEqual(range.max);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

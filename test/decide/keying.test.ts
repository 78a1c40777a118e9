import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Decider, type DeciderOptions, type Mode, type Verdict } from "../../src/decide/decide.ts";
import { binomialTailBound } from "../../src/decide/stats.ts";
import { TOTAL_FALSE_FAILURE } from "../stats.ts";

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const MODES: readonly Mode[] = ["random", "fixed", "exact", "difficulty"];

function make(mode: Mode, successRate: number, seed: number, questionCount: number, extra: Partial<DeciderOptions> = {}): Decider {
  return new Decider({ mode, successRate, seed, questionCount, ...extra });
}

describe("greedy (temperature 0)", () => {
  for (const mode of ["random", "difficulty"] as const) {
    test(`property (${mode}): every attempt of a question gets the same verdict and keys [question]`, () => {
      fc.assert(
        fc.property(seedArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 100 }), (seed, p, asks) => {
          const decider = make(mode, p, seed, 10, { greedy: true });
          const first = new Map<number, boolean>();
          for (const q of asks) {
            const d = decider.decide(q, { temperature: 0 });
            expect(d.keys).toEqual([q]);
            if (!first.has(q)) first.set(q, d.correct);
            expect(d.correct).toBe(first.get(q)!);
          }
          // And it is the same in a fresh process.
          const other = make(mode, p, seed, 10, { greedy: true });
          for (const [q, correct] of first) expect(other.decide(q, { temperature: 0 }).correct).toBe(correct);
        }),
        { numRuns: 200 },
      );
    });
  }

  test("only with --greedy and only at temperature <= 0", () => {
    const greedy = make("random", 0.5, 1, 4, { greedy: true });
    const plain = make("random", 0.5, 1, 4);
    greedy.decide(2);
    expect(greedy.decide(2, { temperature: 0.7 }).keys).toEqual([2, 1]);
    expect(greedy.decide(2, { temperature: -1 }).keys).toEqual([2]);
    expect(greedy.decide(2).keys).toEqual([2, 3]); // no temperature: llama-server's default 0.8
    plain.decide(2);
    expect(plain.decide(2, { temperature: 0 }).keys).toEqual([2, 1]);
  });

  test("property: greedy verdicts over questions are still Binomial(N, p) (failure probability < 1e-9)", () => {
    // Keyed by question alone, each question's verdict is an independent Bernoulli(p).
    // delta = 1e-9 / 50 runs.
    const runs = 50;
    const N = 2000;
    fc.assert(
      fc.property(seedArb, fc.double({ min: 0, max: 1, noNaN: true }), (seed, p) => {
        const decider = make("random", p, seed, N, { greedy: true });
        let correct = 0;
        for (let q = 0; q < N; q++) if (decider.decide(q, { temperature: 0 }).correct) correct++;
        expect(Math.abs(correct - N * p)).toBeLessThanOrEqual(binomialTailBound(N, p, TOTAL_FALSE_FAILURE / runs));
      }),
      { numRuns: runs },
    );
  });
});

describe("request seed", () => {
  for (const mode of ["random", "difficulty"] as const) {
    test(`property (${mode}): the same request seed gives the same verdict and keys on every attempt`, () => {
      fc.assert(
        fc.property(seedArb, fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 })), { maxLength: 100 }), (seed, asks) => {
          const decider = make(mode, 0.5, seed, 5);
          const seen = new Map<string, boolean>();
          for (const [q, requestSeed] of asks) {
            const d = decider.decide(q, { requestSeed });
            expect(d.keys).toEqual([q, 0x5eed, requestSeed]);
            const key = `${q}/${requestSeed}`;
            if (!seen.has(key)) seen.set(key, d.correct);
            expect(d.correct).toBe(seen.get(key)!);
          }
        }),
        { numRuns: 200 },
      );
    });
  }

  test("different request seeds give independent verdicts (failure probability < 1e-9)", () => {
    // One question, 2000 request seeds at p = 1/2: the correct count is Binomial(2000, 1/2).
    const decider = make("random", 0.5, 3, 1);
    let correct = 0;
    for (let s = 0; s < 2000; s++) if (decider.decide(0, { requestSeed: s }).correct) correct++;
    expect(Math.abs(correct - 1000)).toBeLessThanOrEqual(binomialTailBound(2000, 0.5, TOTAL_FALSE_FAILURE));
  });

  test("-1 (llama-server's random seed) counts as no seed; greedy temperature 0 wins over a seed", () => {
    const decider = make("random", 0.5, 3, 2, { greedy: true });
    expect(decider.decide(1, { requestSeed: -1 }).keys).toEqual([1, 0]);
    expect(decider.decide(1, { requestSeed: 0xffffffff }).keys).toEqual([1, 1]);
    expect(decider.decide(1, { requestSeed: 9, temperature: 0 }).keys).toEqual([1]);
    expect(decider.decide(1, { requestSeed: 9, temperature: 1 }).keys).toEqual([1, 0x5eed, 9]);
  });
});

describe("overrides", () => {
  const verdicts: readonly Verdict[] = ["correct", "wrong", "no-answer", "error"];
  for (const mode of MODES) {
    test(`property (${mode}): a forced verdict wins, is reported, and counts in the totals`, () => {
      fc.assert(
        fc.property(seedArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.option(fc.constantFrom(...verdicts), { nil: undefined })), { maxLength: 60 }), (seed, p, asks) => {
          const decider = make(mode, p, seed, 6);
          let correct = 0;
          asks.forEach(([q, override], i) => {
            const d = decider.decide(q, { override });
            if (d.correct) correct++;
            expect(d.forced).toBe(override);
            if (override !== undefined) expect(d.correct).toBe(override === "correct");
            expect(decider.totals).toEqual({ asked: i + 1, correct, wrong: i + 1 - correct });
          });
        }),
        { numRuns: 100 },
      );
    });
  }

  test("an override still counts as an attempt of its question", () => {
    const decider = make("random", 0.5, 1, 2);
    expect(decider.decide(0, { override: "error" }).attempt).toBe(0);
    expect(decider.decide(0).attempt).toBe(1);
  });
});

describe("reset and edges, every mode", () => {
  for (const mode of MODES) {
    test(`${mode}: reset clears attempts and totals, and the same asks replay the same decisions`, () => {
      const decider = make(mode, 0.45, 17, 8);
      const asks = Array.from({ length: 200 }, (_, i) => (i * 5) % 8);
      const first = asks.map((q) => decider.decide(q));
      decider.reset();
      expect(decider.totals).toEqual({ asked: 0, correct: 0, wrong: 0 });
      expect(asks.map((q) => decider.decide(q))).toEqual(first);
    });

    test(`property (${mode}): rate 0 is never correct and rate 1 always, whatever the request`, () => {
      fc.assert(
        fc.property(seedArb, fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), fc.constantFrom(undefined, 0, 0.8)), { maxLength: 100 }), (seed, asks) => {
          const never = make(mode, 0, seed, 10, { greedy: true });
          const always = make(mode, 1, seed, 10, { greedy: true });
          for (const [q, requestSeed, temperature] of asks) {
            expect(never.decide(q, { requestSeed, temperature }).correct).toBe(false);
            expect(always.decide(q, { requestSeed, temperature }).correct).toBe(true);
          }
        }),
        { numRuns: 100 },
      );
    });
  }

  test("probabilities are p outside difficulty mode, and decisions report it", () => {
    for (const mode of ["random", "fixed", "exact"] as const) {
      const decider = make(mode, 0.7, 1, 4);
      expect([...decider.probabilities()]).toEqual([0.7, 0.7, 0.7, 0.7]);
      expect(decider.decide(3).probability).toBe(0.7);
    }
  });

  test("bad options and questions are refused", () => {
    expect(() => make("random", 1.5, 1, 4)).toThrow(RangeError);
    expect(() => make("random", NaN, 1, 4)).toThrow(RangeError);
    expect(() => make("random", 0.5, -1, 4)).toThrow(RangeError);
    expect(() => make("random", 0.5, 2 ** 32, 4)).toThrow(RangeError);
    expect(() => make("random", 0.5, 1, 1.5)).toThrow(RangeError);
    expect(() => make("bogus" as Mode, 0.5, 1, 4)).toThrow(RangeError);
    expect(() => make("difficulty", 0.5, 1, 4, { spread: 0 })).toThrow(RangeError);
    const decider = make("random", 0.5, 1, 4);
    for (const q of [-1, 4, 1.5, NaN]) expect(() => decider.decide(q)).toThrow(RangeError);
    expect(decider.totals.asked).toBe(0);
  });
});

test("difficulties are ignored, not checked, outside difficulty mode's dataset source", () => {
  const difficulties = [2, -1, undefined];
  expect(() => new Decider({ mode: "random", successRate: 0.5, seed: 1, questionCount: 3, difficulties })).not.toThrow();
  expect(() => new Decider({ mode: "difficulty", successRate: 0.5, seed: 1, questionCount: 3, difficulties })).not.toThrow();
  expect(() => new Decider({ mode: "difficulty", difficultySource: "dataset", successRate: 0.5, seed: 1, questionCount: 3, difficulties })).toThrow(RangeError);
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Decider } from "../../src/decide/decide.ts";
import { ExactSchedule } from "../../src/decide/exact.ts";
import { MAX_DENOMINATOR } from "../../src/decide/rational.ts";
import { binomialTailBound, hoeffdingDeviation } from "../../src/decide/stats.ts";
import { TOTAL_FALSE_FAILURE } from "../stats.ts";

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });

/** floor(a n / b) <= c <= ceil(a n / b), decided on integers only (no float rounding). */
function inBand(c: number, a: number, b: number, n: number): boolean {
  // c >= floor(x) <=> c > x - 1 <=> c b > a n - b;  c <= ceil(x) <=> c < x + 1 <=> c b < a n + b.
  return c * b > a * n - b && c * b < a * n + b;
}

function exactDecider(successRate: number, seed: number, questionCount: number): Decider {
  return new Decider({ mode: "exact", successRate, seed, questionCount });
}

describe("exact mode: every prefix is floor(p n) or ceil(p n)", () => {
  test("exhaustively for every a/b with b <= 24, 3 seeds, 400 steps", () => {
    for (let b = 1; b <= 24; b++) {
      for (let a = 0; a <= b; a++) {
        for (const seed of [0, 1, 0xdeadbeef]) {
          const schedule = new ExactSchedule({ numerator: a, denominator: b }, seed);
          let c = 0;
          for (let n = 1; n <= 400; n++) {
            if (schedule.next()) c++;
            if (!inBand(c, a, b, n)) throw new Error(`a/b = ${a}/${b}, seed ${seed}: ${c} correct after ${n}`);
          }
        }
      }
    }
  });

  test("property: through the Decider, any fraction, any questions, overrides in between", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_DENOMINATOR }).chain((b) => fc.tuple(fc.integer({ min: 0, max: b }), fc.constant(b))),
        seedArb,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 29 }), fc.constantFrom(undefined, undefined, undefined, "correct" as const, "wrong" as const)), { minLength: 1, maxLength: 3000 }),
        ([a, b], seed, asks) => {
          const decider = exactDecider(a / b, seed, 30);
          let scored = 0;
          let correct = 0;
          for (const [q, override] of asks) {
            const d = decider.decide(q, { override });
            // A forced reply is not scored and does not move the schedule.
            if (override !== undefined) continue;
            scored++;
            if (d.correct) correct++;
            if (!inBand(correct, a, b, scored)) throw new Error(`${a}/${b}: ${correct} correct after ${scored}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("property: decimal rates are exact (0.35 means 35 in every 100)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), seedArb, (k, seed) => {
        const decider = exactDecider(k / 1000, seed, 7);
        let correct = 0;
        for (let n = 1; n <= 2000; n++) {
          if (decider.decide(n % 7).correct) correct++;
          if (!inBand(correct, k, 1000, n)) throw new Error(`${k}/1000: ${correct} correct after ${n}`);
        }
        expect(correct).toBe(2 * k);
      }),
      { numRuns: 100 },
    );
  });
});

describe("exact mode: spread over questions", () => {
  test("property: each question, asked once per pass in a fixed order, is right on Binomial(passes, p) of them", () => {
    // The schedule forgets its past whenever p n is an integer (every b steps), and each step is
    // right with probability exactly p, so with N a multiple of b a question's count over R passes
    // is Binomial(R, p). A fixed-offset schedule would give the same questions every pass (count 0
    // or R). Checks: N per run, 30 runs; delta = 1e-9 / (30 * N) per check.
    const runs = 30;
    const R = 2000;
    fc.assert(
      fc.property(seedArb, fc.constantFrom([1, 2, 10], [1, 3, 9], [2, 5, 10], [7, 10, 10], [1, 4, 8]), (seed, [a, b, N]) => {
        const p = a! / b!;
        const decider = exactDecider(p, seed, N!);
        const counts = new Array<number>(N!).fill(0);
        for (let pass = 0; pass < R; pass++) for (let q = 0; q < N!; q++) if (decider.decide(q).correct) counts[q]!++;
        const t = binomialTailBound(R, p, TOTAL_FALSE_FAILURE / (runs * N!));
        for (const count of counts) expect(Math.abs(count - R * p)).toBeLessThanOrEqual(t);
      }),
      { numRuns: runs },
    );
  });

  test("property: one seed's schedule is not another's", () => {
    // At p = 1/2 each pair of steps holds one success, at a fair coin's position: two seeds give
    // the same first 2000 verdicts with probability 2^-1000.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 2 }), (seed) => {
        const run = (s: number) => {
          const d = exactDecider(0.5, s, 10);
          return Array.from({ length: 2000 }, (_, i) => d.decide(i % 10).correct);
        };
        expect(run(seed)).toEqual(run(seed));
        expect(run(seed + 1)).not.toEqual(run(seed));
      }),
      { numRuns: 20 },
    );
  });

  test("property: the successes are not tied to the question asked", () => {
    // Questions drawn at random: the correct count on even questions is within a binomial-style
    // band of half the total. Conditioned on the (independent) choice of questions, each success
    // falls on an even question with probability 1/2 independently: Binomial(correct, 1/2).
    // delta = 1e-9 / 50 runs.
    const runs = 50;
    fc.assert(
      fc.property(seedArb, fc.array(fc.integer({ min: 0, max: 19 }), { minLength: 4000, maxLength: 4000 }), (seed, qs) => {
        const decider = exactDecider(0.3, seed, 20);
        let correct = 0;
        let even = 0;
        for (const q of qs) {
          if (!decider.decide(q).correct) continue;
          correct++;
          if (q % 2 === 0) even++;
        }
        expect(correct).toBe(1200);
        expect(Math.abs(even - correct / 2)).toBeLessThanOrEqual(hoeffdingDeviation(correct, TOTAL_FALSE_FAILURE / runs));
      }),
      { numRuns: runs },
    );
  });
});

describe("exact mode: reset and keys", () => {
  test("reset replays the schedule from the start", () => {
    const decider = exactDecider(0.37, 5, 10);
    const first = Array.from({ length: 500 }, (_, i) => decider.decide(i % 10).correct);
    decider.reset();
    expect(decider.totals).toEqual({ asked: 0, correct: 0, wrong: 0 });
    const again = Array.from({ length: 500 }, (_, i) => decider.decide(i % 10));
    expect(again.map((d) => d.correct)).toEqual(first);
    expect(again[10]!.attempt).toBe(1);
  });

  test("greedy and request seeds choose the reply keys; the schedule still decides", () => {
    const decider = new Decider({ mode: "exact", successRate: 0.5, seed: 1, questionCount: 3, greedy: true });
    let correct = 0;
    for (let i = 0; i < 100; i++) {
      const d = decider.decide(i % 3, i % 2 === 0 ? { temperature: 0 } : { requestSeed: 7 });
      expect(d.keys).toEqual(i % 2 === 0 ? [i % 3] : [i % 3, 0x5eed, 7]);
      if (d.correct) correct++;
    }
    expect(correct).toBe(50);
  });

  test("rates 0 and 1", () => {
    const never = exactDecider(0, 3, 4);
    const always = exactDecider(1, 3, 4);
    for (let i = 0; i < 200; i++) {
      expect(never.decide(i % 4).correct).toBe(false);
      expect(always.decide(i % 4).correct).toBe(true);
    }
  });
});

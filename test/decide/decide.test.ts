import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Decider } from "../../src/decide/decide.ts";
import { hoeffdingBound, TOTAL_FALSE_FAILURE } from "../stats.ts";

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });

function randomDecider(successRate: number, seed: number, questionCount: number): Decider {
  return new Decider({ mode: "random", successRate, seed, questionCount });
}

function outcomes(rate: number, seed: number, questions: readonly number[], questionCount: number): boolean[] {
  const decider = randomDecider(rate, seed, questionCount);
  return questions.map((q) => decider.decide(q).correct);
}

/** Decision i asks question (i * 7) mod questionCount: every question, several times, interleaved. */
function schedule(n: number, questionCount: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7) % questionCount);
}

describe("Decider basics (random mode)", () => {
  test("rate 0 is never correct and rate 1 always", () => {
    fc.assert(
      fc.property(seedArb, (seed) => {
        const qs = schedule(300, 30);
        expect(outcomes(0, seed, qs, 30).some(Boolean)).toBe(false);
        expect(outcomes(1, seed, qs, 30).every(Boolean)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  test("outcomes carry the question, its attempt number and the keys for further draws", () => {
    const decider = randomDecider(0.5, 1, 4);
    const a = decider.decide(2);
    const b = decider.decide(3);
    const c = decider.decide(2);
    expect([a.question, a.attempt]).toEqual([2, 0]);
    expect([b.question, b.attempt]).toEqual([3, 0]);
    expect([c.question, c.attempt]).toEqual([2, 1]);
    expect(c.keys).toEqual([2, 1]);
    expect(decider.totals.asked).toBe(3);
    const correct = [a, b, c].filter((o) => o.correct).length;
    expect(decider.totals.correct).toBe(correct);
    expect(decider.totals.wrong).toBe(3 - correct);
  });

  test("same seed and same requests give the same outcomes; another seed differs", () => {
    const qs = schedule(2000, 300);
    const a = outcomes(0.5, 12345, qs, 300);
    expect(outcomes(0.5, 12345, qs, 300)).toEqual(a);
    // Two independent fair sequences of 2000 are equal with probability 2^-2000.
    expect(outcomes(0.5, 12346, qs, 300)).not.toEqual(a);
  });

  test("property: an outcome depends on (question, attempt), not on how other questions interleave", () => {
    fc.assert(
      fc.property(seedArb, fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 200 }), (seed, qs) => {
        const d1 = randomDecider(0.5, seed, 10);
        const d2 = randomDecider(0.5, seed, 10);
        const first = qs.map((q) => d1.decide(q));
        // The same asks grouped by question: each question's attempts come in the same order.
        const byQuestion = new Map<string, boolean>();
        for (const q of [...qs].sort((x, y) => x - y)) {
          const o = d2.decide(q);
          byQuestion.set(`${o.question}/${o.attempt}`, o.correct);
        }
        for (const o of first) expect(byQuestion.get(`${o.question}/${o.attempt}`)).toBe(o.correct);
      }),
      { numRuns: 100 },
    );
  });
});

describe("Decider statistics", () => {
  // One fast-check run makes CHECKS binomial checks; RUNS runs; union bound over all of them:
  // delta = 1e-9 / (RUNS * CHECKS) per check.
  //
  // Hoeffding for k ~ Binomial(n, p): P(|k - n p| >= t) <= 2 exp(-2 t^2 / n), so
  // t = sqrt(n ln(2/delta) / 2). With RUNS = 100 and CHECKS = 3, delta = 3.33e-12 and
  // ln(2/delta) = ln(6e11) = 27.12:
  //   whole sample, n = 2000:           t = sqrt(2000 * 27.12 / 2) = 164.7  (8.2% of n)
  //   even / odd questions, n ~ 1000:   t = sqrt(1000 * 27.12 / 2) = 116.4  (11.6% of n)
  // The even/odd samples' sizes are fixed by the schedule, not by the outcomes, so each count
  // is itself Binomial(n_even, p) resp. Binomial(n_odd, p) and the same bound applies.
  const RUNS = 100;
  const CHECKS = 3;
  const delta = TOTAL_FALSE_FAILURE / (RUNS * CHECKS);
  const N = 2000;

  test("property: the count of correct outcomes is Binomial(n, p), also on even and odd questions", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        seedArb,
        fc.integer({ min: 200, max: 400 }),
        (p, seed, questionCount) => {
          const qs = schedule(N, questionCount);
          const results = outcomes(p, seed, qs, questionCount);
          const k = results.filter(Boolean).length;
          expect(Math.abs(k - N * p)).toBeLessThanOrEqual(hoeffdingBound(N, delta));
          for (const parity of [0, 1]) {
            const sample = results.filter((_, i) => qs[i]! % 2 === parity);
            const kp = sample.filter(Boolean).length;
            expect(Math.abs(kp - sample.length * p)).toBeLessThanOrEqual(hoeffdingBound(sample.length, delta));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("property: outcomes of adjacent seeds are independent", () => {
    // For seeds s and s+1 at p = 1/2, the number of decisions on which they agree is
    // Binomial(2000, 1/2) if the two streams are independent. A hash that leaks the seed's low
    // bit would make them agree far too often (or too rarely). delta = 1e-9 / 50 runs:
    // t = sqrt(2000 * ln(1e11) / 2) = 159.1.
    const runs = 50;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 2 }), (seed) => {
        const qs = schedule(N, 300);
        const a = outcomes(0.5, seed, qs, 300);
        const b = outcomes(0.5, seed + 1, qs, 300);
        const agree = a.filter((x, i) => x === b[i]).length;
        expect(Math.abs(agree - N / 2)).toBeLessThanOrEqual(hoeffdingBound(N, TOTAL_FALSE_FAILURE / runs));
      }),
      { numRuns: runs },
    );
  });

  test("property: a question's later attempts are not tied to its first", () => {
    // P(correct on attempt 1 | correct on attempt 0) must still be p. With 1000 questions each
    // asked twice at p = 1/2, the number of questions whose two outcomes agree is
    // Binomial(1000, 1/2). delta = 1e-9 / 50 runs: t = sqrt(1000 * ln(1e11) / 2) = 112.5.
    const runs = 50;
    fc.assert(
      fc.property(seedArb, (seed) => {
        const decider = randomDecider(0.5, seed, 1000);
        let agree = 0;
        for (let q = 0; q < 1000; q++) if (decider.decide(q).correct === decider.decide(q).correct) agree++;
        expect(Math.abs(agree - 500)).toBeLessThanOrEqual(hoeffdingBound(1000, TOTAL_FALSE_FAILURE / runs));
      }),
      { numRuns: runs },
    );
  });
});

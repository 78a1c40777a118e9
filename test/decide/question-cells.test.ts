/**
 * One process keeps each question's attempt counter and tally cells in one block (question-cells.ts):
 * interleaved, they must count exactly as arrays of their own would, and resetting one must leave the
 * other's counts alone.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Decider } from "../../src/decide/decide.ts";
import { Ledger } from "../../src/decide/ledger.ts";
import { CELLS_PER_QUESTION, questionCells } from "../../src/decide/question-cells.ts";
import { Tally } from "../../src/decide/tally.ts";
import type { Verdict } from "../../src/decide/records.ts";

const OPTIONS = { configuredRate: 0.5, mode: "random" } as const;
const VERDICTS: readonly Verdict[] = ["correct", "wrong", "no-answer", "error"];

type Step = { kind: "ask"; q: number } | { kind: "count"; q: number; verdict: number } | { kind: "reset-attempts" } | { kind: "reset-tally" };

describe("question cells", () => {
  test("property: attempts and tally in one block count as in arrays of their own, through resets of either", () => {
    const step = (n: number): fc.Arbitrary<Step> =>
      fc.oneof(
        { weight: 6, arbitrary: fc.nat({ max: n - 1 }).map((q) => ({ kind: "ask" as const, q })) },
        { weight: 6, arbitrary: fc.record({ q: fc.nat({ max: n - 1 }), verdict: fc.nat({ max: 3 }) }).map((r) => ({ kind: "count" as const, ...r })) },
        { weight: 1, arbitrary: fc.constant({ kind: "reset-attempts" as const }) },
        { weight: 1, arbitrary: fc.constant({ kind: "reset-tally" as const }) },
      );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.array(step(n), { maxLength: 200 }))),
        ([n, steps]) => {
          const shared = questionCells(n);
          const together = { ledger: new Ledger(n, shared.attempts), tally: new Tally(n, shared.tally) };
          const apart = { ledger: new Ledger(n), tally: new Tally(n) };
          for (const s of steps) {
            for (const side of [together, apart]) {
              if (s.kind === "ask") side.ledger.nextAttempt(s.q);
              else if (s.kind === "count") side.tally.add({ dataset: "d", question: `q${s.q}`, verdict: VERDICTS[s.verdict]! }, s.q);
              else if (s.kind === "reset-attempts") side.ledger.reset();
              else side.tally.reset();
            }
          }
          for (let q = 0; q < n; q++) expect(together.ledger.peekAttempt(q)).toBe(apart.ledger.peekAttempt(q));
          expect(together.tally.stats(OPTIONS)).toEqual(apart.tally.stats(OPTIONS));
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a question's counts share one 32-byte block", () => {
    const { attempts, tally } = questionCells(3);
    const ledger = new Ledger(3, attempts);
    new Tally(3, tally).add({ dataset: "d", question: "q1", verdict: "wrong" }, 1);
    ledger.nextAttempt(1);
    ledger.nextAttempt(1);
    expect(CELLS_PER_QUESTION * Uint32Array.BYTES_PER_ELEMENT).toBe(32);
    expect([...tally.cells.subarray(8, 16)]).toEqual([0, 1, 0, 0, 2, 0, 0, 0]);
    expect([...tally.cells.subarray(0, 8)].every((c) => c === 0)).toBe(true);
  });

  test("a Decider on the shared cells numbers attempts per question from 0", () => {
    const { attempts } = questionCells(4);
    const decider = new Decider({ mode: "random", successRate: 0.5, seed: 9, questionCount: 4 }, { attempts });
    expect([0, 1, 0, 2, 1, 0].map((q) => decider.decide(q).attempt)).toEqual([0, 0, 1, 0, 1, 2]);
  });

  test("cells too few for the questions are refused", () => {
    const { attempts, tally } = questionCells(3);
    expect(() => new Ledger(4, attempts)).toThrow(/hold 3 questions, not 4/);
    expect(() => new Tally(4, tally)).toThrow(RangeError);
  });
});

import { describe, expect, test } from "bun:test";
import { attemptCells, Ledger } from "../../src/decide/ledger.ts";

describe("Ledger", () => {
  test("attempts count per question, starting at 0", () => {
    const ledger = new Ledger(3);
    expect(ledger.nextAttempt(0)).toBe(0);
    expect(ledger.nextAttempt(0)).toBe(1);
    expect(ledger.nextAttempt(2)).toBe(0);
    expect(ledger.nextAttempt(0)).toBe(2);
    expect(ledger.nextAttempt(1)).toBe(0);
    expect(ledger.nextAttempt(2)).toBe(1);
  });

  test("totals count correct and wrong answers", () => {
    const ledger = new Ledger(1);
    expect(ledger.totals).toEqual({ asked: 0, correct: 0, wrong: 0 });
    ledger.record(true);
    ledger.record(false);
    ledger.record(true);
    expect(ledger.totals).toEqual({ asked: 3, correct: 2, wrong: 1 });
  });

  test("totals carry past 2^32 in their 32-bit halves", () => {
    const cells = attemptCells(1);
    cells.totals[0] = 0xfffffffe; // correct, low half
    cells.totals[2] = 0xffffffff; // wrong, low half
    cells.totals[3] = 7; // wrong, high half
    const ledger = new Ledger(1, cells);
    ledger.record(true);
    expect(ledger.totals.correct).toBe(0xffffffff);
    ledger.record(true);
    ledger.record(false);
    expect(ledger.totals).toEqual({ asked: 2 ** 32 + 8 * 2 ** 32, correct: 2 ** 32, wrong: 8 * 2 ** 32 });
  });

  test("reset starts every question at attempt 0 again and clears the totals", () => {
    const ledger = new Ledger(2);
    ledger.nextAttempt(0);
    ledger.nextAttempt(0);
    ledger.nextAttempt(1);
    ledger.record(true);
    ledger.reset();
    expect(ledger.totals).toEqual({ asked: 0, correct: 0, wrong: 0 });
    expect(ledger.nextAttempt(0)).toBe(0);
    expect(ledger.nextAttempt(1)).toBe(0);
  });
});

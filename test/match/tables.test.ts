import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { denseTableSize, tableSize } from "../../src/match/tables.ts";

const isPowerOfTwo = (x: number) => x >= 2 && (x & (x - 1)) === 0;

describe("table sizes", () => {
  test("tableSize: the smallest power of two with load at most 1/2", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000_000 }), (n) => {
        const size = tableSize(n);
        expect(isPowerOfTwo(size)).toBe(true);
        expect(size).toBeGreaterThanOrEqual(2 * n);
        if (size > 2) expect(size / 2).toBeLessThan(2 * n);
      }),
    );
  });

  test("denseTableSize: the smallest power of two with load at most 3/4 (half tableSize's memory when n is just past a power of two)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000_000 }), (n) => {
        const size = denseTableSize(n);
        expect(isPowerOfTwo(size)).toBe(true);
        expect(3 * size).toBeGreaterThanOrEqual(4 * n);
        if (size > 2) expect(3 * (size / 2)).toBeLessThan(4 * n);
        expect(size).toBeLessThanOrEqual(tableSize(n));
      }),
    );
    // GSM8K's 11,975 words: 16,384 slots (load 0.73) rather than 32,768.
    expect(denseTableSize(11_975)).toBe(16_384);
    expect(tableSize(11_975)).toBe(32_768);
  });
});

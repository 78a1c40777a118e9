import { afterEach, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isoNow } from "../../src/server/clock.ts";

const realNow = Date.now;
afterEach(() => {
  Date.now = realNow;
});

describe("isoNow", () => {
  test("is new Date().toISOString() of the current millisecond, whatever the millisecond", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4e12 }), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of times) {
          Date.now = () => ms;
          expect(isoNow()).toBe(new Date(ms).toISOString());
          expect(isoNow()).toBe(new Date(ms).toISOString());
        }
      }),
    );
  });

  test("follows the real clock", () => {
    const before = Date.now();
    const at = Date.parse(isoNow());
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});

import { describe, expect, test } from "bun:test";
import { reifyGlobals } from "../../src/server/globals.ts";

describe("reifyGlobals", () => {
  test("reads every own property once, getters included, and counts them", () => {
    const reads: string[] = [];
    const target = {};
    for (const name of ["Alpha", "Beta", "Gamma"]) {
      Object.defineProperty(target, name, { get: () => (reads.push(name), 1), enumerable: false, configurable: true });
    }
    Object.defineProperty(target, "plain", { value: 2, enumerable: true });
    expect(reifyGlobals(target)).toBe(4);
    expect(reads.sort()).toEqual(["Alpha", "Beta", "Gamma"]);
  });

  test("a getter that throws is skipped and the rest are still read", () => {
    const reads: string[] = [];
    const target = {};
    Object.defineProperty(target, "first", { get: () => (reads.push("first"), 1) });
    Object.defineProperty(target, "broken", {
      get: () => {
        throw new Error("no");
      },
    });
    Object.defineProperty(target, "last", { get: () => (reads.push("last"), 1) });
    expect(reifyGlobals(target)).toBe(2);
    expect(reads).toEqual(["first", "last"]);
  });

  test("the real global object: every global reads without an error escaping", () => {
    const names = Object.getOwnPropertyNames(globalThis).length;
    const read = reifyGlobals();
    expect(read).toBeGreaterThan(100);
    expect(read).toBeLessThanOrEqual(names + 5);
  });
});

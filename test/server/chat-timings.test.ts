import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { simulatedTimings, simulatedTimingsJson } from "../../src/respond/timings.ts";
import { timingsFor } from "../../src/respond/timings.ts";

describe("simulatedTimingsJson (remembered per token counts)", () => {
  test("is the JSON of timingsFor(prompt, completion), for any counts, asked again or after another pair took its slot", () => {
    const counts = fc.oneof(fc.nat({ max: 5000 }), fc.integer({ min: 0, max: 2 ** 40 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(counts, counts), { minLength: 1, maxLength: 50 }), (pairs) => {
        for (const [p, c] of [...pairs, ...pairs]) expect(JSON.parse(simulatedTimingsJson(p, c))).toEqual(JSON.parse(JSON.stringify(timingsFor(p, c))));
        for (const [p, c] of pairs) expect(simulatedTimingsJson(p, c)).toBe(JSON.stringify(timingsFor(p, c)));
      }),
      { numRuns: 500 },
    );
  });

  test("a count too large for the table is not remembered as the small count it would wrap to", () => {
    // 2^40 stored in an Int32Array is 0, and (2^40, c) hashes to the slot of (0, c).
    expect(JSON.parse(simulatedTimingsJson(2 ** 40, 26)).prompt_n).toBe(2 ** 40);
    expect(JSON.parse(simulatedTimingsJson(0, 26)).prompt_n).toBe(0);
    expect(simulatedTimingsJson(0, 26)).toBe(JSON.stringify(timingsFor(0, 26)));
    expect(simulatedTimings(2 ** 32 + 5, 3).prompt_n).toBe(2 ** 32 + 5);
    expect(simulatedTimings(5, 3).prompt_n).toBe(5);
  });

  test("many pairs through the same few slots stay right", () => {
    for (let p = 0; p < 300; p++) for (let c = 0; c < 40; c++) expect(simulatedTimingsJson(p, c)).toBe(JSON.stringify(timingsFor(p, c)));
  });
});

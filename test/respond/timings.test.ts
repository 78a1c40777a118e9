import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { SIMULATED_SPEED, timingsFor } from "../../src/respond/timings.ts";

const KEYS = [
  "cache_n",
  "prompt_n",
  "prompt_ms",
  "prompt_per_token_ms",
  "prompt_per_second",
  "predicted_n",
  "predicted_ms",
  "predicted_per_token_ms",
  "predicted_per_second",
];

describe("timingsFor", () => {
  test("every llama-server field, in llama-server's order", () => {
    expect(Object.keys(timingsFor(75, 31))).toEqual(KEYS);
  });

  test("counts are echoed and nothing is cached", () => {
    const t = timingsFor(75, 31);
    expect(t.prompt_n).toBe(75);
    expect(t.predicted_n).toBe(31);
    expect(t.cache_n).toBe(0);
    expect(t.predicted_per_second).toBe(SIMULATED_SPEED.predictedTokensPerSecond);
    expect(t.prompt_per_second).toBe(SIMULATED_SPEED.promptTokensPerSecond);
  });

  test("property: per-second is 1000 / per-token-ms, and ms = n * per-token-ms", () => {
    const speedArb = fc.record({
      promptTokensPerSecond: fc.double({ min: 1, max: 100_000, noNaN: true }),
      predictedTokensPerSecond: fc.double({ min: 1, max: 10_000, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), fc.nat({ max: 100_000 }), fc.option(speedArb, { nil: undefined }), (p, n, speed) => {
        // timingsFor's `speed` parameter is typed by inference from SIMULATED_SPEED (`as const`),
        // i.e. only the literal 2000/60; the cast lets the property try other speeds.
        const t = timingsFor(p, n, speed as typeof SIMULATED_SPEED | undefined);
        for (const v of Object.values(t)) expect(Number.isFinite(v) && v >= 0).toBe(true);
        // per_token_ms is rounded to 3 decimals: relative error below 0.0005 / per_token_ms.
        expect(Math.abs(t.predicted_per_second * t.predicted_per_token_ms - 1000)).toBeLessThanOrEqual(0.0005 * t.predicted_per_second + 1e-9);
        expect(Math.abs(t.prompt_per_second * t.prompt_per_token_ms - 1000)).toBeLessThanOrEqual(0.0005 * t.prompt_per_second + 1e-9);
        expect(Math.abs(t.predicted_ms - n * (1000 / t.predicted_per_second))).toBeLessThanOrEqual(0.0005 + 1e-9 * n);
        expect(Math.abs(t.prompt_ms - p * (1000 / t.prompt_per_second))).toBeLessThanOrEqual(0.0005 + 1e-9 * p);
      }),
    );
  });

  test("the default speeds are plausible for a GPU running an 8B model", () => {
    const t = timingsFor(100, 60);
    expect(t.predicted_ms).toBeCloseTo(1000, 0);
    expect(t.prompt_ms).toBeCloseTo(50, 3);
    expect(1000 / t.predicted_per_token_ms).toBeCloseTo(t.predicted_per_second, 1);
  });
});

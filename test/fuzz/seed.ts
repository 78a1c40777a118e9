/**
 * The one seed every fuzz property in test/fuzz runs with, so that `make test` is deterministic and a
 * failure replays exactly. fast-check prints `{ seed, path }` on failure: to replay, rerun the test file
 * with that seed, e.g. `LLAMA_SIM_FUZZ_SEED=1234 node_modules/.bin/bun test test/fuzz/matcher.test.ts`
 * (the path is printed too; pass it to `fuzzParams` by hand to skip straight to the shrunk case).
 * Setting LLAMA_SIM_FUZZ_SEED to another number explores new inputs; the suite must pass for any seed.
 */
import type { Parameters } from "fast-check";
export { rng } from "../fixtures/random.ts";

export const FUZZ_SEED = (() => {
  const raw = process.env.LLAMA_SIM_FUZZ_SEED;
  if (raw === undefined || raw === "") return 20_251_127;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`LLAMA_SIM_FUZZ_SEED must be an integer (got ${JSON.stringify(raw)})`);
  return seed;
})();

/** fc.assert parameters: the fixed seed, `numRuns`, and a failure message that says how to replay. */
export function fuzzParams<T>(numRuns: number, extra: Parameters<T> = {}): Parameters<T> {
  return { seed: FUZZ_SEED, numRuns, ...extra };
}


/** At most `max` characters of `s`, for assertion messages about megabyte inputs. */
export function preview(s: string, max = 200): string {
  return s.length <= max ? JSON.stringify(s) : `${JSON.stringify(s.slice(0, max))}… (${s.length} chars)`;
}

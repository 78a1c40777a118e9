/**
 * Keyed ("counter-based") randomness: every draw is a pure function of (seed, keys).
 * Outcomes then depend on which question was asked and how often, not on the order in
 * which 32 concurrent client threads happen to arrive, so a seeded run replays exactly.
 */

/** Chris Wellons' lowbias32: a 32-bit integer hash with near-ideal avalanche. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function hashKeys(seed: number, stream: number, keys: readonly number[]): number {
  let h = mix32(seed ^ mix32(stream + 0x9e3779b9));
  for (const key of keys) h = mix32(h ^ mix32((key >>> 0) + 0x85ebca6b));
  return h;
}

/** A uniform double in [0, 1) with 53 random bits, determined by the seed and keys. */
export function uniform(seed: number, keys: readonly number[]): number {
  const high = hashKeys(seed, 1, keys) >>> 5; // 27 bits
  const low = hashKeys(seed, 2, keys) >>> 6; // 26 bits
  return (high * 67108864 + low) / 9007199254740992;
}

/** A uniform integer in [0, n) for n >= 1 (no modulo bias: n is far below 2^53). */
export function below(n: number, seed: number, keys: readonly number[]): number {
  return Math.floor(uniform(seed, keys) * n);
}

import { uniform } from "./random.ts";

/**
 * Keyed Beta and Gamma samplers: every draw is a pure function of (seed, keys), like the rest of
 * the Decider, so a question's difficulty is the same in every process with the same seed.
 */

/** A standard normal from two keyed uniforms (Box–Muller, cosine branch). */
export function keyedNormal(seed: number, keys: readonly number[]): number {
  const u1 = 1 - uniform(seed, [...keys, 0]); // (0, 1]: log stays finite
  const u2 = uniform(seed, [...keys, 1]);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Marsaglia–Tsang accepts over 95% of proposals for shape >= 1; this bound is never reached. */
const MAX_PROPOSALS = 1000;

/**
 * log of a Gamma(shape, 1) draw, shape > 0 (Marsaglia & Tsang 2000). Logs, because for small
 * shapes the draw itself underflows to 0 and Beta = X / (X + Y) would become 0 / 0.
 */
export function keyedLogGamma(shape: number, seed: number, keys: readonly number[]): number {
  if (!(shape > 0 && Number.isFinite(shape))) throw new RangeError(`gamma shape must be positive (got ${shape})`);
  if (shape < 1) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a).
    const u = 1 - uniform(seed, [...keys, 0]);
    return keyedLogGamma(shape + 1, seed, [...keys, 1]) + Math.log(u) / shape;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (let i = 0; i < MAX_PROPOSALS; i++) {
    const x = keyedNormal(seed, [...keys, 2, i]);
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = uniform(seed, [...keys, 3, i]);
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d) + Math.log(v);
  }
  throw new Error("gamma sampler: no proposal accepted");
}

/**
 * A Beta(alpha, beta) draw as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). A zero shape is
 * the degenerate limit: alpha = 0 gives exactly 0 and beta = 0 exactly 1 (rates 0 and 1).
 */
export function keyedBeta(alpha: number, beta: number, seed: number, keys: readonly number[]): number {
  if (!(alpha >= 0 && beta >= 0 && alpha + beta > 0) || !Number.isFinite(alpha + beta)) {
    throw new RangeError(`beta shapes must be >= 0 and not both 0 (got ${alpha}, ${beta})`);
  }
  if (alpha === 0) return 0;
  if (beta === 0) return 1;
  const logX = keyedLogGamma(alpha, seed, [...keys, 0]);
  const logY = keyedLogGamma(beta, seed, [...keys, 1]);
  // X / (X + Y) = 1 / (1 + Y/X); exp overflows to Infinity (-> 0) or underflows to 0 (-> 1) harmlessly.
  return 1 / (1 + Math.exp(logY - logX));
}

/** Beta shapes with mean p and concentration alpha + beta = spread. */
export function betaShapes(mean: number, spread: number): { readonly alpha: number; readonly beta: number } {
  return { alpha: mean * spread, beta: (1 - mean) * spread };
}

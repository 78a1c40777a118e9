import { betaShapes, keyedBeta } from "./beta.ts";
import { DIFFICULTY_STREAM } from "./streams.ts";

/** Default concentration alpha + beta of difficulty mode's Beta: wide (variance p(1-p)/5) but not U-shaped for mid p. */
export const DEFAULT_SPREAD = 4;

/**
 * Dataset difficulties enter a Rasch (1-parameter IRT) model: P(correct) = sigmoid(theta - b),
 * b = DIFFICULTY_SCALE * (difficulty - 1/2). 4 makes the hardest question's odds e^4 ~ 55 times
 * worse than the easiest's at the same ability theta.
 */
export const DIFFICULTY_SCALE = 4;

/** Each question's probability drawn from Beta(p s, (1-p) s), keyed by (seed, question). */
export function betaProbabilities(rate: number, spread: number, seed: number, count: number): Float64Array {
  const { alpha, beta } = betaShapes(rate, spread);
  return Float64Array.from({ length: count }, (_, q) => keyedBeta(alpha, beta, seed, [DIFFICULTY_STREAM, q]));
}

/**
 * Each question's probability from its difficulty (0 easy .. 1 hard; undefined = the mean of the
 * known ones, or 1/2 if none is known), with the ability theta solved so that the mean over
 * questions is exactly the rate (to double precision). Harder questions get lower probabilities;
 * equal difficulties get equal ones.
 */
export function datasetProbabilities(rate: number, difficulties: readonly (number | undefined)[]): Float64Array {
  const count = difficulties.length;
  if (rate === 0 || rate === 1 || count === 0) return new Float64Array(count).fill(rate);
  const known = difficulties.filter((d): d is number => d !== undefined);
  const fallback = known.length > 0 ? known.reduce((s, d) => s + d, 0) / known.length : 0.5;
  const b = Float64Array.from(difficulties, (d) => DIFFICULTY_SCALE * ((d ?? fallback) - 0.5));
  const meanAt = (theta: number) => b.reduce((s, bi) => s + sigmoid(theta - bi), 0) / count;
  // Every b is in [-S/2, S/2], so at logit(p) -+ S/2 every probability is <= p resp. >= p:
  // the root lies between, and the mean is increasing in theta.
  const logit = Math.log(rate) - Math.log1p(-rate);
  let lo = logit - DIFFICULTY_SCALE / 2;
  let hi = logit + DIFFICULTY_SCALE / 2;
  for (let i = 0; i < 200 && lo < hi; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (meanAt(mid) < rate) lo = mid;
    else hi = mid;
  }
  const theta = Math.abs(meanAt(lo) - rate) <= Math.abs(meanAt(hi) - rate) ? lo : hi;
  return b.map((bi) => sigmoid(theta - bi));
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

import { uniform } from "./random.ts";
import type { Rational } from "./rational.ts";
import { FIXED_RANK_STREAM } from "./streams.ts";

/**
 * How many of `count` questions fixed mode answers correctly: round(p * count), halves rounding
 * up, in exact integer arithmetic on the rate's fraction.
 */
export function fixedCorrectCount(rate: Rational, count: number): number {
  // floor((2 a N + b) / (2 b)); every term is an exact integer below 2^53 for N < 2^31.
  const numerator = 2 * rate.numerator * count + rate.denominator;
  const divisor = 2 * rate.denominator;
  return (numerator - (numerator % divisor)) / divisor;
}

/**
 * Which questions fixed mode answers correctly: the round(p N) with the lowest keyed rank. The
 * rank is a hash of (seed, question) alone, so every process with the same seed, question count
 * and rate picks the same set, whatever order or concurrency the questions arrive in.
 */
export function fixedCorrectSet(rate: Rational, seed: number, count: number): Uint8Array {
  const ranks = Float64Array.from({ length: count }, (_, q) => uniform(seed, [FIXED_RANK_STREAM, q]));
  // Ties (53-bit draws) are practically impossible; the index breaks them deterministically anyway.
  const order = Array.from({ length: count }, (_, q) => q).sort((x, y) => ranks[x]! - ranks[y]! || x - y);
  const correct = new Uint8Array(count);
  const k = fixedCorrectCount(rate, count);
  for (let i = 0; i < k; i++) correct[order[i]!] = 1;
  return correct;
}

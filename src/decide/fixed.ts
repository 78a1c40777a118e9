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
 * Which questions fixed mode answers correctly: in each group (a dataset, when several are served;
 * else all questions), the round(p n) of its n questions with the lowest keyed rank. The rank is a
 * hash of (seed, question) alone, so every process with the same seed, questions and rate picks the
 * same set, whatever order or concurrency the questions arrive in.
 */
export function fixedCorrectSet(rate: Rational, seed: number, count: number, groups?: readonly string[]): Uint8Array {
  const ranks = Float64Array.from({ length: count }, (_, q) => uniform(seed, [FIXED_RANK_STREAM, q]));
  const members = new Map<string, number[]>();
  for (let q = 0; q < count; q++) {
    const group = groups?.[q] ?? "";
    const list = members.get(group);
    if (list === undefined) members.set(group, [q]);
    else list.push(q);
  }
  const correct = new Uint8Array(count);
  for (const list of members.values()) {
    // Ties (53-bit draws) are practically impossible; the index breaks them deterministically anyway.
    list.sort((x, y) => ranks[x]! - ranks[y]! || x - y);
    const k = fixedCorrectCount(rate, list.length);
    for (let i = 0; i < k; i++) correct[list[i]!] = 1;
  }
  return correct;
}

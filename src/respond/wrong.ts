import { below } from "../decide/random.ts";
import { exactValue, groupThousands, sameValue, type Rational } from "./forms.ts";

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+\.\d+$/;
const DIGITS = /\d+/g;

/** What a dataset's answers look like, so wrong answers stay in the same family and range. */
export interface AnswerPool {
  /** Range of the dataset's integer answers, if it has any. */
  readonly integerRange: { readonly min: number; readonly max: number } | undefined;
  /** Distinct answers, for text answers that have no number to perturb. */
  readonly distinct: readonly string[];
}

export function answerPool(answers: readonly string[]): AnswerPool {
  let min = Infinity;
  let max = -Infinity;
  for (const answer of answers) {
    if (!INTEGER.test(answer)) continue;
    const value = Number(answer);
    if (!Number.isSafeInteger(value)) continue;
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  const integerRange = min <= max ? aimeLike(min, max) : undefined;
  return { integerRange, distinct: [...new Set(answers)] };
}

/** AIME answers are 0..999 by the rules even when a given year's set spans less. */
function aimeLike(min: number, max: number): { min: number; max: number } {
  return min >= 0 && max <= 999 ? { min: 0, max: 999 } : { min, max };
}

const GROUPED_INTEGER = /^-?\d{1,3}(?:,\d{3})+$/;

/**
 * A plausible wrong answer, never equal to `gold`: an integer near the gold one inside the
 * dataset's range (AIME: 0..999), a perturbed number inside a LaTeX answer, or another
 * answer of the same dataset.
 */
export function wrongAnswer(gold: string, pool: AnswerPool, seed: number, keys: readonly number[]): string {
  if (INTEGER.test(gold) && Number.isSafeInteger(Number(gold))) return wrongInteger(Number(gold), pool, seed, keys);
  // A gold written with thousands separators (GSM8K's "43,500"): a nearby integer, written the same way.
  if (GROUPED_INTEGER.test(gold) && Number.isSafeInteger(Number(gold.replaceAll(",", "")))) {
    return groupThousands(wrongInteger(Number(gold.replaceAll(",", "")), pool, seed, keys));
  }
  if (DECIMAL.test(gold)) return wrongDecimal(gold, seed, keys);
  const digitRuns = [...gold.matchAll(DIGITS)];
  if (digitRuns.length > 0) {
    const run = digitRuns[below(digitRuns.length, seed, [...keys, 1])]!;
    const replaced = String(wrongInteger(Number(run[0].slice(-9)), undefined, seed, [...keys, 2]));
    return gold.slice(0, run.index) + replaced + gold.slice(run.index! + run[0].length);
  }
  const others = pool.distinct.filter((answer) => answer !== gold);
  if (others.length > 0) return others[below(others.length, seed, [...keys, 3])]!;
  return gold === "0" ? "1" : "0";
}

function wrongInteger(gold: number, pool: AnswerPool | undefined, seed: number, keys: readonly number[]): string {
  const range = pool?.integerRange;
  // Harness graders compare strings, so any other integer is wrong; stay near the gold
  // value so the reply looks like an honest mistake, not noise.
  const spread = Math.max(9, Math.round(Math.abs(gold) / 2));
  let lo = gold - spread;
  let hi = gold + spread;
  // Inside a LaTeX answer a positive number stays positive: no \frac{14}{0}.
  if (gold >= 0) lo = Math.max(lo, pool === undefined && gold > 0 ? 1 : 0);
  if (range && gold >= range.min && gold <= range.max) {
    lo = Math.max(lo, range.min);
    hi = Math.min(hi, range.max);
    // Gold 0 of a range like -8..0: staying non-negative would leave only the gold itself.
    if (hi === lo) lo = Math.max(gold - spread, range.min);
  }
  // Choose among the (hi - lo) values other than gold.
  const pickIndex = below(hi - lo, seed, [...keys, 4]);
  const value = lo + pickIndex;
  return String(value >= gold ? value + 1 : value);
}

function wrongDecimal(gold: string, seed: number, keys: readonly number[]): string {
  // Exact integer arithmetic on the digits: a float would lose the step on long decimals.
  const negative = gold.startsWith("-");
  const [whole, fraction] = gold.replace(/^-/, "").split(".") as [string, string];
  const decimals = fraction.length;
  const scaled = BigInt(whole + fraction) * (negative ? -1n : 1n);
  const steps = BigInt(1 + below(9, seed, [...keys, 5]));
  const sign = below(2, seed, [...keys, 6]) === 0 ? -1n : 1n;
  const value = scaled + sign * steps;
  const digits = (value < 0n ? -value : value).toString().padStart(decimals + 1, "0");
  return `${value < 0n ? "-" : ""}${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/**
 * How a reply gets a question wrong: `plausible` (wrongAnswer: near the gold, or another answer of
 * the dataset), `off-by-one` (the classic slip: gold ± 1), `no-answer` (the reply states none).
 */
export type WrongStyle = "plausible" | "off-by-one" | "no-answer";

/** Shown letters of a multiple-choice prompt, and the one carrying the correct option. */
export interface MultipleChoice {
  readonly letters: readonly string[];
  readonly goldLetter: string;
}

const RETRIES = 8;

/**
 * A wrong answer in `style`, never equal to `gold` as a string nor, when both are plain numbers or
 * simple fractions, in value (so "\frac{0}{2}" is never the miss for "\frac{0}{1}"); undefined for
 * `no-answer`. Integer golds inside the pool's range stay inside it (unless the range has no
 * other integer). For multiple choice the result is another shown letter: `plausible` any of
 * them, `off-by-one` a neighbour of the gold letter in the shown order.
 */
export function wrongFor(
  style: WrongStyle,
  gold: string,
  pool: AnswerPool,
  seed: number,
  keys: readonly number[],
  mc?: MultipleChoice,
): string | undefined {
  if (style === "no-answer") return undefined;
  if (mc) return wrongLetter(style, mc, seed, keys);
  if (style === "off-by-one") {
    const slips = offByOne(gold, pool);
    if (slips.length > 0) return slips[below(slips.length, seed, [...keys, 11])]!;
  }
  return plausible(gold, pool, seed, keys);
}

/** An integer as String() writes it: equal values are then equal strings. */
const CANONICAL_INTEGER = /^(?:0|-?[1-9]\d*)$/;

function plausible(gold: string, pool: AnswerPool, seed: number, keys: readonly number[]): string {
  // The common case (AIME, GSM8K): wrongAnswer gives another integer, written by String(), never equal
  // in value to a canonical integer gold — so the first draw stands, without exact (BigInt) values.
  if (CANONICAL_INTEGER.test(gold) && Number.isSafeInteger(Number(gold))) return wrongAnswer(gold, pool, seed, keys);
  const goldValue = exactValue(gold);
  // The first draw is exactly wrongAnswer's, so "plausible" replays as the plain wrong answers did.
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const wrong = wrongAnswer(gold, pool, seed, attempt === 0 ? keys : [...keys, 12, attempt]);
    if (!goldValue || !equalValue(goldValue, wrong)) return wrong;
  }
  // Only reached for values that most perturbations leave unchanged (\frac{0}{n}); a slip never is.
  return offByOne(gold, pool)[0] ?? `${gold}1`;
}

function equalValue(gold: Rational, text: string): boolean {
  const value = exactValue(text);
  return value !== undefined && sameValue(gold, value);
}

/** Every gold ± 1 slip that changes the value: the integer itself, the last decimal place, or one number inside LaTeX. */
function offByOne(gold: string, pool: AnswerPool): string[] {
  if (INTEGER.test(gold)) return integerSlips(BigInt(gold), pool);
  if (DECIMAL.test(gold)) return decimalSlips(gold);
  const goldValue = exactValue(gold);
  const slips: string[] = [];
  for (const run of gold.matchAll(DIGITS)) {
    const value = BigInt(run[0]);
    // As in wrongInteger, a positive number inside LaTeX stays positive: no \frac{0}{0}.
    for (const next of value > 1n ? [value - 1n, value + 1n] : [value + 1n]) {
      // Keep a zero-padded run's width ("1.05" -> "1.04"), else write the number plainly.
      const digits = run[0].startsWith("0") ? next.toString().padStart(run[0].length, "0") : next.toString();
      const slip = gold.slice(0, run.index) + digits + gold.slice(run.index + run[0].length);
      if (slip !== gold && !(goldValue && equalValue(goldValue, slip))) slips.push(slip);
    }
  }
  return slips;
}

function integerSlips(gold: bigint, pool: AnswerPool): string[] {
  const both = [gold - 1n, gold + 1n];
  const range = pool.integerRange;
  if (!range || gold < BigInt(range.min) || gold > BigInt(range.max)) return both.map(String);
  const inside = both.filter((v) => v >= BigInt(range.min) && v <= BigInt(range.max));
  return (inside.length > 0 ? inside : both).map(String);
}

function decimalSlips(gold: string): string[] {
  const negative = gold.startsWith("-");
  const [whole, fraction] = gold.replace(/^-/, "").split(".") as [string, string];
  const scaled = BigInt(whole + fraction) * (negative ? -1n : 1n);
  return [scaled - 1n, scaled + 1n].map((value) => {
    const digits = (value < 0n ? -value : value).toString().padStart(fraction.length + 1, "0");
    return `${value < 0n ? "-" : ""}${digits.slice(0, -fraction.length)}.${digits.slice(-fraction.length)}`;
  });
}

function wrongLetter(style: WrongStyle, { letters, goldLetter }: MultipleChoice, seed: number, keys: readonly number[]): string {
  const shown = [...new Set(letters)];
  let others = shown.filter((letter) => letter !== goldLetter);
  if (style === "off-by-one") {
    const at = shown.indexOf(goldLetter);
    const neighbours = at < 0 ? [] : [shown[at - 1], shown[at + 1]].filter((l): l is string => l !== undefined);
    if (neighbours.length > 0) others = neighbours;
  }
  // A prompt showing one option (or none) still gets a letter that is not the gold one.
  if (others.length === 0) others = [..."ABCD"].filter((letter) => letter !== goldLetter);
  return others[below(others.length, seed, [...keys, 13])]!;
}

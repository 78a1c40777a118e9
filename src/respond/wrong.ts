import { below } from "../decide/random.ts";

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

/**
 * A plausible wrong answer, never equal to `gold`: an integer near the gold one inside the
 * dataset's range (AIME: 0..999), a perturbed number inside a LaTeX answer, or another
 * answer of the same dataset.
 */
export function wrongAnswer(gold: string, pool: AnswerPool, seed: number, keys: readonly number[]): string {
  if (INTEGER.test(gold) && Number.isSafeInteger(Number(gold))) return wrongInteger(Number(gold), pool, seed, keys);
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

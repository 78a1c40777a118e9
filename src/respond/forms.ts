import { below } from "../decide/random.ts";

/**
 * Answer forms (--answer-forms varied): real models write a correct answer in more than one
 * way. A careful grader (numeric or symbolic comparison) accepts them all; a naive string
 * compare does not — which is exactly what a harness under test needs to be exposed to.
 */
export interface WrittenAnswer {
  readonly written: string;
  /** "canonical", "thousands", "ungrouped", "decimal-zero", "trailing-zero", "integer", "fraction-to-decimal", "decimal-to-fraction", "dfrac", "frac", "parens-letter", "bare-letter". */
  readonly form: string;
}

/** An exact rational number: `den` > 0 and gcd(|num|, den) = 1. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

const PLAIN_NUMBER = /^(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;
const LATEX_FRACTION = /^(-?)\\[dt]?frac\{(-?\d+)\}\{(-?\d+)\}$/;
const SLASH_FRACTION = /^(-?\d+)\/(-?\d+)$/;

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function rational(num: bigint, den: bigint): Rational | undefined {
  if (den === 0n) return undefined;
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/**
 * The exact value of an answer written as an integer, a decimal (with or without thousands
 * separators), `\frac{a}{b}` / `\dfrac{a}{b}` / `\tfrac{a}{b}` or `a/b`; undefined for anything else.
 */
export function exactValue(text: string): Rational | undefined {
  const plain = PLAIN_NUMBER.exec(text);
  if (plain) {
    const [, sign, whole, fraction = ""] = plain;
    const magnitude = BigInt(whole!.replace(/,/g, "") + fraction);
    return rational(sign ? -magnitude : magnitude, 10n ** BigInt(fraction.length));
  }
  const latex = LATEX_FRACTION.exec(text);
  if (latex) {
    const value = rational(BigInt(latex[2]!), BigInt(latex[3]!));
    return value && latex[1] ? { num: -value.num, den: value.den } : value;
  }
  const slash = SLASH_FRACTION.exec(text);
  return slash ? rational(BigInt(slash[1]!), BigInt(slash[2]!)) : undefined;
}

export function sameValue(a: Rational, b: Rational): boolean {
  return a.num === b.num && a.den === b.den;
}

/** The exact decimal of a rational whose denominator has no prime factor but 2 and 5; else undefined. */
function terminatingDecimal({ num, den }: Rational): string | undefined {
  let rest = den;
  let twos = 0;
  let fives = 0;
  while (rest % 2n === 0n) [rest, twos] = [rest / 2n, twos + 1];
  while (rest % 5n === 0n) [rest, fives] = [rest / 5n, fives + 1];
  if (rest !== 1n) return undefined;
  const places = Math.max(twos, fives);
  const scaled = (num < 0n ? -num : num) * (10n ** BigInt(places) / den);
  const digits = scaled.toString().padStart(places + 1, "0");
  const body = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return num < 0n ? `-${body}` : body;
}

function latexFraction({ num, den }: Rational): string {
  return `${num < 0n ? "-" : ""}\\frac{${num < 0n ? -num : num}}{${den}}`;
}

/** 1234567 -> 1,234,567 (the whole part only; a leading "-" stays). */
export function groupThousands(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+$)/g, ",");
}

function numberForms(answer: string): WrittenAnswer[] {
  const forms: WrittenAnswer[] = [];
  // A gold written with separators (GSM8K's "43,500"): the same number without them.
  const grouped = /^(-?)(\d{1,3}(?:,\d{3})+)(\.\d+)?$/.exec(answer);
  if (grouped) return [{ written: `${grouped[1]}${grouped[2]!.replaceAll(",", "")}${grouped[3] ?? ""}`, form: "ungrouped" }];
  const plain = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?$/.exec(answer);
  if (plain) {
    const [, sign, whole, fraction] = plain;
    const withFraction = fraction === undefined ? "" : `.${fraction}`;
    if (whole!.length >= 4) forms.push({ written: `${sign}${groupThousands(whole!)}${withFraction}`, form: "thousands" });
    if (fraction === undefined) {
      forms.push({ written: `${answer}.0`, form: "decimal-zero" });
    } else if (/^0+$/.test(fraction)) {
      forms.push({ written: whole === "0" ? "0" : `${sign}${whole}`, form: "integer" });
    } else {
      forms.push({ written: `${answer}0`, form: "trailing-zero" });
      forms.push({ written: latexFraction(exactValue(answer)!), form: "decimal-to-fraction" });
    }
    return forms;
  }
  if (LATEX_FRACTION.test(answer) || SLASH_FRACTION.test(answer)) {
    const value = exactValue(answer);
    const decimal = value && terminatingDecimal(value);
    if (decimal !== undefined) forms.push({ written: decimal, form: "fraction-to-decimal" });
  }
  return forms;
}

/** \frac and \dfrac render differently but mean the same; MATH-style graders strip the `d`. */
function latexForms(answer: string): WrittenAnswer[] {
  if (/\\frac/.test(answer)) return [{ written: answer.replace(/\\frac/g, "\\dfrac"), form: "dfrac" }];
  if (/\\dfrac/.test(answer)) return [{ written: answer.replace(/\\dfrac/g, "\\frac"), form: "frac" }];
  return [];
}

function letterForms(answer: string): WrittenAnswer[] {
  if (/^[A-Z]$/.test(answer)) return [{ written: `(${answer})`, form: "parens-letter" }];
  const parens = /^\(([A-Z])\)$/.exec(answer);
  return parens ? [{ written: parens[1]!, form: "bare-letter" }] : [];
}

/**
 * An equivalent way to write a correct `answer` that a careful grader accepts and a naive one
 * may not, chosen by (seed, keys) among the forms that apply; form "canonical" (written ===
 * answer) when none does. Numbers: 1000 <-> 1,000, 33 <-> 33.0, 0.5 <-> 0.50, 0.5 <-> \frac{1}{2}
 * (fractions only when their decimal terminates), \frac <-> \dfrac. Letters: C <-> (C).
 * Text: \frac <-> \dfrac only, since other text may not be reworded safely.
 */
export function variedForm(answer: string, kind: "number" | "letter" | "text", seed: number, keys: readonly number[]): WrittenAnswer {
  const candidates = kind === "letter" ? letterForms(answer) : kind === "number" ? [...numberForms(answer), ...latexForms(answer)] : latexForms(answer);
  const forms = candidates.filter((f) => f.written !== answer);
  if (forms.length === 0) return { written: answer, form: "canonical" };
  return forms[below(forms.length, seed, [...keys, 31])]!;
}

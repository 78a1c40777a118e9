/**
 * Exact numeric values of written answers, for equivalence: 1,000 = 1000 = 1000.0, \frac{1}{2} = 0.5 =
 * 1/2 = \dfrac12, 2/(-3) = -2/3. Rationals over BigInt, so no float rounding decides a grade.
 */
import { canonicalNumber, readGroup } from "./normalize.ts";

export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

const FRAC = /^\\[dt]?frac/;

/** The value of a decimal literal, after {@link canonicalNumber} has removed separators, units and signs. */
function decimal(s: string): Rational | undefined {
  const canon = canonicalNumber(s);
  if (canon === undefined) return undefined;
  const negative = canon.startsWith("-");
  const [intPart = "0", frac = ""] = canon.replace(/^-/, "").split(".");
  const num = BigInt(intPart + frac) * (negative ? -1n : 1n);
  return { num, den: 10n ** BigInt(frac.length) };
}

function divide(a: Rational, b: Rational): Rational | undefined {
  if (b.num === 0n) return undefined;
  const sign = b.num < 0n ? -1n : 1n;
  return { num: a.num * b.den * sign, den: a.den * b.num * sign };
}

/** `\frac{a}{b}`, `\dfrac12`, `\frac 34` after an optional sign. */
function latexFraction(s: string): Rational | undefined {
  const sign = s.startsWith("-") ? -1n : 1n;
  const t = s.replace(/^[+-]\s*/, "");
  const m = FRAC.exec(t);
  if (m === null) return undefined;
  let rest = t.slice(m[0].length).trimStart();
  const args: string[] = [];
  for (let k = 0; k < 2; k++) {
    if (rest.startsWith("{")) {
      const group = readGroup(rest, 0);
      if (group === undefined) return undefined;
      args.push(group.content);
      rest = rest.slice(group.end).trimStart();
    } else if (/^\d/.test(rest)) {
      args.push(rest[0]!); // \frac12: single-character arguments
      rest = rest.slice(1).trimStart();
    } else return undefined;
  }
  if (rest !== "") return undefined;
  const a = rationalValue(args[0]!);
  const b = rationalValue(args[1]!);
  const q = a && b ? divide(a, b) : undefined;
  return q && { num: q.num * sign, den: q.den };
}

/** `a/b` with decimal (optionally parenthesised, signed) parts: 3/2, 2/(-3). */
function slashFraction(s: string): Rational | undefined {
  const parts = s.split("/");
  if (parts.length !== 2) return undefined;
  const strip = (p: string) => p.trim().replace(/^\((.*)\)$/, "$1");
  const a = decimal(strip(parts[0]!));
  const b = decimal(strip(parts[1]!));
  return a && b ? divide(a, b) : undefined;
}

/** The exact value of a number, decimal, `a/b` or LaTeX fraction; undefined for anything else. */
export function rationalValue(s: string): Rational | undefined {
  const t = s.trim().replace(/^\((.*)\)$/, "$1").replace(/\\left|\\right/g, "");
  if (t === "" || t.length > 200) return undefined;
  return decimal(t) ?? latexFraction(t) ?? slashFraction(t);
}

export function sameValue(a: Rational, b: Rational): boolean {
  return a.num * b.den === b.num * a.den;
}

// Exact small arithmetic for the chain-of-thought generator (reasoning.ts): every step it writes is
// real arithmetic on the problem's numbers, so a reply reads like work, not noise, and mentions
// many numbers besides the final one.
import { below, uniform } from "../decide/random.ts";

/** A number as it is written: its value and how many decimals it shows (0 for an integer). */
export interface Num {
  readonly v: number;
  readonly d: number;
}

/** One computed step: its rendered text (e.g. "$16 - 3 = 13$") and the value it produced. */
export interface Step {
  readonly text: string;
  readonly result: Num;
  /** The inverse check ("13 + 3 = 16"), when there is a natural one. */
  readonly check: string | undefined;
}

export type Style = "latex" | "plain" | "words";

/** Values beyond this stop reading like hand arithmetic (and lose float exactness). */
const LIMIT = 1e12;
/** A running computation that reached this is steered back down (subtract, divide, reduce). */
export const LARGE = 1e6;

/**
 * Keyed draws for one reply: each draw is `below(n, seed, [...keys, SALT, counter])`, so the
 * whole text is a pure function of (seed, keys), and the salt keeps these draws apart from the
 * caller's own draws on the same keys (decide.ts, wrong.ts).
 */
export class Dice {
  private readonly keys: number[];
  private counter = 0;

  constructor(
    private readonly seed: number,
    keys: readonly number[],
  ) {
    this.keys = [...keys, 0x5eed, 0];
  }

  below(n: number): number {
    this.keys[this.keys.length - 1] = this.counter++;
    return below(n, this.seed, this.keys);
  }

  chance(p: number): boolean {
    this.keys[this.keys.length - 1] = this.counter++;
    return uniform(this.seed, this.keys) < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

export function int(v: number): Num {
  return { v, d: 0 };
}

export function fmt(n: Num): string {
  if (n.d === 0) return String(n.v === 0 ? 0 : n.v);
  const s = n.v.toFixed(n.d);
  const t = s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
  return t === "-0" ? "0" : t;
}

function make(v: number, d: number): Num | undefined {
  if (!Number.isFinite(v) || Math.abs(v) > LIMIT) return undefined;
  const scale = 10 ** d;
  const rounded = Math.round(v * scale) / scale;
  return { v: rounded, d: rounded === Math.trunc(rounded) ? 0 : d };
}

function isInt(n: Num): boolean {
  return n.d === 0 && Number.isSafeInteger(n.v);
}

export function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

const TIMES: Record<Style, string> = { latex: " \\cdot ", plain: " * ", words: " times " };

function wrap(style: Style, body: string): string {
  return style === "latex" ? `$${body}$` : body;
}

export type Op = "add" | "sub" | "mul" | "div" | "mod" | "gcd" | "square" | "triangle";
export const OPS: readonly Op[] = ["add", "sub", "mul", "div", "mod", "gcd", "square", "triangle", "add", "sub", "mul"];

/** a OP b as a rendered step, or undefined when that step would be meaningless or huge. */
export function compute(op: Op, a: Num, b: Num, style: Style): Step | undefined {
  const A = fmt(a);
  // "6 \cdot (-2)", not "6 \cdot -2".
  const B = b.v < 0 ? `(${fmt(b)})` : fmt(b);
  const eq = style === "words" ? " is " : " = ";
  switch (op) {
    case "add": {
      const r = make(a.v + b.v, Math.max(a.d, b.d));
      if (!r) return undefined;
      const R = fmt(r);
      const body = style === "words" ? `${A} plus ${B} is ${R}` : `${A} + ${B} = ${R}`;
      return { text: wrap(style, body), result: r, check: `${R} - ${B} = ${A}` };
    }
    case "sub": {
      if (a.v <= b.v) return undefined;
      const r = make(a.v - b.v, Math.max(a.d, b.d));
      if (!r) return undefined;
      const R = fmt(r);
      const body = style === "words" ? `${A} minus ${B} is ${R}` : `${A} - ${B} = ${R}`;
      return { text: wrap(style, body), result: r, check: `${R} + ${B} = ${A}` };
    }
    case "mul": {
      if (b.v === 1 || a.v === 1 || a.v === 0 || b.v === 0) return undefined;
      const r = make(a.v * b.v, Math.min(a.d + b.d, 6));
      if (!r) return undefined;
      const R = fmt(r);
      return { text: wrap(style, `${A}${TIMES[style]}${B}${eq}${R}`), result: r, check: isInt(b) && isInt(r) ? `${R} / ${B} = ${A}` : undefined };
    }
    case "div": {
      if (!isInt(a) || !isInt(b) || b.v < 2 || a.v % b.v !== 0 || a.v === b.v) return undefined;
      const r = int(a.v / b.v);
      const R = fmt(r);
      const body = style === "latex" ? `\\frac{${A}}{${B}} = ${R}` : style === "words" ? `${A} divided by ${B} is ${R}` : `${A} / ${B} = ${R}`;
      return { text: wrap(style, body), result: r, check: `${R} * ${B} = ${A}` };
    }
    case "mod": {
      if (!isInt(a) || !isInt(b) || b.v < 2 || a.v <= b.v) return undefined;
      const q = Math.floor(a.v / b.v);
      const r = int(a.v - q * b.v);
      const R = fmt(r);
      const body =
        style === "latex" ? `$${A} \\equiv ${R} \\pmod{${B}}$` : style === "words" ? `${A} leaves remainder ${R} when divided by ${B}` : `${A} mod ${B} = ${R}`;
      return { text: body, result: r, check: `${q} * ${B} + ${R} = ${A}` };
    }
    case "gcd": {
      if (!isInt(a) || !isInt(b) || a.v < 2 || b.v < 2 || a.v === b.v) return undefined;
      const r = int(gcd(a.v, b.v));
      const R = fmt(r);
      const body = style === "words" ? `the greatest common divisor of ${A} and ${B} is ${R}` : wrap("latex", `\\gcd(${A}, ${B}) = ${R}`);
      return { text: body, result: r, check: undefined };
    }
    case "square": {
      if (Math.abs(a.v) > 1e5 || a.v === 0 || a.v === 1 || a.d > 2) return undefined;
      const r = make(a.v * a.v, a.d * 2);
      if (!r) return undefined;
      const R = fmt(r);
      const body = style === "words" ? `${A} squared is ${R}` : wrap(style === "plain" ? "latex" : style, `${A}^2 = ${R}`);
      return { text: body, result: r, check: undefined };
    }
    case "triangle": {
      // No words form: "Then the sum of ... is ..." reads badly after a connector.
      if (!isInt(a) || a.v < 3 || a.v > 300 || style === "words") return undefined;
      const r = int((a.v * (a.v + 1)) / 2);
      const R = fmt(r);
      return { text: `$1 + 2 + \\cdots + ${A} = \\frac{${A} \\cdot ${a.v + 1}}{2} = ${R}$`, result: r, check: undefined };
    }
  }
}

/** p/q + r/s in lowest terms, in LaTeX. */
export function addFractions(p: number, q: number, r: number, s: number): { text: string; num: number; den: number } | undefined {
  if (q === 0 || s === 0) return undefined;
  let num = p * s + r * q;
  let den = q * s;
  if (Math.abs(num) > LIMIT || den > LIMIT) return undefined;
  const g = gcd(num, den) || 1;
  num /= g;
  den /= g;
  const sum = den === 1 ? String(num) : `\\frac{${num}}{${den}}`;
  return { text: `$\\frac{${p}}{${q}} + \\frac{${r}}{${s}} = \\frac{${p * s + r * q}}{${q * s}} = ${sum}$`, num, den };
}

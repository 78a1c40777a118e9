// The paragraphs of a chain of thought (reasoning.ts assembles them): each generator returns the
// sentences of one paragraph, built from templates around the problem's own numbers and symbols,
// with real arithmetic. Every random choice goes through ctx.dice. This file: the computing
// paragraphs; reasoning-remarks.ts: checks, second thoughts and remarks.
import type { Facts } from "./reasoning-facts.ts";
import { addFractions, compute, type Dice, fmt, gcd, int, LARGE, type Num, type Op, OPS, type Step, type Style } from "./reasoning-math.ts";

export interface Choice {
  readonly letter: string;
  readonly text: string;
}

export interface Ctx {
  readonly facts: Facts;
  readonly dice: Dice;
  /** The problem's numbers other than the final answer (never empty: padded with small constants). */
  readonly pool: readonly Num[];
  /** The problem's own numbers other than the final answer (may be empty). */
  readonly given: readonly Num[];
  /** The main unknown's name, a single letter. */
  readonly unknown: string;
  readonly choices: readonly Choice[];
  /** The answer when it names one of the choices. */
  readonly answerLetter: string | undefined;
  /** Steps computed so far, for later checks. */
  readonly history: Step[];
  /** False when the text mentions the final answer: it must appear only at the end. */
  readonly ok: (text: string) => boolean;
  last: Num | undefined;
}

export type Generator = (ctx: Ctx) => string[];

export type T1 = (a: string) => string;
export type T2 = (a: string, b: string) => string;

const SMALL = [2, 3, 4, 5, 6, 7, 8, 9, 10, 12].map(int);
const SHRINK: readonly Op[] = ["sub", "div", "mod", "gcd"];

/** A template other than the one used just before, so consecutive sentences do not repeat an opener. */
export function pickNext<T>(ctx: Ctx, items: readonly T[], previous: T | undefined): T {
  const t = ctx.dice.pick(items);
  return t === previous ? items[(items.indexOf(t) + 1) % items.length]! : t;
}
const STYLES: readonly Style[] = ["latex", "latex", "plain", "words"];

function operand(ctx: Ctx): Num {
  return ctx.dice.chance(0.7) ? ctx.dice.pick(ctx.pool) : ctx.dice.pick(SMALL);
}

function intOperand(ctx: Ctx, min: number, max: number): Num | undefined {
  for (let i = 0; i < 4; i++) {
    const n = operand(ctx);
    if (n.d === 0 && n.v >= min && n.v <= max) return n;
  }
  return undefined;
}

/** "16, 3, and 4" */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(", ")}, and ${items[items.length - 1]}`;
}

/** A number to start a computation from: one of the problem's own, 2 or more when possible. */
export function start(ctx: Ctx): Num {
  const own = ctx.given.length > 0 && ctx.dice.chance(0.85) ? ctx.given : ctx.pool;
  for (let i = 0; i < 4; i++) {
    const n = ctx.dice.pick(own);
    if (n.v >= 2) return n;
  }
  return ctx.dice.pick(SMALL.filter((n) => ctx.ok(fmt(n))));
}

/** One step on `from` with an operand drawn from the pool, retried a few times; never back to a value in `seen`. */
export function stepFrom(ctx: Ctx, from: Num, style: Style, seen?: Set<number>): Step | undefined {
  for (let attempt = 0; attempt < 10; attempt++) {
    const op: Op = ctx.dice.pick(Math.abs(from.v) >= LARGE ? SHRINK : OPS);
    const step = compute(op, from, operand(ctx), style);
    if (step && ctx.ok(step.text) && !seen?.has(step.result.v)) return step;
  }
  return undefined;
}

export function remember(ctx: Ctx, step: Step): void {
  if (ctx.history.length >= 24) ctx.history.shift();
  ctx.history.push(step);
  ctx.last = step.result;
}

// ---------------------------------------------------------------------------------------------
// Opening: what is given.

const OPEN: readonly string[] = [
  "Let me start by collecting what the problem gives us.",
  "Okay, let me restate the setup in my own words.",
  "Alright, let me first figure out what we know.",
  "Let me read off the given information carefully.",
  "First, let me organize the data before computing anything.",
];
const GIVEN: readonly T1[] = [
  (l) => `We are given ${l}.`,
  (l) => `The numbers in play are ${l}.`,
  (l) => `The given values are ${l}.`,
  (l) => `So the data are ${l}.`,
  (l) => `The relevant quantities are ${l}.`,
];
const NO_NUMBERS: readonly string[] = [
  "There are no explicit numbers here, so the structure has to do the work.",
  "Nothing numeric is given directly, so I will reason about the structure.",
];
const VARIABLES: readonly T1[] = [
  (l) => `The objects to keep track of are ${l}.`,
  (l) => `The symbols involved are ${l}.`,
  (l) => `We have to track ${l}.`,
];
const WORDS: readonly T2[] = [
  (a, b) => `The key ingredients are the ${a} and the ${b}.`,
  (a, b) => `So this is really about ${a} and ${b}.`,
  (a, b) => `The important parts are the ${a} and how they relate to the ${b}.`,
];
const GOAL: readonly string[] = [
  "We need one exact value at the end, so I will keep everything exact.",
  "I need to be careful to compute exactly what is asked.",
  "Let me set things up so that the final quantity comes out directly.",
  "The plan is to translate the conditions into equations and solve.",
];

export const opening =
  (long: boolean): Generator =>
  (ctx) => {
    const { dice, facts } = ctx;
    const out: string[] = [];
    if (long) out.push(dice.pick(OPEN));
    if (ctx.given.length > 0) {
      const start = ctx.given.length > 5 ? dice.below(ctx.given.length - 4) : 0;
      out.push(dice.pick(GIVEN)(list(ctx.given.slice(start, start + 5).map(fmt))));
    } else out.push(dice.pick(NO_NUMBERS));
    if (facts.variables.length > 0) out.push(dice.pick(VARIABLES)(list(facts.variables.slice(0, 5).map((v) => `$${v}$`))));
    if (facts.words.length >= 2) {
      // The first words are the plural nouns (see reasoning-facts.ts), which read best here.
      const a = dice.below(2);
      const b = a === 0 ? 1 + dice.below(Math.min(3, facts.words.length - 1)) : 0;
      out.push(dice.pick(WORDS)(facts.words[a]!, facts.words[b]!));
    }
    out.push(dice.pick(GOAL));
    return out;
  };

// ---------------------------------------------------------------------------------------------
// A running computation: start from a number and apply a few operations.

const START: readonly T1[] = [
  (a) => `Start with ${a}.`,
  (a) => `Begin from ${a}.`,
  (a) => `Take ${a} first.`,
  (a) => `Let me work from ${a}.`,
  (a) => `Consider ${a}.`,
];
/** Connectors that read well before a clause ("2 times 3 is 6") as well as an equation. */
const CONNECT: readonly T1[] = [
  (s) => `Then ${s}.`,
  (s) => `Next, ${s}.`,
  (s) => `So ${s}.`,
  (s) => `Now ${s}.`,
  (s) => `From there, ${s}.`,
  (s) => `Continuing, ${s}.`,
  (s) => `Carrying on, ${s}.`,
  (s) => `This means ${s}.`,
];
/** Connectors for an equation only ("We get $2 \cdot 3 = 6$"). */
const CONNECT_EQUATION: readonly T1[] = [...CONNECT, (s) => `That gives ${s}.`, (s) => `We get ${s}.`, (s) => `Combining, ${s}.`];
const LAND: readonly T1[] = [
  (r) => `So this part gives ${r}.`,
  (r) => `That leaves ${r}.`,
  (r) => `Keep ${r} in mind for later.`,
  (r) => `So the intermediate value is ${r}.`,
  (r) => `Call this intermediate result ${r}.`,
  (r) => `That's ${r} so far.`,
  (r) => `I'll hold on to ${r}.`,
];

export const chain =
  (intro: boolean): Generator =>
  (ctx) => {
    const { dice } = ctx;
    const out: string[] = [];
    const style = dice.pick(STYLES);
    const connect = style === "words" ? CONNECT : CONNECT_EQUATION;
    let current = ctx.last !== undefined && ctx.last.v >= 2 && dice.chance(0.35) ? ctx.last : start(ctx);
    if (intro || current !== ctx.last) out.push(dice.pick(START)(fmt(current)));
    const seen = new Set([current.v]);
    let previous: T1 | undefined;
    const steps = 2 + dice.below(3);
    for (let i = 0; i < steps; i++) {
      const step = stepFrom(ctx, current, style, seen);
      if (!step) break;
      seen.add(step.result.v);
      previous = pickNext(ctx, connect, previous);
      out.push(previous(step.text));
      remember(ctx, step);
      current = step.result;
    }
    if (out.length > 1 && dice.chance(0.7)) out.push(dice.pick(LAND)(fmt(current)));
    return out;
  };

// ---------------------------------------------------------------------------------------------
// Setting up an equation in the unknown, solved with real arithmetic.

const LET: readonly T1[] = [
  (v) => `Let $${v}$ denote the quantity we want.`,
  (v) => `Write $${v}$ for the unknown.`,
  (v) => `Let me call the unknown $${v}$.`,
  (v) => `Set $${v}$ to be the value we are after.`,
];
const HEDGE: readonly string[] = [
  "That is only a first model of the condition, but it gives the right scale.",
  "I'm not yet sure this model is exactly right, but it is a start.",
  "This is a simplification; I'll refine it if needed.",
  "That reading seems plausible, though I should double-check it against the wording.",
];

export const setup: Generator = (ctx) => {
  const { dice } = ctx;
  const v = ctx.unknown;
  const out = [dice.pick(LET)(v)];
  const a = intOperand(ctx, 2, 999) ?? int(2 + dice.below(8));
  const b = intOperand(ctx, 1, 1e6) ?? int(1 + dice.below(20));
  const s = 1 + dice.below(12);
  const c = a.v * s + b.v;
  const A = fmt(a);
  const B = fmt(b);
  const eq =
    dice.chance(0.5)
      ? `If the relation is $${A}${v} + ${B} = ${c}$, then $${A}${v} = ${c} - ${B} = ${a.v * s}$, so $${v} = ${s}$.`
      : `Suppose the condition reads $${A}${v} + ${B} = ${c}$. Subtracting ${B} gives $${A}${v} = ${a.v * s}$, and dividing by ${A} gives $${v} = ${s}$.`;
  if (ctx.ok(eq)) out.push(eq);
  out.push(dice.pick(HEDGE));
  return out;
};

// ---------------------------------------------------------------------------------------------
// Small cases.

const TRY_INTRO: readonly T1[] = [
  () => "Let me try a few small cases.",
  () => "Maybe small values reveal a pattern.",
  (v) => `Let me test some values of $${v}$.`,
  () => "Plugging in small numbers might help.",
];
const TRY: readonly ((v: string, k: string, e: string, r: string) => string)[] = [
  (v, k, e, r) => `Try $${v} = ${k}$: then $${e} = ${r}$.`,
  (v, k, e, r) => `For $${v} = ${k}$ we get $${e} = ${r}$.`,
  (v, k, e, r) => `With $${v} = ${k}$, the expression is $${e} = ${r}$.`,
];
const TRY_OUTRO: readonly string[] = [
  "That pattern suggests a cleaner argument exists.",
  "None of these small cases settles it on its own.",
  "So brute force alone will not finish this, but it shows the trend.",
  "The growth is regular, which is reassuring.",
];
const PARITY: readonly string[][] = [
  ["Case one: $V$ is even.", "Then the terms pair up, and the count splits evenly.", "Case two: $V$ is odd.", "Then one term is left over, which shifts the count."],
  ["First suppose $V$ is small.", "Then only a handful of configurations exist, and they can be listed.", "Otherwise $V$ is large.", "Then the main term dominates and the rest is a correction."],
];

export const cases: Generator = (ctx) => {
  const { dice } = ctx;
  const v = ctx.unknown;
  if (dice.chance(0.2)) return dice.pick(PARITY).map((s) => s.replaceAll("V", v));
  const out = [dice.pick(TRY_INTRO)(v)];
  const a = intOperand(ctx, 2, 1000) ?? int(2 + dice.below(8));
  const b = intOperand(ctx, 1, 1e6) ?? int(1 + dice.below(20));
  const square = dice.chance(0.4);
  const k0 = 1 + dice.below(3);
  for (let k = k0; k < k0 + 3; k++) {
    const e = square ? `${k}^2 + ${fmt(b)}` : `${fmt(a)} \\cdot ${k} + ${fmt(b)}`;
    const r = square ? k * k + b.v : a.v * k + b.v;
    const s = dice.pick(TRY)(v, String(k), e, String(r));
    if (ctx.ok(s)) out.push(s);
  }
  out.push(dice.pick(TRY_OUTRO));
  return out;
};

// ---------------------------------------------------------------------------------------------
// Residues.

const MOD_INTRO: readonly T1[] = [
  (m) => `Now work modulo ${m}.`,
  (m) => `It helps to reduce modulo ${m}.`,
  (m) => `Let me look at residues modulo ${m}.`,
];
const MOD_OUTRO: readonly string[] = [
  "Only the residue matters for the final step.",
  "That constrains the possibilities quite a bit.",
  "So the remainders are under control.",
];

export const modular: Generator = (ctx) => {
  const { dice, facts } = ctx;
  const preset = facts.topics.modulus;
  const m =
    preset !== undefined && ctx.ok(String(preset)) && dice.chance(0.7) ? int(preset) : (intOperand(ctx, 3, 1000) ?? dice.pick([7, 9, 10, 11].map(int)));
  const out = [dice.pick(MOD_INTRO)(fmt(m))];
  const residues: number[] = [];
  for (let i = 0; i < 2; i++) {
    let x = intOperand(ctx, m.v + 1, 1e12);
    if (!x) {
      const y = intOperand(ctx, 2, 1e6) ?? int(13 + dice.below(80));
      x = int(y.v * (m.v + 1) + dice.below(m.v));
    }
    const style = dice.chance(0.7) ? "latex" : "words";
    const step = compute("mod", x, m, style);
    if (!step || !ctx.ok(step.text)) continue;
    out.push(dice.pick(style === "words" ? CONNECT : CONNECT_EQUATION)(step.text));
    remember(ctx, step);
    residues.push(step.result.v);
  }
  if (residues.length === 2) {
    const [r, s] = residues as [number, number];
    const sentence = `So the sum is congruent to ${(r + s) % m.v} and the product to ${(r * s) % m.v} modulo ${fmt(m)}.`;
    if (ctx.ok(sentence)) out.push(sentence);
  }
  out.push(dice.pick(MOD_OUTRO));
  return out;
};

// ---------------------------------------------------------------------------------------------
// Fractions and ratios.

export const COPRIME: readonly string[] = [
  "The fraction has to be in lowest terms before reading off numerator and denominator.",
  "Since the numerator and denominator must be relatively prime, I have to reduce fully.",
];

export const fractions: Generator = (ctx) => {
  const { dice, facts } = ctx;
  const out: string[] = [];
  const fr = facts.fractions;
  if (fr.length > 0 && dice.chance(0.6)) {
    const f = dice.pick(fr);
    const g = fr.length > 1 ? dice.pick(fr) : { num: 1, den: 2 + dice.below(5) };
    const sum = addFractions(f.num, f.den, g.num, g.den);
    if (sum && ctx.ok(sum.text)) out.push(dice.pick(["Adding the fractions, ", "Over a common denominator, ", "Combining, "]) + sum.text + ".");
  } else {
    const a = intOperand(ctx, 2, 1e6);
    const b = intOperand(ctx, 2, 1e6);
    if (a && b && a.v !== b.v) {
      const g = gcd(a.v, b.v);
      const A = fmt(a);
      const B = fmt(b);
      const s =
        g > 1
          ? `The ratio $\\frac{${A}}{${B}}$ simplifies to $${b.v === g ? a.v / g : `\\frac{${a.v / g}}{${b.v / g}}`}$, since $\\gcd(${A}, ${B}) = ${g}$.`
          : `The ratio $\\frac{${A}}{${B}}$ is already in lowest terms, since ${A} and ${B} share no common factor.`;
      if (ctx.ok(s)) out.push(s);
    }
  }
  if (facts.topics.coprime || dice.chance(0.3)) out.push(dice.pick(COPRIME));
  return out;
};

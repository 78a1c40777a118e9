// Checks, second thoughts and remarks for the chain of thought (reasoning.ts): the paragraphs
// that do not compute, or only re-check earlier computations. Every random choice goes through ctx.dice.
import { chain, COPRIME, type Ctx, type Generator, list, pickNext, remember, start, stepFrom, type T1, type T2 } from "./reasoning-steps.ts";

/** Markers a harness reads as the final answer: never in the reasoning (compared in lower case). */
export const FORBIDDEN: readonly string[] = ["\\boxed", "answer:", "####", "the answer is", "<think>"];

// ---------------------------------------------------------------------------------------------
// Checks of earlier steps, by inverse operations.

const CHECK_INTRO: readonly string[] = [
  "Let me double-check.",
  "Quick check:",
  "Verifying the arithmetic:",
  "Sanity check:",
  "Let me make sure the arithmetic is right.",
];
const CHECK: readonly T1[] = [(c) => `${c}, which matches.`, (c) => `Indeed ${c}.`, (c) => `Going backwards, ${c}.`, (c) => `And ${c}, as it should be.`];
const CHECK_OUTRO: readonly string[] = ["Good, that is consistent.", "So that step holds.", "Everything lines up so far.", "No mistakes there."];

export const check: Generator = (ctx) => {
  const { dice } = ctx;
  const out = [dice.pick(CHECK_INTRO)];
  const checkable = ctx.history.filter((s) => s.check !== undefined);
  if (checkable.length === 0) {
    const step = stepFrom(ctx, start(ctx), "plain");
    if (step) {
      remember(ctx, step);
      out.push(`Recomputing, ${step.text}.`);
      if (step.check && ctx.ok(step.check)) out.push(dice.pick(CHECK)(step.check));
    }
  } else {
    const n = Math.min(checkable.length, 1 + dice.below(2));
    const done = new Set<string>();
    let previous: T1 | undefined;
    for (let i = 0; i < n; i++) {
      const c = dice.pick(checkable).check!;
      if (done.has(c)) continue;
      done.add(c);
      previous = pickNext(ctx, CHECK, previous);
      const s = previous(dice.chance(0.4) ? `$${c.replace("*", "\\cdot")}$` : c);
      if (ctx.ok(s)) out.push(s);
    }
  }
  out.push(dice.pick(CHECK_OUTRO));
  return out;
};

// ---------------------------------------------------------------------------------------------
// Second thoughts.

const DOUBT_INTRO: readonly string[] = ["Hmm, wait.", "Actually, hold on.", "Hmm.", "Wait a moment.", "Let me pause here."];
const DOUBT: readonly ((v: string, w: string) => string)[] = [
  () => "I should make sure I'm not double counting anything.",
  () => "Did I use every condition in the problem?",
  (v) => `The condition on $${v}$ might rule out some of these cases.`,
  (_, w) => `Let me re-read the part about the ${w}.`,
  (_, w) => `I'm not sure the ${w} are handled correctly.`,
  () => "Is there an edge case I'm missing?",
  () => "The order of operations matters here, so let me be careful.",
  () => "I may have mixed up which quantity is which.",
  (v) => `Could $${v}$ be zero or negative here?`,
];
const DOUBT_OUTRO: readonly string[] = [
  "I think it's fine, but let me keep going carefully.",
  "Yes, that part holds up.",
  "Okay, that seems right after all.",
  "It looks consistent, so I'll continue.",
  "I'll keep that in mind as I continue.",
];

export const doubt: Generator = (ctx) => {
  const { dice } = ctx;
  const w = ctx.facts.words.length > 0 ? dice.pick(ctx.facts.words) : "conditions";
  const first = dice.below(DOUBT.length);
  const second = (first + 1 + dice.below(DOUBT.length - 1)) % DOUBT.length;
  const out = [dice.pick(DOUBT_INTRO), DOUBT[first]!(ctx.unknown, w)];
  if (dice.chance(0.5)) out.push(DOUBT[second]!(ctx.unknown, w));
  out.push(dice.pick(DOUBT_OUTRO));
  return out;
};

// ---------------------------------------------------------------------------------------------
// Remarks that fit the kind of problem.

export const topical: Generator = (ctx) => {
  const { dice, facts } = ctx;
  const t = facts.topics;
  const options: string[] = ["Let me organize the information before computing further.", "The structure suggests working step by step."];
  const points = facts.variables.filter((v) => v.length === 1 && v === v.toUpperCase());
  if (t.geometry) {
    options.push("Let me place the figure in coordinates so that lengths become algebra.");
    options.push("A careful sketch helps here; similar triangles or the Pythagorean theorem should do the rest.");
    if (points.length >= 2) options.push(`Drawing the figure, the points ${list(points.slice(0, 4).map((p) => `$${p}$`))} fix everything else.`);
  }
  if (t.probability) options.push("The probability is the number of favorable outcomes over the total number of outcomes.", "Complementary counting might be easier here.");
  if (t.counting) options.push("I'll count systematically so nothing is missed.", "It is easier to count by cases and add the cases up.");
  if (t.coprime) options.push(COPRIME[0]!);
  if (t.money) options.push("Everything is in dollars, so I'll keep the units consistent.", "Let me track the money step by step.");
  if (t.time) options.push("I'll convert everything to the same unit of time first.");
  if (t.remainder || t.modulus !== undefined) options.push("Since only a remainder is needed, I can reduce along the way.");
  const first = dice.pick(options);
  const second = dice.pick(options);
  return first === second ? [first] : [first, second];
};

// ---------------------------------------------------------------------------------------------
// Multiple choice: remarks about the options as shown.

const OPTIONS_INTRO: readonly string[] = ["Now let me compare with the options.", "Let me go through the choices.", "Looking at the options again."];
const OPTION: readonly T2[] = [
  (l, q) => `Option ${l} says "${q}".`,
  (l, q) => `Looking at option ${l}: "${q}".`,
  (l, q) => `Choice ${l} is "${q}".`,
];
const FITS: readonly string[] = ["That is consistent with the reasoning so far.", "That fits what we derived.", "This one looks plausible."];
const FAILS: readonly string[] = [
  "That does not fit what we derived above.",
  "That would need an assumption the problem does not make.",
  "That seems too extreme to be right.",
  "I can't rule that out yet, but it looks unlikely.",
];

/** A short, safe quote of an option's text: a few words, one line, no answer markers. */
export function quote(text: string): string | undefined {
  const flat = text.replace(/\s+/g, " ").replaceAll('"', "'").trim();
  const lower = flat.toLowerCase();
  if (flat === "" || FORBIDDEN.some((f) => lower.includes(f))) return undefined;
  if (flat.length <= 48) return flat;
  const cut = flat.lastIndexOf(" ", 44);
  return `${flat.slice(0, cut > 16 ? cut : 44)}...`;
}

export const options: Generator = (ctx) => {
  const { dice } = ctx;
  if (ctx.choices.length === 0) return [];
  const out = [dice.pick(OPTIONS_INTRO)];
  const n = Math.min(ctx.choices.length, 1 + dice.below(3));
  const start = dice.below(ctx.choices.length);
  for (let i = 0; i < n; i++) {
    const c = ctx.choices[(start + i) % ctx.choices.length]!;
    const q = quote(c.text);
    if (q === undefined) continue;
    const s = dice.pick(OPTION)(c.letter, q);
    if (!ctx.ok(s)) continue;
    out.push(s);
    const fits = ctx.answerLetter === undefined ? dice.chance(0.5) : c.letter === ctx.answerLetter;
    out.push(dice.pick(fits ? FITS : FAILS));
  }
  return out.length > 1 ? out : [];
};

// ---------------------------------------------------------------------------------------------
// Later rounds for long replies: re-derive or re-check with varied wording.

const VERIFY: readonly string[] = [
  "Let me verify this another way.",
  "Going over the computation once more.",
  "One more pass to be safe.",
  "Let me re-derive the key quantity from scratch.",
  "Let me recheck from a different angle.",
  "Let me redo this part more carefully.",
  "Before concluding, another round of checking.",
  "Let me make sure nothing was lost along the way.",
];

export const verify: Generator = (ctx) => {
  const intro = ctx.dice.pick(VERIFY);
  const body = ctx.dice.chance(0.6) ? chain(true)(ctx) : check(ctx).slice(1);
  return [intro, ...body];
};

/** Short digit-free sentences that top a reply up to its target length. */
export const FILLERS: readonly string[] = [
  "Okay.",
  "Good.",
  "Right.",
  "Fine.",
  "So far so good.",
  "That checks out.",
  "Makes sense.",
  "Let me continue.",
  "This looks right.",
  "Yes.",
  "Moving on.",
  "That seems solid.",
];

// A chain of thought for a reply. Real models reason at length before answering, mentioning many
// intermediate numbers; a harness's answer extraction is only tested properly if replies look like
// that (a grader taking the first, or any intermediate, number must fail). The text is built from
// the problem's own numbers and symbols with real arithmetic, to about the requested length, and is
// a pure function of (problem, answer, target, seed, keys).
import { factsOf } from "./reasoning-facts.ts";
import { Dice, fmt, type Num } from "./reasoning-math.ts";
import { check, doubt, FILLERS, FORBIDDEN, options, topical, verify } from "./reasoning-remarks.ts";
import { cases, chain, type Choice, type Ctx, fractions, type Generator, modular, opening, setup } from "./reasoning-steps.ts";

export interface ReasoningInput {
  /** The question text (from the dataset). */
  readonly problem: string;
  /** The final answer the reply will state (correct or wrong); undefined: the reply gives none. */
  readonly answer: string | undefined;
  /** Approximate length in tokens (estimateTokens of the result is within ±15% for targets >= 50). */
  readonly targetTokens: number;
  readonly seed: number;
  readonly keys: readonly number[];
  /** Multiple choice: the options as shown, for "Option B says ..." remarks. */
  readonly choices?: readonly Choice[];
}

/** The text aims inside [LOW, HIGH] × target characters: tighter than ±15% to absorb rounding. */
const LOW = 0.95;
const HIGH = 1.06;
const CHARS_PER_TOKEN = 4;

/**
 * A worked chain of thought, as plain text paragraphs separated by blank lines. It does NOT
 * contain the final answer statement (the caller appends the answer line) and never contains
 * "\boxed", "Answer:", "####", "The answer is" or "<think>". With an answer, the last paragraph
 * leads to it and it is mentioned nowhere else; without one, the last paragraph has no digits.
 */
export function reasoningText(input: ReasoningInput): string {
  const target = Math.round(input.targetTokens * CHARS_PER_TOKEN);
  if (!(target > 0)) return "";
  const answer = input.answer?.trim() || undefined;
  const ctx = context(input, answer);
  const low = target * LOW;
  const high = target * HIGH;
  const closing = closingParagraph(ctx, answer, high);

  const body: string[] = [];
  let total = closing.length;
  const plan = openingPlan(ctx, target);
  let stalls = 0;
  for (let i = 0; total < low && stalls < 12; i++) {
    const generate = i < plan.length ? plan[i]! : laterRound(ctx);
    let paragraph = "";
    for (const sentence of generate(ctx)) {
      const cost = sentence.length + (paragraph === "" ? 2 : 1);
      if (total + cost > high || !ctx.ok(sentence)) continue;
      paragraph = paragraph === "" ? sentence : `${paragraph} ${sentence}`;
      total += cost;
    }
    if (paragraph === "") stalls++;
    else {
      stalls = 0;
      body.push(paragraph);
    }
  }
  // Top up the last gap (smaller than any paragraph that still fitted) with short sentences.
  while (total < low) {
    const separator = body.length === 0 ? 2 : 1;
    const fitting = FILLERS.filter((f) => total + f.length + separator <= high);
    if (fitting.length === 0) break;
    const filler = ctx.dice.pick(fitting);
    if (body.length === 0) body.push(filler);
    else body[body.length - 1] += ` ${filler}`;
    total += filler.length + separator;
  }
  body.push(closing);
  return body.join("\n\n");
}

function context(input: ReasoningInput, answer: string | undefined): Ctx {
  const facts = factsOf(input.problem);
  const dice = new Dice(input.seed, input.keys);
  const avoidNumber = answer === undefined ? undefined : numericForm(answer);
  // A math answer that is not a plain number ("\frac{1}{2}", "3\sqrt{2}") is also kept out of the
  // body; a word or letter answer is not (it would veto every sentence containing "the").
  const avoidText = answer !== undefined && avoidNumber === undefined && /[\d\\]/.test(answer) ? answer : undefined;
  const ok = (text: string) => (avoidNumber === undefined || !mentions(text, avoidNumber)) && (avoidText === undefined || !text.includes(avoidText));
  const given = facts.numbers.filter((n) => ok(fmt(n)));
  const pool: Num[] = given.length > 0 ? [...given] : [];
  // Too few numbers to compute with: add small constants, as a solver would ("try 2, 3 ...").
  for (const v of [2, 3, 5, 7, 10]) if (pool.length < 3 && ok(String(v)) && !pool.some((n) => n.v === v)) pool.push({ v, d: 0 });
  const singles = facts.variables.filter((v) => v.length === 1);
  const unknown = singles.find((v) => v === v.toLowerCase()) ?? singles[0] ?? dice.pick(["x", "n", "k", "t"]);
  const choices = input.choices ?? [];
  const answerLetter = answer !== undefined && choices.some((c) => c.letter === answer) ? answer : undefined;
  return { facts, dice, pool, given, unknown, choices, answerLetter, history: [], ok, last: undefined };
}

/** The answer's canonical number ("033" → "33", "1,000" → "1000"), if it is a plain number. */
function numericForm(answer: string): string | undefined {
  const plain = answer.replace(/^\\?\$|\$$|,|\^\\circ$/g, "");
  if (!/^-?\d+(?:\.\d+)?$/.test(plain)) return undefined;
  const dot = plain.indexOf(".");
  return fmt({ v: Number(plain), d: dot < 0 ? 0 : plain.length - dot - 1 });
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Whether `text` contains the number `token` on its own (not inside 133 or 33.5). */
export function mentions(text: string, token: string): boolean {
  for (let i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + 1)) {
    const before = text.charCodeAt(i - 1);
    const end = i + token.length;
    const after = text.charCodeAt(end);
    const digitBefore = isDigit(before) || (before === 46 && isDigit(text.charCodeAt(i - 2)));
    const digitAfter = isDigit(after) || (after === 46 && isDigit(text.charCodeAt(end + 1)));
    if (!digitBefore && !digitAfter) return true;
  }
  return false;
}

/** The first paragraphs, in an order a solver would write them; shorter replies stop early. */
function openingPlan(ctx: Ctx, target: number): Generator[] {
  const plan: Generator[] = [opening(target >= 1600), chain(true), setup];
  plan.push(ctx.dice.pick([cases, modular, fractions]));
  if (ctx.choices.length > 0) plan.push(options);
  plan.push(doubt, chain(ctx.dice.chance(0.5)), check, topical);
  return plan;
}

const LATER: readonly Generator[] = [chain(true), chain(false), chain(true), cases, modular, fractions, check, check, doubt, doubt, verify, verify, verify];

function laterRound(ctx: Ctx): Generator {
  if (ctx.choices.length > 0 && ctx.dice.chance(0.12)) return options;
  if (ctx.dice.chance(0.05)) return topical;
  return ctx.dice.pick(LATER);
}

// ---------------------------------------------------------------------------------------------
// The last paragraph.

const LEAD_IN: readonly string[] = ["All the checks agree.", "Everything is consistent.", "That settles it.", "The pieces fit together now."];
const CONCLUDE: readonly ((a: string) => string)[] = [
  (a) => `Putting these together, the value we need is ${a}.`,
  (a) => `Combining everything, the result comes out to ${a}.`,
  (a) => `So after all of this, I get ${a}.`,
  (a) => `Therefore the requested quantity equals ${a}.`,
  (a) => `So the final value is ${a}.`,
  (a) => `That gives ${a} as the result.`,
];
const CONCLUDE_CHOICE: readonly ((a: string) => string)[] = [
  (a) => `So the best match is option ${a}.`,
  (a) => `That points to option ${a}.`,
  (a) => `Therefore the correct choice is ${a}.`,
];
const UNSURE: readonly string[] = [
  "Hmm, I'm still not sure these cases cover everything.",
  "Something doesn't add up with this approach.",
  "Wait, I think I misread one of the conditions.",
  "Hmm, these two routes do not agree with each other.",
];
const TRAIL: readonly ((v: string) => string)[] = [
  (v) => `Let me go back and reconsider the setup for $${v}$ before committing to anything...`,
  () => "Maybe the intended reading is different, so let me think about it again...",
  () => "I need to rethink how the pieces fit together before going further...",
  () => "Let me start over with a cleaner approach...",
];

function closingParagraph(ctx: Ctx, answer: string | undefined, high: number): string {
  const { dice } = ctx;
  let last: string;
  if (answer === undefined) {
    last = dice.pick(TRAIL)(ctx.unknown);
    if (dice.chance(0.7)) last = `${dice.pick(UNSURE)} ${last}`;
    return last.length <= high ? last : "Hmm, not sure yet...";
  }
  const lower = answer.toLowerCase();
  // An answer carrying a marker itself cannot be written without breaking the contract.
  if (FORBIDDEN.some((f) => lower.includes(f)) || answer.includes("\n")) return "So the value we need is the one stated below.";
  const shown = /[\\^_{}]/.test(answer) && !answer.startsWith("$") ? `$${answer}$` : answer;
  last = (ctx.answerLetter !== undefined ? dice.pick(CONCLUDE_CHOICE) : dice.pick(CONCLUDE))(shown);
  if (dice.chance(0.5)) {
    const withLead = `${dice.pick(LEAD_IN)} ${last}`;
    if (withLead.length <= high * 0.5) last = withLead;
  }
  return last.length <= high ? last : `So it is ${shown}.`;
}

/**
 * Pieces of judge prompts: the verdict words they ask for, the answer shape their examples show, the
 * phrase they want for "no answer", and the parts that hold the response and the reference.
 * Every pattern here is linear: prompts can be large and arrive at full request rate.
 */
import { bareAnswer, canonicalNumber } from "./normalize.ts";
import { rationalValue } from "./numeric.ts";
import type { AnswerShape, Verdicts } from "./types.ts";

/** The form a bare answer has: an option letter, a number, or anything else. */
export function shapeOf(answer: string | undefined): AnswerShape {
  const bare = answer === undefined ? undefined : bareAnswer(answer);
  if (bare === undefined) return "any";
  if (/^[A-J]$/.test(bare)) return "letter";
  return canonicalNumber(bare) !== undefined || rationalValue(bare) !== undefined ? "number" : "any";
}

/** The shape of the prompt's examples ("Example 1: 42" -> number, "Example 1: C" -> letter), if it shows any. */
export function examplesShape(text: string): AnswerShape | undefined {
  const shapes = [...text.matchAll(/^[ \t]*Example[ \t]*\d+[ \t]*[:.)][ \t]*(\S.*)$/gim)].map((m) => shapeOf(m[1]));
  if (shapes.length === 0) return undefined;
  return shapes.every((s) => s === shapes[0]) ? shapes[0] : "any";
}

/** The shape the instruction names in words ("the option letter", "A/B/C/D", "a number"), if it names one. */
export function namedShape(text: string): AnswerShape | undefined {
  if (/\b(?:option|choice|answer)[ \t]+letter\b|\bletter[ \t]+(?:of|for)[ \t]+the[ \t]+(?:correct[ \t]+)?(?:option|choice|answer)\b|\bA\/B\/C\/D\b/i.test(text)) return "letter";
  if (/\b(?:numeric(?:al)?|integer)[ \t]+(?:answer|value|result)\b|\bfinal[ \t]+number\b/i.test(text)) return "number";
  return undefined;
}

const letterVerdict = (word: string) => new RegExp(String.raw`^[ \t]*([A-Z])[ \t]*[:.)][ \t]*["']?${word}["']?[ \t]*$`, "m");
const LETTER_CORRECT = letterVerdict("CORRECT");
const LETTER_INCORRECT = letterVerdict("INCORRECT");
const QUOTED_VERDICT = /["'“‘`](correct|incorrect|yes|no|true|false)["'”’`]/gi;
const BRACKETED_VERDICT = /\[\[(yes|no|correct|incorrect|true|false)\]\]/gi;
const PAIRS: readonly (readonly [string, string])[] = [["correct", "incorrect"], ["yes", "no"], ["true", "false"]];
const PLAIN_PAIR = /\b(correct)[ \t]*(?:,|\/|or)[ \t]*(?:an[ \t]+)?(incorrect)\b|\b(yes)[ \t]*(?:\/|or)[ \t]*(no)\b|\b(true)[ \t]*(?:\/|or)[ \t]*(false)\b/gi;

/** The pair of opposite words mentioned last (`found`: lower-cased word -> its spelling and last position). */
function latestPair(found: Map<string, { spelled: string; at: number }>): Verdicts | undefined {
  let best: { v: Verdicts; at: number } | undefined;
  for (const [yes, no] of PAIRS) {
    const a = found.get(yes);
    const b = found.get(no);
    if (a === undefined || b === undefined) continue;
    const at = Math.max(a.at, b.at);
    if (best === undefined || at > best.at) best = { v: { correct: a.spelled, incorrect: b.spelled }, at };
  }
  return best?.v;
}

function collect(text: string, pattern: RegExp, spell: (m: RegExpMatchArray) => string) {
  const found = new Map<string, { spelled: string; at: number }>();
  for (const m of text.matchAll(pattern)) found.set(m[1]!.toLowerCase(), { spelled: spell(m), at: m.index });
  return found;
}

/**
 * The verdict words a grading prompt asks for, spelled as it spells them: option letters listed as
 * "A: CORRECT" / "B: INCORRECT" (simple-evals SimpleQA, OpenCompass), "[[yes]]"/"[[no]]", quoted words
 * ("Correct" / "Incorrect", 'yes' / 'no', "true" / "false"), else unquoted "CORRECT or INCORRECT".
 */
export function findVerdicts(text: string): Verdicts | undefined {
  const right = LETTER_CORRECT.exec(text);
  const wrong = LETTER_INCORRECT.exec(text);
  if (right !== null && wrong !== null && right[1] !== wrong[1]) return { correct: right[1]!, incorrect: wrong[1]! };
  const bracketed = latestPair(collect(text, BRACKETED_VERDICT, (m) => m[0]));
  if (bracketed !== undefined) return bracketed;
  const quoted = latestPair(collect(text, QUOTED_VERDICT, (m) => m[1]!));
  if (quoted !== undefined) return quoted;
  let plain: Verdicts | undefined;
  for (const m of text.matchAll(PLAIN_PAIR)) {
    const [a, b] = m[1] !== undefined ? [m[1], m[2]!] : m[3] !== undefined ? [m[3], m[4]!] : [m[5]!, m[6]!];
    plain = { correct: a, incorrect: b };
  }
  return plain;
}

/** What the prompt says to reply when there is no answer ("reply with 'no answer'"), if it says. */
export function noAnswerPhrase(text: string): string | undefined {
  const m = /\b(?:no[ \t]+(?:clear[ \t]+|final[ \t]+|valid[ \t]+|extractable[ \t]+)?answer|none|nothing|cannot|can't|unable)\b[^.\n]{0,120}?\b(?:reply|respond|answer|output|return|write|say)(?:[ \t]+with)?[ \t]*(?::[ \t]*)?["'“‘`]([^"'”’`\n]{1,24})["'”’`]/i.exec(text);
  return m?.[1];
}

// Section names, by role (compared lower-cased, with "_" and "-" as spaces). A label is a line start
// "Name:" ("**Name:**", "### Name:", "[name]:"). Plain "Answer:" is not one: replies say it.
const REFERENCE = /^(?:reference|gold|golden|ground truth|answer key)$|^(?:reference|correct|gold|golden|expected|ground truth|labell?ed|standard|target|true|official|right) (?:answers?|targets?|solution|output|result)$/;
const RESPONSE = /^(?:the )?(?:(?:model(?:'s)?|predicted|candidate(?:'s)?|student(?:'s)?|generated|submitted|ai|assistant(?:'s)?|llm(?:'s)?) (?:response|answer|prediction|output|completion|reply)|response|prediction)(?: to (?:judge|evaluate|grade|assess|extract from))?$/;
const BOUNDARY = /^(?:question|problem|task|prompt|context|instructions?|criteria|rubric|evaluation|judge?ment|verdict|grade|score|notes?|your (?:judge?ment|task|evaluation|verdict|grade))$/;
const LABEL = /^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*|__)?\[?([A-Za-z][A-Za-z' _-]{0,40}?)\]?(?:\*\*|__)?[ \t]*[:：][ \t]*(?:\*\*|__)?/gm;

export type Role = "reference" | "response" | "other";

/** The role of a section name, or undefined when the name is not a section label. */
export function roleOf(name: string): Role | undefined {
  const n = name.trim().toLowerCase().replace(/[\s_-]+/g, " ");
  if (REFERENCE.test(n)) return "reference";
  if (RESPONSE.test(n)) return "response";
  if (BOUNDARY.test(n)) return "other";
  return undefined;
}

export interface Section {
  readonly role: Role;
  /** Where the label starts and where the section's text starts and ends. */
  readonly at: number;
  readonly start: number;
  readonly end: number;
}

/** Labelled sections: each runs from its label to the next label of any known role. */
export function labelledSections(text: string): Section[] {
  const labels: { role: Role; at: number; start: number }[] = [];
  for (const m of text.matchAll(LABEL)) {
    const role = roleOf(m[1]!);
    if (role !== undefined) labels.push({ role, at: m.index, start: m.index + m[0].length });
  }
  return labels.map((l, i) => ({ ...l, end: labels[i + 1]?.at ?? text.length }));
}

/** `[The Start of X] ... [The End of X]` and `<x> ... </x>` sections whose names have a role. */
export function delimitedSections(text: string): Section[] {
  const out: Section[] = [];
  const closes = new Map<string, number>(); // one search per name, however many times a tag repeats
  for (const m of text.matchAll(/\[The Start of ([^\]\n]{1,60})\]|<([A-Za-z][\w -]{0,40})>/g)) {
    const role = roleOf(m[1] ?? m[2]!);
    if (role === undefined || role === "other") continue;
    const close = m[1] !== undefined ? `[The End of ${m[1]}]` : `</${m[2]}>`;
    let end = closes.get(close);
    if (end === undefined) closes.set(close, (end = text.lastIndexOf(close)));
    if (end > m.index) out.push({ role, at: m.index, start: m.index + m[0].length, end });
  }
  return out;
}

const INSTRUCTION = /^(?:please|respond|reply|return|output|answer[ \t]+(?:with|only|in)|only|just|do[ \t]+not|don't|now|remember|note|instructions?|your[ \t]+(?:task|job|judge?ment|response[ \t]+should|answer[ \t]+should|output)|judge|grade|evaluate|determine|decide|is[ \t]+the|does[ \t]+the|did[ \t]+the|was[ \t]+the|based[ \t]+on|compare|provide|give|format|make[ \t]+sure|if[ \t]+(?:the|there|no|you)|here[ \t]+is|below|judging|extract)\b/i;

/** Removes a closing fence or end marker and trailing instruction paragraphs, keeping at least one paragraph. */
export function trimSection(body: string): string {
  let t = body.replace(/^\s*```[^\n]*\n/, "");
  const close = /^[ \t]*(?:```|<\/?[A-Za-z][\w ]*(?:End|end)>|\[The End of)/m.exec(t);
  if (close !== null) t = t.slice(0, close.index);
  const paragraphs = t.trim().split(/\n[ \t]*\n/);
  while (paragraphs.length > 1 && INSTRUCTION.test(paragraphs.at(-1)!.trim())) paragraphs.pop();
  return paragraphs.join("\n\n").trim();
}

/** The text inside the first `open` and the last `close` after it, if both are there. */
export function between(text: string, open: string, close: string): string | undefined {
  const a = text.indexOf(open);
  if (a === -1) return undefined;
  const b = text.lastIndexOf(close);
  return b >= a + open.length ? text.slice(a + open.length, b) : undefined;
}

/**
 * Reading the final answer out of a model response the way a careful judge does: thoughts ignored,
 * then the last \boxed{}, else the last explicit answer statement, else a value on the last line only
 * (a careful judge does not pick an intermediate number out of the working).
 */
import { bareAnswer, canonicalNumber, lastBoxed, unwrapCommands } from "./normalize.ts";
import { rationalValue, sameValue } from "./numeric.ts";
import type { AnswerShape } from "./types.ts";

const THOUGHT_TAG = /<(\/?)(think|thinking)>/gi;

/** The response without its thoughts; "" when everything is thought (an unclosed `<think>`). */
export function dropThoughts(response: string): string {
  let out = "";
  let from = 0;
  let open = false;
  for (const m of response.matchAll(THOUGHT_TAG)) {
    const closing = m[1] === "/";
    if (!open && closing) {
      // "...</think>" with no opening tag: the chat template opened the thought; all before it is thought.
      out = "";
      from = m.index + m[0].length;
    } else if (!open && !closing) {
      out += response.slice(from, m.index);
      open = true;
    } else if (open && closing) {
      open = false;
      from = m.index + m[0].length;
    }
  }
  return open ? out : out + response.slice(from);
}

// "Answer: X", "**Answer:** X", "Final answer: X", "Exact Answer: X", "The answer is X", "#### X".
const STATEMENT = /\b(?:final\s+)?answer(?:\s*(?:\*\*|__))?\s*[:：]|\banswer\s+is\b\s*[:：]?|^[ \t]*####(?=[ \t]*[-+$\\\d.(])/gim;
const MATH_SPAN = /^(?:\$\$([^$]+)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\])/;
const LEADING_NUMBER = /^[+-]?(?:\\?\$\s*)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[ \t]*\/[ \t]*\d+)?\$?/;
// What may follow a number that is the whole answer: nothing, punctuation, a unit word, a percent or degree sign
// (a comma before another number continues a list: "3, 5, 7").
const CONTINUES_EXPRESSION = /^\s*(?:[-+*/^_={×·]|,[ \t]*[-+]?\d|\\(?!text|mathrm|quad|qquad|[,;:! %$]|circ|degree)[a-zA-Z]|[a-zA-Z](?![a-zA-Z]))|^[a-zA-Z\\{(]/;

// An option letter: a capital standing alone, or a small one closed by ")" ("c)", "(c)").
const LETTER = /(?<=^|[\s(\[*:])(?:[A-J](?=$|[\s).\]:,*!])|[a-j](?=\)))/g;

/** The last option letter in a line that is not a word ("A farmer", "I think"), unless named as one ("option A is"). */
function lastOptionLetter(line: string): string | undefined {
  let found: string | undefined;
  for (const m of line.matchAll(LETTER)) {
    const after = line.slice(m.index + 1, m.index + 3);
    const before = line.slice(Math.max(0, m.index - 24), m.index);
    if (!/^\s+[a-z]/.test(after) || /(?:option|choice|answer)\s*(?:is\s*)?[:(\[]?\s*$/i.test(before)) found = m[0].toUpperCase();
  }
  return found;
}

/** The answer at the start of what follows an answer statement. */
function leadingAnswer(x: string, shape: AnswerShape): string | undefined {
  const t = x.trim().replace(/^(?:\*\*|__|\*)+\s*/, "");
  if (t === "") return undefined;
  const letter = shape === "letter"
    ? /^(?:option\s+|choice\s+)?([(\[]?)\s*([A-Ja-j])\s*([)\]]?)(?=$|[\s.,;:!*)\]])/i.exec(t)
    : /^()(?:[(\[]([A-J])[)\]]|([A-J])(?=[).:,]?\s*$|[).:]\s))/.exec(t);
  // "is a bit tricky": a small letter followed by a word is an article, not option A.
  const article = letter !== null && letter[1] === "" && letter[3] === "" && /^[a-z]\s+[a-z]/.test(t.slice(letter[0].length - 1));
  if (letter !== null && !article) return (letter[2] ?? letter[3])!.toUpperCase();
  // Letters wanted: an option named later in the statement ("is a bit tricky, so (B)"), else none here.
  if (shape === "letter") return lastOptionLetter(t);
  const num = LEADING_NUMBER.exec(t);
  if (num !== null && !CONTINUES_EXPRESSION.test(t.slice(num[0].length))) return bareAnswer(num[0], shape);
  const math = MATH_SPAN.exec(t);
  if (math !== null) return bareAnswer(math[1] ?? math[2] ?? math[3] ?? math[4]!, shape);
  // Anything else: the phrase up to the end of its sentence.
  const end = t.search(/\.(?:\s|$)|;\s/);
  return bareAnswer(end === -1 ? t : t.slice(0, end), shape);
}

// Answers are short: a statement's answer is read from at most this many characters, and only the last
// few statements are tried, so that no input makes the reading quadratic.
const ANSWER_SPAN = 400;
const STATEMENTS_TRIED = 16;

/** The answer of the last answer statement that has one. */
function lastStatement(text: string, shape: AnswerShape): string | undefined {
  const ends = [...text.matchAll(STATEMENT)].map((m) => m.index + m[0].length);
  for (let k = ends.length - 1; k >= Math.max(0, ends.length - STATEMENTS_TRIED); k--) {
    const span = text.slice(ends[k]!, ends[k]! + ANSWER_SPAN);
    const newline = span.indexOf("\n");
    let rest = newline === -1 ? span : span.slice(0, newline);
    if (rest.replace(/[*_\s]/g, "") === "" && newline !== -1) {
      // "Final Answer:" on a line of its own: the answer is on the next non-empty line.
      const next = text.slice(ends[k]! + newline + 1, ends[k]! + newline + 1 + ANSWER_SPAN);
      rest = next.split("\n").find((l) => l.trim() !== "") ?? "";
    }
    const answer = leadingAnswer(rest, shape);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

// A number token: a LaTeX fraction, a grouped number (1,000), a plain number or a/b. No sign after a word or digit: "10-3" ends in 3.
const VALUE = /(?<![\w.\\])[+-]?\\[dt]?frac\s*(?:\{[^{}]*\}|\d)\s*(?:\{[^{}]*\}|\d)|(?<![\w.,])[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|(?<![\w.,])[+-]?\d+(?:\.\d+)?(?:\/\d+)?/g;

/** The last line with any letter or digit. */
function lastLine(text: string): string | undefined {
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) if (/[\p{L}\p{N}]/u.test(lines[i]!)) return lines[i]!;
  return undefined;
}

/** The last value on the last line: a number, or for letters an option letter that is not a word ("A farmer"). */
function lastLineValue(text: string, shape: AnswerShape): string | undefined {
  const line = lastLine(text);
  if (line === undefined) return undefined;
  if (shape === "letter") return lastOptionLetter(line);
  const values = [...line.matchAll(VALUE)];
  const last = values.at(-1);
  return last === undefined ? undefined : bareAnswer(last[0], shape);
}

/** The final answer a careful reader takes from a model response, normalised to its bare form; undefined = no answer. */
export function extractAnswer(response: string, shape: AnswerShape = "any"): string | undefined {
  const text = dropThoughts(response);
  if (text.trim() === "") return undefined;
  const boxed = lastBoxed(text);
  const fromBox = boxed === undefined ? undefined : bareAnswer(boxed, shape);
  return fromBox ?? lastStatement(text, shape) ?? lastLineValue(text, shape);
}

/** The form two answers are compared in: no spacing, one spelling of fractions, roots, exponents, units dropped. */
function compact(s: string): string {
  return unwrapCommands(s)
    .replace(/\\left|\\right|\\[,;:! ]|~|\s+/g, "")
    .replace(/\\[dt]frac/g, "\\frac")
    .replace(/\\frac(\d)(\d)/g, "\\frac{$1}{$2}")
    .replace(/\\sqrt(\d)/g, "\\sqrt{$1}")
    .replace(/([\^_])\{([^{}])\}/g, "$1$2")
    .replace(/\{,\}/g, ",")
    .replace(/^\\\$|(?:\^\\circ|°|\\%|%)$/g, "")
    .toLowerCase();
}

/** Whether two bare answers are equivalent as a careful grader judges. */
export function equivalentAnswers(a: string, b: string): boolean {
  const x = bareAnswer(a);
  const y = bareAnswer(b);
  if (x === undefined || y === undefined) return false;
  const cx = compact(x);
  const cy = compact(y);
  if (cx === cy) return true;
  const p = rationalValue(canonicalNumber(cx) ?? cx);
  const q = rationalValue(canonicalNumber(cy) ?? cy);
  return p !== undefined && q !== undefined && sameValue(p, q);
}

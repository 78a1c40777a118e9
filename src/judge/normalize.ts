/**
 * An answer's bare form: what a careful judge writes back when asked for "only the answer".
 * Wrappers go ($, \(..\), \boxed{}, \text{}, markdown, a trailing period), option letters lose their
 * brackets, integer-valued numbers become canonical integers (graders compare strings), and anything
 * else (fractions, decimals, LaTeX expressions) stays as written.
 */
import type { AnswerShape } from "./types.ts";

/** A balanced `{...}` group whose `{` is at `open`: its content and the index after its `}`. `\{` and `\}` do not count. */
export function readGroup(s: string, open: number): { content: string; end: number } | undefined {
  if (s[open] !== "{") return undefined;
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") i++;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return { content: s.slice(open + 1, i), end: i + 1 };
  }
  return undefined;
}

const BOX = /\\(?:boxed|fbox)\s*\{/g;

/** For every `{` the index of its matching `}`, in one pass (escaped braces do not count). */
function braceMatches(s: string): Map<number, number> {
  const open: number[] = [];
  const match = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") i++;
    else if (c === "{") open.push(i);
    else if (c === "}" && open.length > 0) match.set(open.pop()!, i);
  }
  return match;
}

/** The content of the last non-empty `\boxed{...}` / `\fbox{...}` (balanced, so `\boxed{\frac{1}{2}}` works). Linear time. */
export function lastBoxed(s: string): string | undefined {
  const starts = [...s.matchAll(BOX)].map((m) => m.index + m[0].length - 1);
  if (starts.length === 0) return undefined;
  const match = braceMatches(s);
  for (let k = starts.length - 1; k >= 0; k--) {
    const end = match.get(starts[k]!);
    const content = end === undefined ? "" : s.slice(starts[k]! + 1, end);
    if (content.trim() !== "") return content;
  }
  return undefined;
}

const TEXT_COMMAND = /\\(?:text(?:bf|it|rm|sf|tt|normal)?|math(?:rm|bf|it|sf|tt)|mbox|boxed|fbox)\s*\{/;

/** Replaces every `\text{X}` (and `\mathrm`, `\mathbf`, `\mbox`, nested `\boxed`, ...) by X. */
export function unwrapCommands(s: string): string {
  for (let guard = 0; guard < 64; guard++) {
    const m = TEXT_COMMAND.exec(s);
    if (m === null) return s;
    const group = readGroup(s, m.index + m[0].length - 1);
    if (group === undefined) return s;
    s = s.slice(0, m.index) + group.content + s.slice(group.end);
  }
  return s;
}

const TRAILING_PUNCTUATION = new Set([".", ",", ";", "!", ":", "。"]);
const PAIRS = [["**", "**"], ["__", "__"], ["$$", "$$"], ["\\(", "\\)"], ["\\[", "\\]"], ["`", "`"], ["*", "*"], ["$", "$"]] as const;

/** One layer of whole-answer wrapping removed, or undefined when there is none. */
function unwrapOnce(s: string): string | undefined {
  const t = s.trim();
  // Trailing sentence punctuation ("33." "C," "$5$."), never a LaTeX escape such as "\,".
  let end = t.length;
  while (end > 0 && TRAILING_PUNCTUATION.has(t[end - 1]!)) end--;
  if (end < t.length && end > 0 && t[end - 1] !== "\\") return t.slice(0, end);
  for (const [open, close] of PAIRS) {
    if (t.length > open.length + close.length && t.startsWith(open) && t.endsWith(close)) {
      const inner = t.slice(open.length, t.length - close.length);
      // "$a$ and $b$" is not one wrapped answer.
      if (!inner.includes(open) && !inner.includes(close)) return inner;
    }
  }
  const box = /^\\(?:boxed|fbox)\s*\{/.exec(t);
  if (box !== null) {
    const group = readGroup(t, box[0].length - 1);
    if (group !== undefined && group.end === t.length) return group.content;
  }
  return undefined;
}

/** Strips wrappers until none is left. */
export function stripWrappers(s: string): string {
  let t = s.trim();
  for (let guard = 0; guard < 16; guard++) {
    const next = unwrapOnce(t);
    if (next === undefined) break;
    t = next.trim();
  }
  return t;
}

const OPTION = /^(?:(option|choice|answer)\s*(?:[:#]\s*)?)?([(\[]\s*)?([A-Ja-j])\s*([)\].:]?)$/i;

/**
 * "C", "(C)", "C)", "[C]", "C.", "Option C" -> "C". A lone lower-case letter is an option only when
 * the prompt wants letters or it is marked as one ("(c)", "option c"): "e" may be Euler's number.
 */
export function optionLetter(s: string, shape: AnswerShape): string | undefined {
  const m = OPTION.exec(s.trim());
  if (m === null) return undefined;
  const letter = m[3]!;
  const bracket = m[2]?.[0];
  const marked = m[1] !== undefined || (bracket === "(" && m[4] === ")") || (bracket === "[" && m[4] === "]");
  if (shape === "letter" || letter !== letter.toLowerCase() || marked) return letter.toUpperCase();
  return undefined;
}

// Applied to trimmed text; no leading \s* so that no run of spaces is scanned once per position.
const DEGREES = /(?:\^\s*\\circ|\^\s*\{\s*\\circ\s*\}|°|\\degree)$/;
const PERCENT = /\\?%$/;
// Thousands separators as writers and LaTeX spell them: 1,000  1{,}000  1,\!000  1\,000  1 000 (thin spaces).
const SEPARATORS = /\{,\}|,\\!|\\,|\\!|[\u2009\u202f]/g;
const GROUPED = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
// Words after a number are its unit ("18 dollars", "5 cm", "64 square feet"); a judge reports the number.
const UNIT = /^([+-]?[\d.,{}\\!]+)\s*(?:(?:\\[ ,;:!]|~)\s*)?(?!(?:pi|sqrt|log|ln|sin|cos|tan|mod)\b)[A-Za-z]{2,}(?:[ \t]+[A-Za-z]{2,}){0,2}$/;

/**
 * "1,000" -> "1000", "33.0" -> "33", "+5" -> "5", "033" -> "33", "$18" -> "18"; undefined when `s` is not a
 * plain number. `keepGrouping`: a number written with thousands separators keeps them ("43,500").
 */
export function canonicalNumber(s: string, shape: AnswerShape = "any", keepGrouping = false): string | undefined {
  let t = s.trim().replace(/^(?:\\\$|\$)\s*/, "");
  t = t.replace(/^[a-zA-Z]\s*=\s*(?=[+-]?[\d.])/, "");
  t = t.replace(DEGREES, "").trimEnd();
  if (shape === "number") t = t.replace(PERCENT, "").trimEnd();
  const unit = UNIT.exec(t);
  if (unit !== null) t = unit[1]!;
  t = t.replace(SEPARATORS, "");
  if (GROUPED.test(t)) {
    if (keepGrouping) return t.replace(/^\+/, "");
    t = t.replaceAll(",", "");
  }
  if (!DECIMAL.test(t)) return undefined;
  const negative = t.startsWith("-");
  const [intPart = "", frac = ""] = t.replace(/^[+-]/, "").split(".");
  if (/^0*$/.test(frac)) {
    const digits = intPart.replace(/^0+(?=\d)/, "") || "0";
    return negative && digits !== "0" ? `-${digits}` : digits;
  }
  // A non-integer keeps its digits as written (minus a "+" sign and separators).
  return `${negative ? "-" : ""}${intPart === "" ? "0" : intPart}.${frac}`;
}

/** The bare form of an answer, or undefined when nothing is left. */
export function bareAnswer(raw: string, shape: AnswerShape = "any"): string | undefined {
  let s = stripWrappers(unwrapCommands(stripWrappers(raw)));
  s = stripWrappers(s.replace(/\s+/g, " "));
  // Punctuation alone ("." "**") is not an answer.
  if (!/[\p{L}\p{N}\\∞∅]/u.test(s)) return undefined;
  const letter = optionLetter(s, shape);
  if (letter !== undefined) return letter;
  // Grouping stays as written: a judge quotes "43,500" as such (llama-eval compares it to GSM8K's "#### 43,500").
  return canonicalNumber(s, shape, true) ?? s;
}

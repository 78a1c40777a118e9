import { below } from "../decide/random.ts";

/**
 * How the reply states its final answer. A real model follows the format the prompt asks for,
 * and every harness's grader reads only that format, so the simulator must do the same.
 */
export type AnswerFormat = "boxed" | "answer-line" | "minerva" | "the-answer-is" | "hashes";

/** One way a prompt asks for (or shows, in few-shot examples) a format. */
interface Cue {
  readonly format: AnswerFormat;
  readonly pattern: RegExp;
}

// Placeholders prompts put after "Answer:" or "####": $ANSWER, [answer], <answer>, {answer}.
const PLACEHOLDER = String.raw`\$[A-Za-z_]+|\[[^\]\n]{1,40}\]|<[^>\n]{1,40}>|\{[^}\n]{1,40}\}`;

const CUES: readonly Cue[] = [
  // "Put your answer inside \boxed{}", or few-shot solutions ending in \boxed{..}.
  { format: "boxed", pattern: /\\boxed\b/g },
  // 'Answer: A/B/C/D', after "Answer:", `Answer: $LETTER` (quoted "Answer:" anywhere).
  { format: "answer-line", pattern: /["'`\u2018\u201c]\s*answer\s*:/gi },
  // of the form Answer: $ANSWER / Answer: A/B/C/D / Answer: [answer]
  { format: "answer-line", pattern: new RegExp(String.raw`\banswer[ \t]*:[ \t]*(?:${PLACEHOLDER}|\$?[A-J](?:[ \t]*[/|,][ \t]*[A-J])+\b)`, "gi") },
  // Few-shot examples whose answers sit on an "Answer: B" or "Answer: 72" line. A bare trailing
  // "Answer:" (the completion cue of "Question: ...\nAnswer:") is deliberately not a cue.
  { format: "answer-line", pattern: /^[ \t]*(?:Final Answer|Answer|ANSWER|answer)[ \t]*:[ \t]*(?:\(?[A-J]\)?|-?\$?\d[\d,]*(?:\.\d+)?)[ \t]*$/gm },
  // lm-eval's minerva_math few-shot targets: "Final Answer: The final answer is $X$. I hope it is correct."
  // Before "the-answer-is" in this list, and matched where that cue is: at the same place it wins.
  { format: "minerva", pattern: /(?<=final[ \t]+answer[ \t]*:[ \t]*)the[ \t]+final[ \t]+answer[ \t]+is\b/gi },
  // "The answer is X", end with 'The answer is', "The final answer is [answer]", few-shot "The answer is 6."
  { format: "the-answer-is", pattern: /\bthe[ \t]+(?:final[ \t]+)?answer[ \t]+is\b/gi },
  // lm-eval GSM8K few-shot targets ending "#### 72" (a Markdown "#### Heading" is not a cue).
  { format: "hashes", pattern: new RegExp(String.raw`####[ \t]*(?:-?\$?\d|${PLACEHOLDER})`, "g") },
];

/** A clause that mentions a format only to rule it out: "you do not need to use a \boxed command". */
const NEGATION = /\b(?:not|no|never|without|instead of|rather than)\b|n't\b/i;
/** ... but "do not forget to put it in \boxed{}" asks for it. */
const INSISTING = /(?:\b(?:not|never)|n't)\s+(?:forget|fail|omit|neglect)\b/i;
const CLAUSE_LOOKBACK = 60;

/** Characters that end a clause (the one before a cue starts after the last of them). */
const CLAUSE_END = new Uint8Array(128);
for (const c of ".!?;,)\n") CLAUSE_END[c.charCodeAt(0)] = 1;

function negated(text: string, at: number): boolean {
  // The clause: back from the cue to the last clause end within CLAUSE_LOOKBACK characters (a char loop, no arrays).
  const from = Math.max(0, at - CLAUSE_LOOKBACK);
  let start = at;
  while (start > from && !(text.charCodeAt(start - 1) < 128 && CLAUSE_END[text.charCodeAt(start - 1)] === 1)) start--;
  const clause = text.slice(start, at);
  return NEGATION.test(clause) && !INSISTING.test(clause);
}

/**
 * Every cue but `\boxed` and `####` has "answer" followed by a colon or by " is" (any case), at or
 * after the cue's start: one scan for that rules all four out at once on most prompts ("put your
 * answer inside \boxed{}"). Global, so that it can start past the last `\boxed` ({@link answerCueAfter}).
 */
const ANSWER_GATE = /answer(?:\s*:|[ \t]+is)/gi;

/**
 * Whether an answer cue may start past `after`: a cue counts only there, and holds a gate match at
 * or after its start. The scan starts there too, so a template asking for `\boxed{}` near its end
 * reads a few characters instead of the whole prompt.
 */
function answerCueAfter(prompt: string, after: number): boolean {
  ANSWER_GATE.lastIndex = after + 1;
  const found = ANSWER_GATE.test(prompt);
  ANSWER_GATE.lastIndex = 0;
  return found;
}
const BOXED = "\\boxed";
const isWordCode = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** Index of the last `\boxed\b` (the first cue) not ruled out by its clause, or -1: searched from the end. */
function lastBoxed(prompt: string): number {
  for (let at = prompt.lastIndexOf(BOXED); at >= 0; at = at === 0 ? -1 : prompt.lastIndexOf(BOXED, at - 1)) {
    if (!isWordCode(prompt.charCodeAt(at + BOXED.length)) && !negated(prompt, at)) return at;
  }
  return -1;
}

/** Index of the last match of a global `pattern` that is past `after` and not ruled out by its clause, or -1. */
function lastCue(prompt: string, pattern: RegExp, after: number): number {
  // exec with lastIndex rather than matchAll: no iterator and no cloned regex per call.
  let last = -1;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(prompt); m !== null; m = pattern.exec(prompt)) {
    if (m.index > after && !negated(prompt, m.index)) last = m.index;
    if (m[0].length === 0) pattern.lastIndex++;
  }
  pattern.lastIndex = 0;
  return last;
}

/**
 * The answer format the prompt asks for, from all of its messages' texts. When several are asked
 * (a system prompt and a user template, few-shot examples and a final instruction), the one nearest
 * the end of the prompt wins, as it does for a model reading it; with none, `\boxed{}`.
 */
export function detectAnswerFormat(texts: readonly string[]): AnswerFormat {
  return askedAnswerFormat(texts) ?? "boxed";
}

/** {@link detectAnswerFormat}, or undefined when the prompt asks for no format at all. */
export function askedAnswerFormat(texts: readonly string[]): AnswerFormat | undefined {
  const prompt = texts.length === 1 ? texts[0]! : texts.join("\n\n");
  // The cue nearest the end wins; a later cue in CUES order wins only when strictly later (as a scan in order would).
  let bestAt = lastBoxed(prompt);
  let best: AnswerFormat | undefined = bestAt >= 0 ? "boxed" : undefined;
  const gated = answerCueAfter(prompt, bestAt);
  for (let i = 1; i < CUES.length; i++) {
    const { format, pattern } = CUES[i]!;
    if (format !== "hashes" && !gated) continue;
    // Most prompts have no "####" past the best cue so far: one indexOf rules the regexp scan out.
    if (format === "hashes" && prompt.indexOf("####", bestAt + 1) < 0) continue;
    const at = lastCue(prompt, pattern, bestAt);
    if (at > bestAt) {
      best = format;
      bestAt = at;
    }
  }
  return best;
}

/** The closing line that states `written` in `format`, the way that format's graders read it. */
export function answerLine(format: AnswerFormat, written: string): string {
  switch (format) {
    case "boxed":
      return `The answer is \\boxed{${written}}.`;
    case "answer-line":
      return `Answer: ${written}`;
    case "minerva":
      // lm-eval reads what sits between "The final answer is" and ". I hope it is correct." ($ stripped).
      return `Final Answer: The final answer is $${written}$. I hope it is correct.`;
    case "the-answer-is":
      return `The answer is ${written}.`;
    case "hashes":
      return `#### ${written}`;
  }
}

// No digit, no one-letter word (option letters, and "I"/"a" that a case-insensitive letter regex
// would read as an option), no "Answer:", no parentheses, no "the answer is": nothing a grader
// could extract as an answer.
const NO_ANSWER_LINES: readonly string[] = [
  "Unfortunately, the final answer could not be determined with confidence.",
  "The reasoning above does not settle on any single value with confidence, so it stops short of any final value.",
  "Without more certainty, no final answer will be stated here.",
  "This problem remains unresolved; the work above does not lead to any definite result.",
  "Not enough confidence to commit to any final result for this problem.",
  "After checking the steps again, the solution still looks incomplete, so no final result is given.",
];

/** A closing line that states no answer at all (for replies that give up), chosen by (seed, keys). */
export function noAnswerLine(seed: number, keys: readonly number[]): string {
  return NO_ANSWER_LINES[below(NO_ANSWER_LINES.length, seed, [...keys, 41])]!;
}

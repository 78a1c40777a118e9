// detectAnswerFormat scans from the end and skips the "answer" cues when no "answer:" / "answer is"
// occurs: it must agree with the plain scan it replaced (kept here as the reference) on any prompt.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { detectAnswerFormat, type AnswerFormat } from "../../src/respond/format.ts";

// ---- The reference: the scan as it was written before (every cue's every match, in order).
const PLACEHOLDER = String.raw`\$[A-Za-z_]+|\[[^\]\n]{1,40}\]|<[^>\n]{1,40}>|\{[^}\n]{1,40}\}`;
const CUES: readonly { format: AnswerFormat; pattern: RegExp }[] = [
  { format: "boxed", pattern: /\\boxed\b/g },
  { format: "answer-line", pattern: /["'`\u2018\u201c]\s*answer\s*:/gi },
  { format: "answer-line", pattern: new RegExp(String.raw`\banswer[ \t]*:[ \t]*(?:${PLACEHOLDER}|\$?[A-J](?:[ \t]*[/|,][ \t]*[A-J])+\b)`, "gi") },
  { format: "answer-line", pattern: /^[ \t]*(?:Final Answer|Answer|ANSWER|answer)[ \t]*:[ \t]*(?:\(?[A-J]\)?|-?\$?\d[\d,]*(?:\.\d+)?)[ \t]*$/gm },
  { format: "minerva", pattern: /(?<=final[ \t]+answer[ \t]*:[ \t]*)the[ \t]+final[ \t]+answer[ \t]+is\b/gi },
  { format: "the-answer-is", pattern: /\bthe[ \t]+(?:final[ \t]+)?answer[ \t]+is\b/gi },
  { format: "hashes", pattern: new RegExp(String.raw`####[ \t]*(?:-?\$?\d|${PLACEHOLDER})`, "g") },
];
const NEGATION = /\b(?:not|no|never|without|instead of|rather than)\b|n't\b/i;
const INSISTING = /(?:\b(?:not|never)|n't)\s+(?:forget|fail|omit|neglect)\b/i;
function negated(text: string, at: number): boolean {
  const before = text.slice(Math.max(0, at - 60), at);
  const clause = before.slice(Math.max(...[".", "!", "?", ";", ",", ")", "\n"].map((c) => before.lastIndexOf(c))) + 1);
  return NEGATION.test(clause) && !INSISTING.test(clause);
}
function reference(texts: readonly string[]): AnswerFormat {
  const prompt = texts.join("\n\n");
  let best: AnswerFormat = "boxed";
  let bestAt = -1;
  for (const { format, pattern } of CUES) {
    for (const match of prompt.matchAll(pattern)) {
      if (match.index > bestAt && !negated(prompt, match.index)) {
        best = format;
        bestAt = match.index;
      }
    }
  }
  return best;
}

// ---- Prompts made of the pieces cues, negations and clause ends are made of.
const PIECES = [
  "\\boxed{}", "\\boxed{12}", "\\boxedx", "\\BOXED", "boxed", "Answer:", "answer :", "ANSWER: B", "Final Answer: 42", "answer: $LETTER",
  "Answer: A/B/C/D", "answer:[x]", "'Answer:", "\u201canswer :", "\"answer\n:", "the answer is", "The final answer is", "THE  ANSWER\tIS", "Final Answer: ", "final answer:",
  "answer is", "answers", "#### 72", "####", "#### $X", "#### Heading", "not", "no", "never", "without", "instead of", "rather than", "don't",
  "do not forget", "never fail", "n't omit", ".", ",", "!", "?", ";", ")", "\n", " ", "\t", "  ", "x", "7", "(B)", "Question: 2+2?",
];
const prompt = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), { maxLength: 40 }).map((parts) => parts.join(""));

describe("detectAnswerFormat agrees with the full scan it replaced", () => {
  test("on prompts built from cue pieces (one message)", () => {
    fc.assert(fc.property(prompt, (p) => expect(detectAnswerFormat([p])).toBe(reference([p]))), { numRuns: 20000 });
  });

  test("on several messages, joined as the prompt is read", () => {
    fc.assert(fc.property(fc.array(prompt, { minLength: 2, maxLength: 4 }), (texts) => expect(detectAnswerFormat(texts)).toBe(reference(texts))), { numRuns: 5000 });
  });

  test("on arbitrary text, with cues far apart (clause lookback of 60 characters)", () => {
    const far = fc.tuple(fc.constantFrom(...PIECES), fc.string({ minLength: 50, maxLength: 120 }), fc.constantFrom(...PIECES)).map((t) => t.join(""));
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), far), (p) => expect(detectAnswerFormat([p])).toBe(reference([p]))), { numRuns: 10000 });
  });
});

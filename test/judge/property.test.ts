/**
 * Property: whatever the answer (integer, decimal, fraction, option letter), however it is written and
 * stated (\boxed{}, "Answer:", "The answer is", "####"), and whatever working precedes it (other
 * numbers, letters, fractions, earlier answer statements, thoughts), extractAnswer returns the answer's
 * bare form — and the llama-eval judge replies with it.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { detectJudge } from "../../src/judge/detect.ts";
import { extractAnswer } from "../../src/judge/extract.ts";
import { judgeReply } from "../../src/judge/reply.ts";
import type { AnswerShape } from "../../src/judge/types.ts";
import { JUDGE_SYSTEM, JUDGE_SYSTEM_GPQA, judgeUser } from "./templates.ts";

interface Embedded {
  /** How the reply writes the answer. */
  readonly written: string;
  /** Its bare form. */
  readonly bare: string;
  readonly kind: "integer" | "decimal" | "fraction" | "letter";
}

const integer: fc.Arbitrary<Embedded> = fc
  .tuple(fc.integer({ min: -999_999, max: 999_999_999 }), fc.constantFrom("plain", "grouped", "padded", "plus"))
  .map(([n, style]) => {
    const written =
      style === "grouped" ? n.toLocaleString("en-US") : style === "padded" && n >= 0 ? `00${n}` : style === "plus" && n > 0 ? `+${n}` : String(n);
    // Grouping stays as written (a judge quotes "1,250"; llama-eval compares with GSM8K's "#### 1,250").
    return { written, bare: style === "grouped" ? written : String(n), kind: "integer" as const };
  });

const decimal: fc.Arbitrary<Embedded> = fc
  .tuple(fc.integer({ min: -9999, max: 9999 }), fc.stringMatching(/^[0-9]{1,4}$/))
  .map(([whole, frac]) => {
    const written = `${whole}.${frac}`;
    // An integer-valued decimal ("-3.00") is an integer; any other keeps its digits as written.
    return { written, bare: /^0+$/.test(frac) ? String(whole) : written, kind: "decimal" as const };
  });

const fraction: fc.Arbitrary<Embedded> = fc
  .tuple(fc.integer({ min: -99, max: 999 }), fc.integer({ min: 2, max: 99 }), fc.constantFrom("latex", "dfrac", "slash"))
  .map(([p, q, style]) => {
    const written = style === "slash" ? `${p}/${q}` : style === "dfrac" ? `\\dfrac{${p}}{${q}}` : `\\frac{${p}}{${q}}`;
    return { written, bare: written, kind: "fraction" as const };
  });

const letter: fc.Arbitrary<Embedded> = fc
  .tuple(fc.constantFrom("A", "B", "C", "D"), fc.constantFrom("bare", "parens", "half", "brackets", "bold"))
  .map(([l, style]) => {
    const written = { bare: l, parens: `(${l})`, half: `${l})`, brackets: `[${l}]`, bold: `**${l}**` }[style];
    return { written, bare: l, kind: "letter" as const };
  });

/** Working that comes before the final statement: numbers, fractions, letters, even earlier answers. */
const FRAGMENTS = [
  "We compute 3 + 4 = 7.",
  "So there are 12 apples and 1,250 oranges.",
  "Then x = 5/2 and y = -3.",
  "Note that \\frac{1}{3} of 27 is 9.",
  "Options A and (D) can be ruled out.",
  "At first I thought the answer is 41, but that was wrong.",
  "Answer: not yet, keep going.",
  "Let $f(x) = x^2 + 2x + 1$ at $x = 0.5$.",
  "<think>Maybe \\boxed{999}? The answer is 998.</think>",
  "The product 2 \\times 3 \\times 7 = 42.",
  "Step 2: 100 - 37 = 63",
  'He said "twice 8 is 16".',
];
const reasoning = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 }).map((parts) => parts.join("\n"));

const STATEMENTS = {
  boxed: [(a: string) => `The answer is \\boxed{${a}}.`, (a: string) => `$\\boxed{${a}}$`, (a: string) => `**Final Answer**\n\\[\n\\boxed{${a}}\n\\]`],
  answer: [(a: string) => `Answer: ${a}`, (a: string) => `**Answer:** ${a}`, (a: string) => `Final answer: ${a}`],
  "answer is": [(a: string) => `The answer is ${a}.`, (a: string) => `Therefore, the final answer is ${a}`],
  hashes: [(a: string) => `#### ${a}`],
} as const;
type StatementKind = keyof typeof STATEMENTS;

/** Forms that make sense: "####" is GSM8K's, for numbers only. */
function statementKinds(kind: Embedded["kind"]): StatementKind[] {
  return kind === "letter" ? ["boxed", "answer", "answer is"] : ["boxed", "answer", "answer is", "hashes"];
}

const reply = fc
  .tuple(fc.oneof(integer, decimal, fraction, letter), reasoning, fc.nat(), fc.nat(), fc.constantFrom("", "\nHope this helps!", "\n\nLet me know if you need more."))
  .map(([answer, before, k, j, after]) => {
    const kinds = statementKinds(answer.kind);
    const kind = kinds[k % kinds.length]!;
    const forms = STATEMENTS[kind];
    const statement = forms[j % forms.length]!(answer.written);
    const shape: AnswerShape = answer.kind === "letter" ? "letter" : j % 2 === 0 ? "number" : "any";
    // Before a boxed answer, an earlier (superseded) boxed one: the last box counts.
    const decoy = kind === "boxed" && k % 3 === 0 ? "A first attempt gave \\boxed{13}, which is wrong.\n" : "";
    return { answer, shape, text: `${decoy}${before}${before === "" ? "" : "\n\n"}${statement}${after}` };
  });

describe("extractAnswer finds the embedded answer's bare form", () => {
  test("random answers, spellings, statements and working (fast-check, 2000 runs)", () => {
    fc.assert(
      fc.property(reply, ({ answer, shape, text }) => {
        expect(extractAnswer(text, shape)).toBe(answer.bare);
      }),
      { numRuns: 2000 },
    );
  });

  test("the same replies through llama-eval's judge prompt give the same text back", () => {
    fc.assert(
      fc.property(reply, ({ answer, text }) => {
        const system = answer.kind === "letter" ? JUDGE_SYSTEM_GPQA : JUDGE_SYSTEM;
        const request = detectJudge([{ role: "system", text: system }, { role: "user", text: judgeUser(text) }]);
        expect(request?.response).toBe(text);
        expect(judgeReply(request!).text).toBe(answer.bare);
      }),
      { numRuns: 500 },
    );
  });

  test("a reply whose last line has no value and no statement has no answer", () => {
    fc.assert(
      fc.property(reasoning, fc.constantFrom("That is all.", "Let me think more about this.", "I am not sure."), (before, last) => {
        const text = `${before.replace(/<think>[\s\S]*?<\/think>|Answer:[^\n]*|answer is \d+/g, "")}\n${last}`;
        expect(extractAnswer(text)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

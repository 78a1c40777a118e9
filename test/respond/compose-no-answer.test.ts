// A reply that gives no answer must leave nothing a grader could extract: graders (llama-eval's
// regex grader: the last \boxed{}, else the last integer) read the last 10 lines of content.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { ReplyOptions } from "../../src/config.ts";
import { composeReply } from "../../src/respond/compose.ts";
import { answerPool } from "../../src/respond/wrong.ts";

const PROBLEMS = [
  "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?",
  "A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?",
  "Find the number of ordered pairs (x, y) of integers with 1 <= x < y <= 100 such that x + y divides 2024 and x * y is a multiple of 12.",
];

/**
 * The content a client sees: thoughts inline in <think> for the think style, and for any style when they
 * are not split out (`inline`: reasoning_format none, a prefill, the text completion routes).
 */
function content(style: "short" | "reasoning" | "think", problem: number, seed: number, inline = false): string {
  const options: ReplyOptions = { style, reasoningTokens: 300, reasoningFormat: "auto", answerForms: "canonical", wrongStyle: "plausible", onUnmatched: "error" };
  const r = composeReply({
    question: { id: "q", index: 0, text: PROBLEMS[problem]!, answer: "18" },
    texts: [`${PROBLEMS[problem]}\nPlease reason step by step, and put your final numeric answer within \\boxed{} without any extra characters.\n`],
    outcome: "no-answer",
    seed,
    keys: [problem, seed & 7],
    pool: answerPool(["3", "18", "70"]),
    options,
  });
  expect(r.verdict).toBe("no-answer");
  return (r.thinkInline || inline) && r.thoughts ? `<think>\n${r.thoughts}\n</think>\n\n${r.body}` : r.body;
}

describe("no-answer replies", () => {
  test("property: no digit and no \\boxed in the last 10 lines of content, in every style", () => {
    fc.assert(
      fc.property(fc.constantFrom("short" as const, "reasoning" as const, "think" as const), fc.nat(PROBLEMS.length - 1), fc.nat(2 ** 31), fc.boolean(), (style, problem, seed, inline) => {
        const last = content(style, problem, seed, inline).split("\n").slice(-10).join("\n");
        expect(last).not.toMatch(/\d|\\boxed/);
        // Nor a one-letter word a letter grader would take for an option.
        expect(last).not.toMatch(/\b[A-Ja-j]\b/);
      }),
      { numRuns: 300 },
    );
  });

  test("the think style keeps its whole chain of thought and gives up at the end", () => {
    const text = content("think", 0, 5);
    expect(text.startsWith("<think>\n")).toBe(true);
    expect(text.length).toBeGreaterThan(1000); // about 300 tokens of thoughts
    expect(text).toMatch(/\d/); // its worked steps still carry the problem's numbers
  });
});

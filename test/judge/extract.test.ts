/** What a careful judge reads out of a response: thoughts ignored, \boxed{} first, then statements, then the last line. */
import { describe, expect, test } from "bun:test";
import { canonicalAnswer } from "../../src/dataset/answer.ts";
import { dropThoughts, equivalentAnswers, extractAnswer } from "../../src/judge/extract.ts";
import { bareAnswer, lastBoxed } from "../../src/judge/normalize.ts";
import type { AnswerShape } from "../../src/judge/types.ts";
import { haveDatasets, loadQuestions } from "../match/fixtures.ts";

const table = (rows: [string, string | undefined, AnswerShape?][]) => {
  for (const [response, expected, shape] of rows) {
    test(`${JSON.stringify(response)}${shape ? ` (${shape})` : ""} -> ${expected ?? "no answer"}`, () => {
      expect(extractAnswer(response, shape)).toBe(expected);
    });
  }
};

describe("\\boxed{}", () => {
  table([
    ["The answer is \\boxed{33}.", "33"],
    ["First \\boxed{12}, then corrected: \\boxed{13}", "13"],
    ["$\\boxed{\\frac{1}{2}}$", "\\frac{1}{2}"],
    ["\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)"],
    ["\\fbox{7}", "7"],
    ["Put it in \\boxed{} like this: \\boxed{ 41 }", "41"],
    ["\\boxed{\\text{(C)}}", "C"],
    ["\\boxed{\\textbf{(B)}}", "B", "letter"],
    ["\\boxed{1,000}", "1,000"], // grouping as written: llama-eval compares with GSM8K's "#### 1,000"
    ["\\boxed{33.0}", "33"],
    ["\\boxed{+5}", "5"],
    ["\\boxed{\\$18}", "18"],
    ["\\boxed{336^\\circ}", "336"],
    ["\\boxed{10 \\text{ cm}}", "10"],
    ["\\boxed{\\text{even}}", "even"],
    ["The answer is \\boxed{\\boxed{8}}", "8"],
    ["Answer: 5, but properly: \\boxed{6}", "6"],
    ["unbalanced \\boxed{3 and then Answer: 4", "4"],
  ]);

  test("lastBoxed handles escaped braces and nesting", () => {
    expect(lastBoxed("\\boxed{\\{1, 2\\}}")).toBe("\\{1, 2\\}");
    expect(lastBoxed("\\boxed{a{b{c}}d}")).toBe("a{b{c}}d");
    expect(lastBoxed("no box")).toBeUndefined();
  });
});

describe("answer statements (the last one wins)", () => {
  table([
    ["Answer: 116", "116"],
    ["**Answer:** 42", "42"],
    ["**Final Answer**: 17", "17"],
    ["The final answer is 204.", "204"],
    ["So the answer is $\\frac{3}{4}$.", "\\frac{3}{4}"],
    ["Janet makes $18.\n#### 18", "18"],
    ["#### 1,000", "1,000"],
    ["Final Answer:\n\n-12", "-12"],
    ["The answer is 5. Wait, recheck.\nThe answer is 6.", "6"],
    ["ANSWER: 2x+3", "2x+3"],
    ["Answer: x = 5", "5"],
    ["The answer is 18 dollars.", "18"],
    ["Answer: $18.", "18"],
    ["The answer is 3/4.", "3/4"],
    ["Exact Answer: 9\nConfidence: 80%", "9"],
    ["Answer: C", "C"],
    ["Answer: (C)", "C", "letter"],
    ["I think the answer is b) because of symmetry", "B", "letter"],
    ["The answer is a bit tricky, so (B)", "B", "letter"],
    ["Answer: The correct option is C", "C", "letter"],
    ["Answer: Paris\nSo the choice is D", "D", "letter"],
    ["#### Step 1\nWe compute 3 + 4 = 7.", "7"],
  ]);
});

describe("thoughts are not answers", () => {
  table([
    ["<think>The answer is 5.</think>\nThe answer is 7.", "7"],
    ["<think>\\boxed{5}</think>Answer: 7", "7"],
    ["<think>I believe it is 42", undefined],
    ["Before. <think>hidden 5</think> After: so the total is 3", "3"],
    ["still thinking, 5 maybe\n</think>\n\nThe answer is \\boxed{9}.", "9"],
    ["<thinking>x = 4</thinking>Answer: 8", "8"],
  ]);

  test("dropThoughts", () => {
    expect(dropThoughts("a<think>b</think>c<think>d</think>e")).toBe("ace");
    expect(dropThoughts("a<think>b")).toBe("a");
    expect(dropThoughts("thought</think>answer")).toBe("answer");
  });
});

describe("last line only", () => {
  table([
    ["We get 3 * 4 = 12.\nAdding 5 gives 17", "17"],
    ["We get 3 * 4 = 12.\nThat settles it.", undefined],
    ["Total: 1,250 apples", "1,250"],
    ["It is 10-3", "3"],
    ["x equals -\\frac{1}{2}", "-\\frac{1}{2}"],
    ["so it's 1/3 of the cake", "1/3"],
    ["The value is 2.50", "2.50"],
    ["Result 7\n\n```\n", "7"],
    ["", undefined],
    ["   \n  ", undefined],
    ["So the choice is (C).", "C", "letter"],
    ["Option A is wrong, so B", "B", "letter"],
    ["A farmer has 12 cows", undefined, "letter"],
    ["I pick d)", "D", "letter"],
  ]);
});

describe("bare form", () => {
  const cases: [string, string | undefined, AnswerShape?][] = [
    ["$33$", "33"],
    ["\\(5\\)", "5"],
    ["**C**", "C"],
    ["(C)", "C"],
    ["C)", "C"],
    ["[C]", "C"],
    ["Option C", "C"],
    ["(c)", "C"],
    ["c", "C", "letter"],
    ["e", "e"],
    ["033", "33"],
    ["-0", "0"],
    ["1,000,000", "1,000,000"],
    ["1{,}000", "1000"],
    ["\\$32,\\!348", "32348"],
    ["50\\%", "50", "number"],
    ["50\\%", "50\\%"],
    ["0.50", "0.50"],
    ["\\frac{1}{2}", "\\frac{1}{2}"],
    ["\\mathrm{Tuesday}", "Tuesday"],
    ["3, 5, 7", "3, 5, 7"],
    ["2 pi", "2 pi"],
    ["  .  ", undefined],
  ];
  for (const [raw, bare, shape] of cases) {
    test(`${JSON.stringify(raw)}${shape ? ` (${shape})` : ""} -> ${bare}`, () => expect(bareAnswer(raw, shape)).toBe(bare));
  }
});

describe.skipIf(!haveDatasets)("gold answers survive a round trip through \\boxed{} (read from ../shared/datasets)", () => {
  test("every MATH-500 answer: extracted equivalent to the gold", () => {
    const golds = loadQuestions("MATH-500/test.jsonl", "answer");
    expect(golds.length).toBe(500);
    const bad = golds.filter((gold) => {
      const got = extractAnswer(`Working omitted.\n\nThe answer is $\\boxed{${gold}}$.`);
      return got === undefined || !equivalentAnswers(got, gold);
    });
    expect(bad).toEqual([]);
  });

  test("AIME and GSM8K answers: extracted exactly as the dataset module canonicalises them", () => {
    const cases: [string, string][] = [
      ["aimo-validation-aime/train.jsonl", "answer"],
      ["AIME2025/AIME2025-I/test.jsonl", "answer"],
      ["AIME2025/AIME2025-II/test.jsonl", "answer"],
      ["gsm8k/main/test.jsonl", "answer"],
    ];
    for (const [file, field] of cases) {
      const golds = loadQuestions(file, field).map(canonicalAnswer);
      const bad = golds.filter((gold) => extractAnswer(`Let me work through this problem step by step.\n\nThe answer is \\boxed{${gold}}.`, "number") !== gold);
      expect(bad).toEqual([]);
      // GSM8K's own worked solutions end in "#### N": the judge reads N.
      if (file.startsWith("gsm8k")) {
        const solutions = loadQuestions(file, field);
        const wrong = solutions.filter((s, i) => extractAnswer(s, "number") !== golds[i]);
        expect(wrong).toEqual([]);
      }
    }
  });
});

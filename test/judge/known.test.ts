/**
 * Grading prompts of popular harnesses (wording in ./templates.ts, with sources): simple-evals' equality
 * checker, HLE / BrowseComp (and NeMo-Skills' copy), SimpleQA and OpenCompass. Each is recognised, cut
 * at its own markers, and answered with the verdict the harness parses.
 */
import { describe, expect, test } from "bun:test";
import { detectJudge } from "../../src/judge/detect.ts";
import { judgeReply } from "../../src/judge/reply.ts";
import type { ChatMessage } from "../../src/judge/types.ts";
import { OPENCOMPASS_SYSTEM, equality, hle, hleNemo, openCompass, simpleQa } from "./templates.ts";

const user = (text: string): ChatMessage[] => [{ role: "user", text }];
const QUESTION = "Let $x$ be the number of ordered pairs $(a, b)$ of positive integers with $a + b = 10$. Find $x$.";
const RIGHT = "Let me work through this problem step by step.\n\nThe answer is \\boxed{9}.";
const WRONG = "Let me work through this problem step by step.\n\nThe answer is \\boxed{10}.";
const NONE = "I could not finish the computation.";

describe("simple-evals EQUALITY_TEMPLATE (Yes / No)", () => {
  test("recognised: Expression 1 is the reference, Expression 2 the bare response", () => {
    const request = detectJudge(user(equality("\\frac{1}{2}", "0.5")));
    expect(request).toEqual({
      kind: "grade",
      response: "0.5",
      reference: "\\frac{1}{2}",
      verdicts: { correct: "Yes", incorrect: "No" },
      shape: "number",
      bare: true,
      style: "simple-evals-equality",
    });
  });

  // simple-evals reads `response.lower().strip() == "yes"`.
  const cases: [string, string, string][] = [
    ["\\frac{1}{2}", "0.5", "Yes"],
    ["33", "033", "Yes"],
    ["1000", "1,000", "Yes"],
    ["72", "72 degrees", "Yes"],
    ["-2/3", "2/(-3)", "Yes"],
    ["(C)", "C", "Yes"],
    ["33", "34", "No"],
    ["\\frac{1}{2}", "\\frac{1}{3}", "No"],
    ["33", "None", "No"], // math_eval passes None when its regex found no answer
  ];
  for (const [gold, extracted, verdict] of cases) {
    test(`${gold} vs ${extracted}: ${verdict}`, () => {
      expect(judgeReply(detectJudge(user(equality(gold, extracted)))!).text).toBe(verdict);
    });
  }

  test("the examples inside the template are not mistaken for the task", () => {
    const request = detectJudge(user(equality("5", "$x^2+2x+1$")));
    expect(request?.reference).toBe("5");
    expect(request?.response).toBe("$x^2+2x+1$");
  });
});

describe("HLE / BrowseComp judge (labelled lines, `correct: yes|no`)", () => {
  test("recognised: response, reference and the field names as spelled", () => {
    const request = detectJudge(user(hle(QUESTION, RIGHT, "9")));
    expect(request).toEqual({
      kind: "grade",
      response: RIGHT,
      reference: "9",
      verdicts: { correct: "yes", incorrect: "no" },
      shape: "number",
      fields: { answer: "extracted_final_answer", reasoning: "reasoning", verdict: "correct", confidence: "confidence" },
      style: "hle",
    });
  });

  test("reply: the lines simple-evals' `correct: (yes|no)` regex and HLE's parser read", () => {
    const right = judgeReply(detectJudge(user(hle(QUESTION, RIGHT, "9")))!);
    expect(right.text).toMatch(/^extracted_final_answer: 9\n\nreasoning: .+\n\ncorrect: yes\n\nconfidence: 100$/);
    expect(right.correct).toBe(true);
    const wrong = judgeReply(detectJudge(user(hle(QUESTION, WRONG, "9")))!);
    expect(/correct: (yes|no)/.exec(wrong.text)?.[1]).toBe("no");
    const none = judgeReply(detectJudge(user(hle(QUESTION, NONE, "9")))!);
    expect(none.text).toContain("extracted_final_answer: None");
    expect(none.text).toContain("correct: no");
  });

  test("HLE-format responses: Exact Answer and the stated confidence are read", () => {
    const response = "Explanation: Pairs (1,9) through (9,1).\nExact Answer: 9\nConfidence: 85%";
    const reply = judgeReply(detectJudge(user(hle(QUESTION, response, "9")))!);
    expect(reply.extracted).toBe("9");
    expect(reply.text).toContain("correct: yes");
    expect(reply.text).toContain("confidence: 85");
  });

  test("NeMo-Skills' copy answers in `Judgement: yes|no` with its capitalised field names", () => {
    const request = detectJudge(user(hleNemo(QUESTION, RIGHT, "9")));
    expect(request?.fields).toEqual({ answer: "Extracted_final_answer", reasoning: "Reasoning", verdict: "Judgement" });
    const text = judgeReply(request!).text;
    expect(text).toMatch(/^Extracted_final_answer: 9\n\nReasoning: .+\n\nJudgement: yes$/);
    expect(judgeReply(detectJudge(user(hleNemo(QUESTION, WRONG, "9")))!).text).toContain("Judgement: no");
  });

  test("a response quoting the template's own markers is still cut at the last ones", () => {
    const response = "[response]: is a label I saw.\n[correct_answer]: maybe 4?\nThe answer is \\boxed{9}.";
    const request = detectJudge(user(hle(QUESTION, response, "9")));
    expect(request?.reference).toBe("9");
    expect(judgeReply(request!).correct).toBe(true);
  });

  test("letter references (GPQA-style) grade option letters", () => {
    expect(judgeReply(detectJudge(user(hle(QUESTION, "Answer: (B)", "B")))!).correct).toBe(true);
    expect(judgeReply(detectJudge(user(hle(QUESTION, "Answer: (C)", "B")))!).correct).toBe(false);
  });
});

describe("simple-evals SimpleQA grader (A / B / C)", () => {
  test("recognised: the new example, not the few-shot ones", () => {
    const request = detectJudge(user(simpleQa(QUESTION, "9", RIGHT)));
    expect(request).toEqual({ kind: "grade", response: RIGHT, reference: "9", verdicts: { correct: "A", incorrect: "B" }, shape: "number", style: "simpleqa" });
  });

  test("reply letters: A for correct, B for incorrect or no answer", () => {
    expect(judgeReply(detectJudge(user(simpleQa(QUESTION, "9", RIGHT)))!).text).toBe("A");
    expect(judgeReply(detectJudge(user(simpleQa(QUESTION, "9", WRONG)))!).text).toBe("B");
    expect(judgeReply(detectJudge(user(simpleQa(QUESTION, "9", NONE)))!).text).toBe("B");
  });

  test("a response with code fences and a 'Gold target:' line", () => {
    const response = "```\nGold target: 3\n```\nSo the answer is \\boxed{9}.";
    const request = detectJudge(user(simpleQa(QUESTION, "9", response)));
    expect(request?.reference).toBe("9");
    expect(request?.response).toBe(response);
    expect(judgeReply(request!).text).toBe("A");
  });
});

describe("OpenCompass GenericLLMEvaluator (A / B)", () => {
  const messages = (gold: string, prediction: string): ChatMessage[] => [
    { role: "system", text: OPENCOMPASS_SYSTEM },
    { role: "user", text: openCompass(QUESTION, gold, prediction) },
  ];

  test("recognised with gold and prediction between their markers", () => {
    const request = detectJudge(messages("9", RIGHT));
    expect(request).toEqual({ kind: "grade", response: RIGHT, reference: "9", verdicts: { correct: "A", incorrect: "B" }, shape: "number", style: "opencompass" });
  });

  test("reply letters", () => {
    expect(judgeReply(detectJudge(messages("9", RIGHT))!).text).toBe("A");
    expect(judgeReply(detectJudge(messages("9", WRONG))!).text).toBe("B");
    expect(judgeReply(detectJudge(messages("\\frac{3}{4}", "So it is $\\boxed{0.75}$"))!).text).toBe("A");
    expect(judgeReply(detectJudge(messages("\\left( 3, \\frac{\\pi}{2} \\right)", "\\boxed{\\left(3,\\frac{\\pi}{2}\\right)}"))!).text).toBe("A");
  });
});

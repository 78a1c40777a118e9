/** judgeReply on hand-built requests: the exact reply text for each kind of request. */
import { describe, expect, test } from "bun:test";
import { judgeReply } from "../../src/judge/reply.ts";
import type { JudgeRequest } from "../../src/judge/types.ts";

const extract = (response: string, more: Partial<JudgeRequest> = {}): JudgeRequest => ({ kind: "extract", response, shape: "any", ...more });
const grade = (response: string, reference: string, more: Partial<JudgeRequest> = {}): JudgeRequest => ({
  kind: "grade",
  response,
  reference,
  shape: "any",
  ...more,
});

describe("extract", () => {
  test("the bare answer, nothing else", () => {
    expect(judgeReply(extract("The answer is \\boxed{033}."))).toEqual({ text: "33", extracted: "33" });
    expect(judgeReply(extract("So $\\boxed{\\dfrac{1}{2}}$"))).toEqual({ text: "\\dfrac{1}{2}", extracted: "\\dfrac{1}{2}" });
    expect(judgeReply(extract("Answer: (C)", { shape: "letter" }))).toEqual({ text: "C", extracted: "C" });
  });

  test("no answer: 'no answer', or the phrase the prompt asked for", () => {
    expect(judgeReply(extract("I don't know."))).toEqual({ text: "no answer", extracted: undefined });
    expect(judgeReply(extract("I don't know.", { noAnswer: "N/A" })).text).toBe("N/A");
  });

  test("with a reference: an equivalent answer is spelled as the reference, a different one as found", () => {
    expect(judgeReply(extract("\\boxed{1000}", { reference: "1,000" })).text).toBe("1,000");
    expect(judgeReply(extract("\\boxed{0.5}", { reference: "\\frac{1}{2}" })).text).toBe("\\frac{1}{2}");
    expect(judgeReply(extract("\\boxed{999}", { reference: "1,000" })).text).toBe("999");
  });
});

describe("grade", () => {
  test("verdict words as given; CORRECT / INCORRECT when none are given", () => {
    const verdicts = { correct: "Yes", incorrect: "No" };
    expect(judgeReply(grade("The answer is \\boxed{9}.", "9", { verdicts }))).toEqual({ text: "Yes", extracted: "9", correct: true });
    expect(judgeReply(grade("The answer is \\boxed{8}.", "9", { verdicts }))).toEqual({ text: "No", extracted: "8", correct: false });
    expect(judgeReply(grade("The answer is \\boxed{9}.", "9")).text).toBe("CORRECT");
    expect(judgeReply(grade("No idea.", "9")).text).toBe("INCORRECT");
  });

  test("no answer is incorrect, even against an empty reference", () => {
    expect(judgeReply(grade("No idea.", "")).correct).toBe(false);
    expect(judgeReply(grade("", "9")).correct).toBe(false);
  });

  test("references as harnesses pass them: GSM8K solutions, boxed, padded", () => {
    expect(judgeReply(grade("\\boxed{18}", "She sells 9 eggs for $2 each.\n#### 18")).correct).toBe(true);
    expect(judgeReply(grade("\\boxed{18}", "\\boxed{18}")).correct).toBe(true);
    expect(judgeReply(grade("\\boxed{33}", "033")).correct).toBe(true);
    expect(judgeReply(grade("\\boxed{(B)}", "B", { shape: "letter" })).correct).toBe(true);
  });

  test("bare responses are compared as they are, not read for a last number; 'None' is no answer", () => {
    expect(judgeReply(grade("x^2+2x+1", "x^2 + 2x + 1", { bare: true })).correct).toBe(true);
    expect(judgeReply(grade("x^2+2x+1", "1", { bare: true })).correct).toBe(false);
    expect(judgeReply(grade("None", "None", { bare: true })).correct).toBe(false);
  });

  test("labelled lines in the order the prompt lists them", () => {
    const fields = { answer: "extracted_final_answer", reasoning: "reasoning", verdict: "correct", confidence: "confidence" };
    const verdicts = { correct: "yes", incorrect: "no" };
    const right = judgeReply(grade("Exact Answer: 9\nConfidence: 70%", "9", { fields, verdicts })).text;
    expect(right.split("\n\n").map((l) => l.split(":")[0])).toEqual(["extracted_final_answer", "reasoning", "correct", "confidence"]);
    expect(right).toContain("\n\ncorrect: yes\n\n");
    expect(right.endsWith("confidence: 70")).toBe(true);
    const none = judgeReply(grade("nothing", "9", { fields: { answer: "extracted_final_answer", verdict: "correct" }, verdicts })).text;
    expect(none).toBe("extracted_final_answer: None\n\ncorrect: no");
  });
});

/** detectJudge with the question the matcher found: cue words inside that question do not count, the judge's own still do. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { detectJudge } from "../../src/judge/detect.ts";
import type { ChatMessage } from "../../src/judge/types.ts";
import { judgeInline } from "./templates.ts";

// Invented questions whose own words are judge cues.
const CUED_QUESTION = "Compare the two fractions 3/7 and 4/9 and evaluate which is larger; is 4/9 the correct choice?";
const user = (text: string): ChatMessage[] => [{ role: "user", text }];
const aimeTemplate = (q: string) => `Solve the following math problem step by step. Put your answer inside \\boxed{}.\n\n${q}\n\nRemember to put your answer inside \\boxed{}.\n`;

describe("detectJudge(messages, question)", () => {
  test("a question prompt whose only cue words are in the question is dismissed, with or without the question given", () => {
    expect(detectJudge(user(aimeTemplate(CUED_QUESTION)), CUED_QUESTION)).toBeUndefined();
    expect(detectJudge(user(aimeTemplate(CUED_QUESTION)))).toBeUndefined();
  });

  test("a judge prompt that quotes the question verbatim is still recognised from its own instructions", () => {
    const response = `${CUED_QUESTION}\nLet me work through this problem step by step.\n\nThe answer is \\boxed{42}.`;
    const prompt = judgeInline(response);
    expect(prompt.includes(CUED_QUESTION)).toBe(true);
    const withQuestion = detectJudge(user(prompt), CUED_QUESTION);
    expect(withQuestion).toBeDefined();
    expect(withQuestion).toEqual(detectJudge(user(prompt))!);
  });

  test("a question not found verbatim (respaced) leaves the whole prompt scanned, as without it", () => {
    const respaced = CUED_QUESTION.replaceAll(" ", "  ");
    const prompt = judgeInline(`${respaced}\nThe answer is \\boxed{7}.`);
    expect(detectJudge(user(prompt), CUED_QUESTION)).toEqual(detectJudge(user(prompt))!);
  });

  test("the cue check's memory of the last text around a question never answers for another text, in any order", () => {
    const questions = [CUED_QUESTION, "How many positive divisors does 360 have?", "A train leaves at 3 pm at 60 mph. When does it arrive 150 miles away?"];
    const cases: { messages: ChatMessage[]; question: string }[] = questions.flatMap((q) => {
      // A judge prompt with the question after it, and a prompt of the same length before the question
      // with no cue: only a full comparison of the texts tells the two apart.
      const judge = `${judgeInline(`Working it out.\n\nThe answer is \\boxed{${q.length}}.`)}\n\n`;
      return [
        { messages: user(aimeTemplate(q)), question: q },
        { messages: user(`${judge}${q}`), question: q },
        { messages: user(`${"y".repeat(judge.length)}${q}`), question: q },
        { messages: user(judgeInline(`${q}\nThe answer is \\boxed{12}.`)), question: q },
      ];
    });
    const expected = cases.map((c) => detectJudge(c.messages, c.question));
    expect(expected.filter((r) => r !== undefined).length).toBe(2 * questions.length);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: cases.length - 1 }), { minLength: 1, maxLength: 40 }), (order) => {
        for (const i of order) expect(detectJudge(cases[i]!.messages, cases[i]!.question)).toEqual(expected[i]!);
      }),
      { numRuns: 300 },
    );
  });
});

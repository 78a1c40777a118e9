/**
 * Judge prompts in other words: grading prompts with labelled or bracketed reference and response parts
 * and their own verdict words, and extraction prompts with the response delimited in the usual ways.
 */
import { describe, expect, test } from "bun:test";
import { detectJudge } from "../../src/judge/detect.ts";
import { judgeReply } from "../../src/judge/reply.ts";
import type { ChatMessage } from "../../src/judge/types.ts";
import { bracketYesNo, gaiaStyle, trueFalse } from "./templates.ts";

const user = (text: string): ChatMessage[] => [{ role: "user", text }];
const QUESTION = "How many positive divisors does 36 have?";
const RIGHT = 'Counting "pairs" of divisors: 1*36, 2*18, 3*12, 4*9, 6*6.\n\nThe answer is \\boxed{9}.';
const WRONG = "The divisors are 1, 2, 3, 4, 6, 9, 12, 18 and 36, so there are 8 of them.\n\nAnswer: 8";
const verdict = (messages: ChatMessage[]) => judgeReply(detectJudge(messages)!).text;

describe("generic grading prompts: verdict words as the prompt spells them", () => {
  test('"[[yes]]" / "[[no]]" with [The Start of ...] sections', () => {
    const request = detectJudge(user(bracketYesNo(QUESTION, "9", RIGHT)));
    expect(request).toEqual({ kind: "grade", response: RIGHT, reference: "9", verdicts: { correct: "[[yes]]", incorrect: "[[no]]" }, shape: "number", style: "generic-grade" });
    expect(verdict(user(bracketYesNo(QUESTION, "9", RIGHT)))).toBe("[[yes]]");
    expect(verdict(user(bracketYesNo(QUESTION, "9", WRONG)))).toBe("[[no]]");
  });

  test('GAIA style: "Correct" / "Incorrect", labelled answers', () => {
    expect(verdict(user(gaiaStyle(QUESTION, "9", RIGHT)))).toBe("Correct");
    expect(verdict(user(gaiaStyle(QUESTION, "9", WRONG)))).toBe("Incorrect");
  });

  test('"true" / "false" with a trailing instruction after the response', () => {
    const request = detectJudge(user(trueFalse(QUESTION, "9", RIGHT)));
    expect(request?.response).toBe(RIGHT);
    expect(request?.reference).toBe("9");
    expect(verdict(user(trueFalse(QUESTION, "9", RIGHT)))).toBe("true");
    expect(verdict(user(trueFalse(QUESTION, "9", WRONG)))).toBe("false");
  });

  test("CORRECT / INCORRECT in a system prompt, markdown labels in the user message", () => {
    const messages = (response: string): ChatMessage[] => [
      { role: "system", text: "You are a strict grader. Compare the response to the reference answer and reply CORRECT or INCORRECT." },
      { role: "user", text: `**Question:** ${QUESTION}\n\n**Reference answer:** 9\n\n**Model response:**\n${response}` },
    ];
    expect(verdict(messages(RIGHT))).toBe("CORRECT");
    expect(verdict(messages(WRONG))).toBe("INCORRECT");
  });

  test("XML-tagged sections; a response saying 'yes or no' does not set the verdict words", () => {
    const text = (response: string) =>
      `Judge whether the response matches the reference. Output "Correct" or "Incorrect".\n<question>${QUESTION}</question>\n<reference_answer>9</reference_answer>\n<response>${response}</response>`;
    const tricky = 'Answer "yes" or "no"? Neither: the count is 9.\nThe answer is \\boxed{9}.';
    expect(detectJudge(user(text(tricky)))?.verdicts).toEqual({ correct: "Correct", incorrect: "Incorrect" });
    expect(verdict(user(text(tricky)))).toBe("Correct");
  });

  test("grading needs verdict words: without them it is not a judge request", () => {
    const text = `Compare the response with the reference answer.\n\nReference answer: 9\n\nResponse: ${RIGHT}`;
    expect(detectJudge(user(text))).toBeUndefined();
  });
});

describe("generic extraction prompts: the response found in its delimiters", () => {
  const SYSTEM = "You extract the final answer from a math solution. Reply with the answer only; if there is none, reply with 'N/A'.";

  test("system instruction, the whole user message is the response", () => {
    const request = detectJudge([{ role: "system", text: SYSTEM }, { role: "user", text: RIGHT }]);
    expect(request).toEqual({ kind: "extract", response: RIGHT, shape: "any", noAnswer: "N/A", style: "generic-extract" });
    expect(judgeReply(request!).text).toBe("9");
    expect(judgeReply(detectJudge([{ role: "system", text: SYSTEM }, { role: "user", text: "I give up." }])!).text).toBe("N/A");
  });

  test("system instruction; a response with its own code block or quotation stays whole", () => {
    const inSystem = (text: string) => detectJudge([{ role: "system", text: SYSTEM }, { role: "user", text }])?.response;
    const fenced = "Check:\n```python\nprint(len([d for d in range(1, 37) if 36 % d == 0]))\n```\nThe answer is 9.";
    expect(inSystem(fenced)).toBe(fenced);
    const code = "```python\nprint(9)\n```\nSo the answer is 9.";
    expect(inSystem(code)).toBe(code);
    const quoted = '"Divisors come in pairs," as they say. The answer is 9.';
    expect(inSystem(quoted)).toBe(quoted);
    // ... while a lead-in, or nothing but the delimited response, is unwrapped.
    expect(inSystem(`Here is the response:\n"""\n${RIGHT}\n"""`)).toBe(RIGHT);
    expect(inSystem(`<response>${RIGHT}</response>`)).toBe(RIGHT);
  });

  const wrappers: [string, (r: string) => string][] = [
    ['"..."', (r) => `Extract the final answer from the following response:\n\n"${r}"`],
    ['"""..."""', (r) => `Extract the final answer from the text below.\n"""\n${r}\n"""\nOnly output the answer.`],
    ["``` fence", (r) => `Please extract the final answer from this model output:\n\`\`\`text\n${r}\n\`\`\``],
    ["<response> tags", (r) => `Extract the exact answer.\n<response>\n${r}\n</response>\nReturn just the answer.`],
    ["Response: label", (r) => `Extract the final answer from the model's response.\n\nResponse: ${r}\n\nProvide only the final answer.`],
    ["paragraphs after the instruction", (r) => `Extract the final answer from the response below.\n\n${r}`],
  ];
  for (const [name, wrap] of wrappers) {
    test(`user message with ${name}`, () => {
      const request = detectJudge(user(wrap(RIGHT)));
      expect(request?.kind).toBe("extract");
      expect(request?.response).toBe(RIGHT);
      expect(judgeReply(request!).text).toBe("9");
    });
  }

  test("the named shape: 'option letter'", () => {
    const request = detectJudge(user('Extract the answer option letter from the response below.\n\n"After comparing, (B) is right."'));
    expect(request?.shape).toBe("letter");
    expect(judgeReply(request!).text).toBe("B");
  });

  test("mentions of extraction without a response to read are not judge requests", () => {
    expect(detectJudge(user("Extract the final answer."))).toBeUndefined();
    expect(detectJudge(user("A juicer can extract the juice of 5 oranges per minute. How many oranges in an hour?"))).toBeUndefined();
    expect(detectJudge([{ role: "assistant", text: "Extract the final answer." }, { role: "user", text: "What is 2+2?" }])).toBeUndefined();
    expect(detectJudge([{ role: "system", text: SYSTEM }])).toBeUndefined();
  });
});

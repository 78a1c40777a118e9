/** llama-eval's judge prompts (all three forms): recognised, the response cut out exactly, and answered as a careful judge. */
import { describe, expect, test } from "bun:test";
import { detectJudge } from "../../src/judge/detect.ts";
import { judgeReply } from "../../src/judge/reply.ts";
import type { ChatMessage } from "../../src/judge/types.ts";
import { JUDGE_SYSTEM, JUDGE_SYSTEM_GPQA, judgeInline, judgeUser, judgeVariant } from "./templates.ts";

const main = (response: string, system = JUDGE_SYSTEM): ChatMessage[] => [
  { role: "system", text: system },
  { role: "user", text: judgeUser(response) },
];
const reply = (messages: ChatMessage[]) => {
  const request = detectJudge(messages);
  if (request === undefined) throw new Error("not detected");
  return judgeReply(request).text;
};

/** Model responses (llama-eval sends the last 10 lines) and what a careful judge extracts from each. */
const NUMERIC: [string, string][] = [
  ["Let me work through this problem step by step.\n\nThe answer is \\boxed{33}.", "33"],
  ["We find $m+n = 116$.\n\nAnswer: 116", "116"],
  ["Janet sells 16 - 3 - 4 = 9 eggs.\nShe makes 9 * 2 = $18.\n#### 18", "18"],
  ["<think>Maybe 12? No: the answer is 13.</think>\nThe final answer is \\boxed{14}.", "14"],
  ["So the probability is $\\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}"],
  ["The answer is \\boxed{033}.", "33"],
  ["The total is \\boxed{1,000} dollars.", "1,000"],
  ['He said "add 5 and 7" and "then double it".\n\nSo the answer is 24.', "24"],
  ["**Final Answer**\n\\[\n\\boxed{204}\n\\]", "204"],
  ["Final answer: -7", "-7"],
];

describe("llama-eval: system prompt + quoted response", () => {
  test("recognised with the response unquoted exactly, integer examples give shape number", () => {
    const response = 'First "quote", then a line\n\n"another quote"\nThe answer is \\boxed{5}.';
    const request = detectJudge(main(response));
    expect(request).toEqual({ kind: "extract", response, shape: "number", noAnswer: "no answer", style: "llama-eval" });
  });

  test("a response that starts and ends with quotes keeps them", () => {
    const response = '"Hello," she said. The answer is 7."';
    expect(detectJudge(main(response))?.response).toBe(response);
  });

  test("a response that repeats the trailing instruction is still cut at the last one", () => {
    const response = "Quoting: Please provide only the extracted answer, nothing else.\n\nThe answer is \\boxed{8}.";
    expect(detectJudge(main(response))?.response).toBe(response);
    expect(reply(main(response))).toBe("8");
  });

  for (const [response, expected] of NUMERIC) {
    test(`extracts ${expected} from ${JSON.stringify(response.slice(-40))}`, () => {
      expect(reply(main(response))).toBe(expected);
    });
  }

  test("no answer: working without a final value, an unclosed thought, an empty response", () => {
    expect(reply(main("First we compute 3 * 4 = 12.\nThen we need to think about the remaining cases."))).toBe("no answer");
    expect(reply(main("<think>The answer is probably 42 but let me check"))).toBe("no answer");
    expect(reply(main(""))).toBe("no answer");
  });

  test("an intermediate number in the working is not taken: only the last line counts", () => {
    expect(reply(main("We get 12 apples.\nThen 7 more.\nSo we are done"))).toBe("no answer");
    expect(reply(main("We get 12 apples.\nThen 7 more.\nSo the total is 19"))).toBe("19");
  });

  test("gpqa examples (A, D, C) give shape letter: option letters in any dress", () => {
    const cases: [string, string][] = [
      ["The correct option is (C).", "C"],
      ["Reasoning about the options...\nAnswer: B", "B"],
      ["**Answer: D**", "D"],
      ["So the answer is \\boxed{A}", "A"],
      ["Thus, the answer is [B].", "B"],
      ["I choose c)", "C"],
      ["Option A is tempting but wrong; it is D", "D"],
    ];
    for (const [response, expected] of cases) {
      const request = detectJudge(main(response, JUDGE_SYSTEM_GPQA));
      expect(request?.shape).toBe("letter");
      expect(judgeReply(request!).text).toBe(expected);
    }
    // "A" as an article is not an option letter.
    expect(reply(main("A careful look shows nothing definite", JUDGE_SYSTEM_GPQA))).toBe("no answer");
  });

  test("system prompt folded into the user message (clients without a system role) still reads the quoted response", () => {
    const folded: ChatMessage[] = [{ role: "user", text: `${JUDGE_SYSTEM}\n\n${judgeUser('He wrote "7".\nThe answer is \\boxed{12}.')}` }];
    const request = detectJudge(folded);
    expect(request?.kind).toBe("extract");
    expect(request?.response).toBe('He wrote "7".\nThe answer is \\boxed{12}.');
    expect(request?.shape).toBe("number");
    expect(judgeReply(request!).text).toBe("12");
  });

  test("the question text quoted inside the response does not matter", () => {
    const response = "Problem: Find the remainder when 2^100 is divided by 7.\nWe have 2^3 = 8 = 1 mod 7, so 2^99 = 1.\nThe answer is \\boxed{2}.";
    expect(reply(main(response))).toBe("2");
  });
});

describe("llama-eval: variant with the expected answer", () => {
  test("recognised with response and reference", () => {
    const request = detectJudge([{ role: "user", text: judgeVariant("The answer is \\boxed{33}.", "33") }]);
    expect(request).toEqual({ kind: "extract", response: "The answer is \\boxed{33}.", reference: "33", shape: "number", style: "llama-eval-expected" });
  });

  test("reply is the extracted answer, right or wrong", () => {
    expect(reply([{ role: "user", text: judgeVariant("The answer is \\boxed{34}.", "33") }])).toBe("34");
    expect(reply([{ role: "user", text: judgeVariant("Thinking.\nThe answer is \\boxed{\\dfrac12}.", "\\frac{1}{2}") }])).toBe("\\frac{1}{2}");
    expect(reply([{ role: "user", text: judgeVariant("I am not sure.", "33") }])).toBe("no answer");
  });

  test("an equivalent answer is written the way the expected answer is (llama-eval compares strings)", () => {
    expect(reply([{ role: "user", text: judgeVariant("The answer is \\boxed{2125}.", "2,125") }])).toBe("2,125");
    expect(reply([{ role: "user", text: judgeVariant("#### 2,125", "2,125") }])).toBe("2,125");
  });

  test("a response containing 'Expected answer:' itself is cut at the last one", () => {
    const pred = "Expected answer: unknown\nThe answer is \\boxed{9}.";
    const request = detectJudge([{ role: "user", text: judgeVariant(pred, "9") }]);
    expect(request?.response).toBe(pred);
    expect(request?.reference).toBe("9");
  });

  test("letter gold gives shape letter", () => {
    const request = detectJudge([{ role: "user", text: judgeVariant("Answer: (b)", "B") }]);
    expect(request?.shape).toBe("letter");
    expect(judgeReply(request!).text).toBe("B");
  });
});

describe("llama-eval: single-message form with inline examples and === separators", () => {
  test("recognised, examples set the shape, the response is between the separators", () => {
    const pred = "Line one\n===\nstill the response\nThe answer is \\boxed{12}.";
    const request = detectJudge([{ role: "user", text: judgeInline(pred) }]);
    expect(request).toEqual({ kind: "extract", response: pred, shape: "number", noAnswer: "no answer", style: "llama-eval-inline" });
    expect(judgeReply(request!).text).toBe("12");
  });

  test("letter examples", () => {
    const request = detectJudge([{ role: "user", text: judgeInline("It must be (D).", ["A", "D", "C"]) }]);
    expect(request?.shape).toBe("letter");
    expect(judgeReply(request!).text).toBe("D");
  });
});

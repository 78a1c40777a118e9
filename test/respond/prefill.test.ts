import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { continueFrom, extractAnswer } from "../../src/respond/prefill.ts";

const REPLY = "Let me work through this problem step by step.\n\nThe answer is \\boxed{33}.";

describe("continueFrom", () => {
  test("no prefill: the whole reply", () => {
    expect(continueFrom("", REPLY)).toBe(REPLY);
  });

  test("a prefill that begins the reply gets the rest, without repeating it", () => {
    expect(continueFrom("Let me work", REPLY)).toBe(" through this problem step by step.\n\nThe answer is \\boxed{33}.");
    expect(continueFrom(REPLY.slice(0, 50), REPLY)).toBe(REPLY.slice(50));
  });

  test("a prefill whose end overlaps the reply's beginning gets what follows the overlap", () => {
    expect(continueFrom("Sure! Let me work", REPLY)).toBe(" through this problem step by step.\n\nThe answer is \\boxed{33}.");
    // Only from a word boundary: "xLet" is not "Let".
    expect(continueFrom("xLet", REPLY)).toBe(` ${REPLY}`);
  });

  test("an open \\boxed{ is finished with the answer and closed", () => {
    expect(continueFrom("The answer is \\boxed{", REPLY)).toBe("33}.");
    expect(continueFrom("So the result is $\\boxed{", REPLY)).toBe("33}$.");
    expect(continueFrom("The answer is \\boxed{3", REPLY)).toBe("3}.");
    expect(continueFrom("\\boxed{", REPLY, "\\frac{1}{2}")).toBe("\\frac{1}{2}}.");
    // A closed box is not open.
    expect(continueFrom("I guess \\boxed{7} first.", REPLY)).toBe(`\n\n${REPLY}`);
  });

  test("an answer cue at the end is followed by the answer", () => {
    expect(continueFrom("The answer is", REPLY)).toBe(" 33.");
    expect(continueFrom("After thinking, the final answer is ", REPLY)).toBe("33.");
    expect(continueFrom("Answer:", REPLY, "C")).toBe(" C");
    expect(continueFrom("The answer is (", REPLY, "B")).toBe("B).");
    expect(continueFrom("####", "Adding gives 72.\n#### 72")).toBe(" 72");
  });

  test("an open <think> continues the thoughts, closes them and restates the answer line", () => {
    expect(continueFrom("<think>\n", REPLY)).toBe(`${REPLY}\n</think>\n\nThe answer is \\boxed{33}.`);
    const withThoughts = "<think>\nAdd them.\n</think>\n\nThe answer is \\boxed{33}.";
    expect(continueFrom("<think>\n", withThoughts)).toBe("Add them.\n</think>\n\nThe answer is \\boxed{33}.");
    // Closed thoughts in the prefill are not open.
    expect(continueFrom("<think>ok</think>", REPLY)).toBe(` ${REPLY}`);
  });

  test("otherwise the whole reply follows, after a space, a blank line, or nothing after whitespace", () => {
    expect(continueFrom("Okay", REPLY)).toBe(` ${REPLY}`);
    expect(continueFrom("Okay.", REPLY)).toBe(`\n\n${REPLY}`);
    expect(continueFrom("Okay.\n", REPLY)).toBe(REPLY);
  });

  test("a code fence the prefill opens is closed", () => {
    expect(continueFrom("```json\n", '{"answer": 33}')).toBe('{"answer": 33}\n```');
    expect(continueFrom("{", '{"answer": 33}')).toBe('"answer": 33}');
  });

  test("property: a prefix of the reply is never repeated: prefill + continuation is the reply", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.nat(), (reply, cut) => {
        const prefill = reply.slice(0, cut % (reply.length + 1));
        // Rules 1-3 take over when the prefill ends in an answer cue or opens a box or thoughts.
        fc.pre(!/\\boxed\{|<think>|answer|####|```/i.test(prefill));
        expect(prefill + continueFrom(prefill, reply)).toBe(reply);
      }),
    );
  });
});

describe("extractAnswer", () => {
  test("the last box (nested braces kept), else the answer lines graders read", () => {
    expect(extractAnswer("\\boxed{1} then \\boxed{\\frac{1}{2}}.")).toBe("\\frac{1}{2}");
    expect(extractAnswer("Work.\nAnswer: B")).toBe("B");
    expect(extractAnswer("So the answer is 42.")).toBe("42");
    expect(extractAnswer("#### 7")).toBe("7");
    expect(extractAnswer("no answer here")).toBeUndefined();
  });
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { completeWithin, renderReply } from "../../src/respond/render.ts";
import { estimateTokens } from "../../src/respond/tokens.ts";

describe("renderReply", () => {
  test("property: ends with the boxed answer, which is the last \\boxed{} of the reply", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (answer) => {
        const reply = renderReply(answer);
        expect(reply.endsWith(`The answer is \\boxed{${answer}}.`)).toBe(true);
        expect(reply.lastIndexOf("\\boxed{")).toBe(reply.length - `\\boxed{${answer}}.`.length);
      }),
    );
  });

  test("the last lines carry the answer (graders read only the last 10 lines)", () => {
    const lines = renderReply("33").split("\n");
    expect(lines.slice(-10).join("\n")).toContain("\\boxed{33}");
    // The regex grader's fallback, "the last integer", must also find the answer.
    expect(renderReply("33").match(/-?\d+/g)?.at(-1)).toBe("33");
  });
});

describe("completeWithin", () => {
  const text = renderReply("116");
  const tokens = estimateTokens(text);

  test("no limit, a negative limit (-1) or a limit at least the length: the whole reply, stop", () => {
    for (const limit of [undefined, -1, -100, tokens, tokens + 1, 1_000_000]) {
      expect(completeWithin(text, limit)).toEqual({ content: text, completionTokens: tokens, finishReason: "stop" });
    }
  });

  test("a limit below the length truncates and reports length", () => {
    const c = completeWithin(text, 3);
    expect(c.finishReason).toBe("length");
    expect(c.completionTokens).toBe(3);
    expect(text.startsWith(c.content)).toBe(true);
    expect(c.content.length).toBeLessThan(text.length);
    expect(c.content).not.toContain("\\boxed");
    expect(completeWithin(text, tokens - 1).finishReason).toBe("length");
  });

  test("a limit of 0 gives no content", () => {
    expect(completeWithin(text, 0)).toEqual({ content: "", completionTokens: 0, finishReason: "length" });
  });

  test("property: truncation is a prefix within the limit, reported as length", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: -2, max: 80 }), (s, limit) => {
        const c = completeWithin(s, limit);
        expect(s.startsWith(c.content)).toBe(true);
        if (limit < 0 || estimateTokens(s) <= limit) {
          expect(c).toEqual({ content: s, completionTokens: estimateTokens(s), finishReason: "stop" });
        } else {
          expect(c.finishReason).toBe("length");
          expect(c.completionTokens).toBe(limit);
          expect(estimateTokens(c.content)).toBeLessThanOrEqual(limit);
        }
      }),
    );
  });

  test("property: truncation never cuts a character in half", () => {
    // BUG: content is text.slice(0, limit * 4), in UTF-16 code units; an astral character
    // (emoji, math alphanumerics such as U+1D465) at the cut leaves a lone surrogate, which
    // JSON-encodes as "\ud835" and is not valid UTF-8 text for the client.
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.nat({ max: 10 }), (s, limit) => {
        expect(completeWithin(s, limit).content.isWellFormed()).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

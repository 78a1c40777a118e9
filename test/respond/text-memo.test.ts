import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { jsonText, memoByText, replyHash } from "../../src/respond/text-memo.ts";
import { responseHash } from "../../src/decide/records.ts";

describe("text-memo: remembered escaping and hashing give what they stand for", () => {
  test("jsonText is JSON.stringify and replyHash is responseHash, first time and again, short and long texts", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 500, maxLength: 700 }), fc.string({ unit: "grapheme", maxLength: 30 })), (text) => {
        for (let i = 0; i < 2; i++) {
          expect(jsonText(text)).toBe(JSON.stringify(text));
          expect(replyHash(text)).toBe(responseHash(text));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("still right after the table fills and is emptied (more distinct texts than it holds)", () => {
    const texts = Array.from({ length: 40_000 }, (_, i) => `The answer is \\boxed{${i}}.`);
    for (const text of texts) jsonText(text);
    for (const text of [texts[0]!, texts[20_000]!, texts[39_999]!]) expect(jsonText(text)).toBe(JSON.stringify(text));
  });

  test("a text used again survives a turnover; one unused for two generations is made again", () => {
    const made: string[] = [];
    const memo = memoByText((text) => (made.push(text), text.toUpperCase()), 2);
    for (const t of ["a", "b", "c"]) memo(t); // "c" turns the generation over: young {c}, old {a, b}
    expect(memo("a")).toBe("A"); // from the old generation, moved back to the young one
    expect(made).toEqual(["a", "b", "c"]);
    memo("d"); // young {c, a} full: turnover, young {d}, old {c, a}; "b" is dropped
    expect(memo("b")).toBe("B");
    expect(made).toEqual(["a", "b", "c", "d", "b"]);
    expect(memo("a")).toBe("A"); // still known: it was used in the generation before
    expect(made).toEqual(["a", "b", "c", "d", "b"]);
  });

  test("long texts are never kept", () => {
    let calls = 0;
    const memo = memoByText((text) => (calls++, text.length));
    const long = "x".repeat(513);
    memo(long);
    memo(long);
    expect(calls).toBe(2);
  });
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { jsonText, replyHash } from "../../src/respond/text-memo.ts";
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
});

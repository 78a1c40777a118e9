import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { chatLogprobs, MAX_TOP_LOGPROBS, streamLogprobs, tokenId, tokenLogprob, type TokenLogprob } from "../../src/respond/logprobs.ts";
import { splitIntoPieces } from "../../src/respond/tokens.ts";

const REPLY = "Let me work through this problem step by step.\n\nThe answer is \\boxed{33}.";
const utf8 = (s: string) => Array.from(new TextEncoder().encode(s));

/** Every rule a client may rely on, for one entry. */
function checkEntry(entry: TokenLogprob, piece: string, topN: number): void {
  expect(Object.keys(entry)).toEqual(["id", "token", "bytes", "logprob", "top_logprobs"]);
  expect(entry.token).toBe(piece);
  expect(entry.bytes).toEqual(utf8(piece));
  expect(entry.id).toBe(tokenId(piece));
  expect(entry.logprob).toBeLessThanOrEqual(0);
  expect(entry.top_logprobs).toHaveLength(Math.min(topN, MAX_TOP_LOGPROBS));
  const tops = entry.top_logprobs;
  if (tops.length > 0) expect(tops[0]).toEqual({ id: entry.id, token: piece, bytes: entry.bytes, logprob: entry.logprob });
  for (const [i, t] of tops.entries()) {
    expect(Object.keys(t)).toEqual(["id", "token", "bytes", "logprob"]);
    expect(t.bytes).toEqual(utf8(t.token));
    expect(t.logprob).toBeLessThanOrEqual(entry.logprob);
    if (i > 0) expect(t.logprob).toBeLessThanOrEqual(tops[i - 1]!.logprob);
  }
  expect(new Set(tops.map((t) => t.token)).size).toBe(tops.length);
  expect(new Set(tops.map((t) => t.id)).size).toBe(tops.length);
  // The probabilities of one position can never add up to more than 1.
  expect(tops.reduce((sum, t) => sum + Math.exp(t.logprob), 0)).toBeLessThanOrEqual(1 + 1e-6);
}

describe("chatLogprobs", () => {
  test("one entry per piece, in llama-server's shape and key order", () => {
    const pieces = splitIntoPieces(REPLY);
    const content = chatLogprobs(pieces, 20, 1, [4, 2]);
    expect(content.map((c) => c.token)).toEqual(pieces);
    expect(content.map((c) => c.token).join("")).toBe(REPLY);
    content.forEach((entry, i) => checkEntry(entry, pieces[i]!, 20));
  });

  test("top_logprobs has topN entries (0 gives an empty list), capped at 20", () => {
    expect(chatLogprobs(["Hi"], 0, 1, [])[0]!.top_logprobs).toEqual([]);
    expect(chatLogprobs(["Hi"], 1, 1, [])[0]!.top_logprobs).toHaveLength(1);
    expect(chatLogprobs(["Hi"], 5, 1, [])[0]!.top_logprobs).toHaveLength(5);
    expect(chatLogprobs(["Hi"], 50, 1, [])[0]!.top_logprobs).toHaveLength(20);
  });

  test("non-ASCII tokens carry their UTF-8 bytes", () => {
    const [entry] = chatLogprobs([" π≈3.14", " 😀"], 3, 9, []);
    expect(entry!.bytes).toEqual([32, 207, 128, 226, 137, 136, 51, 46, 49, 52]);
  });

  test("replays: the same (seed, keys) give the same values; other keys other values", () => {
    const pieces = splitIntoPieces(REPLY);
    expect(chatLogprobs(pieces, 5, 7, [1])).toEqual(chatLogprobs(pieces, 5, 7, [1]));
    expect(chatLogprobs(pieces, 5, 7, [2])).not.toEqual(chatLogprobs(pieces, 5, 7, [1]));
  });

  test("the same piece keeps its id everywhere; different pieces usually differ", () => {
    expect(tokenId(" the")).toBe(tokenId(" the"));
    expect(tokenId(" the")).not.toBe(tokenId("the"));
    expect(tokenId("x")).toBeGreaterThanOrEqual(0);
  });

  test("mostly confident, as a model on its own reply: the median chosen probability is above one half", () => {
    const content = chatLogprobs(splitIntoPieces(REPLY.repeat(20)), 2, 3, []);
    const probs = content.map((c) => Math.exp(c.logprob)).sort((a, b) => a - b);
    expect(probs[Math.floor(probs.length / 2)]!).toBeGreaterThan(0.5);
    expect(probs[0]!).toBeLessThan(0.99);
  });

  test("the stream helper gives each piece the entry the whole reply has at that position", () => {
    const pieces = splitIntoPieces(REPLY);
    const whole = chatLogprobs(pieces, 4, 11, [5]);
    pieces.forEach((piece, i) => expect(streamLogprobs(piece, i, 4, 11, [5])).toEqual({ content: [whole[i]!] }));
    expect(tokenLogprob(pieces[3]!, 3, 4, 11, [5])).toEqual(whole[3]!);
  });

  test("property: every entry follows the rules for any pieces, topN and seed", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 9 }), { maxLength: 12 }), fc.integer({ min: 0, max: 25 }), fc.nat(), (pieces, topN, seed) => {
        chatLogprobs(pieces, topN, seed, [1, 2]).forEach((entry, i) => checkEntry(entry, pieces[i]!, topN));
      }),
      { numRuns: 300 },
    );
  });
});

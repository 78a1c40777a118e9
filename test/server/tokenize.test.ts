import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BOS_ID, detokenize, isValidToken, N_VOCAB, pieceForDisplay, SPECIAL_TOKENS, tokenize, tokenPiece } from "../../src/respond/tokenizer.ts";
import { estimateTokens } from "../../src/respond/tokens.ts";
import { dropInContext, expectError, jsonOf, post, send } from "./dropin-helpers.ts";

const AIME_FILE = join(import.meta.dir, "../../../shared/datasets/aimo-validation-aime/train.jsonl");

/** Strings of every kind: ASCII, any code point, grapheme clusters, and raw UTF-16 (lone surrogates included). */
const anyString = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
);

describe("tokenizer", () => {
  test("property: detokenize(tokenize(s)) === s for any string, with or without special parsing", () => {
    fc.assert(
      fc.property(anyString, fc.boolean(), (s, parseSpecial) => {
        const ids = tokenize(s, { parseSpecial });
        expect(detokenize(ids)).toBe(s);
        for (const id of ids) expect(isValidToken(id)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("property: special token texts inside any text round-trip, as ids or as plain text", () => {
    const special = fc.constantFrom(...SPECIAL_TOKENS.values());
    fc.assert(
      fc.property(fc.array(fc.oneof(anyString, special), { maxLength: 8 }), (parts) => {
        const s = parts.join("");
        expect(detokenize(tokenize(s))).toBe(s);
        const plain = tokenize(s, { parseSpecial: false });
        expect(detokenize(plain)).toBe(s);
        for (const id of plain) expect(SPECIAL_TOKENS.has(id)).toBe(false);
      }),
    );
  });

  test("add_special prepends BOS only", () => {
    expect(tokenize("hi", { addSpecial: true })[0]).toBe(BOS_ID);
    expect(tokenize("hi", { addSpecial: true }).slice(1)).toEqual(tokenize("hi"));
    expect(tokenize("", { addSpecial: true })).toEqual([BOS_ID]);
    expect(tokenize("")).toEqual([]);
    expect(detokenize([BOS_ID])).toBe("<|begin_of_text|>");
  });

  test("special texts are one token each when parsed", () => {
    expect(tokenize("<|start_header_id|>user<|end_header_id|>")).toEqual([128006, ...tokenize("user"), 128007]);
    expect(tokenize("<|eot_id|>")).toEqual([128009]);
  });

  test("ids are stable across runs and versions (golden values)", () => {
    // Changing these breaks every client that stored token ids: the vocabulary is append-only.
    expect(tokenize("The answer is \\boxed{33}.")).toEqual([68288, 7293, 36530, 17011, 2428, 4643, 3405]);
    expect(tokenize("Hello, world!\n")).toEqual([60105, 18326, 2411, 52233, 18315, 2400, 2320]);
    expect(tokenize("é", { addSpecial: true })).toEqual([128000, 195, 169]);
  });

  test("words keep their leading space; digits come in groups of up to three", () => {
    expect(tokenize(" the answer").map(pieceForDisplay)).toEqual([" the", " answer"]);
    expect(tokenize("1234567").map(pieceForDisplay)).toEqual(["123", "456", "7"]);
    expect(tokenize("   x").map(pieceForDisplay)).toEqual(["  ", " x"]);
  });

  test("pieces: text when valid UTF-8 alone, else bytes (a lone surrogate as its WTF-8 bytes)", () => {
    expect(tokenize("é😀").map(pieceForDisplay)).toEqual([[0xc3], [0xa9], [0xf0], [0x9f], [0x98], [0x80]]);
    expect(tokenize("\t").map(pieceForDisplay)).toEqual(["\t"]);
    expect(tokenize("\ud800").map(pieceForDisplay)).toEqual([[0xed, 0xa0, 0x80]]);
  });

  test("property: the text pieces of ASCII text concatenate back to it", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        expect(tokenize(s, { parseSpecial: false }).map((id) => tokenPiece(id) as string).join("")).toBe(s);
      }),
    );
  });

  test("English and LaTeX come out close to estimateTokens (about four characters a token)", () => {
    const problems = readFileSync(AIME_FILE, "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l).problem as string);
    const invented = [
      "Let me work through this problem step by step. First, consider the number of ordered pairs.",
      "The probability that a randomly chosen integer is divisible by three is one third, so the answer is \\boxed{12}.",
    ];
    for (const texts of [problems, invented]) {
      const tokens = texts.reduce((n, t) => n + tokenize(t).length, 0);
      const estimate = texts.reduce((n, t) => n + estimateTokens(t), 0);
      expect(tokens / estimate).toBeGreaterThan(0.75);
      expect(tokens / estimate).toBeLessThan(1.5);
    }
  });

  test("validity: 0..N_VOCAB-1 integers only", () => {
    expect(isValidToken(0)).toBe(true);
    expect(isValidToken(N_VOCAB - 1)).toBe(true);
    for (const bad of [-1, N_VOCAB, 1.5, Number.NaN]) expect(isValidToken(bad)).toBe(false);
  });
});

describe("POST /tokenize and /detokenize", () => {
  const ctx = dropInContext();

  test("tokens for the content; add_special adds BOS; no content gives no tokens", async () => {
    expect(await jsonOf(await send(ctx, post("/tokenize", { content: "Hello world" })))).toEqual({ tokens: tokenize("Hello world") });
    const withBos = await jsonOf(await send(ctx, post("/tokenize", { content: "Hello world", add_special: true })));
    expect(withBos.tokens).toEqual([BOS_ID, ...tokenize("Hello world")]);
    expect(await jsonOf(await send(ctx, post("/tokenize", {})))).toEqual({ tokens: [] });
  });

  test("parse_special false reads special texts as plain text", async () => {
    const parsed = await jsonOf(await send(ctx, post("/tokenize", { content: "<|eot_id|>" })));
    expect(parsed.tokens).toEqual([128009]);
    const plain = await jsonOf(await send(ctx, post("/tokenize", { content: "<|eot_id|>", parse_special: false })));
    expect(plain.tokens.length).toBeGreaterThan(1);
    expect(plain.tokens).not.toContain(128009);
  });

  test("with_pieces: {id, piece} entries, piece a string or a byte array", async () => {
    const body = await jsonOf(await send(ctx, post("/tokenize", { content: "Hi é", with_pieces: true })));
    expect(body.tokens).toEqual([
      { id: tokenize("Hi")[0], piece: "Hi" },
      { id: tokenize(" ")[0], piece: " " },
      { id: 0xc3, piece: [0xc3] },
      { id: 0xa9, piece: [0xa9] },
    ]);
    for (const entry of body.tokens) expect(Object.keys(entry)).toEqual(["id", "piece"]);
  });

  test("a mixed array of strings and token ids; BOS only when it starts with a string", async () => {
    const ids = tokenize(" there");
    const mixed = await jsonOf(await send(ctx, post("/tokenize", { content: ["Hi", ...ids, "!"], add_special: true })));
    expect(mixed.tokens).toEqual([BOS_ID, ...tokenize("Hi"), ...ids, ...tokenize("!")]);
    const startsWithId = await jsonOf(await send(ctx, post("/tokenize", { content: [ids[0], "x"], add_special: true })));
    expect(startsWithId.tokens).toEqual([ids[0], ...tokenize("x")]);
  });

  test("detokenize: the text; no tokens gives empty content", async () => {
    const ids = tokenize("The answer is 42.");
    expect(await jsonOf(await send(ctx, post("/detokenize", { tokens: ids })))).toEqual({ content: "The answer is 42." });
    expect(await jsonOf(await send(ctx, post("/detokenize", {})))).toEqual({ content: "" });
  });

  test("property: /tokenize then /detokenize round-trips any text over JSON", async () => {
    await fc.assert(
      fc.asyncProperty(anyString, async (s) => {
        const { tokens } = await jsonOf(await send(ctx, post("/tokenize", { content: s })));
        const { content } = await jsonOf(await send(ctx, post("/detokenize", { tokens })));
        expect(content).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  test("bad input: 400 invalid_request_error", async () => {
    for (const [path, body] of [
      ["/tokenize", { content: 5 }],
      ["/tokenize", { content: ["a", { x: 1 }] }],
      ["/tokenize", { content: [N_VOCAB] }],
      ["/tokenize", "[]"],
      ["/detokenize", { tokens: "abc" }],
      ["/detokenize", { tokens: [1, -1] }],
      ["/detokenize", { tokens: [1.5] }],
    ] as const) {
      await expectError(await send(ctx, post(path, body)), 400, "invalid_request_error");
    }
  });
});

describe("POST /apply-template (Llama 3 Instruct's template)", () => {
  const ctx = dropInContext();

  test("messages rendered with BOS, headers and <|eot_id|>, then the assistant header", async () => {
    const body = await jsonOf(
      await send(ctx, post("/apply-template", { messages: [{ role: "system", content: "Be brief. " }, { role: "user", content: "Hi" }] })),
    );
    expect(Object.keys(body)).toEqual(["prompt"]);
    expect(body.prompt).toBe(
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
    );
  });

  test("a trailing assistant message is a prefill: appended as is, with no end of turn", async () => {
    const body = await jsonOf(
      await send(ctx, post("/apply-template", { messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Well, " }] })),
    );
    expect(body.prompt).toBe("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nWell, ");
  });

  test("add_generation_prompt false leaves the assistant header out", async () => {
    const body = await jsonOf(await send(ctx, post("/apply-template", { messages: [{ role: "user", content: "Hi" }], add_generation_prompt: false })));
    expect(body.prompt).toBe("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
  });

  test("the chat request's validation: bad messages are 400", async () => {
    for (const body of [{}, { messages: "x" }, { messages: [{ role: "assistant", content: "a" }, { role: "assistant", content: "b" }] }]) {
      await expectError(await send(ctx, post("/apply-template", body)), 400, "invalid_request_error");
    }
  });

  test("no inference: the decider is not asked", async () => {
    const fresh = dropInContext();
    await send(fresh, post("/apply-template", { messages: [{ role: "user", content: "What is the largest three-digit integer?" }] }));
    expect(fresh.decider.ledger.totals.asked).toBe(0);
  });
});

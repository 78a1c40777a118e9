import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { renderReply } from "../../src/respond/render.ts";
import { simulatedTimings } from "../../src/respond/timings.ts";
import { estimateTokens } from "../../src/respond/tokens.ts";
import { answerChat, completionId, serveChat } from "../../src/server/chat.ts";
import { completionRuntime } from "../../src/server/generation.ts";
import { NO_PACING } from "../../src/server/pacing.ts";
import { HttpError } from "../../src/server/errors.ts";
import { parseChatRequest } from "../../src/server/request.ts";
import { TOTAL_FALSE_FAILURE } from "../stats.ts";
import { FINGERPRINT } from "../../src/version.ts";
import { boxedAnswer, chatBody, makeContext, parseSse, QUESTIONS } from "./helpers.ts";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

describe("completionId", () => {
  test('"chatcmpl-" and 32 alphanumerics, unique', () => {
    const ids = Array.from({ length: 10_000 }, completionId);
    for (const id of ids) expect(id).toMatch(/^chatcmpl-[0-9A-Za-z]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("characters are uniform over the 62 (no modulo bias)", () => {
    // n = 10000 ids * 32 = 320000 characters; each count X ~ Binomial(n, 1/62), mean mu = 5161.3.
    // Chernoff: P(|X - mu| >= e mu) <= 2 exp(-e^2 mu / 3). Union over 62 characters with
    // delta = 1e-9 / 62: e = sqrt(3 ln(2 * 62e9) / mu) = sqrt(3 * 25.54 / 5161.3) = 0.1218,
    // i.e. |X - mu| < 629. A naive `byte % 62` gives the first 8 characters mean 6250 (+1089).
    const counts = new Map<string, number>();
    const n = 10_000 * 32;
    for (let i = 0; i < 10_000; i++) for (const c of completionId().slice(9)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect([...counts.keys()].sort().join("")).toBe([...ALPHABET].sort().join(""));
    const mu = n / 62;
    const e = Math.sqrt((3 * Math.log(2 / (TOTAL_FALSE_FAILURE / 62))) / mu);
    for (const [c, count] of counts) expect({ c, off: Math.abs(count - mu) < e * mu }).toEqual({ c, off: true });
  });
});

describe("answerChat", () => {
  test("a request that matches no question is a 400 naming the dataset", () => {
    const ctx = makeContext();
    try {
      answerChat(ctx, parseChatRequest({ messages: [{ role: "user", content: "What is the capital of France?" }] }));
      throw new Error("expected an error");
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(400);
      expect((error as HttpError).message).toContain("no dataset question matched");
      expect((error as HttpError).message).toContain("tiny");
    }
    expect(ctx.decider.ledger.totals.asked).toBe(0);
  });

  test("rate 1 answers with the gold answer, rate 0 never, and the outcome says which", () => {
    for (const [rate, correct] of [
      [1, true],
      [0, false],
    ] as const) {
      const ctx = makeContext({ rate });
      for (const q of QUESTIONS) {
        const reply = answerChat(ctx, parseChatRequest(chatBody(q.index)));
        expect(reply.outcome).toMatchObject({ kind: "question", questionId: q.id, correct });
        expect(reply.stream).toBe(false);
        const content = JSON.parse(reply.body).choices[0].message.content;
        expect(content).toBe(correct ? renderReply(q.answer) : content);
        expect(boxedAnswer(content) === q.answer).toBe(correct);
      }
      expect(ctx.decider.ledger.totals).toEqual({ asked: QUESTIONS.length, correct: correct ? QUESTIONS.length : 0, wrong: correct ? 0 : QUESTIONS.length });
    }
  });

  test("the same seed and requests give the same replies, wrong answers included", () => {
    const run = () => {
      const ctx = makeContext({ rate: 0.5, seed: 77 });
      return Array.from({ length: 40 }, (_, i) => JSON.parse(answerChat(ctx, parseChatRequest(chatBody(i % QUESTIONS.length))).body).choices[0].message.content);
    };
    expect(run()).toEqual(run());
  });

  test("a reply is the JSON written out in full, whatever its pieces were remembered from", () => {
    // completionJson keeps a plain reply's head per text and its middle and end per token counts: a
    // second server (another model name) with the same counts, the same texts again, and replies
    // with n > 1 or logprobs (written in full) must each read as if nothing were remembered.
    const expected = (body: Record<string, unknown>, alias: string) => {
      const b = body as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number; completion_tokens: number }; created: number; id: string; timings: unknown };
      const u = b.usage;
      return JSON.stringify({
        choices: b.choices,
        created: b.created,
        model: alias,
        system_fingerprint: FINGERPRINT,
        object: "chat.completion",
        usage: { completion_tokens: u.completion_tokens, prompt_tokens: u.prompt_tokens, total_tokens: u.prompt_tokens + u.completion_tokens, prompt_tokens_details: { cached_tokens: 0 } },
        id: b.id,
        timings: simulatedTimings(u.prompt_tokens, u.completion_tokens),
      });
    };
    const contexts = [makeContext({ rate: 0.5, alias: "model-a" }), makeContext({ rate: 0.5, alias: "model-b" })];
    let plain = 0;
    for (let round = 0; round < 3; round++) {
      for (const [k, ctx] of contexts.entries()) {
        for (const q of QUESTIONS) {
          for (const extra of [{}, { n: 2 }, { logprobs: true, top_logprobs: 2 }]) {
            const text = answerChat(ctx, parseChatRequest(chatBody(q.index, extra))).body;
            const body = JSON.parse(text);
            expect(body.choices[0].finish_reason).toBe("stop");
            expect(text).toBe(expected(body, k === 0 ? "model-a" : "model-b"));
            if (Object.keys(extra).length === 0) plain++;
          }
        }
      }
    }
    expect(plain).toBe(3 * 2 * QUESTIONS.length);
  });

  test("a paced reply carries its own timeline's timings, not those of an unpaced reply with the same counts", async () => {
    const unpaced = makeContext({ rate: 1 });
    const paced = { ...makeContext({ rate: 1 }), ...completionRuntime({ parallel: 4, slotContext: 8192 }, { ...NO_PACING, ttftMs: 100, timeScale: 1000 }, 7) };
    for (let round = 0; round < 2; round++) {
      const a = JSON.parse(answerChat(unpaced, parseChatRequest(chatBody(0))).body);
      const b = JSON.parse((await serveChat(paced, parseChatRequest(chatBody(0)))).body!);
      expect(b.usage).toEqual(a.usage);
      expect(a.timings).toEqual(simulatedTimings(a.usage.prompt_tokens, a.usage.completion_tokens));
      expect(b.timings.prompt_ms).toBe(100);
      expect(b.timings).not.toEqual(a.timings);
    }
  });

  test("property: a short reply's tokens are its text's, and a limit at, above or below them cuts it as generated", () => {
    // Short replies take their token count from the text's facts rather than reading the text: the count
    // must be estimateTokens of the text sent, and a limit of exactly that many must not cut it.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: QUESTIONS.length - 1 }), fc.integer({ min: -2, max: 2 }), (seed, question, offset) => {
        const ctx = makeContext({ rate: 0.5, seed });
        for (let attempt = 0; attempt < 4; attempt++) {
          const full = JSON.parse(answerChat(ctx, parseChatRequest(chatBody(question))).body);
          const content: string = full.choices[0].message.content;
          expect(full.usage.completion_tokens).toBe(estimateTokens(content));
          expect(full.choices[0].finish_reason).toBe("stop");
          const limit = full.usage.completion_tokens + offset;
          const again = JSON.parse(answerChat(makeContext({ rate: 0.5, seed }), parseChatRequest(chatBody(question, { n_predict: limit }))).body);
          if (attempt > 0) continue; // the fresh context answers attempt 1: compare that one only
          expect(again.choices[0].finish_reason).toBe(offset < 0 ? "length" : "stop");
          expect(again.choices[0].message.content).toBe(offset < 0 ? content.slice(0, limit * 4) : content);
          expect(again.usage.completion_tokens).toBe(offset < 0 ? limit : estimateTokens(content));
        }
      }),
      { numRuns: 200 },
    );
  });

  test("prompt tokens count every message, plus template overhead", () => {
    const ctx = makeContext({ rate: 1 });
    const system = "You are a careful mathematician.";
    const body = { messages: [{ role: "system", content: system }, { role: "user", content: QUESTIONS[0]!.text }] };
    const usage = JSON.parse(answerChat(ctx, parseChatRequest(body)).body).usage;
    const texts = [system, QUESTIONS[0]!.text];
    expect(usage.prompt_tokens).toBe(texts.reduce((s, t) => s + estimateTokens(t) + 4, 0));
    expect(usage.completion_tokens).toBe(estimateTokens(renderReply(QUESTIONS[0]!.answer)));
  });

  test("a stream's content deltas rebuild the non-stream content", () => {
    const ctx = makeContext({ rate: 1 });
    const reply = answerChat(ctx, parseChatRequest(chatBody(4, { stream: true })));
    expect(reply.stream).toBe(true);
    const { chunks, done } = parseSse(reply.events!.join(""));
    expect(done).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe(renderReply(QUESTIONS[4]!.answer));
  });
});

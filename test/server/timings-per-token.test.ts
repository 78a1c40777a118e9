// timings_per_token: every token's stream chunk carries the timings so far (never the role chunk), on
// chat (plain and paced) and the completion routes, as llama-server sends them.
import { describe, expect, test } from "bun:test";
import { dropInContext, post, send } from "./dropin-helpers.ts";
import { QUESTIONS } from "./helpers.ts";

const events = (raw: string) => raw.split("\n\n").filter((e) => e.startsWith("data: {")).map((e) => JSON.parse(e.slice(6)) as Record<string, any>);
const q = QUESTIONS[0]!.text;

describe("timings_per_token", () => {
  test("chat stream: every content chunk has timings whose predicted_n grows, the role chunk none; off by default", async () => {
    const chunks = events(await (await send(dropInContext(), post("/v1/chat/completions", { messages: [{ role: "user", content: q }], stream: true, timings_per_token: true }))).text());
    const role = chunks[0]!;
    expect(role.choices[0].delta.role).toBe("assistant");
    expect(role.timings).toBeUndefined();
    const content = chunks.filter((c) => c.choices[0]?.delta?.content !== undefined && c.choices[0].delta.content !== null);
    expect(content.length).toBeGreaterThan(2);
    const predicted = content.map((c) => c.timings.predicted_n as number);
    for (let i = 1; i < predicted.length; i++) expect(predicted[i]!).toBeGreaterThanOrEqual(predicted[i - 1]!);
    expect(predicted[0]!).toBeGreaterThanOrEqual(1);
    // The last token's timings match the final chunk's.
    const final = chunks.find((c) => c.choices[0]?.finish_reason === "stop")!;
    expect(predicted.at(-1)).toBe(final.timings.predicted_n);
    expect(Object.keys(content[0]!).at(-1)).toBe("timings");
    const plain = events(await (await send(dropInContext(), post("/v1/chat/completions", { messages: [{ role: "user", content: q }], stream: true }))).text());
    expect(plain.filter((c) => c.choices[0]?.delta?.content).every((c) => c.timings === undefined)).toBe(true);
  });

  test("paced chat stream (--tps): every token chunk carries timings on the reply's timeline", async () => {
    const base = dropInContext();
    const { completionRuntime } = await import("../../src/server/generation.ts");
    const ctx = { ...base, ...completionRuntime({ parallel: 4, slotContext: 8192 }, { ttftMs: 0, prefillTps: 0, tps: 2000, jitter: 0, timeScale: 1 }, 1) };
    const chunks = events(await (await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q }], stream: true, timings_per_token: true }))).text());
    const content = chunks.filter((c) => c.choices[0]?.delta?.content);
    expect(content.length).toBeGreaterThan(2);
    expect(content.every((c) => typeof c.timings?.predicted_n === "number" && c.timings.predicted_n >= 1)).toBe(true);
  });

  test("/completion stream: partials carry timings before completion_probabilities", async () => {
    const raw = await (await send(dropInContext(), post("/completion", { prompt: q, stream: true, timings_per_token: true, n_probs: 1 }))).text();
    const partials = events(raw).filter((e) => e.stop === false);
    expect(partials.length).toBeGreaterThan(1);
    for (const p of partials) {
      expect(p.timings.predicted_n).toBe(p.tokens_predicted);
      const keys = Object.keys(p);
      expect(keys.slice(-2)).toEqual(["timings", "completion_probabilities"]);
    }
  });

  test("/v1/completions stream: partials carry timings after id", async () => {
    const raw = await (await send(dropInContext(), post("/v1/completions", { prompt: q, stream: true, timings_per_token: true }))).text();
    const partials = events(raw).filter((e) => e.choices[0].finish_reason === null);
    expect(partials.length).toBeGreaterThan(1);
    for (const p of partials) expect(Object.keys(p).slice(-2)).toEqual(["id", "timings"]);
  });

  test("a non-boolean timings_per_token is a 400", async () => {
    const response = await send(dropInContext(), post("/v1/chat/completions", { messages: [{ role: "user", content: q }], stream: true, timings_per_token: "yes" }));
    expect(response.status).toBe(400);
  });
});

// Stop strings on every completion route, as harnesses send them: lm-eval stops at "\n\n" (its few-shot
// delimiter) unless a task says otherwise, so a reply must state its answer before any stop string,
// and the ledger must record what the client actually got.
import { describe, expect, test } from "bun:test";
import { Ledger as RecordLedger } from "../../src/decide/records.ts";
import { Oracle } from "../../src/server/oracle.ts";
import type { ReplyOptions } from "../../src/config.ts";
import { dropInContext, jsonOf, post, send } from "./dropin-helpers.ts";
import { QUESTIONS } from "./helpers.ts";

function withOracle(reply: Partial<ReplyOptions> = {}, rate = 1) {
  const base = dropInContext({ rate });
  const oracle = new Oracle(new RecordLedger({ keep: 100 }), undefined);
  return { ctx: { ...base, reply: { ...base.reply, ...reply }, oracle }, oracle };
}

const q = QUESTIONS[0]!;
const boxed = `The answer is \\boxed{${q.answer}}.`;
const verdicts = (oracle: Oracle) => oracle.ledger.page(0, 100).records.map((r) => r.verdict);

describe("chat: the answer comes before the stop strings", () => {
  test('"\\n\\n": the short reply is one paragraph, answer included', async () => {
    const { ctx, oracle } = withOracle();
    const body = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], stop: ["\n\n", "Q:"] })));
    const content: string = body.choices[0].message.content;
    expect(content).toBe(`Let me work through this problem step by step. ${boxed}`);
    expect(content).not.toContain("\n\n");
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(verdicts(oracle)).toEqual(["correct"]);
  });

  test('"\\n": no line break is left before the answer', async () => {
    const { ctx } = withOracle();
    const body = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], stop: "\n" })));
    expect(body.choices[0].message.content).toBe(`Let me work through this problem step by step. ${boxed}`);
  });

  test("a word stop in the opening: the reply is the answer statement alone", async () => {
    const { ctx, oracle } = withOracle();
    const body = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], stop: ["step"] })));
    expect(body.choices[0].message.content).toBe(boxed);
    expect(verdicts(oracle)).toEqual(["correct"]);
  });

  test('a stop at the statement\'s final "." leaves the answer readable: still recorded as given', async () => {
    const { ctx, oracle } = withOracle();
    const body = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], stop: ["."] })));
    expect(body.choices[0].message.content).toBe(boxed.slice(0, -1));
    expect(verdicts(oracle)).toEqual(["correct"]);
  });

  test("a stop string inside the statement cuts the answer: the ledger records no answer", async () => {
    const { ctx, oracle } = withOracle();
    const body = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], stop: ["boxed"] })));
    const content: string = body.choices[0].message.content;
    expect(content).not.toContain(q.answer);
    expect(content.endsWith("The answer is \\")).toBe(true);
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(verdicts(oracle)).toEqual(["no-answer"]);
  });

  test("reasoning style with a \"\\n\\n\" stop: thoughts and answer survive, joined", async () => {
    for (const reasoningFormat of ["auto", "none"] as const) {
      const { ctx, oracle } = withOracle({ style: "reasoning", reasoningTokens: 120, reasoningFormat });
      const body = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], stop: ["\n\n"] })));
      const message = body.choices[0].message;
      expect(message.content).not.toContain("\n\n");
      expect(message.content.endsWith(boxed)).toBe(true);
      expect(verdicts(oracle)).toEqual(["correct"]);
    }
  });

  test("think style (thoughts inline in <think>) with a \"\\n\\n\" stop: the answer statement alone", async () => {
    const { ctx, oracle } = withOracle({ style: "think", reasoningTokens: 120 });
    const body = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], stop: ["\n\n"] })));
    expect(body.choices[0].message.content).toBe(boxed);
    expect(verdicts(oracle)).toEqual(["correct"]);
  });

  test("without stop strings the reply keeps its paragraphs", async () => {
    const { ctx } = withOracle();
    const body = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }] })));
    expect(body.choices[0].message.content).toBe(`Let me work through this problem step by step.\n\n${boxed}`);
  });

  test("wrong replies keep their verdict through the layout", async () => {
    const { ctx, oracle } = withOracle({}, 0);
    const body = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], stop: ["\n\n"] })));
    expect(body.choices[0].message.content).toMatch(/^Let me work through this problem step by step\. The answer is \\boxed\{.+\}\.$/);
    expect(verdicts(oracle)).toEqual(["wrong"]);
  });
});

describe("the token limit", () => {
  test("a limit that ends the reply before its answer is recorded as no answer; one after it is not", async () => {
    const { ctx, oracle } = withOracle();
    const cut = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], max_tokens: 5 })));
    expect(cut.choices[0].finish_reason).toBe("length");
    const whole = await jsonOf(await send(ctx, post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], max_tokens: 500 })));
    expect(whole.choices[0].finish_reason).toBe("stop");
    expect(verdicts(oracle)).toEqual(["no-answer", "correct"]);
  });
});

describe("text completions honour stop", () => {
  test("/v1/completions: an array and a bare string both end the text", async () => {
    for (const stop of [["Let me"], "Let me", ["\n\n"]]) {
      const { ctx, oracle } = withOracle();
      const body = await jsonOf(await send(ctx, post("/v1/completions", { prompt: q.text, stop, max_tokens: 500 })));
      const text: string = body.choices[0].text;
      expect(text).not.toContain("Let me work through this problem step by step.\n\n");
      expect(text.endsWith(boxed)).toBe(true);
      expect(body.choices[0].finish_reason).toBe("stop");
      expect(verdicts(oracle)).toEqual(["correct"]);
    }
  });

  test("/completion: stop_type \"word\" and the stopping word when a stop string ends the text", async () => {
    const { ctx, oracle } = withOracle();
    const body = await jsonOf(await send(ctx, post("/completion", { prompt: q.text, stop: ["\\boxed"], n_predict: 500 })));
    expect(body.content).toBe("Let me work through this problem step by step.\n\nThe answer is ");
    expect(body.stop_type).toBe("word");
    expect(body.stopping_word).toBe("\\boxed");
    expect(verdicts(oracle)).toEqual(["no-answer"]);
  });

  test("/completion: eos without a stop string hit, limit when the token limit ends it", async () => {
    const { ctx } = withOracle();
    const eos = await jsonOf(await send(ctx, post("/completion", { prompt: q.text, stop: ["Question:"] })));
    expect([eos.stop_type, eos.stopping_word]).toEqual(["eos", ""]);
    const limit = await jsonOf(await send(ctx, post("/completion", { prompt: q.text, stop: ["boxed"], n_predict: 3 })));
    expect([limit.stop_type, limit.stopping_word]).toEqual(["limit", ""]);
  });

  test("/completion streams the cut text", async () => {
    const { ctx } = withOracle();
    const response = await send(ctx, post("/completion", { prompt: q.text, stop: ["\\boxed"], stream: true }));
    const events = (await response.text()).split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => JSON.parse(e.slice(6)));
    const text = events.filter((e) => e.stop === false).map((e) => e.content).join("");
    expect(text).toBe("Let me work through this problem step by step.\n\nThe answer is ");
    expect(events.at(-1).stop_type).toBe("word");
  });
});

describe("tool calls under the token limit", () => {
  const tools = [{ type: "function", function: { name: "submit_answer", parameters: { type: "object", properties: { answer: { type: "integer" } }, required: ["answer"] } } }];
  const ask = (extra: Record<string, unknown>) => post("/v1/chat/completions", { messages: [{ role: "user", content: q.text }], tools, tool_choice: "required", ...extra });

  test("without a limit in the way: a whole call, finish_reason tool_calls", async () => {
    const { ctx, oracle } = withOracle();
    const body = await jsonOf(await send(ctx, ask({ max_tokens: 100 })));
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    expect(JSON.parse(body.choices[0].message.tool_calls[0].function.arguments)).toEqual({ answer: Number(q.answer) });
    expect(verdicts(oracle)).toEqual(["correct"]);
  });

  test("a limit inside the arguments: finish_reason length, the call cut, completion_tokens at the limit, no answer recorded", async () => {
    const { ctx, oracle } = withOracle();
    const body = await jsonOf(await send(ctx, ask({ max_tokens: 2 })));
    const choice = body.choices[0];
    expect(choice.finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(2);
    const args: string = choice.message.tool_calls[0].function.arguments;
    expect(args.length).toBeLessThanOrEqual(8);
    expect(() => JSON.parse(args)).toThrow();
    expect(verdicts(oracle)).toEqual(["no-answer"]);
  });

  test("max_tokens 0: no call at all", async () => {
    const { ctx } = withOracle();
    const body = await jsonOf(await send(ctx, ask({ max_tokens: 0 })));
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.choices[0].message.tool_calls).toBeUndefined();
    expect(body.usage.completion_tokens).toBe(0);
  });

  test("streamed: the cut arguments, then finish_reason length", async () => {
    const { ctx } = withOracle();
    const raw = await (await send(ctx, ask({ max_tokens: 2, stream: true }))).text();
    const chunks = raw.split("\n\n").filter((e) => e.startsWith("data: {")).map((e) => JSON.parse(e.slice(6)));
    const args = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []).map((t: any) => t.function.arguments).join("");
    expect(args.length).toBeLessThanOrEqual(8);
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(["length"]);
  });
});

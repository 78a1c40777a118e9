import { describe, expect, test } from "bun:test";
import { renderReply } from "../../src/respond/render.ts";
import { tokenize } from "../../src/respond/tokenizer.ts";
import { estimateTokens } from "../../src/respond/tokens.ts";
import { dropInContext, expectError, jsonOf, post, send, sseChunks } from "./dropin-helpers.ts";
import { boxedAnswer, QUESTIONS } from "./helpers.ts";

const NATIVE_KEYS = [
  "index", "content", "tokens", "id_slot", "stop", "model", "tokens_predicted", "tokens_evaluated", "generation_settings",
  "prompt", "has_new_line", "truncated", "stop_type", "stopping_word", "tokens_cached", "timings",
];
const PARTIAL_KEYS = ["index", "content", "tokens", "stop", "id_slot", "tokens_predicted", "tokens_evaluated"];
const TIMING_KEYS = ["cache_n", "prompt_n", "prompt_ms", "prompt_per_token_ms", "prompt_per_second", "predicted_n", "predicted_ms", "predicted_per_token_ms", "predicted_per_second"];
/** task_params::to_json (full form), llama-server [A]'s order. */
const SETTINGS_KEYS = [
  "seed", "temperature", "dynatemp_range", "dynatemp_exponent", "top_k", "top_p", "min_p", "top_n_sigma", "xtc_probability", "xtc_threshold",
  "typical_p", "repeat_last_n", "repeat_penalty", "presence_penalty", "frequency_penalty", "dry_multiplier", "dry_base", "dry_allowed_length",
  "dry_penalty_last_n", "dry_sequence_breakers", "mirostat", "mirostat_tau", "mirostat_eta", "stop", "max_tokens", "n_predict", "n_keep",
  "n_discard", "ignore_eos", "stream", "logit_bias", "n_probs", "min_keep", "grammar", "grammar_lazy", "grammar_triggers", "preserved_tokens",
  "chat_format", "reasoning_format", "reasoning_in_content", "thinking_forced_open", "samplers", "speculative.n_max", "speculative.n_min",
  "speculative.p_min", "timings_per_token", "post_sampling_probs", "lora",
];
const OAI_KEYS = ["choices", "created", "model", "system_fingerprint", "object", "usage", "id", "timings"];
const OAI_CHUNK_KEYS = ["choices", "created", "model", "system_fingerprint", "object", "id"];
const ID = /^chatcmpl-[0-9A-Za-z]{32}$/;

/** A raw completion prompt in a Llama-3 template, as a harness using /completion builds it. */
const templated = (q: number) =>
  `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n${QUESTIONS[q]!.text}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`;

describe("POST /completion and /completions, non-stream", () => {
  for (const path of ["/completion", "/completions"]) {
    test(`${path}: llama-server's native object, keys in its order`, async () => {
      const ctx = dropInContext({ alias: "native-alias", seed: 99 });
      const response = await send(ctx, post(path, { prompt: `Question: ${QUESTIONS[1]!.text}\nAnswer:` }));
      expect(response.status).toBe(200);
      const body = await jsonOf(response);
      expect(Object.keys(body)).toEqual(NATIVE_KEYS);
      expect(body.index).toBe(0);
      expect(body.content).toBe(renderReply(QUESTIONS[1]!.answer));
      expect(body.tokens).toEqual([]);
      expect(body.stop).toBe(true);
      expect(body.model).toBe("native-alias");
      expect(body.tokens_predicted).toBe(estimateTokens(body.content));
      expect(Number.isInteger(body.tokens_evaluated) && body.tokens_evaluated > 0).toBe(true);
      expect(body.prompt).toBe(`<|begin_of_text|>Question: ${QUESTIONS[1]!.text}\nAnswer:`);
      expect(body.has_new_line).toBe(true);
      expect(body.truncated).toBe(false);
      expect(body.stop_type).toBe("eos");
      expect(body.stopping_word).toBe("");
      expect(body.tokens_cached).toBe(body.tokens_evaluated + body.tokens_predicted);
      expect(Object.keys(body.timings)).toEqual(TIMING_KEYS);
      expect(body.timings.prompt_n).toBe(body.tokens_evaluated);
      expect(body.timings.predicted_n).toBe(body.tokens_predicted);
      const settings = body.generation_settings;
      expect(Object.keys(settings)).toEqual(SETTINGS_KEYS);
      expect(settings.seed).toBe(99); // the server's --seed, as llama-server's tests check
      expect(settings.n_predict).toBe(-1);
      expect(settings.max_tokens).toBe(-1);
      expect(settings.stream).toBe(false);
      expect(settings.temperature).toBe(Math.fround(0.8));
      expect(settings.dry_penalty_last_n).toBe(8192); // -1 is replaced by the context size
    });
  }

  test("the request's sampling fields show in generation_settings, as float32 where llama.cpp stores floats", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/completion", { prompt: templated(0), temperature: 0.3, top_k: 5, seed: 12, stop: ["\n\n"] })));
    expect(body.generation_settings.temperature).toBe(Math.fround(0.3));
    expect(body.generation_settings.top_k).toBe(5);
    expect(body.generation_settings.seed).toBe(12);
    expect(body.generation_settings.stop).toEqual(["\n\n"]);
  });

  test("n_predict cuts the reply: stop_type limit, tokens_predicted and timings.predicted_n equal it", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/completion", { prompt: templated(0), n_predict: 4 })));
    expect(body.stop_type).toBe("limit");
    expect(body.tokens_predicted).toBe(4);
    expect(body.timings.predicted_n).toBe(4);
    expect(renderReply(QUESTIONS[0]!.answer).startsWith(body.content)).toBe(true);
    expect(body.content.length).toBeLessThan(renderReply(QUESTIONS[0]!.answer).length);
    expect(body.generation_settings.n_predict).toBe(4);
    expect(body.generation_settings.max_tokens).toBe(4);
  });

  test("token limits: n_predict, then max_completion_tokens, then max_tokens, then the server's -n", async () => {
    const limit = async (ctx: ReturnType<typeof dropInContext>, fields: Record<string, unknown>) =>
      (await jsonOf(await send(ctx, post("/completion", { prompt: templated(2), ...fields })))).tokens_predicted;
    const ctx = dropInContext();
    expect(await limit(ctx, { n_predict: 3, max_completion_tokens: 5, max_tokens: 7 })).toBe(3);
    expect(await limit(ctx, { max_completion_tokens: 5, max_tokens: 7 })).toBe(5);
    expect(await limit(ctx, { max_tokens: 7 })).toBe(7);
    const withN = dropInContext({ server: { nPredict: 6 } });
    expect(await limit(withN, {})).toBe(6);
    expect(await limit(withN, { n_predict: 2 })).toBe(2); // below -n, the request's value holds
    // Above a positive -n it is capped (launch_slot_with_task; test_completion_stream asserts min(req, -n)).
    expect(await limit(withN, { n_predict: 10 })).toBe(6);
    const settings = (await jsonOf(await send(withN, post("/completion", { prompt: templated(2), n_predict: 10 })))).generation_settings;
    expect(settings.n_predict).toBe(6);
    // A request's -1 is not "unlimited" over -n: llama-server [A]'s has_budget() falls back to -n.
    expect(estimateTokens(renderReply(QUESTIONS[2]!.answer))).toBeGreaterThan(6);
    expect(await limit(withN, { n_predict: -1 })).toBe(6);
    expect(await limit(dropInContext(), { n_predict: -1 })).toBe(estimateTokens(renderReply(QUESTIONS[2]!.answer)));
  });

  test("n_predict 0 evaluates the prompt only", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/completion", { prompt: templated(2), n_predict: 0 })));
    expect(body.content).toBe("");
    expect(body.tokens_predicted).toBe(0);
    expect(body.stop_type).toBe("limit");
  });

  test("return_tokens fills tokens with the content's ids", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/completion", { prompt: templated(3), return_tokens: true })));
    expect(body.tokens).toEqual(tokenize(body.content, { parseSpecial: false }));
    expect(body.tokens.length).toBeGreaterThan(0);
  });

  test("a prompt of token ids, a mixed array and a {prompt_string} object are all read", async () => {
    const ctx = dropInContext();
    const ids = tokenize(templated(4));
    const fromIds = await jsonOf(await send(ctx, post("/completion", { prompt: ids })));
    expect(boxedAnswer(fromIds.content)).toBe(QUESTIONS[4]!.answer);
    expect(fromIds.prompt).toBe(templated(4)); // no BOS added to a token prompt
    const half = tokenize("Solve this: ");
    const mixed = await jsonOf(await send(ctx, post("/completion", { prompt: [...half, QUESTIONS[3]!.text] })));
    expect(boxedAnswer(mixed.content)).toBe(QUESTIONS[3]!.answer);
    expect(mixed.prompt).toBe(`Solve this: ${QUESTIONS[3]!.text}`);
    const object = await jsonOf(await send(ctx, post("/completion", { prompt: { prompt_string: QUESTIONS[2]!.text, multimodal_data: [] } })));
    expect(boxedAnswer(object.content)).toBe(QUESTIONS[2]!.answer);
  });

  test("an array of prompts gives an array of results, one decision each, in order", async () => {
    const ctx = dropInContext();
    const body = await jsonOf(await send(ctx, post("/completion", { prompt: [templated(0), templated(3), QUESTIONS[1]!.text] })));
    expect(Array.isArray(body)).toBe(true);
    expect(body.map((r: any) => r.index)).toEqual([0, 1, 2]);
    expect(body.map((r: any) => boxedAnswer(r.content))).toEqual([QUESTIONS[0]!.answer, QUESTIONS[3]!.answer, QUESTIONS[1]!.answer]);
    for (const result of body) expect(Object.keys(result)).toEqual(NATIVE_KEYS);
    expect(ctx.decider.ledger.totals.asked).toBe(3);
  });

  test("response_fields keeps only those fields; a nested path keeps its literal name", async () => {
    const body = await jsonOf(
      await send(dropInContext(), post("/completion", { prompt: templated(0), n_predict: 2, response_fields: ["content", "generation_settings/n_predict", "nope"] })),
    );
    expect(Object.keys(body)).toEqual(["content", "generation_settings/n_predict"]);
    expect(body["generation_settings/n_predict"]).toBe(2);
  });

  test("wrong answers at rate 0 are boxed, plausible and not the gold one", async () => {
    const ctx = dropInContext({ rate: 0 });
    for (const q of QUESTIONS) {
      const body = await jsonOf(await send(ctx, post("/completion", { prompt: templated(q.index) })));
      const answer = boxedAnswer(body.content);
      expect(answer).toBeDefined();
      expect(answer).not.toBe(q.answer);
    }
  });

  test("errors: llama-server's messages where it has them, 400 invalid_request_error", async () => {
    const ctx = dropInContext();
    const cases: [unknown, string | RegExp][] = [
      [{}, "[json.exception.out_of_range.403] key 'prompt' not found"],
      [{ prompt: 5 }, /^"prompt" must be a string, a list of tokens/],
      [{ prompt: [{ x: 1 }] }, /^element of "prompt" must be/],
      [{ prompt: [1, -5] }, "Prompt contains invalid tokens"],
      [{ prompt: [128256] }, "Prompt contains invalid tokens"],
      [{ prompt: "Tell me a joke." }, /no dataset question matched/],
      [{ prompt: templated(0), stream: "yes" }, "'stream' must be a boolean"],
      [{ prompt: templated(0), n_predict: 1.5 }, "'n_predict' must be an integer"],
      [{ prompt: templated(0), response_fields: "content" }, "'response_fields' must be an array of strings"],
      [[templated(0)], "request body must be a JSON object"],
    ];
    for (const [body, message] of cases) {
      const error = await expectError(await send(ctx, post("/completion", body)), 400, "invalid_request_error");
      if (typeof message === "string") expect(error.message).toBe(message);
      else expect(error.message).toMatch(message);
    }
    expect(ctx.decider.ledger.totals.asked).toBe(0);
  });

  test("the request log names the question and the outcome", async () => {
    const ctx = dropInContext();
    await send(ctx, post("/completion", { prompt: templated(3) }));
    expect(ctx.lines.at(-1)).toMatch(/ POST \/completion 200 q=q3 correct /);
  });
});

describe("POST /completion, stream", () => {
  async function stream(body: Record<string, unknown>, ctx = dropInContext()) {
    const response = await send(ctx, post("/completion", { stream: true, ...body }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    // Sent event by event, not as one body of known length.
    expect(response.headers.get("content-length")).toBeNull();
    const raw = await response.text();
    expect(raw).not.toContain("[DONE]");
    return sseChunks(raw).chunks;
  }

  test("partial events, then the final object with stop true and empty content; no [DONE]", async () => {
    const chunks = await stream({ prompt: templated(1) });
    const final = chunks.at(-1)!;
    const partials = chunks.slice(0, -1);
    expect(partials.length).toBeGreaterThan(2);
    let predicted = 0;
    for (const chunk of partials) {
      expect(Object.keys(chunk)).toEqual(PARTIAL_KEYS);
      expect(chunk.stop).toBe(false);
      expect(chunk.id_slot).toBe(-1);
      expect(chunk.content.length).toBeGreaterThan(0);
      expect(chunk.tokens.length).toBeGreaterThan(0);
      for (const id of chunk.tokens) expect(Number.isInteger(id)).toBe(true);
      expect(chunk.tokens_predicted).toBeGreaterThanOrEqual(predicted);
      predicted = chunk.tokens_predicted;
    }
    expect(partials.map((c) => c.content).join("") + final.content).toBe(renderReply(QUESTIONS[1]!.answer));
    expect(Object.keys(final)).toEqual(NATIVE_KEYS);
    expect(final.stop).toBe(true);
    expect(final.content).toBe("");
    expect(final.tokens).toEqual([]);
    expect(final.stop_type).toBe("eos");
    expect(final.generation_settings.stream).toBe(true);
    expect(final.tokens_predicted).toBe(predicted);
    expect(final.timings.predicted_n).toBe(final.tokens_predicted);
  });

  test("a limit ends the stream with stop_type limit", async () => {
    const chunks = await stream({ prompt: templated(0), n_predict: 3 });
    expect(chunks.at(-1)!.stop_type).toBe("limit");
    expect(chunks.at(-1)!.tokens_predicted).toBe(3);
    expect(chunks.at(-1)!.generation_settings.n_predict).toBe(3);
  });

  test("several prompts: each index gets its partials and its own final event", async () => {
    const chunks = await stream({ prompt: [templated(0), templated(2)] });
    const finals = chunks.filter((c) => c.stop);
    expect(finals.map((c) => c.index)).toEqual([0, 1]);
    for (const index of [0, 1]) {
      const text = chunks.filter((c) => c.index === index && !c.stop).map((c) => c.content).join("");
      expect(boxedAnswer(text)).toBe(QUESTIONS[index === 0 ? 0 : 2]!.answer);
    }
  });

  test("an unmatched prompt is an ordinary 400 before any event", async () => {
    const response = await send(dropInContext(), post("/completion", { prompt: "nothing here", stream: true }));
    await expectError(response, 400, "invalid_request_error");
  });
});

describe("POST /v1/completions (OpenAI text completions)", () => {
  test("non-stream: text_completion in llama-server's key order", async () => {
    const ctx = dropInContext({ alias: "oai-alias" });
    const before = Math.floor(Date.now() / 1000);
    const body = await jsonOf(await send(ctx, post("/v1/completions", { model: "whatever", prompt: templated(3), max_tokens: 1000 })));
    expect(Object.keys(body)).toEqual(OAI_KEYS);
    expect(body.choices).toHaveLength(1);
    expect(Object.keys(body.choices[0])).toEqual(["text", "index", "logprobs", "finish_reason"]);
    expect(body.choices[0]).toEqual({ text: renderReply(QUESTIONS[3]!.answer), index: 0, logprobs: null, finish_reason: "stop" });
    expect(body.created).toBeGreaterThanOrEqual(before);
    expect(body.model).toBe("oai-alias");
    expect(body.system_fingerprint).toStartWith("b");
    expect(body.object).toBe("text_completion");
    expect(body.id).toMatch(ID);
    expect(Object.keys(body.usage)).toEqual(["completion_tokens", "prompt_tokens", "total_tokens"]);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.usage.completion_tokens).toBe(estimateTokens(body.choices[0].text));
    expect(Object.keys(body.timings)).toEqual(TIMING_KEYS);
    expect(body.timings.predicted_n).toBe(body.usage.completion_tokens);
  });

  test("max_tokens below the reply: finish_reason length, completion_tokens equal to it", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/v1/completions", { prompt: templated(0), max_tokens: 5 })));
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBe(5);
  });

  test("stream: text chunks without usage, a final chunk with usage and timings, then [DONE]", async () => {
    const ctx = dropInContext();
    const response = await send(ctx, post("/v1/completions", { prompt: templated(4), stream: true }));
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("content-length")).toBeNull();
    const { chunks, done } = sseChunks(await response.text());
    expect(done).toBe(true);
    const final = chunks.at(-1)!;
    const partials = chunks.slice(0, -1);
    expect(partials.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(chunk.id).toBe(chunks[0].id);
      expect(chunk.object).toBe("text_completion");
    }
    expect(chunks[0].id).toMatch(ID);
    for (const chunk of partials) {
      expect(Object.keys(chunk)).toEqual(OAI_CHUNK_KEYS);
      expect(Object.keys(chunk.choices[0])).toEqual(["text", "index", "logprobs", "finish_reason"]);
      expect(chunk.choices[0].finish_reason).toBeNull();
      expect(chunk.choices[0].logprobs).toBeNull();
    }
    expect(partials.map((c) => c.choices[0].text).join("")).toBe(renderReply(QUESTIONS[4]!.answer));
    expect(Object.keys(final)).toEqual(OAI_KEYS);
    expect(final.choices[0]).toEqual({ text: "", index: 0, logprobs: null, finish_reason: "stop" });
    expect(final.usage.completion_tokens).toBe(estimateTokens(renderReply(QUESTIONS[4]!.answer)));
    expect(final.timings.predicted_n).toBe(final.usage.completion_tokens);
  });

  test("several prompts: one object with a choice per prompt, as llama-server [B]+ re-formats them (OpenAI clients read choices)", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/v1/completions", { prompt: [templated(0), templated(1)] })));
    expect(Array.isArray(body)).toBe(false);
    expect(body.object).toBe("text_completion");
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.choices.map((c: any) => c.index)).toEqual([0, 1]);
    expect(body.choices.map((c: any) => boxedAnswer(c.text))).toEqual([QUESTIONS[0]!.answer, QUESTIONS[1]!.answer]);
    // usage is the first result's, as llama-server reports it.
    const one = await jsonOf(await send(dropInContext(), post("/v1/completions", { prompt: templated(0) })));
    expect(body.usage).toEqual(one.usage);
  });

  test("an empty prompt list is one empty prompt: unmatched (400), never a server error", async () => {
    for (const path of ["/v1/completions", "/completion"]) {
      for (const prompt of [[], [[]]]) {
        const error = await expectError(await send(dropInContext(), post(path, { prompt })), 400, "invalid_request_error");
        expect(error.message).toContain("no dataset question matched");
      }
    }
  });

  test("the native request checks apply", async () => {
    const ctx = dropInContext();
    const error = await expectError(await send(ctx, post("/v1/completions", { model: "x" })), 400, "invalid_request_error");
    expect(error.message).toBe("[json.exception.out_of_range.403] key 'prompt' not found");
  });
});

describe("token probabilities on the completion routes (n_probs, logprobs, post_sampling_probs)", () => {
  const keysOf = (entry: Record<string, unknown>) => Object.keys(entry);

  test("/completion n_probs: completion_probabilities after timings, one entry per piece of the text, n alternatives each", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/completion", { prompt: templated(2), n_probs: 3 })));
    const keys = Object.keys(body);
    expect(keys.at(-1)).toBe("completion_probabilities");
    expect(keys.at(-2)).toBe("timings");
    const probs = body.completion_probabilities as Record<string, any>[];
    expect(probs.map((p) => p.token).join("")).toBe(body.content);
    for (const p of probs) {
      expect(keysOf(p)).toEqual(["id", "token", "bytes", "logprob", "top_logprobs"]);
      expect(p.top_logprobs.length).toBeLessThanOrEqual(3);
      expect(p.top_logprobs[0].token).toBe(p.token);
      expect(p.logprob).toBeLessThanOrEqual(0);
    }
  });

  test("without n_probs (or with 0): no completion_probabilities", async () => {
    for (const extra of [{}, { n_probs: 0 }]) {
      const body = await jsonOf(await send(dropInContext(), post("/completion", { prompt: templated(2), ...extra })));
      expect(body.completion_probabilities).toBeUndefined();
    }
  });

  test("post_sampling_probs: prob and top_probs in 0..1", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/completion", { prompt: templated(2), n_probs: 2, post_sampling_probs: true })));
    for (const p of body.completion_probabilities as Record<string, any>[]) {
      expect(keysOf(p)).toEqual(["id", "token", "bytes", "prob", "top_probs"]);
      expect(p.prob).toBeGreaterThan(0);
      expect(p.prob).toBeLessThanOrEqual(1);
      for (const t of p.top_probs) expect(keysOf(t)).toEqual(["id", "token", "bytes", "prob"]);
    }
  });

  test("/completion stream: each partial carries its own one-entry completion_probabilities, the final none", async () => {
    const raw = await (await send(dropInContext(), post("/completion", { prompt: templated(2), n_probs: 2, stream: true }))).text();
    const events = raw.split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => JSON.parse(e.slice(6)));
    const partials = events.filter((e) => e.stop === false);
    expect(partials.length).toBeGreaterThan(1);
    for (const e of partials) {
      expect(e.completion_probabilities).toHaveLength(1);
      expect(e.completion_probabilities[0].token).toBe(e.content);
    }
    expect(events.at(-1).completion_probabilities).toBeUndefined();
  });

  test("/v1/completions logprobs N: chat-shaped {content: [...]} (llama-server's shape, not OpenAI's legacy one); streamed per chunk", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/v1/completions", { prompt: templated(2), logprobs: 2 })));
    const content = body.choices[0].logprobs.content as Record<string, any>[];
    expect(content.map((c) => c.token).join("")).toBe(body.choices[0].text);
    const raw = await (await send(dropInContext(), post("/v1/completions", { prompt: templated(2), logprobs: 2, stream: true }))).text();
    const chunks = raw.split("\n\n").filter((e) => e.startsWith("data: {")).map((e) => JSON.parse(e.slice(6)));
    const withText = chunks.filter((c) => c.choices[0].text !== "");
    expect(withText.every((c) => c.choices[0].logprobs.content.length === 1)).toBe(true);
    const plain = await jsonOf(await send(dropInContext(), post("/v1/completions", { prompt: templated(2) })));
    expect(plain.choices[0].logprobs).toBeNull();
  });

  test("a bad n_probs is a 400", async () => {
    for (const n_probs of [-1, 1.5, "x"]) await expectError(await send(dropInContext(), post("/completion", { prompt: templated(2), n_probs })), 400, "invalid_request_error");
  });
});

describe("n (n_cmpl) on the completion routes, as llama-server [B]+", () => {
  test("/v1/completions n 2: two choices of the one prompt, indexes 0 and 1", async () => {
    const body = await jsonOf(await send(dropInContext({ rate: 0.5, seed: 5 }), post("/v1/completions", { prompt: templated(1), n: 2 })));
    expect(body.choices.map((c: any) => c.index)).toEqual([0, 1]);
    expect(body.choices.every((c: any) => c.text.length > 0)).toBe(true);
  });

  test("/completion n_cmpl 3: an array of three results", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/completion", { prompt: templated(1), n_cmpl: 3 })));
    expect(Array.isArray(body)).toBe(true);
    expect(body.map((r: any) => r.index)).toEqual([0, 1, 2]);
    expect(body.every((r: any) => boxedAnswer(r.content) === QUESTIONS[1]!.answer)).toBe(true);
  });

  test("above -np (4 slots by default): llama-server's 400; not an integer of at least 1: 400", async () => {
    const error = await expectError(await send(dropInContext(), post("/completion", { prompt: templated(1), n: 9 })), 400, "invalid_request_error");
    expect(error.message).toBe("n_cmpl cannot be greater than the number of slots, please increase -np");
    for (const n of [0, 1.5, "2"]) await expectError(await send(dropInContext(), post("/v1/completions", { prompt: templated(1), n })), 400, "invalid_request_error");
  });
});

describe("json_schema on the completion routes, as llama-server's grammar forces it", () => {
  const schema = { type: "object", properties: { answer: { type: "integer" } }, required: ["answer"] };
  test("/completion json_schema: the text is JSON valid against it, with the answer", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/completion", { prompt: templated(1), json_schema: schema })));
    expect(JSON.parse(body.content)).toEqual({ answer: Number(QUESTIONS[1]!.answer) });
  });
  test("/v1/completions response_format json_schema too; a bad schema is llama-server's 400", async () => {
    const body = await jsonOf(await send(dropInContext(), post("/v1/completions", { prompt: templated(1), response_format: { type: "json_schema", json_schema: { schema } } })));
    expect(JSON.parse(body.choices[0].text)).toEqual({ answer: Number(QUESTIONS[1]!.answer) });
    const error = await expectError(await send(dropInContext(), post("/completion", { prompt: templated(1), json_schema: { type: "nonsense" } })), 400, "invalid_request_error");
    expect(error.message).toStartWith("JSON schema conversion failed");
  });
});

import { describe, expect, test } from "bun:test";
import { CHAT_TEMPLATE } from "../../src/server/template.ts";
import { idleSlots, type SlotView } from "../../src/server/slots.ts";
import { dropInContext, expectError, get, jsonOf, post, send } from "./dropin-helpers.ts";

const PROPS_KEYS = [
  "default_generation_settings", "total_slots", "model_alias", "model_path", "modalities", "endpoint_slots", "endpoint_props",
  "endpoint_metrics", "webui", "chat_template", "bos_token", "eos_token", "build_info",
];
/** task_params::to_json(only_metrics = true): the full form without stop, logit_bias, grammar, grammar_triggers, preserved_tokens. */
const SHORT_PARAMS_KEYS = [
  "seed", "temperature", "dynatemp_range", "dynatemp_exponent", "top_k", "top_p", "min_p", "top_n_sigma", "xtc_probability", "xtc_threshold",
  "typical_p", "repeat_last_n", "repeat_penalty", "presence_penalty", "frequency_penalty", "dry_multiplier", "dry_base", "dry_allowed_length",
  "dry_penalty_last_n", "dry_sequence_breakers", "mirostat", "mirostat_tau", "mirostat_eta", "max_tokens", "n_predict", "n_keep",
  "n_discard", "ignore_eos", "stream", "n_probs", "min_keep", "grammar_lazy", "chat_format", "reasoning_format", "reasoning_in_content",
  "thinking_forced_open", "samplers", "speculative.n_max", "speculative.n_min", "speculative.p_min", "timings_per_token",
  "post_sampling_probs", "lora",
];

describe("GET /props", () => {
  test("llama-server [A]'s fields, in its order", async () => {
    const ctx = dropInContext({ alias: "my-model", seed: 4242, server: { modelPath: "/models/x.gguf", endpointMetrics: true }, slots: idleSlots(8, 2048) });
    const body = await jsonOf(await send(ctx, get("/props")));
    expect(Object.keys(body)).toEqual(PROPS_KEYS);
    expect(Object.keys(body.default_generation_settings)).toEqual(["params", "n_ctx"]);
    expect(Object.keys(body.default_generation_settings.params)).toEqual(SHORT_PARAMS_KEYS);
    expect(body.default_generation_settings.n_ctx).toBe(2048);
    expect(body.default_generation_settings.params.seed).toBe(4242);
    expect(body.total_slots).toBe(8);
    expect(body.model_alias).toBe("my-model");
    expect(body.model_path).toBe("/models/x.gguf");
    expect(body.modalities).toEqual({ vision: false, audio: false });
    expect([body.endpoint_slots, body.endpoint_props, body.endpoint_metrics]).toEqual([true, false, true]);
    expect(body.chat_template).toBe(CHAT_TEMPLATE);
    expect(body.bos_token).toBe("<|begin_of_text|>");
    expect(body.eos_token).toBe("<|eot_id|>");
    expect(body.build_info).toMatch(/^b/);
  });

  test("the defaults: 4 slots of 8192, n_predict -1 even with -n (only sampling defaults are copied), a .gguf path", async () => {
    const body = await jsonOf(await send(dropInContext({ alias: "llama", server: { nPredict: 64 } }), get("/props")));
    expect(body.total_slots).toBe(4);
    expect(body.default_generation_settings.n_ctx).toBe(8192);
    expect(body.default_generation_settings.params.n_predict).toBe(-1);
    expect(body.default_generation_settings.params.stream).toBe(false);
    expect(body.model_path).toContain(".gguf");
  });
});

describe("POST /props", () => {
  test("without --props: 501 with llama-server's message", async () => {
    const error = await expectError(await send(dropInContext(), post("/props", {})), 501, "not_supported_error");
    expect(error.message).toBe("This server does not support changing global properties. Start it with `--props`");
  });

  test("with --props: {success: true}, whatever the body (llama-server does not read it)", async () => {
    const ctx = dropInContext({ server: { endpointProps: true } });
    for (const body of ["{}", "not json at all"]) expect(await jsonOf(await send(ctx, post("/props", body)))).toEqual({ success: true });
    expect((await jsonOf(await send(ctx, get("/props")))).endpoint_props).toBe(true);
  });
});

describe("GET /slots", () => {
  test("one idle entry per slot, in id order, with llama-server's first four keys", async () => {
    const body = await jsonOf(await send(dropInContext({ slots: idleSlots(3, 4096) }), get("/slots")));
    expect(body).toEqual([0, 1, 2].map((id) => ({ id, n_ctx: 4096, speculative: false, is_processing: false })));
    for (const slot of body) expect(Object.keys(slot)).toEqual(["id", "n_ctx", "speculative", "is_processing"]);
  });

  test("the default is 4 slots; fail_on_no_slot passes while one is idle", async () => {
    const ctx = dropInContext();
    expect(await jsonOf(await send(ctx, get("/slots")))).toHaveLength(4);
    expect((await send(ctx, get("/slots?fail_on_no_slot=1"))).status).toBe(200);
  });

  test("a slot that ran a task shows id_task, params and next_token (an array of one object)", async () => {
    const params = { seed: 1, temperature: Math.fround(0.8) };
    const view: SlotView = {
      total: 2,
      nCtx: 1024,
      states: () => [
        { id: 0, nCtx: 1024, isProcessing: true, task: { idTask: 57, params, hasNextToken: true, hasNewLine: false, nRemain: -1, nDecoded: 12 } },
        { id: 1, nCtx: 1024, isProcessing: false },
      ],
    };
    const body = await jsonOf(await send(dropInContext({ slots: view }), get("/slots")));
    expect(Object.keys(body[0])).toEqual(["id", "n_ctx", "speculative", "is_processing", "id_task", "params", "next_token"]);
    expect(body[0].id_task).toBe(57);
    expect(body[0].params).toEqual(params);
    expect(body[0].next_token).toEqual([{ has_next_token: true, has_new_line: false, n_remain: -1, n_decoded: 12 }]);
  });

  test("?fail_on_no_slot=<anything> with every slot busy: 503 no slot available", async () => {
    const busy: SlotView = { total: 1, nCtx: 512, states: () => [{ id: 0, nCtx: 512, isProcessing: true }] };
    const ctx = dropInContext({ slots: busy });
    for (const query of ["fail_on_no_slot=1", "fail_on_no_slot=true", "fail_on_no_slot=x"]) {
      const error = await expectError(await send(ctx, get(`/slots?${query}`)), 503, "unavailable_error");
      expect(error.message).toBe("no slot available");
    }
    // An empty value does not trigger it (llama-server checks for a non-empty parameter).
    expect((await send(ctx, get("/slots?fail_on_no_slot="))).status).toBe(200);
    expect((await send(ctx, get("/slots"))).status).toBe(200);
  });

  test("--no-slots: 501 with llama-server's message", async () => {
    const ctx = dropInContext({ server: { endpointSlots: false } });
    const error = await expectError(await send(ctx, get("/slots")), 501, "not_supported_error");
    expect(error.message).toBe("This server does not support slots endpoint. Start it with `--slots`");
    expect((await jsonOf(await send(ctx, get("/props")))).endpoint_slots).toBe(false);
  });
});

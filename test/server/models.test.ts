import { describe, expect, test } from "bun:test";
import { modelsBody } from "../../src/server/models.ts";
import { modelNames } from "../../src/server/runtime.ts";
import { dropInContext, get, jsonOf, post, send } from "./dropin-helpers.ts";
import { chatBody } from "./helpers.ts";

describe("modelsBody", () => {
  test("llama-server's shape: models (Ollama), object list, one data entry with the alias", () => {
    const before = Math.floor(Date.now() / 1000);
    const body = JSON.parse(modelsBody("my-model"));
    const after = Math.floor(Date.now() / 1000);
    expect(Object.keys(body)).toEqual(["models", "object", "data"]);
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(1);
    const [model] = body.data;
    expect(model.id).toBe("my-model");
    expect(model.object).toBe("model");
    expect(model.owned_by).toBe("llamacpp");
    expect(model.aliases).toEqual(["my-model"]);
    expect(model.created).toBeGreaterThanOrEqual(before);
    expect(model.created).toBeLessThanOrEqual(after);
    expect(Object.keys(model.meta)).toEqual(["vocab_type", "n_vocab", "n_ctx", "n_ctx_train", "n_embd", "n_params", "size"]);
    expect(body.models).toHaveLength(1);
    expect(body.models[0]).toMatchObject({ name: "my-model", model: "my-model", type: "model", capabilities: ["completion"] });
    expect(body.models[0].details.format).toBe("gguf");
  });

  test("an alias with JSON-special characters stays intact", () => {
    expect(JSON.parse(modelsBody('a "quoted"\\alias')).data[0].id).toBe('a "quoted"\\alias');
  });
});

describe("several aliases (-a a,b,c)", () => {
  test("the model is the first name in sorted order; /v1/models lists every name, sorted (llama-server's std::set)", () => {
    const names = modelNames("zeta,alpha,mid");
    expect(names).toEqual({ alias: "alpha", aliases: ["zeta", "alpha", "mid"] });
    const model = JSON.parse(modelsBody(names.alias, names.aliases)).data[0];
    expect(model.id).toBe("alpha");
    expect(model.aliases).toEqual(["alpha", "mid", "zeta"]);
  });
  test("one name, spaces and empty parts", () => {
    expect(modelNames("llama")).toEqual({ alias: "llama", aliases: ["llama"] });
    expect(modelNames(" b , a ,")).toEqual({ alias: "a", aliases: ["b", "a"] });
  });
  test("every reply and /props report it", async () => {
    const base = dropInContext();
    const ctx = { ...base, ...modelNames("zeta,alpha") };
    const chat = await jsonOf(await send(ctx, post("/v1/chat/completions", chatBody(0))));
    expect(chat.model).toBe("alpha");
    const props = await jsonOf(await send(ctx, get("/props")));
    expect(props.model_alias).toBe("zeta,alpha");
  });
});

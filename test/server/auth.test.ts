import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isAuthorized, UNAUTHORIZED_BODY } from "../../src/server/auth.ts";
import { dropInContext, get, head, jsonOf, post, send } from "./dropin-helpers.ts";
import { chatBody } from "./helpers.ts";

const KEYS = ["sk-first", "sk-second"];
const MIDDLEWARE_ORDER = ["message", "type", "code"];

async function expectUnauthorized(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(response.headers.get("server")).toBe("llama.cpp");
  const text = await response.text();
  // Exactly llama-server's body, in its middleware's key order.
  expect(text).toBe('{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}');
  expect(Object.keys(JSON.parse(text).error)).toEqual(MIDDLEWARE_ORDER);
}

describe("--api-key", () => {
  const ctx = dropInContext({ server: { apiKeys: KEYS } });

  test("no key, a wrong key, a wrong scheme or a key prefix: 401 authentication_error", async () => {
    const cases: Record<string, string>[] = [
      {},
      { Authorization: "Bearer sk-wrong" },
      { Authorization: "Bearer sk-firs" },
      { Authorization: "Basic sk-first" },
      { Authorization: "bearer sk-first" },
      { Authorization: "Bearer " },
      { "X-Api-Key": "sk-wrong" },
      { "X-Api-Key": "" },
    ];
    for (const headers of cases) {
      await expectUnauthorized(await send(ctx, post("/v1/chat/completions", chatBody(0), headers)));
    }
  });

  test("Authorization: Bearer KEY or X-Api-Key: KEY, for any configured key", async () => {
    const cases: Record<string, string>[] = [{ Authorization: "Bearer sk-first" }, { Authorization: "Bearer sk-second" }, { "X-Api-Key": "sk-first" }, { "x-api-key": "sk-second" }];
    for (const headers of cases) {
      const response = await send(ctx, post("/v1/chat/completions", chatBody(1), headers));
      expect(response.status).toBe(200);
      expect((await jsonOf(response)).object).toBe("chat.completion");
    }
  });

  test("newer llama-server also takes a bare key in Authorization; a wrong Authorization does not hide a right X-Api-Key", async () => {
    expect((await send(ctx, get("/props", { Authorization: "sk-first" }))).status).toBe(200);
    expect((await send(ctx, get("/props", { Authorization: "Bearer nope", "X-Api-Key": "sk-second" }))).status).toBe(200);
  });

  test("public routes need no key: /health, /v1/health, /models, /v1/models, /api/tags", async () => {
    for (const path of ["/health", "/v1/health", "/models", "/v1/models", "/api/tags"]) {
      expect((await send(ctx, get(path))).status).toBe(200);
      expect((await send(ctx, head(path))).status).toBe(200);
    }
  });

  test("every other route is protected, unknown paths and HEAD included (the key is checked before routing)", async () => {
    for (const request of [get("/props"), get("/slots"), post("/completion", { prompt: "x" }), post("/v1/completions", { prompt: "x" }), post("/tokenize", { content: "x" }), post("/v1/embeddings", {}), get("/nope")]) {
      await expectUnauthorized(await send(ctx, request));
    }
    const headResponse = await send(ctx, head("/props"));
    expect(headResponse.status).toBe(401);
    expect(await headResponse.text()).toBe("");
  });

  test("an unauthorized request is not decided, and is logged as 401", async () => {
    const fresh = dropInContext({ server: { apiKeys: KEYS } });
    await send(fresh, post("/v1/chat/completions", chatBody(0)));
    expect(fresh.decider.ledger.totals.asked).toBe(0);
    expect(fresh.lines.at(-1)).toMatch(/ POST \/v1\/chat\/completions 401 error="Invalid API Key" /);
  });

  test("with --api-prefix, the public list is not prefixed (llama-server compares the whole path)", async () => {
    const prefixed = dropInContext({ server: { apiKeys: KEYS, apiPrefix: "/api" } });
    await expectUnauthorized(await send(prefixed, get("/api/health")));
    expect((await send(prefixed, get("/api/health", { "X-Api-Key": "sk-first" }))).status).toBe(200);
  });

  test("no keys configured: no check at all", async () => {
    expect((await send(dropInContext(), get("/props", { Authorization: "Bearer whatever" }))).status).toBe(200);
  });

  test("the 401 body constant is llama-server's", () => {
    expect(JSON.parse(UNAUTHORIZED_BODY)).toEqual({ error: { message: "Invalid API Key", type: "authentication_error", code: 401 } });
  });
});

describe("isAuthorized", () => {
  test("property: accepts exactly the configured keys, through either header", () => {
    const key = fc.string({ minLength: 1, maxLength: 40 }).filter((k) => k.trim() === k && !/[\r\n\0]/.test(k));
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 4 }), key, (keys, candidate) => {
        const expected = keys.includes(candidate);
        expect(isAuthorized(keys, "/props", new Headers({ "X-Api-Key": candidate }))).toBe(expected);
        expect(isAuthorized(keys, "/props", new Headers({ Authorization: `Bearer ${candidate}` }))).toBe(expected);
        expect(isAuthorized(keys, "/props", new Headers())).toBe(false);
      }),
    );
  });

  test("keys of different lengths are compared without throwing (digests are equal-length)", () => {
    expect(isAuthorized(["a"], "/x", new Headers({ "X-Api-Key": "a".repeat(10_000) }))).toBe(false);
    expect(isAuthorized(["a".repeat(10_000)], "/x", new Headers({ "X-Api-Key": "a".repeat(10_000) }))).toBe(true);
  });
});

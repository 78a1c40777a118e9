import { describe, expect, test } from "bun:test";
import { BASE, dropInContext, get, head, post, send } from "./dropin-helpers.ts";
import { QUESTIONS } from "./helpers.ts";

const ORIGIN = { Origin: "http://localhost:5173" };

describe("CORS as llama-server sets it", () => {
  test("every response echoes Origin in Access-Control-Allow-Origin: new routes, streams, errors and 401s", async () => {
    const ctx = dropInContext();
    const keyed = dropInContext({ server: { apiKeys: ["k"] } });
    const cases: [typeof ctx, Request][] = [
      [ctx, get("/props", ORIGIN)],
      [ctx, get("/slots", ORIGIN)],
      [ctx, head("/health", ORIGIN)],
      [ctx, post("/completion", { prompt: QUESTIONS[0]!.text }, ORIGIN)],
      [ctx, post("/completion", { prompt: QUESTIONS[0]!.text, stream: true }, ORIGIN)],
      [ctx, post("/v1/completions", { prompt: QUESTIONS[0]!.text, stream: true }, ORIGIN)],
      [ctx, post("/tokenize", { content: "x" }, ORIGIN)],
      [ctx, post("/v1/embeddings", {}, ORIGIN)],
      [ctx, post("/completion", {}, ORIGIN)],
      [keyed, get("/props", ORIGIN)],
    ];
    for (const [context, request] of cases) {
      const response = await send(context, request);
      expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN.Origin);
      expect(response.headers.get("server")).toBe("llama.cpp");
      await response.arrayBuffer();
    }
  });

  test("OPTIONS preflight: 200, empty text/html body, the CORS headers, and no API key check", async () => {
    const ctx = dropInContext({ server: { apiKeys: ["k"] } });
    for (const path of ["/completion", "/v1/completions", "/props", "/anything"]) {
      const response = await send(ctx, new Request(BASE + path, { method: "OPTIONS", headers: { ...ORIGIN, "Access-Control-Request-Method": "POST" } }));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("");
      expect(response.headers.get("content-type")).toBe("text/html");
      expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN.Origin);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST");
      expect(response.headers.get("access-control-allow-headers")).toBe("*");
    }
  });

  test("no Origin, no Access-Control-Allow-Origin", async () => {
    const response = await send(dropInContext(), get("/props"));
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

import { describe, expect, test } from "bun:test";
import { startServer } from "../../src/server/app.ts";
import { dropInContext, expectError, get, head, jsonOf, post, send } from "./dropin-helpers.ts";
import { chatBody, QUESTIONS } from "./helpers.ts";

const GET_ROUTES = ["/health", "/v1/health", "/models", "/v1/models", "/api/tags", "/props", "/slots"];
// llama-server's error handler, not a route handler, writes the 404: message, type, code.
const NOT_FOUND_ORDER = ["message", "type", "code"];

describe("HEAD on every GET route", () => {
  for (const path of GET_ROUTES) {
    test(`${path}: the GET reply's status and headers, no body`, async () => {
      const ctx = dropInContext();
      const getResponse = await send(ctx, get(path));
      const getBody = await getResponse.text();
      const response = await send(ctx, head(path));
      expect(response.status).toBe(getResponse.status);
      expect(await response.text()).toBe("");
      expect(response.headers.get("content-type")).toBe(getResponse.headers.get("content-type"));
      expect(response.headers.get("server")).toBe("llama.cpp");
      // /v1/models carries `created`, which may tick between the two requests; the length does not change.
      expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(getBody)));
    });
  }

  test("HEAD follows the GET route's errors: 501 for /slots with --no-slots, 404 for unknown paths", async () => {
    const ctx = dropInContext({ server: { endpointSlots: false } });
    const slots = await send(ctx, head("/slots"));
    expect(slots.status).toBe(501);
    expect(await slots.text()).toBe("");
    const missing = await send(ctx, head("/nope"));
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("");
    // A POST-only route has no GET, so no HEAD either.
    expect((await send(ctx, head("/completion"))).status).toBe(404);
  });

  test("HEAD is logged with its own method", async () => {
    const ctx = dropInContext();
    await send(ctx, head("/health"));
    expect(ctx.lines.at(-1)).toMatch(/ HEAD \/health 200 /);
  });
});

describe("501 not_supported_error, as llama-server answers on a model without them", () => {
  const cases: [string[], string][] = [
    [["/embedding", "/embeddings", "/v1/embeddings"], "This server does not support embeddings. Start it with `--embeddings`"],
    [["/rerank", "/reranking", "/v1/rerank", "/v1/reranking"], "This server does not support reranking. Start it with `--reranking`"],
    [["/infill"], "Infill is not supported by this model: prefix token is missing. suffix token is missing. middle token is missing. "],
  ];
  for (const [paths, message] of cases) {
    for (const path of paths) {
      test(`POST ${path}`, async () => {
        const ctx = dropInContext();
        const error = await expectError(await send(ctx, post(path, { input: "hello", query: "q", documents: ["a"] })), 501, "not_supported_error");
        expect(error.message).toBe(message);
        // Checked before the body is read: even a broken body gets the 501.
        await expectError(await send(ctx, post(path, "{not json")), 501, "not_supported_error");
      });
    }
  }
});

describe("the route table", () => {
  test("llama-server [A]'s Ollama paths: /api/tags lists the model, /api/chat answers chat", async () => {
    const ctx = dropInContext({ alias: "llama" });
    expect((await jsonOf(await send(ctx, get("/api/tags")))).data[0].id).toBe("llama");
    const chat = await jsonOf(await send(ctx, post("/api/chat", chatBody(2))));
    expect(chat.object).toBe("chat.completion");
  });

  test("wrong methods and unknown paths: 404 not_found_error", async () => {
    const ctx = dropInContext();
    for (const request of [get("/completion"), get("/tokenize"), post("/slots", {}), post("/v1/models", {}), get("/v1/completion"), get("/")]) {
      const error = await expectError(await send(ctx, request), 404, "not_found_error", NOT_FOUND_ORDER);
      expect(error.message).toBe("File Not Found");
    }
  });
});

describe("--api-prefix", () => {
  const ctx = dropInContext({ server: { apiPrefix: "/llm" } });

  test("every route is served under the prefix", async () => {
    expect(await jsonOf(await send(ctx, get("/llm/health")))).toEqual({ status: "ok" });
    expect((await send(ctx, get("/llm/v1/models"))).status).toBe(200);
    expect((await send(ctx, get("/llm/props"))).status).toBe(200);
    expect((await send(ctx, head("/llm/slots"))).status).toBe(200);
    const chat = await jsonOf(await send(ctx, post("/llm/v1/chat/completions", chatBody(0))));
    expect(chat.choices[0].message.content).toContain(`\\boxed{${QUESTIONS[0]!.answer}}`);
    const native = await jsonOf(await send(ctx, post("/llm/completion", { prompt: QUESTIONS[1]!.text })));
    expect(native.content).toContain(`\\boxed{${QUESTIONS[1]!.answer}}`);
  });

  test("and only there: the unprefixed paths are 404", async () => {
    for (const request of [get("/health"), get("/v1/models"), post("/v1/chat/completions", chatBody(0)), get("/llmhealth"), get("/llm")]) {
      await expectError(await send(ctx, request), 404, "not_found_error", NOT_FOUND_ORDER);
    }
  });
});

describe("Bun's native routes for the completion POSTs (app.ts nativeRoutes)", () => {
  /** One raw HTTP/1.1 request, the path sent as written (no client-side normalisation), and the status line. */
  async function rawStatus(port: number, method: string, path: string, body: string): Promise<number> {
    const { promise, resolve } = Promise.withResolvers<number>();
    let text = "";
    await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        },
        data(_socket, chunk) {
          text += chunk.toString();
          const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
          if (m) resolve(Number(m[1]));
        },
        close() {
          resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
        },
      },
    });
    return promise;
  }
  const body = JSON.stringify(chatBody(0));

  test("a chat POST is answered through the router and through fetch alike, with and without a prefix", async () => {
    for (const apiPrefix of ["", "/llm"]) {
      const server = startServer(dropInContext({ server: { apiPrefix } }), { host: "127.0.0.1", port: 0, idleTimeoutSeconds: 5 });
      try {
        expect(await rawStatus(server.port!, "POST", `${apiPrefix}/v1/chat/completions`, body)).toBe(200);
        expect(await rawStatus(server.port!, "POST", `${apiPrefix}/v1/chat/completions?x=1`, body)).toBe(200);
        expect(await rawStatus(server.port!, "GET", `${apiPrefix}/v1/chat/completions`, "")).toBe(404);
        expect(await rawStatus(server.port!, "POST", `${apiPrefix}/v1/chat/completions/`, body)).toBe(404);
      } finally {
        server.stop(true);
      }
    }
  });

  test("a prefix the router cannot take, or that URL normalisation changes, still starts and keeps fetch's answers", async () => {
    for (const [apiPrefix, path] of [
      ["/é", "/é/v1/chat/completions"],
      ["/x/..", "/x/../v1/chat/completions"],
      ["/a/./b", "/a/./b/v1/chat/completions"],
    ] as const) {
      const server = startServer(dropInContext({ server: { apiPrefix } }), { host: "127.0.0.1", port: 0, idleTimeoutSeconds: 5 });
      try {
        // fetch sees the normalised path, which is outside the prefix: 404, as before native routes.
        expect(await rawStatus(server.port!, "POST", encodeURI(path), body)).toBe(404);
      } finally {
        server.stop(true);
      }
    }
  });
});

import { describe, expect, test } from "bun:test";
import { renderReply } from "../../src/respond/render.ts";
import { estimateTokens } from "../../src/respond/tokens.ts";
import { handle } from "../../src/server/app.ts";
import { boxedAnswer, chatBody, makeContext, parseSse, QUESTIONS, type TestContext } from "./helpers.ts";

const BASE = "http://127.0.0.1:8033";
const JSON_TYPE = "application/json; charset=utf-8";

function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(BASE + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const get = (path: string, headers: Record<string, string> = {}) => new Request(BASE + path, { headers });

async function jsonOf(response: Response): Promise<any> {
  expect(response.headers.get("content-type")).toBe(JSON_TYPE);
  return JSON.parse(await response.text());
}

/** Asserts llama-server's error envelope and returns the message. */
/** `order`: a route handler's error writes code, message, type; the 404 of llama-server's error handler message, type, code. */
async function expectError(response: Response, status: number, type: string, order = status === 404 ? ["message", "type", "code"] : ["code", "message", "type"]): Promise<string> {
  expect(response.status).toBe(status);
  const body = await jsonOf(response);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error)).toEqual(order);
  expect(body.error.code).toBe(status);
  expect(body.error.type).toBe(type);
  expect(typeof body.error.message).toBe("string");
  expect(response.headers.get("server")).toBe("llama.cpp");
  return body.error.message;
}

const NON_STREAM_KEYS = ["choices", "created", "model", "system_fingerprint", "object", "usage", "id", "timings"];
const CHUNK_KEYS = ["choices", "created", "id", "model", "system_fingerprint", "object"];
const TIMING_KEYS = ["cache_n", "prompt_n", "prompt_ms", "prompt_per_token_ms", "prompt_per_second", "predicted_n", "predicted_ms", "predicted_per_token_ms", "predicted_per_second"];

describe("POST chat completions, non-stream", () => {
  for (const path of ["/v1/chat/completions", "/chat/completions"]) {
    test(`${path}: llama-server's keys, in its order, and values`, async () => {
      const ctx = makeContext({ rate: 1, alias: "the-alias" });
      const before = Math.floor(Date.now() / 1000);
      const response = await handle(post(path, chatBody(1, { model: "gpt-4o" })), ctx);
      expect(response.status).toBe(200);
      expect(response.headers.get("server")).toBe("llama.cpp");
      const body = await jsonOf(response);
      expect(Object.keys(body)).toEqual(NON_STREAM_KEYS);
      expect(body.choices).toHaveLength(1);
      expect(Object.keys(body.choices[0])).toEqual(["finish_reason", "index", "message"]);
      expect(body.choices[0].finish_reason).toBe("stop");
      expect(body.choices[0].index).toBe(0);
      expect(body.choices[0].message).toEqual({ role: "assistant", content: renderReply(QUESTIONS[1]!.answer) });
      expect(body.created).toBeGreaterThanOrEqual(before);
      expect(body.created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      expect(Number.isInteger(body.created)).toBe(true);
      expect(body.model).toBe("the-alias"); // [new] the request's model is not echoed
      expect(body.system_fingerprint.startsWith("b")).toBe(true);
      expect(body.object).toBe("chat.completion");
      expect(Object.keys(body.usage)).toEqual(["completion_tokens", "prompt_tokens", "total_tokens", "prompt_tokens_details"]);
      expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
      expect(Number.isInteger(body.usage.prompt_tokens) && body.usage.prompt_tokens > 0).toBe(true);
      expect(body.usage.completion_tokens).toBe(estimateTokens(body.choices[0].message.content));
      expect(body.usage.prompt_tokens_details).toEqual({ cached_tokens: 0 });
      expect(body.id).toMatch(/^chatcmpl-[0-9A-Za-z]{32}$/);
      expect(Object.keys(body.timings)).toEqual(TIMING_KEYS);
      expect(body.timings.prompt_n).toBe(body.usage.prompt_tokens);
      expect(body.timings.predicted_n).toBe(body.usage.completion_tokens);
      expect(body.timings.predicted_per_second).toBeGreaterThan(0);
      expect(body.timings.predicted_ms).toBeGreaterThan(0);
    });
  }

  test("ids are unique across calls", async () => {
    const ctx = makeContext();
    const ids = await Promise.all(Array.from({ length: 50 }, async (_, i) => (await jsonOf(await handle(post("/v1/chat/completions", chatBody(i % 5)), ctx))).id));
    expect(new Set(ids).size).toBe(50);
  });

  test("rate 0 answers wrong, still finishing with stop", async () => {
    const ctx = makeContext({ rate: 0 });
    for (const q of QUESTIONS) {
      const body = await jsonOf(await handle(post("/v1/chat/completions", chatBody(q.index)), ctx));
      expect(body.choices[0].finish_reason).toBe("stop");
      const answer = boxedAnswer(body.choices[0].message.content);
      expect(answer).toBeDefined();
      expect(answer).not.toBe(q.answer);
    }
  });

  test("max_tokens below the reply length: finish_reason length and completion_tokens == max_tokens", async () => {
    const ctx = makeContext({ rate: 1 });
    const body = await jsonOf(await handle(post("/v1/chat/completions", chatBody(0, { n_predict: undefined, max_tokens: 4 })), ctx));
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBe(4);
    expect(body.timings.predicted_n).toBe(4);
    expect(renderReply(QUESTIONS[0]!.answer).startsWith(body.choices[0].message.content)).toBe(true);
  });

  test("llama-eval's judge-style system + user, the question in a content-part array, matches", async () => {
    const ctx = makeContext({ rate: 1 });
    const request = {
      messages: [
        { role: "system", content: "Answer carefully." },
        { role: "user", content: [{ type: "text", text: QUESTIONS[3]!.text }] },
      ],
    };
    const body = await jsonOf(await handle(post("/v1/chat/completions", request), ctx));
    expect(boxedAnswer(body.choices[0].message.content)).toBe(QUESTIONS[3]!.answer);
  });
});

describe("POST chat completions, stream", () => {
  async function stream(ctx: TestContext, extra: Record<string, unknown>, question = 2) {
    const response = await handle(post("/v1/chat/completions", chatBody(question, { stream: true, ...extra })), ctx);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("server")).toBe("llama.cpp");
    const raw = await response.text();
    expect(raw.endsWith("data: [DONE]\n\n")).toBe(true);
    return parseSse(raw);
  }

  test("role chunk, content chunks, finish chunk with timings, [DONE]; no usage", async () => {
    const ctx = makeContext({ rate: 1, alias: "stream-alias" });
    const { chunks, done, raw } = await stream(ctx, { model: "something-else" }, 4);
    expect(done).toBe(true);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const chunk of chunks) {
      expect(Object.keys(chunk).slice(0, 6)).toEqual(CHUNK_KEYS);
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.model).toBe("stream-alias");
      expect(chunk.system_fingerprint.startsWith("b")).toBe(true);
      expect(chunk.id).toBe(chunks[0]!.id);
      expect(chunk.created).toBe(chunks[0]!.created);
      expect("usage" in chunk).toBe(false);
    }
    expect(chunks[0]!.id).toMatch(/^chatcmpl-[0-9A-Za-z]{32}$/);
    expect(raw).not.toContain('"usage"');

    const [first, ...rest] = chunks;
    expect(first!.choices).toEqual([{ finish_reason: null, index: 0, delta: { role: "assistant", content: null } }]);
    expect("timings" in first!).toBe(false);
    const finish = rest.at(-1)!;
    const middle = rest.slice(0, -1);
    expect(middle.length).toBeGreaterThan(0);
    for (const chunk of middle) {
      expect(chunk.choices).toHaveLength(1);
      expect(chunk.choices[0].finish_reason).toBeNull();
      expect(Object.keys(chunk.choices[0].delta)).toEqual(["content"]);
      expect(chunk.choices[0].delta.content.length).toBeGreaterThan(0);
      expect("timings" in chunk).toBe(false);
    }
    expect(middle.map((c) => c.choices[0].delta.content).join("")).toBe(renderReply(QUESTIONS[4]!.answer));
    expect(finish.choices).toEqual([{ finish_reason: "stop", index: 0, delta: {} }]);
    expect(Object.keys(finish.timings)).toEqual(TIMING_KEYS);
    expect(finish.timings.predicted_n).toBe(estimateTokens(renderReply(QUESTIONS[4]!.answer)));
  });

  test("include_usage adds a choices:[] chunk carrying usage and timings, after the finish chunk", async () => {
    const ctx = makeContext({ rate: 1 });
    const { chunks } = await stream(ctx, { stream_options: { include_usage: true } });
    const usageChunk = chunks.at(-1)!;
    const finish = chunks.at(-2)!;
    expect(usageChunk.choices).toEqual([]);
    expect(Object.keys(usageChunk)).toEqual([...CHUNK_KEYS, "usage", "timings"]);
    expect(usageChunk.usage.total_tokens).toBe(usageChunk.usage.prompt_tokens + usageChunk.usage.completion_tokens);
    expect(usageChunk.usage.completion_tokens).toBe(estimateTokens(renderReply(QUESTIONS[2]!.answer)));
    expect(usageChunk.timings.prompt_per_second).toBeGreaterThan(0);
    expect(usageChunk.timings.predicted_per_second).toBeGreaterThan(0);
    expect(finish.choices).toEqual([{ finish_reason: "stop", index: 0, delta: {} }]);
    // timings ride only on the last chunk before [DONE]
    expect(chunks.filter((c) => "timings" in c)).toEqual([usageChunk]);
    expect(chunks.filter((c) => "usage" in c)).toEqual([usageChunk]);
  });

  test("include_usage false behaves as absent", async () => {
    const { raw } = await stream(makeContext(), { stream_options: { include_usage: false } });
    expect(raw).not.toContain('"usage"');
  });

  test("a token limit ends the stream with finish_reason length", async () => {
    const ctx = makeContext({ rate: 1 });
    const { chunks } = await stream(ctx, { n_predict: 3, stream_options: { include_usage: true } });
    expect(chunks.at(-2)!.choices[0]).toEqual({ finish_reason: "length", index: 0, delta: {} });
    expect(chunks.at(-1)!.usage.completion_tokens).toBe(3);
    expect(chunks.at(-1)!.timings.predicted_n).toBeLessThanOrEqual(3);
  });

  test("each stream gets its own id", async () => {
    const ctx = makeContext();
    const a = await stream(ctx, {});
    const b = await stream(ctx, {});
    expect(a.chunks[0]!.id).not.toBe(b.chunks[0]!.id);
  });
});

describe("errors", () => {
  test("unknown path: 404 not_found_error", async () => {
    const ctx = makeContext();
    expect(await expectError(await handle(get("/nope"), ctx), 404, "not_found_error")).toBe("File Not Found");
    await expectError(await handle(post("/v1/completions/extra", {}), ctx), 404, "not_found_error");
  });

  test("wrong method on a known path: 404 JSON", async () => {
    const ctx = makeContext();
    await expectError(await handle(get("/v1/chat/completions"), ctx), 404, "not_found_error");
    await expectError(await handle(post("/health", {}), ctx), 404, "not_found_error");
    await expectError(await handle(new Request(BASE + "/v1/models", { method: "DELETE" }), ctx), 404, "not_found_error");
  });

  test("no question matched: 400 invalid_request_error, and no decision is spent", async () => {
    const ctx = makeContext();
    const message = await expectError(
      await handle(post("/v1/chat/completions", { messages: [{ role: "user", content: "Tell me a joke." }] }), ctx),
      400,
      "invalid_request_error",
    );
    expect(message).toContain("no dataset question matched");
    expect(ctx.decider.ledger.totals.asked).toBe(0);
  });

  test("malformed JSON: 400 invalid_request_error", async () => {
    const ctx = makeContext();
    for (const text of ["{not json", "", '{"messages": [}']) {
      const message = await expectError(await handle(post("/v1/chat/completions", text), ctx), 400, "invalid_request_error");
      expect(message).toContain("JSON");
    }
  });

  test("invalid messages: 400 invalid_request_error", async () => {
    const ctx = makeContext();
    for (const body of [{}, { messages: null }, { messages: "string" }, { messages: [123] }, { messages: [{}] }, { messages: [{ role: "user", content: QUESTIONS[0]!.text }], n: 5 }]) {
      await expectError(await handle(post("/v1/chat/completions", body), ctx), 400, "invalid_request_error");
    }
  });

  test("a body over maxBodyBytes (declared Content-Length): 413 JSON", async () => {
    const ctx = makeContext({ maxBodyBytes: 256 });
    const big = JSON.stringify(chatBody(0, { padding: "x".repeat(1000) }));
    const request = new Request(BASE + "/v1/chat/completions", { method: "POST", body: big, headers: { "content-length": String(big.length) } });
    const response = await handle(request, ctx);
    // The rest of a refused body may still be arriving: the connection is not reused.
    expect(response.headers.get("connection")).toBe("close");
    const message = await expectError(response, 413, "invalid_request_error");
    expect(message).toContain("256");
    expect(ctx.decider.ledger.totals.asked).toBe(0);
  });

  test("a streamed body over maxBodyBytes: 413 JSON", async () => {
    const ctx = makeContext({ maxBodyBytes: 256 });
    const bytes = new TextEncoder().encode(JSON.stringify(chatBody(0, { padding: "x".repeat(1000) })));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= bytes.length) return c.close();
        c.enqueue(bytes.slice(sent, sent + 100));
        sent += 100;
      },
    });
    await expectError(await handle(new Request(BASE + "/v1/chat/completions", { method: "POST", body }), ctx), 413, "invalid_request_error");
  });

  test("a body exactly at maxBodyBytes is accepted", async () => {
    const base = JSON.stringify(chatBody(0));
    const ctx = makeContext({ maxBodyBytes: Buffer.byteLength(base) });
    expect((await handle(post("/v1/chat/completions", base), ctx)).status).toBe(200);
  });

  test("an exception from the matcher is a 500 server_error", async () => {
    const ctx = {
      ...makeContext(),
      findQuestion: () => {
        throw new Error("matcher exploded");
      },
    };
    expect(await expectError(await handle(post("/v1/chat/completions", chatBody(0)), ctx), 500, "server_error")).toBe("matcher exploded");
  });
});

describe("CORS and headers", () => {
  test("OPTIONS: 200, empty body, CORS headers, Origin echoed", async () => {
    const ctx = makeContext();
    for (const path of ["/v1/chat/completions", "/anything"]) {
      const response = await handle(new Request(BASE + path, { method: "OPTIONS", headers: { Origin: "http://ui.example" } }), ctx);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("");
      expect(response.headers.get("access-control-allow-origin")).toBe("http://ui.example");
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST");
      expect(response.headers.get("access-control-allow-headers")).toBe("*");
      expect(response.headers.get("server")).toBe("llama.cpp");
    }
  });

  test("Origin is echoed on every response, errors included; absent without Origin", async () => {
    const ctx = makeContext();
    const origin = { Origin: "http://localhost:5173" };
    for (const request of [get("/health", origin), get("/v1/models", origin), get("/nope", origin), post("/v1/chat/completions", chatBody(0), origin), post("/v1/chat/completions", "{", origin)]) {
      const response = await handle(request, ctx);
      expect(response.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
      expect(response.headers.get("server")).toBe("llama.cpp");
    }
    expect((await handle(get("/health"), ctx)).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("GET endpoints", () => {
  test("/health and /v1/health: {status: ok}", async () => {
    const ctx = makeContext();
    for (const path of ["/health", "/v1/health"]) {
      const response = await handle(get(path), ctx);
      expect(response.status).toBe(200);
      expect(await jsonOf(response)).toEqual({ status: "ok" });
    }
  });

  test("/v1/models and /models: data[0].id is the alias, plus the models array", async () => {
    const ctx = makeContext({ alias: "llama" });
    for (const path of ["/v1/models", "/models"]) {
      const response = await handle(get(path), ctx);
      expect(response.status).toBe(200);
      const body = await jsonOf(response);
      expect(body.object).toBe("list");
      expect(body.data).toHaveLength(1);
      expect(body.data[0].id).toBe("llama");
      expect(body.models[0].name).toBe("llama");
      expect(body.models[0].model).toBe("llama");
    }
  });

  test("query strings do not change the route", async () => {
    const ctx = makeContext();
    expect((await handle(get("/health?x=1"), ctx)).status).toBe(200);
  });
});

describe("request log", () => {
  // `... POST /path 200 q=<id> correct|wrong 0.21ms`; error replies may add ` error="<message>"`.
  const LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z (\S+) (\S+) (\d{3})(?: q=(\S+) (correct|wrong))?(?: error=(".*"))? \d+\.\d\dms$/;

  test("the time counts from the request's arrival when the server passes it (its wait for its turn's batch included)", async () => {
    const ctx = makeContext({ rate: 1 });
    await handle(post("/v1/chat/completions", chatBody(3)), ctx, undefined, performance.now() - 250);
    const ms = Number(/ (\d+\.\d\d)ms$/.exec(ctx.lines.at(-1)!)?.[1]);
    expect(ms).toBeGreaterThanOrEqual(250);
    // Without an arrival time the clock starts in handle: a fast local request takes far less.
    await handle(post("/v1/chat/completions", chatBody(3)), ctx);
    expect(Number(/ (\d+\.\d\d)ms$/.exec(ctx.lines.at(-1)!)?.[1])).toBeLessThan(250);
  });

  test("one line per request with method, path, status, question and outcome", async () => {
    const ctx = makeContext({ rate: 1 });
    await handle(post("/v1/chat/completions", chatBody(3)), ctx);
    await handle(post("/chat/completions", chatBody(1, { stream: true })), ctx);
    await handle(get("/health"), ctx);
    await handle(get("/nope"), ctx);
    await handle(post("/v1/chat/completions", "{"), ctx);
    await handle(post("/v1/chat/completions", { messages: [{ role: "user", content: "unknown" }] }), ctx);
    expect(ctx.lines).toHaveLength(6);
    const parsed = ctx.lines.map((line): (string | undefined)[] => {
      const m = LINE.exec(line);
      expect(m, line).not.toBeNull();
      return m!.slice(1, 6);
    });
    expect(parsed).toEqual([
      ["POST", "/v1/chat/completions", "200", "q3", "correct"],
      ["POST", "/chat/completions", "200", "q1", "correct"],
      ["GET", "/health", "200", undefined, undefined],
      ["GET", "/nope", "404", undefined, undefined],
      ["POST", "/v1/chat/completions", "400", undefined, undefined],
      ["POST", "/v1/chat/completions", "400", undefined, undefined],
    ]);
    // Successful lines carry no error; a no-match line says why, in one line.
    for (const line of ctx.lines.slice(0, 3)) expect(line).not.toContain("error=");
    expect(ctx.lines[5]).toContain("no dataset question matched");
  });

  test("wrong answers are logged as wrong", async () => {
    const ctx = makeContext({ rate: 0 });
    await handle(post("/v1/chat/completions", chatBody(0)), ctx);
    expect(ctx.lines[0]).toMatch(/ POST \/v1\/chat\/completions 200 q=q0 wrong /);
  });

  test("the log counts match the decider's ledger at a mid rate", async () => {
    const ctx = makeContext({ rate: 0.5, seed: 3 });
    for (let i = 0; i < 100; i++) await handle(post("/v1/chat/completions", chatBody(i % 5)), ctx);
    const correct = ctx.lines.filter((l) => l.includes(" correct ")).length;
    expect(correct).toBe(ctx.decider.ledger.totals.correct);
    expect(ctx.lines.filter((l) => l.includes(" wrong ")).length).toBe(ctx.decider.ledger.totals.wrong);
  });

  test("quiet (log undefined) still answers", async () => {
    const ctx = makeContext({ quiet: true });
    expect((await handle(post("/v1/chat/completions", chatBody(0)), ctx)).status).toBe(200);
    expect(ctx.lines).toHaveLength(0);
  });
});

/**
 * Fuzzing the COMPILED binary over HTTP: one server for the file (`--dataset-file <AIME> --quiet`), and
 * fast-check generated requests sent in small concurrent batches — arbitrary and deeply nested JSON,
 * valid shapes with wrong types, bodies up to and over the 1 MiB limit, Unicode edge cases, invalid UTF-8,
 * truncated JSON, empty bodies, wrong Content-Types, real AIME prompts wrapped in random text, and random
 * methods and paths (methods fetch() cannot send go over a raw socket).
 *
 * Properties, for every request: the status is never ≥ 500; every non-2xx reply is llama-server's
 * envelope `{"error":{"code":<the status>,"message":string,"type":string}}`; a 200 is a well-formed
 * chat.completion or SSE stream (or /health, /v1/models, an OPTIONS preflight); each request gets its
 * reply within 2 s (a hang check, not a performance assertion). Afterwards the process is alive, wrote
 * nothing to stderr, and still answers /health and an AIME question.
 *
 * Deterministic: every property runs with FUZZ_SEED (./seed.ts); a failure prints the seed and the
 * shrunk batch of requests.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { connect } from "node:net";
import { AIME_FILE_REL, aimePrompt, lastBoxed, loadAime, startSim, stopAll, type Sim } from "../e2e/harness.ts";
import { FUZZ_SEED, fuzzParams, preview } from "./seed.ts";

// Bun's default is 5 s per test (bunfig.toml's `[test] timeout` is not a Bun setting and is ignored); a
// property that finds a hang shrinks it at 2 s per attempt, so give it room (and cap the shrinking below).
setDefaultTimeout(60_000);
/** fc.assert parameters for properties over HTTP: shrinking a hang stops after 40 s with the best case so far. */
const httpParams = <T>(numRuns: number) => fuzzParams<T>(numRuns, { interruptAfterTimeLimit: 40_000 });

const LIMIT = 1 << 20; // --max-body-bytes default
const REPLY_WITHIN_MS = 2_000;
const CHAT_PATHS = ["/v1/chat/completions", "/chat/completions"] as const;
const REPLY_HEAD = "Let me work through this problem step by step.\n\nThe answer is \\boxed{";
const aime = loadAime();
const utf8 = new TextEncoder();
/** What the server does with the bytes: invalid sequences become U+FFFD, a leading BOM is dropped. */
const serverDecode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

let sim: Sim;
beforeAll(async () => {
  // The largest context, so that ~900 KB prompts reach the matcher instead of exceed_context_size_error.
  sim = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--quiet", "--seed", String(FUZZ_SEED >>> 0), "--ctx-size", "16777216"] });
});
afterAll(stopAll);

// ---------------------------------------------------------------------------------------------------------
// Requests, sending, and the properties every reply must have.

interface ReqOptions {
  /** Content-Type header; omitted = none at all. */
  readonly contentType?: string;
  /** Send the body as a stream (chunked, no Content-Length), so the server counts bytes as they arrive. */
  readonly chunked?: boolean;
  /** Send over a raw socket (any method token), with Content-Length and `Connection: close`. */
  readonly raw?: boolean;
  /** Statuses this particular request must get (on top of what its route allows). */
  readonly expect?: readonly number[];
  /** Raw socket only: the Content-Length to declare, whatever the body's real length. */
  readonly declaredLength?: number | bigint;
}

class Req {
  readonly body: Uint8Array | undefined;
  constructor(
    readonly label: string,
    readonly method: string,
    readonly path: string,
    body: string | Uint8Array | undefined,
    readonly options: ReqOptions = {},
  ) {
    this.body = typeof body === "string" ? utf8.encode(body) : body;
  }

  /** fast-check prints counterexamples with this, so a 900 KB body is shown as a preview. */
  [fc.toStringMethod](): string {
    return this.describe();
  }

  describe(): string {
    const transport = this.options.raw ? ` (raw socket${this.options.declaredLength === undefined ? "" : `, Content-Length: ${this.options.declaredLength}`})` : this.options.chunked ? " (chunked)" : "";
    const ct = this.options.contentType === undefined ? "" : ` Content-Type ${JSON.stringify(this.options.contentType)}`;
    const body = this.body === undefined ? "no body" : `${this.body.byteLength} bytes ${preview(serverDecode(this.body), 300)}`;
    return `[${this.label}] ${this.method} ${this.path}${transport}${ct}, ${body}`;
  }
}

const post = (label: string, body: string | Uint8Array, options: ReqOptions = {}, path: string = CHAT_PATHS[0]) =>
  new Req(label, "POST", path, body, { contentType: "application/json", ...options });

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

function hung(req: Req): Error {
  return new Error(`no reply within ${REPLY_WITHIN_MS} ms: ${req.describe()}`);
}

async function send(req: Req): Promise<Reply> {
  if (req.options.raw) return sendRaw(req);
  const headers: Record<string, string> = {};
  if (req.options.contentType !== undefined) headers["Content-Type"] = req.options.contentType;
  let body: Bun.BodyInit | undefined = req.body;
  if (req.options.chunked && req.body) {
    const bytes = req.body;
    body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.byteLength; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
        controller.close();
      },
    });
  }
  try {
    const res = await fetch(`${sim.url}${req.path}`, { method: req.method, headers, body, signal: AbortSignal.timeout(REPLY_WITHIN_MS) });
    return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: await res.text() };
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TimeoutError" || name === "AbortError") throw hung(req);
    throw new Error(`request failed (${name}: ${(error as Error).message}): ${req.describe()}`);
  }
}

/** HTTP/1.1 over a plain socket; status 0 when the server closed the connection without a reply. */
function sendRaw(req: Req): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(sim.port, sim.host);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(hung(req));
    }, REPLY_WITHIN_MS);
    const finish = () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf("\r\n\r\n");
      if (all.length === 0) return resolve({ status: 0, contentType: "", body: "" });
      const head = all.subarray(0, split < 0 ? all.length : split).toString("latin1");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? "-1");
      const contentType = /\r\ncontent-type: *([^\r\n]*)/i.exec(head)?.[1] ?? "";
      resolve({ status, contentType, body: split < 0 ? "" : all.subarray(split + 4).toString("utf8") });
    };
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("end", finish);
    socket.on("error", (error) => {
      // A reset after (or instead of) the reply: judge what arrived.
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET") finish();
      else {
        clearTimeout(timer);
        reject(new Error(`socket error ${error.message}: ${req.describe()}`));
      }
    });
    const length = req.body?.byteLength ?? 0;
    const declared = req.options.declaredLength ?? length;
    const head = `${req.method} ${req.path.replace(/#.*$/, "")} HTTP/1.1\r\nHost: ${sim.host}:${sim.port}\r\nConnection: close\r\n` +
      (req.options.contentType !== undefined ? `Content-Type: ${req.options.contentType}\r\n` : "") +
      `Content-Length: ${declared}\r\n\r\n`;
    socket.write(head);
    if (req.body && length > 0) socket.write(req.body);
  });
}

type Route = "chat" | "completion" | "body" | "unsupported" | "get" | "other";
const COMPLETION_PATHS = ["/completion", "/completions", "/v1/completions"];
/** POST routes that read a JSON body and answer 200 or 400. */
const BODY_PATHS = ["/tokenize", "/detokenize", "/apply-template"];
/** Routes llama-server answers with 501 on a model without them (or without their flag). */
const UNSUPPORTED_PATHS = ["/embedding", "/embeddings", "/v1/embeddings", "/rerank", "/reranking", "/v1/rerank", "/v1/reranking", "/infill"];
const GET_PATHS = ["/health", "/v1/health", "/models", "/v1/models", "/api/tags", "/props", "/slots", "/sim/ledger", "/sim/stats"];
function routeOf(path: string): Route {
  const p = path.replace(/[?#].*$/, "");
  if ((CHAT_PATHS as readonly string[]).includes(p) || p === "/api/chat") return "chat";
  if (COMPLETION_PATHS.includes(p)) return "completion";
  if (BODY_PATHS.includes(p)) return "body";
  if (UNSUPPORTED_PATHS.includes(p)) return "unsupported";
  if (GET_PATHS.includes(p)) return "get";
  return "other";
}

/** The statuses the documented routes allow for this request. */
function allowedStatuses(req: Req): number[] {
  if (req.method === "OPTIONS") return [200];
  const p = req.path.replace(/[?#].*$/, "");
  const route = routeOf(req.path);
  const post = req.method === "POST";
  const tooBig = Math.max(req.body?.byteLength ?? 0, Number(req.options.declaredLength ?? 0)) > LIMIT;
  if ((route === "chat" || route === "completion" || route === "body") && post) return tooBig ? [413] : [200, 400];
  if (route === "unsupported" && post) return [501];
  if (p === "/props" && post) return [501]; // without --props
  if (p === "/sim/reset" && post) return [403]; // without --allow-override
  if (p === "/metrics" && (req.method === "GET" || req.method === "HEAD")) return [501]; // without --metrics
  if (route === "get" && (req.method === "GET" || req.method === "HEAD")) return [200];
  return [404];
}

function expectErrorEnvelope(reply: Reply, context: string): void {
  expect(reply.contentType, context).toContain("application/json");
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    throw new Error(`error reply is not JSON: ${preview(reply.body)}; ${context}`);
  }
  expect(body !== null && typeof body === "object" ? Object.keys(body) : body, context).toEqual(["error"]);
  const error = (body as { error: Record<string, unknown> }).error;
  expect(Object.keys(error).sort(), context).toEqual(["code", "message", "type"]);
  expect(error.code, context).toBe(reply.status);
  expect(typeof error.message === "string" && error.message.length > 0, context).toBe(true);
  expect(typeof error.type === "string" && error.type.length > 0, context).toBe(true);
}

async function exchange(req: Req): Promise<Reply> {
  const reply = await send(req);
  const context = `${reply.status} ${preview(reply.body, 300)} for ${req.describe()}`;
  // 501 not_supported_error is llama-server's own answer for the routes a model lacks; no other 5xx.
  if (reply.status !== 501) expect(reply.status, context).toBeLessThan(500);
  expect(allowedStatuses(req), context).toContain(reply.status);
  if (req.options.expect) expect(req.options.expect, context).toContain(reply.status);
  if (reply.status < 200 || reply.status >= 300) {
    if (req.method === "HEAD") expect(reply.body, context).toBe("");
    else expectErrorEnvelope(reply, context);
    return reply;
  }
  const p = req.path.replace(/[?#].*$/, "");
  if (req.method === "OPTIONS" || req.method === "HEAD") expect(reply.body, context).toBe("");
  else if (p === "/health" || p === "/v1/health") expect(JSON.parse(reply.body), context).toEqual({ status: "ok" });
  else if (p === "/models" || p === "/v1/models") expect((JSON.parse(reply.body) as { data: { id: string }[] }).data[0]?.id, context).toBe("llama");
  else if (routeOf(req.path) === "chat") expectCompletion(req, reply, context);
  // The other routes' shapes are checked by their own tests; here: a whole JSON body or SSE stream.
  else if (reply.contentType.includes("application/json")) expect(() => JSON.parse(reply.body), context).not.toThrow();
  else expect(reply.body, context).toStartWith("data: ");
  return reply;
}

/** Runs a batch concurrently; every reply must pass `exchange`'s checks. */
async function sendAll(batch: readonly Req[]): Promise<void> {
  await Promise.all(batch.map(exchange));
}

// ---------------------------------------------------------------------------------------------------------
// A 200 chat reply: llama-server's chat.completion or its SSE sequence, consistent with the request.

const COMPLETION_KEYS = ["choices", "created", "model", "system_fingerprint", "object", "usage", "id", "timings"];
const ID = /^chatcmpl-[A-Za-z0-9]{32}$/;

interface Parsed {
  stream: boolean;
  includeUsage: boolean;
  limit: number | undefined;
}

/** What the request asked for, read independently of src/ (the server must have parsed it the same way). */
function parsedRequest(req: Req, context: string): Parsed {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(serverDecode(req.body ?? new Uint8Array())) as Record<string, unknown>;
  } catch {
    throw new Error(`200 for a body that is not valid JSON: ${context}`);
  }
  const field = ["n_predict", "max_completion_tokens", "max_tokens"].find((f) => json[f] !== undefined && json[f] !== null);
  const options = json.stream_options as Record<string, unknown> | null | undefined;
  return { stream: json.stream === true, includeUsage: options?.include_usage === true, limit: field === undefined ? undefined : (json[field] as number) };
}

function expectContent(content: string, finish: unknown, completionTokens: number, p: Parsed, context: string): void {
  expect(Number.isInteger(completionTokens) && completionTokens >= 0, context).toBe(true);
  if (finish === "stop") {
    expect(content, context).toMatch(/^Let me work through this problem step by step\.\n\nThe answer is \\boxed\{\d{1,3}\}\.$/);
    const answer = Number(lastBoxed(content));
    expect(answer >= 0 && answer <= 999, context).toBe(true);
    if (p.limit !== undefined && p.limit >= 0) expect(completionTokens, context).toBeLessThanOrEqual(p.limit);
  } else {
    expect(finish, context).toBe("length");
    expect(p.limit !== undefined && p.limit >= 0, context).toBe(true);
    expect(completionTokens, context).toBe(p.limit!);
    expect(content.length, context).toBeLessThanOrEqual(4 * p.limit!);
    expect(REPLY_HEAD.startsWith(content) || content.startsWith(REPLY_HEAD), context).toBe(true);
  }
}

function expectUsage(usage: Record<string, number> | undefined, completionTokens: number, context: string): void {
  expect(usage, context).toBeDefined();
  expect(usage!.completion_tokens, context).toBe(completionTokens);
  expect(Number.isInteger(usage!.prompt_tokens) && usage!.prompt_tokens! > 0, context).toBe(true);
  expect(usage!.total_tokens, context).toBe(usage!.prompt_tokens! + completionTokens);
}

function expectCompletion(req: Req, reply: Reply, context: string): void {
  const p = parsedRequest(req, context);
  if (!p.stream) {
    expect(reply.contentType, context).toContain("application/json");
    const body = JSON.parse(reply.body) as Record<string, any>;
    expect(Object.keys(body), context).toEqual(COMPLETION_KEYS);
    expect(body.object, context).toBe("chat.completion");
    expect(body.model, context).toBe("llama");
    expect(body.id, context).toMatch(ID);
    expect(body.choices, context).toHaveLength(1);
    const choice = body.choices[0];
    expect(choice.index, context).toBe(0);
    expect(Object.keys(choice.message), context).toEqual(["role", "content"]);
    expect(choice.message.role, context).toBe("assistant");
    expectContent(choice.message.content, choice.finish_reason, body.usage.completion_tokens, p, context);
    expectUsage(body.usage, body.usage.completion_tokens, context);
    expect(body.timings.prompt_n, context).toBe(body.usage.prompt_tokens);
    expect(body.timings.predicted_n, context).toBe(body.usage.completion_tokens);
    return;
  }
  expect(reply.contentType, context).toContain("text/event-stream");
  expect(reply.body.endsWith("data: [DONE]\n\n"), context).toBe(true);
  const events = reply.body.split("\n\n").slice(0, -1);
  expect(events.every((e) => e.startsWith("data: ")), context).toBe(true);
  expect(events.pop(), context).toBe("data: [DONE]");
  const chunks = events.map((e) => JSON.parse(e.slice("data: ".length)) as Record<string, any>);
  const id = chunks[0]?.id;
  expect(id, context).toMatch(ID);
  for (const chunk of chunks) {
    expect(chunk.id, context).toBe(id);
    expect(chunk.object, context).toBe("chat.completion.chunk");
    expect(chunk.model, context).toBe("llama");
  }
  expect(chunks[0]!.choices, context).toEqual([{ finish_reason: null, index: 0, delta: { role: "assistant", content: null } }]);
  let k = 1;
  let content = "";
  for (; k < chunks.length && chunks[k]!.choices[0]?.finish_reason === null; k++) {
    expect(Object.keys(chunks[k]!.choices[0].delta), context).toEqual(["content"]);
    content += chunks[k]!.choices[0].delta.content;
  }
  const finish = chunks[k]?.choices;
  expect(finish?.length, context).toBe(1);
  expect(finish![0].delta, context).toEqual({});
  const usageChunk = p.includeUsage ? chunks[k + 1] : undefined;
  expect(chunks.length, context).toBe(k + (p.includeUsage ? 2 : 1));
  if (usageChunk) {
    expect(usageChunk.choices, context).toEqual([]);
    expectUsage(usageChunk.usage, usageChunk.usage.completion_tokens, context);
    expectContent(content, finish![0].finish_reason, usageChunk.usage.completion_tokens, p, context);
  } else {
    // Without usage the token count is the finish chunk's timings.predicted_n.
    expectContent(content, finish![0].finish_reason, chunks[k]!.timings.predicted_n, p, context);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries.

const question = fc.constantFrom(...aime.map((q) => q.problem));
const prompt = question.map(aimePrompt);
/** A batch of 1..max requests, sent concurrently. */
const batch = (req: fc.Arbitrary<Req>, max = 6) => fc.array(req, { minLength: 1, maxLength: max });
const chatPath = fc.constantFrom(...CHAT_PATHS);

/** Any JSON value, the nastier scalars more often. */
const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, false, 0, -1, 1, 1.5, -0.5, 1e308, -1e308, 2 ** 53, "", "1", "true", "yes", [], {}, [null], [{}]),
);
const tokenLimit = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, 1, 2, -1, 2 ** 31, 2 ** 53, 1e308, -1e308, 1.5, "10", "", true, null, [], {}, [5]),
);
const role = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("user", "system", "assistant", "tool", "developer", "", "USER", "function") },
  { weight: 1, arbitrary: jsonish },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);
const part = fc.oneof(
  prompt.map((text) => ({ type: "text", text })),
  fc.record({ type: fc.constantFrom("text", "image_url", "input_audio", "file", "TEXT", ""), text: jsonish }, { requiredKeys: [] }),
  fc.record({ type: fc.constant("image_url"), image_url: fc.oneof(jsonish, fc.record({ url: fc.webUrl() })) }),
  fc.record({ type: jsonish, text: fc.oneof(prompt, jsonish) }),
  jsonish,
);
const content = fc.oneof(
  { weight: 3, arbitrary: prompt },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.array(part, { maxLength: 4 }) },
  { weight: 1, arbitrary: jsonish },
);
const message = fc.oneof(
  { weight: 5, arbitrary: fc.record({ role, content }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.record({ role: fc.constant("assistant"), tool_calls: jsonish, content: fc.option(content) }, { requiredKeys: ["role", "tool_calls"] }) },
  { weight: 1, arbitrary: jsonish },
);
const messages = fc.oneof(
  { weight: 2, arbitrary: prompt.map((p) => [{ role: "user", content: p }]) },
  { weight: 4, arbitrary: fc.array(message, { maxLength: 5 }) },
  { weight: 1, arbitrary: jsonish },
  { weight: 1, arbitrary: fc.record({ role: fc.constant("user"), content: prompt }) }, // an object, not an array
);
/** Valid shapes with wrong types: every field llama-sim reads, each sometimes right and sometimes not. */
const chatBody = fc.record(
  {
    model: jsonish,
    messages,
    stream: fc.oneof(fc.boolean(), fc.constantFrom("yes", "true", 1, 0, null, [], {}, [true])),
    stream_options: fc.oneof(
      fc.record({ include_usage: fc.oneof(fc.boolean(), jsonish) }, { requiredKeys: [] }),
      fc.constantFrom(null, [], [{ include_usage: true }], "include_usage", true, 1),
    ),
    max_tokens: tokenLimit,
    n_predict: tokenLimit,
    max_completion_tokens: tokenLimit,
    n: fc.oneof(fc.constantFrom(1, 1.0, 2, 0, -1, 1.5, "1", true, null, [1], 2 ** 53), fc.integer()),
    temperature: fc.oneof(fc.double(), jsonish),
    top_p: fc.oneof(fc.double({ noNaN: true }), jsonish),
    seed: fc.oneof(fc.integer(), jsonish),
  },
  { requiredKeys: ["messages"] },
);

/**
 * Requests that are valid except, a quarter of the time, for one field: these reach the reply path with
 * every combination of stream, include_usage, token limits (0, negative, huge) and message layouts.
 */
const limitValue = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, 1e308, -1e308, null));
const almostValid = fc
  .record({
    q: fc.constantFrom(...aime),
    layout: fc.constantFrom("string", "parts", "system", "few-shot", "tool call"),
    stream: fc.constantFrom(true, false, null, undefined),
    streamOptions: fc.oneof(fc.record({ include_usage: fc.constantFrom(true, false, null) }, { requiredKeys: [] }), fc.constantFrom(null, undefined)),
    limits: fc.record({ n_predict: limitValue, max_completion_tokens: limitValue, max_tokens: limitValue }, { requiredKeys: [] }),
    n: fc.constantFrom(1, null, undefined),
    temperature: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
    wrong: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom("messages", "stream", "stream_options", "n", "max_tokens", "n_predict", "max_completion_tokens", "temperature", "seed", "model"), jsonish) },
    ),
    path: chatPath,
    chunked: fc.boolean(),
  })
  .map(({ q, layout, stream, streamOptions, limits, n, temperature, wrong, path, chunked }) => {
    const p = aimePrompt(q.problem);
    const other = aime[(aime.indexOf(q) + 1) % aime.length]!;
    const messages =
      layout === "parts" ? [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:," } }, { type: "text", text: p }] }]
      : layout === "system" ? [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: p }]
      : layout === "few-shot" ? [{ role: "user", content: aimePrompt(other.problem) }, { role: "assistant", content: `\\boxed{${other.gold}}` }, { role: "user", content: p }]
      : layout === "tool call" ? [{ role: "user", content: p }, { role: "assistant", tool_calls: [] }]
      : [{ role: "user", content: p }];
    const body: Record<string, unknown> = { model: "llama", messages, stream, stream_options: streamOptions, n, temperature, ...limits };
    if (wrong) body[wrong[0]] = wrong[1];
    return post(`almost valid ${layout}${wrong ? `, ${wrong[0]} wrong` : ""}`, JSON.stringify(body), { chunked, expect: wrong ? [200, 400] : [200] }, path);
  });

function validBody(problem: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: "llama", messages: [{ role: "user", content: aimePrompt(problem) }], ...extra });
}

// ---------------------------------------------------------------------------------------------------------

describe("fuzz: the compiled server never fails, never hangs, always answers in llama-server's shapes", () => {
  test("arbitrary JSON values, as the body and inside the fields llama-sim reads", async () => {
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.json({ maxDepth: 6 }),
      fc.record({ messages: fc.jsonValue({ maxDepth: 5 }) }).map((v) => JSON.stringify(v)),
      fc.dictionary(fc.constantFrom("messages", "stream", "stream_options", "n", "max_tokens", "n_predict", "model", "__proto__", "constructor"), fc.jsonValue({ maxDepth: 3 })).map((v) => JSON.stringify(v)),
    );
    const req = fc.tuple(body, chatPath).map(([b, path]) => post("json", b, {}, path));
    await fc.assert(fc.asyncProperty(batch(req), sendAll), httpParams(100));
  });

  test("valid request shapes with wrong types (messages, roles, content parts, stream, stream_options, token limits, n)", async () => {
    const req = fc.tuple(chatBody, chatPath, fc.boolean()).map(([b, path, streamBody]) => post("shape", JSON.stringify(b), { chunked: streamBody }, path));
    await fc.assert(fc.asyncProperty(batch(req), sendAll), httpParams(250));
  });

  test("valid requests with every stream / include_usage / token-limit / layout combination, one field sometimes wrong", async () => {
    await fc.assert(fc.asyncProperty(batch(almostValid), sendAll), httpParams(200));
  });

  test("32 concurrent requests of every kind at once (llama-eval's thread count)", async () => {
    const any = fc.oneof(almostValid, chatBody.map((b) => post("shape", JSON.stringify(b))), fc.json().map((j) => post("json", j)));
    await fc.assert(fc.asyncProperty(fc.array(any, { minLength: 32, maxLength: 32 }), sendAll), httpParams(8));
  });

  test("valid AIME requests with random prefixes, suffixes, system prompts and few-shot turns are answered (200)", async () => {
    const junk = fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 200 }), fc.json(), prompt);
    const req = fc
      .tuple(fc.constantFrom(...aime), junk, junk, fc.array(fc.tuple(question, junk), { maxLength: 3 }), fc.option(junk), fc.boolean(), chatPath, fc.integer({ min: -3, max: 40 }))
      .map(([q, pre, post_, shots, system, stream, path, limit]) => {
        const messages: { role: string; content: string }[] = [];
        if (system !== null) messages.push({ role: "system", content: system });
        for (const [shot, answer] of shots) messages.push({ role: "user", content: aimePrompt(shot) }, { role: "assistant", content: answer });
        messages.push({ role: "user", content: `${pre}\n${aimePrompt(q.problem)}\n${post_}` });
        const extra = stream ? { stream, stream_options: { include_usage: limit % 2 === 0 } } : {};
        return post("aime+junk", JSON.stringify({ messages, max_tokens: limit % 3 === 0 ? limit : undefined, ...extra }), { expect: [200] }, path);
      });
    await fc.assert(fc.asyncProperty(batch(req), sendAll), httpParams(60));
  });

  test("deep nesting: 10,000- and 100,000-deep arrays and objects, as the body and as messages/content", async () => {
    const deepArray = (d: number) => "[".repeat(d) + "]".repeat(d);
    const deepObject = (d: number) => '{"a":'.repeat(d) + "1" + "}".repeat(d);
    const cases: Req[] = [];
    for (const d of [10_000, 100_000]) {
      cases.push(
        post(`array ${d}`, deepArray(d)),
        post(`object ${d}`, deepObject(d)),
        post(`messages array ${d}`, `{"messages":${deepArray(d)}}`),
        post(`messages object ${d}`, `{"messages":${deepObject(d)}}`),
        post(`content ${d}`, `{"messages":[{"role":"user","content":${deepArray(d)}}]}`),
        post(`parts ${d}`, `{"messages":[{"role":"user","content":[{"type":"text","text":${deepArray(d)}}]}]}`),
        post(`stream_options ${d}`, `{"messages":[{"role":"user","content":${JSON.stringify(aimePrompt(aime[0]!.problem))}}],"stream_options":${deepObject(d)}}`, { expect: [200] }),
        post(`unbalanced ${d}`, "[".repeat(d), { expect: [400] }),
        post(`unbalanced object ${d}`, '{"a":'.repeat(d), { expect: [400] }),
      );
    }
    // Under the limit and just over it.
    const deepest = Math.floor(LIMIT / 2);
    cases.push(post("array at the limit", deepArray(deepest)), post("array over the limit", deepArray(deepest + 1), { expect: [413] }));
    await sendAll(cases);
  });

  test("huge strings up to ~400 KB (100k tokens, inside the context) are handled; a question after them is found; over 1 MiB is 413 (declared or chunked)", async () => {
    const unit = fc.constantFrom("a", "a ", "é", "😀", "\u0000", "½", "\\", '"', "\n", "\ud800", "x\u0301", "\uffff", " ");
    const under = fc
      .tuple(unit, fc.integer({ min: 100_000, max: 400_000 }), fc.constantFrom(...aime), fc.constantFrom("content", "system", "model", "parts", "messages"), fc.boolean())
      .map(([u, target, q, where, chunked]) => {
        const unitBytes = utf8.encode(JSON.stringify(u)).length - 2; // escaped, as it travels
        const filler = u.repeat(Math.max(1, Math.floor(target / unitBytes)));
        const p = aimePrompt(q.problem);
        const m =
          where === "content" ? [{ role: "user", content: `${filler}\n${p}` }]
          : where === "system" ? [{ role: "system", content: filler }, { role: "user", content: p }]
          : where === "parts" ? [{ role: "user", content: [{ type: "text", text: filler }, { type: "text", text: p }] }]
          : where === "messages" ? [...Array.from({ length: Math.floor(target / 40) }, () => ({ role: "user", content: u })), { role: "user", content: p }]
          : [{ role: "user", content: p }];
        const body = JSON.stringify({ model: where === "model" ? filler : "llama", messages: m });
        // The question is in the last message, apart from the filler: it must be found.
        return post(`huge ${where} ${JSON.stringify(u)}`, body, { chunked, expect: utf8.encode(body).length > LIMIT ? [413] : [200] });
      });
    const over = fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.boolean(), chatPath).map(([extra, chunked, path]) => {
      const body = validBody(aime[1]!.problem, { padding: "p".repeat(LIMIT + extra) });
      return post(`over by ≥${extra}`, body, { chunked, expect: [413] }, path);
    });
    await fc.assert(fc.asyncProperty(batch(fc.oneof(under, under, over), 3), sendAll), httpParams(20));

    // The exact boundary: LIMIT bytes is accepted, LIMIT + 1 is not, declared or chunked.
    const base = validBody(aime[2]!.problem, { padding: "" });
    const exact = base.replace('"padding":""', `"padding":"${"p".repeat(LIMIT - utf8.encode(base).length)}"`);
    expect(utf8.encode(exact).length).toBe(LIMIT);
    const plusOne = exact.replace('"padding":"', '"padding":"p');
    await sendAll([
      post("exactly the limit", exact, { expect: [200] }),
      post("exactly the limit, chunked", exact, { chunked: true, expect: [200] }),
      post("limit + 1", plusOne, { expect: [413] }),
      post("limit + 1, chunked", plusOne, { chunked: true, expect: [413] }),
    ]);
    // Refused on the declared length alone, without waiting for a body that never comes.
    const declared = fc.oneof(fc.integer({ min: LIMIT + 1, max: LIMIT + 10 }), fc.integer({ min: LIMIT + 1, max: Number.MAX_SAFE_INTEGER }));
    const liar = fc.tuple(declared, fc.constantFrom("", "{}", validBody(aime[3]!.problem))).map(([n, body]) => post("declares more than the limit", body, { raw: true, declaredLength: n, expect: [413] }));
    await fc.assert(fc.asyncProperty(batch(liar), sendAll), httpParams(10));
  });

  // Bun's own parser answers a bare 413 (no body) to a declared length above maxRequestBodySize, before the
  // handler runs; with the limit at Infinity our handler answers (lengths past what the parser can read at
  // all, about 2^60, still get its bare 400, as a malformed request would).
  test("a declared Content-Length of 2^53 or more (under the HTTP parser's cap) gets the JSON 413 too", async () => {
    await sendAll([2n ** 53n, 2n ** 53n + 1n, 10n ** 16n, 2n ** 56n].map((n) => post("declares ≥ 2^53", "{}", { raw: true, declaredLength: n, expect: [413] })));
  });

  test("Unicode edge cases (lone surrogates, NUL, bidi marks, emoji, combining marks, U+FFFF, BOM) around and inside prompts", async () => {
    // Pieces as they appear in the JSON text: escapes (\ud800 travels as 6 ASCII bytes) and raw characters.
    const piece = fc.constantFrom(
      "\\ud800", "\\udfff", "\\udbff\\udfff", "\\ud83d\\ude00", "\\ude00\\ud83d", "\\u0000", "\\u0001", "\\u001f", "\\u200f", "\\u202e",
      "\\u2066", "\\uffff", "\\ufffe", "\\ufeff", "\\u0301", "\\u00ad", "\\n", "\\r", "\\t", "\\\\", '\\"', "\\/",
      "😀", "👩‍👩‍👧‍👦", "🇺🇳", "e\u0301", "\u0301\u0301\u0301", "\u200f", "\u202e", "\u200d", "\ufeff", "\uffff", "\u2028", "\u2029",
      "ß", "İ", "ς", "ﷺ", "½", "⁗", "Ω", "Å", "ﬃ", "\u00a0", "\u3000", "x",
    );
    const junk = fc.array(piece, { maxLength: 12 }).map((p) => p.join(""));
    const esc = (s: string) => JSON.stringify(s).slice(1, -1);
    const around = fc.tuple(prompt, junk, junk, fc.constantFrom("content", "role", "model", "type", "key")).map(([p, pre, suf, where]) => {
      const c = `${pre}\\n${esc(p)}\\n${suf}`;
      const body =
        where === "content" ? `{"messages":[{"role":"user","content":"${c}"}]}`
        : where === "role" ? `{"messages":[{"role":"${pre}","content":"${esc(p)}"}]}`
        : where === "model" ? `{"model":"${pre}${suf}","messages":[{"role":"user","content":"${esc(p)}"}]}`
        : where === "type" ? `{"messages":[{"role":"user","content":[{"type":"${pre}","text":"${esc(p)}"}]}]}`
        : `{"${pre}":"${suf}","messages":[{"role":"user","content":"${esc(p)}"}]}`;
      // Junk around the question (apart from it by a newline), in the role, model or an unknown key: answered.
      return post(`unicode ${where}`, body, { expect: where === "type" && pre !== "text" ? [400] : [200] });
    });
    // Invisible format characters (\p{Cf}) are dropped before matching, even inside words: still answered.
    const FORMAT = ["\\u200b", "\\u200d", "\\u2060", "\\ufeff", "\\u200f", "\\u202e", "\\u00ad", "\u200b", "\u200c", "\ufeff", "\u2066"];
    const inside = fc.tuple(question, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...FORMAT)), { minLength: 1, maxLength: 20 })).map(([q, inserts]) => {
      const cps = Array.from(aimePrompt(q)).map(esc);
      for (const [at, f] of inserts) cps.splice(at % (cps.length + 1), 0, f);
      return post("format chars inside the question", `{"messages":[{"role":"user","content":"${cps.join("")}"}]}`, { expect: [200] });
    });
    // Anything anywhere inside the question: it may stop matching (400) but never fails.
    const anywhere = fc.tuple(question, fc.array(fc.tuple(fc.nat(), piece), { minLength: 1, maxLength: 6 })).map(([q, inserts]) => {
      const cps = Array.from(aimePrompt(q)).map(esc);
      for (const [at, f] of inserts) cps.splice(at % (cps.length + 1), 0, f);
      return post("unicode inside the question", `{"messages":[{"role":"user","content":"${cps.join("")}"}]}`);
    });
    await fc.assert(fc.asyncProperty(batch(fc.oneof(around, inside, anywhere)), sendAll), httpParams(120));
  });

  test("invalid UTF-8 in the raw body: random bytes, bad sequences inside strings, a body cut mid-character", async () => {
    const BAD = [[0xff], [0xfe], [0x80], [0xbf], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3]];
    const badBytes = fc.array(fc.oneof(fc.constantFrom(...BAD), fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 8 }).map((seqs) => Uint8Array.from(seqs.flat()));
    const concat = (...parts: Uint8Array[]) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.byteLength;
      }
      return out;
    };
    const random = fc.uint8Array({ maxLength: 3000 }).map((b) => post("random bytes", b, { expect: [400] }));
    // Bad bytes (all ≥ 0x80: never a quote or backslash) in the content, apart from the question: answered.
    const inString = fc.tuple(prompt, badBytes, badBytes).map(([p, before, after]) => {
      const esc = JSON.stringify(p).slice(1, -1);
      return post("bad UTF-8 around the question", concat(utf8.encode('{"messages":[{"role":"user","content":"'), before, utf8.encode(`\\n${esc}\\n`), after, utf8.encode('"}]}')), { expect: [200] });
    });
    // Bad bytes anywhere in a valid body: 200 or 400, never more.
    const anywhere = fc.tuple(fc.constantFrom(...aime), badBytes, fc.nat()).map(([q, bad, at]) => {
      const body = utf8.encode(validBody(q.problem));
      const k = at % (body.byteLength + 1);
      return post("bad UTF-8 anywhere", concat(body.subarray(0, k), bad, body.subarray(k)));
    });
    // A valid body with a multi-byte character, cut inside it (and the JSON with it): 400.
    const cut = fc.tuple(fc.constantFrom(...aime), fc.constantFrom("é", "😀", "ﷺ"), fc.integer({ min: 1, max: 3 })).map(([q, ch, drop]) => {
      const body = utf8.encode(JSON.stringify({ messages: [{ role: "user", content: `${aimePrompt(q.problem)}${ch}` }] }));
      const end = body.byteLength - '"}]}'.length - Math.min(drop, utf8.encode(ch).length - 1);
      return post("cut mid-character", body.subarray(0, end), { expect: [400] });
    });
    await fc.assert(fc.asyncProperty(batch(fc.oneof(random, inString, anywhere, cut)), sendAll), httpParams(100));
  });

  test("truncated JSON: a valid request cut at any byte is a 400", async () => {
    const req = fc.tuple(fc.constantFrom(...aime), chatBody, fc.nat(), fc.boolean()).map(([q, extra, at, chunked]) => {
      const body = utf8.encode(JSON.stringify({ ...extra, messages: [{ role: "user", content: aimePrompt(q.problem) }] }));
      return post("truncated", body.subarray(0, at % body.byteLength), { chunked, expect: [400] });
    });
    await fc.assert(fc.asyncProperty(batch(req), sendAll), httpParams(60));
  });

  test("empty and blank bodies, with and without Content-Type, declared or chunked: 400", async () => {
    const bodies = ["", " ", "\n\r\n\t", "\ufeff", "\ufeff ", "null", "0", '""', "[]", "{}", '{"messages":null}', '{"messages":[]}'];
    const cases: Req[] = [];
    for (const body of bodies) {
      for (const path of CHAT_PATHS) {
        cases.push(post("blank", body, { expect: [400] }, path), new Req("blank, no Content-Type", "POST", path, body, { expect: [400] }));
        if (body !== "") cases.push(post("blank, chunked", body, { chunked: true, expect: [400] }, path));
      }
    }
    cases.push(new Req("no body at all", "POST", CHAT_PATHS[0], undefined, { expect: [400] }));
    cases.push(new Req("no body at all, raw", "POST", CHAT_PATHS[1], undefined, { raw: true, expect: [400] }));
    for (let i = 0; i < cases.length; i += 6) await sendAll(cases.slice(i, i + 6));
  });

  test("wrong Content-Type on a valid request: the body is what counts (200)", async () => {
    const contentType = fc.oneof(
      fc.constantFrom("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "", "application/json; charset=latin1", "image/png", "*/*", "application/json, text/plain"),
      fc.stringMatching(/^[a-z]{1,10}\/[a-z0-9.+-]{1,20}$/),
    );
    const req = fc.tuple(fc.constantFrom(...aime), contentType, chatPath, fc.boolean()).map(([q, ct, path, raw]) => new Req("content-type", "POST", path, validBody(q.problem), { contentType: ct, raw, expect: [200] }));
    await fc.assert(fc.asyncProperty(batch(req), sendAll), httpParams(20));
  });

  test("random methods and paths: 404 envelopes, /health, /v1/models, OPTIONS preflight", async () => {
    // Methods fetch() can send; Bun's fetch sends other tokens as GET, so those go over a raw socket.
    const FETCH_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
    // Methods Bun's HTTP parser accepts (llhttp's list); the handler then sees them.
    const RAW_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PURGE", "MKCALENDAR", "LINK", "UNLINK", "QUERY"];
    const KNOWN = ["/health", "/v1/health", "/models", "/v1/models", ...CHAT_PATHS];
    const path = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...KNOWN) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...KNOWN), fc.constantFrom("/", "?", "?x=1&y", "#frag", "/..", "%20", ".json", "//")).map(([p, s]) => p + s) },
      { weight: 1, arbitrary: fc.constantFrom(...KNOWN).map((p) => p.toUpperCase()) },
      { weight: 1, arbitrary: fc.constantFrom("/", "/v1", "/v1/", "/completion", "/completions", "/v1/completions", "/v1/embeddings", "/props", "/slots", "/metrics", "/%00", "/%2e%2e/health", "/v1/chat%2Fcompletions", "/*") },
      { weight: 2, arbitrary: fc.webPath({ size: "small" }).map((p) => (p.startsWith("/") ? p : `/${p}`)) },
    );
    const body = fc.option(fc.oneof(fc.constantFrom(...aime).map((q) => validBody(q.problem)), fc.json({ maxDepth: 2 })), { nil: undefined });
    const viaFetch = fc.tuple(fc.constantFrom(...FETCH_METHODS), path, body).map(
      ([m, p, b]) => new Req("route", m, p, m === "GET" || m === "HEAD" ? undefined : b, { contentType: "application/json" }),
    );
    const viaRaw = fc.tuple(fc.constantFrom(...RAW_METHODS), path, body).map(([m, p, b]) => new Req("route", m, p, b, { raw: true, contentType: "application/json" }));
    await fc.assert(fc.asyncProperty(batch(fc.oneof(viaFetch, viaRaw)), sendAll), httpParams(120));
  });

  test("garbage method tokens over a raw socket: refused by the HTTP parser or 404, never 5xx or a hang", async () => {
    const method = fc.oneof(fc.stringMatching(/^[A-Z]{1,12}$/), fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,16}$/));
    const req = fc.tuple(method, fc.constantFrom("/health", "/v1/chat/completions", "/nope")).map(([m, p]) => new Req("garbage method", m, p, "{}", { raw: true }));
    await fc.assert(
      fc.asyncProperty(batch(req), async (reqs) => {
        await Promise.all(
          reqs.map(async (r) => {
            const reply = await send(r);
            const context = `${reply.status} ${preview(reply.body)} for ${r.describe()}`;
            // 0: the parser closed the connection without a reply (Bun does this for unknown methods).
            expect(reply.status, context).toBeLessThan(500);
            if (reply.contentType.includes("application/json") && reply.status >= 300) expectErrorEnvelope(reply, context);
          }),
        );
      }),
      httpParams(30),
    );
  });

  test("afterwards: the process is alive, wrote nothing to stderr, and answers /health and an AIME question", async () => {
    expect(sim.alive).toBe(true);
    const health = await fetch(`${sim.url}/health`, { signal: AbortSignal.timeout(REPLY_WITHIN_MS) });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    for (const q of [aime[0]!, aime[89]!]) {
      const req = post("final", validBody(q.problem), { expect: [200] });
      const reply = await exchange(req);
      const content = (JSON.parse(reply.body) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
      expect(lastBoxed(content)).toMatch(/^\d{1,3}$/);
    }
    // --quiet: no request log; anything here would be a crash trace or an unhandled error.
    expect(sim.stderrLines.slice(sim.bannerEnd).filter((l) => l.trim() !== "")).toEqual([]);
  });
});

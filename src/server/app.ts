import { serveChat, type ChatOutcome } from "./chat.ts";
import { isAuthorized, UNAUTHORIZED_BODY } from "./auth.ts";
import { nativeCompletion, openaiCompletion, type CompletionReply } from "./completions.ts";
import type { ServerContext } from "./context.ts";
import type { Verdict } from "../decide/decide.ts";
import type { LedgerLike } from "../decide/records.ts";
import { clientClosed, errorBody, HttpError, invalidRequest, NOT_FOUND_BODY } from "./errors.ts";
import { METRICS_CONTENT_TYPE } from "./metrics.ts";
import type { Oracle } from "./oracle.ts";
import { simLedgerBody, simStatsBody } from "./sim.ts";
import type { RequestFaults } from "./faults.ts";
import { reifyGlobals } from "./globals.ts";
import { formatRequestLine } from "./log.ts";
import { modelsBody } from "./models.ts";
import { readJsonBody } from "./body.ts";
import { postPropsBody, propsBody, settingsOf } from "./props.ts";
import { parseChatRequest } from "./request.ts";
import { slotsBody, slotsOf } from "./slots.ts";
import { sseResponse } from "./sse.ts";
import { TurnBatch } from "./turn-batch.ts";
import { applyTemplateBody } from "./template.ts";
import { detokenizeBody, tokenizeBody } from "./tokenize.ts";

/**
 * A route either answers from the request line alone (GET routes, and POST routes llama-server
 * answers without reading the body) or, for a POST with a JSON body, from the parsed body.
 */
type Route =
  | { readonly kind: "plain"; readonly reply: (ctx: ServerContext, request: Request) => Reply | Promise<Reply> }
  | { readonly kind: "body"; readonly reply: (body: unknown, ctx: ServerContext, request: Request) => Reply | Promise<Reply> };

interface Reply {
  readonly status: number;
  /** The whole body; unused when `events` is set. */
  readonly body: string;
  readonly contentType: string;
  /** SSE events, sent one by one as they come (server/sse.ts). */
  readonly events?: Iterable<string> | AsyncIterable<string>;
  readonly outcome?: ChatOutcome;
  readonly error?: string;
  /** Extra response headers (e.g. /metrics' Process-Start-Time-Unix). */
  readonly headers?: Record<string, string>;
}

const JSON_TYPE = "application/json; charset=utf-8";
const SSE_TYPE = "text/event-stream";

const json = (body: string): Reply => ({ status: 200, body, contentType: JSON_TYPE });

const OUTCOMES: readonly Verdict[] = ["correct", "wrong", "no-answer", "error"];

/** X-Sim-Outcome, honoured only under --allow-override; an unknown value is the client's mistake. */
function overrideOf(ctx: ServerContext, request: Request): Verdict | undefined {
  if (!ctx.allowOverride) return undefined;
  const value = request.headers.get("x-sim-outcome");
  if (value === null) return undefined;
  const word = value.trim().toLowerCase() as Verdict;
  if (!OUTCOMES.includes(word)) throw invalidRequest(`X-Sim-Outcome must be one of ${OUTCOMES.join(", ")} (got "${value}")`);
  return word;
}

/** Chat completions wait for a slot (-np) and take simulated time (--ttft-ms, --tps): the reply may be a promise. */
function chatCompletions(body: unknown, ctx: ServerContext, request: Request): Reply | Promise<Reply> {
  return completionReply(serveChat(ctx, parseChatRequest(body), { override: overrideOf(ctx, request), signal: () => request.signal, body }));
}

/** /metrics, as llama-server: 501 unless started with --metrics. */
function metricsReply(ctx: ServerContext): Reply {
  const metrics = ctx.oracle?.metrics;
  if (metrics === undefined) throw new HttpError(501, "not_supported_error", "This server does not support metrics endpoint. Start it with `--metrics`");
  return { status: 200, body: metrics.render(), contentType: METRICS_CONTENT_TYPE, headers: { "Process-Start-Time-Unix": String(metrics.processStartTimeUnix) } };
}

function oracleOf(ctx: ServerContext): Oracle {
  if (ctx.oracle === undefined) throw new HttpError(501, "not_supported_error", "this server keeps no ledger");
  return ctx.oracle;
}

const simLedger: Route = {
  kind: "plain",
  reply: (ctx, request) => {
    // With --threads-http > 1 the ledger is a worker's, whose pages come from the main thread's ring: a promise.
    const ledger: LedgerLike = oracleOf(ctx).ledger;
    const body = simLedgerBody(ledger, new URL(request.url).searchParams);
    return typeof body === "string" ? json(body) : body.then(json);
  },
};
const simStats: Route = {
  kind: "plain",
  reply: (ctx) => {
    const d = ctx.decider;
    const expectedPassAtK = d.mode === "difficulty" ? (k: number) => d.expectedPassAtK(k) : undefined;
    return json(simStatsBody(oracleOf(ctx).tally, { configuredRate: d.successRate, mode: d.mode, ...(expectedPassAtK ? { expectedPassAtK } : {}) }));
  },
};
/** POST /sim/reset: counters and attempts start again (Prometheus counters never go down, so they stay). */
const simReset: Route = {
  kind: "plain",
  reply: (ctx) => {
    if (!ctx.allowOverride) throw new HttpError(403, "invalid_request_error", "POST /sim/reset needs the server to run with --allow-override");
    ctx.decider.reset();
    oracleOf(ctx).tally.reset();
    return json(JSON.stringify({ reset: true }));
  },
};

function completionReply(reply: CompletionReply | Promise<CompletionReply>): Reply | Promise<Reply> {
  if (reply instanceof Promise) return reply.then(completionReply) as Promise<Reply>;
  if (reply.events) return { status: 200, body: "", contentType: SSE_TYPE, events: reply.events, outcome: reply.outcome };
  return { status: 200, body: reply.body!, contentType: JSON_TYPE, outcome: reply.outcome };
}

/** A route llama-server answers with 501 not_supported_error before reading the body. */
const notSupported = (message: string): Route => ({
  kind: "plain",
  reply: () => {
    throw new HttpError(501, "not_supported_error", message);
  },
});

const HEALTH_BODY = JSON.stringify({ status: "ok" });

const health: Route = { kind: "plain", reply: () => json(HEALTH_BODY) };
const models: Route = { kind: "plain", reply: (ctx) => json(modelsBody(ctx.alias, ctx.aliases, ctx.faults?.loading === true)) };
const chat: Route = { kind: "body", reply: chatCompletions };
const native: Route = { kind: "body", reply: (body, ctx, request) => completionReply(nativeCompletion(body, ctx, () => request.signal)) };
const embeddings = notSupported("This server does not support embeddings. Start it with `--embeddings`");
const rerank = notSupported("This server does not support reranking. Start it with `--reranking`");

/**
 * path -> method -> route, as llama-server [A] registers them (each also under --api-prefix).
 * HEAD is answered from the GET route; OPTIONS by the CORS preflight.
 */
const ROUTES: Record<string, Record<string, Route>> = {
  "/health": { GET: health },
  "/v1/health": { GET: health },
  "/v1/models": { GET: models },
  "/models": { GET: models },
  "/api/tags": { GET: models }, // Ollama's name for the model list
  "/v1/chat/completions": { POST: chat },
  "/chat/completions": { POST: chat },
  "/api/chat": { POST: chat }, // Ollama's path; llama-server answers it as OpenAI chat
  "/completion": { POST: native },
  "/completions": { POST: native }, // native too, not OpenAI (llama-server's own tests rely on it)
  "/v1/completions": { POST: { kind: "body", reply: (body, ctx, request) => completionReply(openaiCompletion(body, ctx, () => request.signal)) } },
  "/props": {
    GET: { kind: "plain", reply: (ctx) => json(propsBody(ctx)) },
    // llama-server does not read the body of POST /props, even with --props.
    POST: { kind: "plain", reply: (ctx) => json(postPropsBody(ctx)) },
  },
  "/slots": { GET: { kind: "plain", reply: (ctx, request) => json(slotsBody(slotsOf(ctx), settingsOf(ctx).endpointSlots, request.url)) } },
  "/tokenize": { POST: { kind: "body", reply: (body) => json(tokenizeBody(body)) } },
  "/detokenize": { POST: { kind: "body", reply: (body) => json(detokenizeBody(body)) } },
  "/apply-template": { POST: { kind: "body", reply: (body) => json(applyTemplateBody(body)) } },
  // The simulated model has no embeddings, no reranking and no fill-in-the-middle tokens.
  "/embedding": { POST: embeddings },
  "/embeddings": { POST: embeddings },
  "/v1/embeddings": { POST: embeddings },
  "/rerank": { POST: rerank },
  "/reranking": { POST: rerank },
  "/v1/rerank": { POST: rerank },
  "/v1/reranking": { POST: rerank },
  "/infill": { POST: notSupported("Infill is not supported by this model: prefix token is missing. suffix token is missing. middle token is missing. ") },
  "/metrics": { GET: { kind: "plain", reply: metricsReply } },
  // The simulator's own routes: what it meant to answer, and how it has gone so far.
  "/sim/ledger": { GET: simLedger },
  "/sim/stats": { GET: simStats },
  "/sim/reset": { POST: simReset },
};

function errorReply(error: unknown, request: Request): Reply {
  // Bun rejects the body read with an AbortError when the client goes away: not a server fault.
  if (!(error instanceof HttpError) && request.signal.aborted) error = clientClosed();
  if (error instanceof HttpError) {
    return { status: error.status, body: errorBody(error.status, error.type, error.message, error.extra), contentType: JSON_TYPE, error: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: errorBody(500, "server_error", message), contentType: JSON_TYPE, error: message };
}

const UNAUTHORIZED: Reply = { status: 401, body: UNAUTHORIZED_BODY, contentType: JSON_TYPE, error: "Invalid API Key" };
const NOT_FOUND: Reply = { status: 404, body: NOT_FOUND_BODY, contentType: JSON_TYPE, error: "File Not Found" };

const HEADER_FIELDS: Record<string, Record<string, string>> = {
  [JSON_TYPE]: { "Content-Type": JSON_TYPE, Server: "llama.cpp" },
  [METRICS_CONTENT_TYPE]: { "Content-Type": METRICS_CONTENT_TYPE, Server: "llama.cpp" },
  [SSE_TYPE]: { "Content-Type": SSE_TYPE, "Cache-Control": "no-cache", "X-Accel-Buffering": "no", Server: "llama.cpp" },
};
// Prebuilt Headers for the common case (no Origin to echo): Bun copies them into each Response,
// which costs half of converting a plain object every time.
const SHARED_HEADERS: Record<string, Headers> = {
  [JSON_TYPE]: new Headers(HEADER_FIELDS[JSON_TYPE]),
  [SSE_TYPE]: new Headers(HEADER_FIELDS[SSE_TYPE]),
};

/** Every response echoes the request's Origin as Access-Control-Allow-Origin (llama-server's CORS). */
function headersFor(request: Request, contentType: string | undefined): Headers | Record<string, string> {
  const origin = request.headers.get("origin");
  if (!origin && contentType) return SHARED_HEADERS[contentType] ?? HEADER_FIELDS[contentType]!;
  const base = contentType ? HEADER_FIELDS[contentType]! : { Server: "llama.cpp" };
  return origin ? { ...base, "Access-Control-Allow-Origin": origin } : base;
}

/** OPTIONS: 200 with an empty text/html body, the CORS headers, and no key check (browsers send none). */
function preflight(request: Request): Response {
  const origin = request.headers.get("origin");
  const headers = {
    Server: "llama.cpp",
    ...(origin ? { "Access-Control-Allow-Origin": origin } : {}),
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "*",
    "Content-Type": "text/html",
  };
  return new Response(null, { status: 200, headers });
}

/** The path below --api-prefix, or undefined when the path is outside it (routes exist only under the prefix). */
function routePath(path: string, prefix: string): string | undefined {
  if (prefix === "") return path;
  return path.startsWith(prefix) ? path.slice(prefix.length) || "/" : undefined;
}

/** The path of an absolute request URL, without a full URL parse (a hot path). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

/**
 * Answers one request, in llama-server's middleware order: CORS preflight, API key, then the route.
 * Written with one promise step (the body read) rather than nested async functions: every
 * suspension costs, and this runs tens of thousands of times a second.
 */
export function handle(request: Request, ctx: ServerContext, knownPath?: string, arrived = arrivalTime(ctx)): Response | Promise<Response> {
  // From when the request arrived (before its turn's batch, server/turn-batch.ts), for the log and the latency metric.
  const started = arrived ?? 0;
  const method = request.method;
  const path = knownPath ?? pathOf(request.url);
  const log = (status: number, outcome?: ChatOutcome, error?: string) =>
    ctx.log?.(formatRequestLine({ method, path, status, outcome, error, ms: performance.now() - started }));
  if (method === "OPTIONS") {
    log(200);
    return preflight(request);
  }
  const head = method === "HEAD";
  let faulted: RequestFaults | undefined;
  const finish = (reply: Reply): Response => {
    log(reply.status, reply.outcome, reply.error);
    ctx.oracle?.metrics?.observeLatency((performance.now() - started) / 1000);
    const headers = reply.headers ? { ...Object.fromEntries(new Headers(headersFor(request, reply.contentType))), ...reply.headers } : headersFor(request, reply.contentType);
    const altered = faulted?.respond(reply, headers, head);
    if (altered) return altered;
    if (reply.events && !head) return sseResponse(reply.events, headers, reply.status);
    // After a read timeout or a refused body the rest of it may still be arriving: do not reuse the connection.
    const close = reply.status === 408 || reply.status === 413;
    if (head) return headResponse(reply, headers, close);
    return new Response(reply.body, { status: reply.status, headers: close ? closing(headers) : headers });
  };
  const fail = (error: unknown): Response => finish(errorReply(error, request));
  const settings = settingsOf(ctx);
  // A loading phase (--loading-ms) answers 503 here: llama-server checks it before the key.
  const loading = ctx.faults?.loadingReply(routePath(path, settings.apiPrefix) ?? path, ctx);
  if (loading) return finish(loading);
  if (!isAuthorized(settings.apiKeys, path, request.headers)) return finish(UNAUTHORIZED);
  const below = routePath(path, settings.apiPrefix);
  const route = below === undefined ? undefined : ROUTES[below]?.[head ? "GET" : method];
  if (!route) return finish(NOT_FOUND);
  // Injected faults (--error-rate, --drop-rate, --hang-rate, ...), drawn per request; /health never.
  faulted = ctx.faults?.open(below!, request, ctx);
  const early = faulted?.early();
  if (early) return early instanceof Promise ? early.then(finish) : finish(early);
  if (route.kind === "plain") {
    try {
      const reply = faulted?.before(undefined) ?? route.reply(ctx, request);
      return reply instanceof Promise ? reply.then(finish, fail) : finish(reply);
    } catch (error) {
      return fail(error);
    }
  }
  return readJsonBody(request, ctx.maxBodyBytes, ctx.readTimeoutSeconds).then((body) => {
    try {
      const reply = faulted?.before(body) ?? route.reply(body, ctx, request);
      // A completion waiting for its slot or its simulated generation answers later.
      return reply instanceof Promise ? reply.then(finish, fail) : finish(reply);
    } catch (error) {
      return fail(error);
    }
  }, fail);
}

/** HEAD: the GET reply's status and headers, Content-Length included, and no body. */
function headResponse(reply: Reply, headers: Headers | Record<string, string>, close: boolean): Response {
  const copy = close ? closing(headers) : new Headers(headers);
  copy.set("Content-Length", String(Buffer.byteLength(reply.body)));
  return new Response(null, { status: reply.status, headers: copy });
}

function closing(headers: Headers | Record<string, string>): Headers {
  const copy = new Headers(headers);
  copy.set("Connection", "close");
  return copy;
}

/**
 * The POST routes that carry an eval's load, in Bun's native router: it hands the path over, which
 * skips building request.url and parsing it (~0.5 µs a request). Other methods on these paths, and
 * every other path, reach `fetch`. Bun's router matches the raw path while `fetch` sees it normalised
 * (dot segments, backslashes, percent-encoding), so a prefix that normalisation would change, or that
 * uses router syntax (":", "*") or characters the router refuses, keeps everything in fetch.
 */
function nativeRoutes(ctx: ServerContext, serve: Serve): Record<string, { POST: (request: Request) => Response | Promise<Response> }> {
  const prefix = settingsOf(ctx).apiPrefix;
  const routes: Record<string, { POST: (request: Request) => Response | Promise<Response> }> = {};
  if (!/^[!-~]*$/.test(prefix) || /[:*]/.test(prefix) || new URL(`${prefix}/x`, "http://h").pathname !== `${prefix}/x`) return routes;
  for (const [path, methods] of Object.entries(ROUTES)) {
    if (methods.POST?.kind !== "body") continue;
    const full = prefix + path;
    routes[full] = { POST: (request) => serve(request, full) };
  }
  return routes;
}

/** The clock only when something reads it (the request log, the latency metric): a hot path. */
const arrivalTime = (ctx: ServerContext): number | undefined => (ctx.log || ctx.oracle?.metrics ? performance.now() : undefined);

/** handle() for a request on `path` (when the router knows it), at once or in its turn's batch. */
type Serve = (request: Request, path?: string) => Response | Promise<Response>;

/** Every request in its turn's batch (server/turn-batch.ts, ~20% less CPU a request under load), or at once with --no-batch. */
function server(ctx: ServerContext, batched: boolean): Serve {
  if (!batched) return (request, path) => handle(request, ctx, path);
  const batch = new TurnBatch<Response>();
  return (request, path) => {
    const arrived = arrivalTime(ctx);
    return batch.run(() => handle(request, ctx, path, arrived));
  };
}

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  /** Idle connection timeout in seconds (--timeout). */
  readonly idleTimeoutSeconds: number;
  /** --threads-http > 1: each worker's server joins the port the main thread checked was free (server/workers.ts). */
  readonly reusePort?: boolean;
  /** Handle requests in one batch per event-loop turn (the default); false (--no-batch): each as it arrives. */
  readonly batch?: boolean;
}

/** Bun's largest idle timeout: longer --timeout values are capped to it. */
export const MAX_IDLE_TIMEOUT_SECONDS = 255;

export function startServer(ctx: ServerContext, options: ServeOptions) {
  reifyGlobals(); // before any request: see globals.ts
  const serve = server(ctx, options.batch !== false);
  return Bun.serve({
    hostname: options.host,
    port: options.port,
    development: false,
    // Bun answers a bare 413 above its own limit, before our handler runs; lift it so that
    // readJsonBody enforces --max-body-bytes and every client gets a JSON error.
    maxRequestBodySize: Infinity,
    // Never SO_REUSEPORT alone: a busy port must make a second simulator fail. Workers set it only
    // after the main thread's own bind without it proved the port free (server/workers.ts).
    reusePort: options.reusePort ?? false,
    idleTimeout: Math.min(Math.ceil(options.idleTimeoutSeconds), MAX_IDLE_TIMEOUT_SECONDS),
    routes: nativeRoutes(ctx, serve),
    fetch: (request) => serve(request),
    // Only a fault in handle itself reaches here (routes' errors become replies there): still llama-server's error shape.
    error: (error: unknown) =>
      new Response(errorBody(500, "server_error", error instanceof Error ? error.message : String(error)), { status: 500, headers: HEADER_FIELDS[JSON_TYPE] }),
  });
}

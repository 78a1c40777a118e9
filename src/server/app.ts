import { answerChat, type ChatOutcome } from "./chat.ts";
import type { ServerContext } from "./context.ts";
import { clientClosed, errorBody, HttpError, notFound } from "./errors.ts";
import { formatRequestLine } from "./log.ts";
import { modelsBody } from "./models.ts";
import { readJsonBody } from "./body.ts";
import { parseChatRequest } from "./request.ts";

/** A route either answers at once or, for a POST with a JSON body, from the parsed body. */
type Route =
  | { readonly kind: "plain"; readonly reply: (ctx: ServerContext) => Reply }
  | { readonly kind: "body"; readonly reply: (body: unknown, ctx: ServerContext) => Reply };

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
  readonly outcome?: ChatOutcome;
  readonly error?: string;
}

const JSON_TYPE = "application/json; charset=utf-8";
const SSE_TYPE = "text/event-stream";

const json = (body: string): Reply => ({ status: 200, body, contentType: JSON_TYPE });

function chatCompletions(body: unknown, ctx: ServerContext): Reply {
  const reply = answerChat(ctx, parseChatRequest(body));
  return { status: 200, body: reply.body, contentType: reply.stream ? SSE_TYPE : JSON_TYPE, outcome: reply.outcome };
}

const HEALTH_BODY = JSON.stringify({ status: "ok" });

const health: Route = { kind: "plain", reply: () => json(HEALTH_BODY) };
const models: Route = { kind: "plain", reply: (ctx) => json(modelsBody(ctx.alias)) };
const chat: Route = { kind: "body", reply: chatCompletions };

/** path -> method -> route */
const ROUTES: Record<string, Record<string, Route>> = {
  "/health": { GET: health },
  "/v1/health": { GET: health },
  "/v1/models": { GET: models },
  "/models": { GET: models },
  "/v1/chat/completions": { POST: chat },
  "/chat/completions": { POST: chat },
};

function errorReply(error: unknown, request: Request): Reply {
  // Bun rejects the body read with an AbortError when the client goes away: not a server fault.
  if (!(error instanceof HttpError) && request.signal.aborted) error = clientClosed();
  if (error instanceof HttpError) {
    return { status: error.status, body: errorBody(error.status, error.type, error.message), contentType: JSON_TYPE, error: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: errorBody(500, "server_error", message), contentType: JSON_TYPE, error: message };
}

const HEADER_FIELDS: Record<string, Record<string, string>> = {
  [JSON_TYPE]: { "Content-Type": JSON_TYPE, Server: "llama.cpp" },
  [SSE_TYPE]: { "Content-Type": SSE_TYPE, "Cache-Control": "no-cache", "X-Accel-Buffering": "no", Server: "llama.cpp" },
};
// Prebuilt Headers for the common case (no Origin to echo): Bun copies them into each Response,
// which costs half of converting a plain object every time.
const SHARED_HEADERS: Record<string, Headers> = {
  [JSON_TYPE]: new Headers(HEADER_FIELDS[JSON_TYPE]),
  [SSE_TYPE]: new Headers(HEADER_FIELDS[SSE_TYPE]),
};

function headersFor(request: Request, contentType: string | undefined): Headers | Record<string, string> {
  const origin = request.headers.get("origin");
  if (!origin && contentType) return SHARED_HEADERS[contentType]!;
  const base = contentType ? HEADER_FIELDS[contentType]! : { Server: "llama.cpp" };
  return origin ? { ...base, "Access-Control-Allow-Origin": origin } : base;
}

function preflight(request: Request): Response {
  const origin = request.headers.get("origin");
  const headers = {
    Server: "llama.cpp",
    ...(origin ? { "Access-Control-Allow-Origin": origin } : {}),
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "*",
  };
  return new Response(null, { status: 200, headers });
}

/** The path of an absolute request URL, without a full URL parse (a hot path). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

/**
 * Answers one request. Written with one promise step (the body read) rather than nested
 * async functions: every suspension costs, and this runs tens of thousands of times a second.
 */
export function handle(request: Request, ctx: ServerContext): Response | Promise<Response> {
  const started = ctx.log ? performance.now() : 0;
  const method = request.method;
  const path = pathOf(request.url);
  const log = (status: number, outcome?: ChatOutcome, error?: string) =>
    ctx.log?.(formatRequestLine({ method, path, status, outcome, error, ms: performance.now() - started }));
  if (method === "OPTIONS") {
    log(200);
    return preflight(request);
  }
  const finish = (reply: Reply): Response => {
    log(reply.status, reply.outcome, reply.error);
    const headers = headersFor(request, reply.contentType);
    // After a read timeout or a refused body the rest of it may still be arriving: do not reuse the connection.
    const close = reply.status === 408 || reply.status === 413;
    return new Response(reply.body, { status: reply.status, headers: close ? closing(headers) : headers });
  };
  const fail = (error: unknown): Response => finish(errorReply(error, request));
  const route = ROUTES[path]?.[method];
  if (!route) return fail(notFound());
  if (route.kind === "plain") return finish(route.reply(ctx));
  return readJsonBody(request, ctx.maxBodyBytes, ctx.readTimeoutSeconds).then((body) => {
    try {
      return finish(route.reply(body, ctx));
    } catch (error) {
      return fail(error);
    }
  }, fail);
}

function closing(headers: Headers | Record<string, string>): Headers {
  const copy = new Headers(headers);
  copy.set("Connection", "close");
  return copy;
}

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  /** Idle connection timeout in seconds (--timeout). */
  readonly idleTimeoutSeconds: number;
}

/** Bun's largest idle timeout: longer --timeout values are capped to it. */
export const MAX_IDLE_TIMEOUT_SECONDS = 255;

export function startServer(ctx: ServerContext, options: ServeOptions) {
  return Bun.serve({
    hostname: options.host,
    port: options.port,
    development: false,
    // Bun answers a bare 413 above its own limit, before our handler runs; lift it so that
    // readJsonBody enforces --max-body-bytes and every client gets a JSON error.
    maxRequestBodySize: Infinity,
    // Bun shares a busy port by default (SO_REUSEPORT); a second simulator must fail instead.
    reusePort: false,
    idleTimeout: Math.min(Math.ceil(options.idleTimeoutSeconds), MAX_IDLE_TIMEOUT_SECONDS),
    fetch: (request) => handle(request, ctx),
    error: (error) => new Response(errorBody(500, "server_error", error.message), { status: 500, headers: { "Content-Type": JSON_TYPE } }),
  });
}

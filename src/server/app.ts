import { answerChat, type ChatOutcome } from "./chat.ts";
import type { ServerContext } from "./context.ts";
import { clientClosed, errorBody, HttpError, notFound } from "./errors.ts";
import { formatRequestLine } from "./log.ts";
import { modelsBody } from "./models.ts";
import { readBody } from "./body.ts";
import { parseChatRequest, parseJsonBody } from "./request.ts";

type Route = (request: Request, ctx: ServerContext) => Promise<Reply> | Reply;

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

async function chatCompletions(request: Request, ctx: ServerContext): Promise<Reply> {
  const chat = parseChatRequest(parseJsonBody(await readBody(request, ctx.maxBodyBytes, ctx.readTimeoutSeconds)));
  const reply = answerChat(ctx, chat);
  return { status: 200, body: reply.body, contentType: reply.stream ? SSE_TYPE : JSON_TYPE, outcome: reply.outcome };
}

const HEALTH_BODY = JSON.stringify({ status: "ok" });

/** path -> method -> handler */
const ROUTES: Record<string, Record<string, Route>> = {
  "/health": { GET: () => json(HEALTH_BODY) },
  "/v1/health": { GET: () => json(HEALTH_BODY) },
  "/v1/models": { GET: (_, ctx) => json(modelsBody(ctx.alias)) },
  "/models": { GET: (_, ctx) => json(modelsBody(ctx.alias)) },
  "/v1/chat/completions": { POST: chatCompletions },
  "/chat/completions": { POST: chatCompletions },
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

// Shared header objects for the common case (no Origin to echo): building a Headers per reply costs
// as much as the rest of the request.
const PLAIN_HEADERS: Record<string, Record<string, string>> = {
  [JSON_TYPE]: { "Content-Type": JSON_TYPE, Server: "llama.cpp" },
  [SSE_TYPE]: { "Content-Type": SSE_TYPE, "Cache-Control": "no-cache", "X-Accel-Buffering": "no", Server: "llama.cpp" },
};

function headersFor(request: Request, contentType: string | undefined): Record<string, string> {
  const base = contentType ? PLAIN_HEADERS[contentType]! : { Server: "llama.cpp" };
  const origin = request.headers.get("origin");
  return origin ? { ...base, "Access-Control-Allow-Origin": origin } : base;
}

function preflight(request: Request): Response {
  const headers = {
    ...headersFor(request, undefined),
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
  const path = query < 0 ? url.slice(start) : url.slice(start, query);
  return path.includes("%") || path.includes("#") ? new URL(url).pathname : path;
}

export async function handle(request: Request, ctx: ServerContext): Promise<Response> {
  const started = performance.now();
  const path = pathOf(request.url);
  if (request.method === "OPTIONS") {
    ctx.log?.(formatRequestLine({ method: request.method, path, status: 200, outcome: undefined, ms: performance.now() - started }));
    return preflight(request);
  }
  let reply: Reply;
  try {
    const route = ROUTES[path]?.[request.method];
    if (!route) throw notFound();
    reply = await route(request, ctx);
  } catch (error) {
    reply = errorReply(error, request);
  }
  ctx.log?.(formatRequestLine({ method: request.method, path, status: reply.status, outcome: reply.outcome, error: reply.error, ms: performance.now() - started }));
  const headers = headersFor(request, reply.contentType);
  // After a read timeout the rest of the body may still be in flight: do not reuse the connection.
  return new Response(reply.body, { status: reply.status, headers: reply.status === 408 ? { ...headers, Connection: "close" } : headers });
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
    // readBody enforces --max-body-bytes and every client gets a JSON error.
    maxRequestBodySize: Infinity,
    // Bun shares a busy port by default (SO_REUSEPORT); a second simulator must fail instead.
    reusePort: false,
    idleTimeout: Math.min(Math.ceil(options.idleTimeoutSeconds), MAX_IDLE_TIMEOUT_SECONDS),
    fetch: (request) => handle(request, ctx),
    error: (error) => new Response(errorBody(500, "server_error", error.message), { status: 500, headers: { "Content-Type": JSON_TYPE } }),
  });
}

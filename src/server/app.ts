import { answerChat, type ChatOutcome } from "./chat.ts";
import type { ServerContext } from "./context.ts";
import { errorBody, HttpError, notFound } from "./errors.ts";
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
  const chat = parseChatRequest(parseJsonBody(await readBody(request, ctx.maxBodyBytes)));
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

function errorReply(error: unknown): Reply {
  if (error instanceof HttpError) {
    return { status: error.status, body: errorBody(error.status, error.type, error.message), contentType: JSON_TYPE, error: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: errorBody(500, "server_error", message), contentType: JSON_TYPE, error: message };
}

function headersFor(request: Request, contentType: string | undefined): Headers {
  const headers = new Headers({ Server: "llama.cpp" });
  if (contentType) headers.set("Content-Type", contentType);
  if (contentType === SSE_TYPE) {
    headers.set("Cache-Control", "no-cache");
    headers.set("X-Accel-Buffering", "no");
  }
  const origin = request.headers.get("origin");
  if (origin) headers.set("Access-Control-Allow-Origin", origin);
  return headers;
}

function preflight(request: Request): Response {
  const headers = headersFor(request, undefined);
  headers.set("Access-Control-Allow-Credentials", "true");
  headers.set("Access-Control-Allow-Methods", "GET, POST");
  headers.set("Access-Control-Allow-Headers", "*");
  return new Response(null, { status: 200, headers });
}

export async function handle(request: Request, ctx: ServerContext): Promise<Response> {
  const started = performance.now();
  const path = new URL(request.url).pathname;
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
    reply = errorReply(error);
  }
  ctx.log?.(formatRequestLine({ method: request.method, path, status: reply.status, outcome: reply.outcome, error: reply.error, ms: performance.now() - started }));
  return new Response(reply.body, { status: reply.status, headers: headersFor(request, reply.contentType) });
}

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
}

export function startServer(ctx: ServerContext, options: ServeOptions) {
  return Bun.serve({
    hostname: options.host,
    port: options.port,
    development: false,
    // Bun answers a bare 413 above its own limit, before our handler runs; lift it so that
    // readBody enforces --max-body-bytes and every client gets a JSON error.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    // Bun shares a busy port by default (SO_REUSEPORT); a second simulator must fail instead.
    reusePort: false,
    fetch: (request) => handle(request, ctx),
    error: (error) => new Response(errorBody(500, "server_error", error.message), { status: 500, headers: { "Content-Type": JSON_TYPE } }),
  });
}

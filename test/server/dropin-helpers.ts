// Shared by the drop-in route tests (routes, completions, tokenize, auth, cors, props): requests
// against handle() and a context with llama-server's settings.
import { expect } from "bun:test";
import { handle } from "../../src/server/app.ts";
import type { ServerSettings } from "../../src/server/context.ts";
import { DEFAULT_SETTINGS } from "../../src/server/props.ts";
import { idleSlots, type SlotView } from "../../src/server/slots.ts";
import { makeContext, QUESTIONS, type TestContext } from "./helpers.ts";

export const BASE = "http://127.0.0.1:8033";
export const JSON_TYPE = "application/json; charset=utf-8";

export function post(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(BASE + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export const get = (path: string, headers: Record<string, string> = {}) => new Request(BASE + path, { headers });
export const head = (path: string, headers: Record<string, string> = {}) => new Request(BASE + path, { method: "HEAD", headers });

/** A question found anywhere inside a text, as the real matcher finds it inside a template. */
export function findInside(texts: readonly string[]): number | undefined {
  const found = QUESTIONS.findIndex((q) => texts.some((t) => t.includes(q.text)));
  return found === -1 ? undefined : found;
}

export interface DropInOptions {
  readonly rate?: number;
  readonly seed?: number;
  readonly alias?: string;
  readonly server?: Partial<ServerSettings>;
  readonly slots?: SlotView;
}

/** The test context with llama-server settings and a matcher that sees through templates. */
export function dropInContext(options: DropInOptions = {}): TestContext {
  const base = makeContext({ rate: options.rate ?? 1, seed: options.seed ?? 77, alias: options.alias });
  return {
    ...base,
    findQuestion: findInside,
    server: { ...DEFAULT_SETTINGS, ...options.server },
    slots: options.slots ?? idleSlots(4, 8192),
  };
}

export async function send(ctx: TestContext, request: Request): Promise<Response> {
  return await handle(request, ctx);
}

export async function jsonOf(response: Response): Promise<any> {
  expect(response.headers.get("content-type")).toBe(JSON_TYPE);
  return JSON.parse(await response.text());
}

/**
 * Asserts an error reply and returns its body. `order` is the key order: llama-server's handlers
 * write code, message, type; its middleware (401, 404) message, type, code.
 */
export async function expectError(
  response: Response,
  status: number,
  type: string,
  order: readonly string[] = ["code", "message", "type"],
): Promise<{ code: number; message: string; type: string }> {
  expect(response.status).toBe(status);
  const body = await jsonOf(response);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error)).toEqual([...order]);
  expect(body.error.code).toBe(status);
  expect(body.error.type).toBe(type);
  expect(response.headers.get("server")).toBe("llama.cpp");
  return body.error;
}

/** The JSON payloads of an SSE body; asserts the framing (`data: <json>\n\n`, nothing else). */
export function sseChunks(raw: string): { chunks: any[]; done: boolean } {
  expect(raw.endsWith("\n\n")).toBe(true);
  const chunks: any[] = [];
  let done = false;
  for (const event of raw.slice(0, -2).split("\n\n")) {
    expect(done).toBe(false); // nothing after [DONE]
    expect(event.startsWith("data: ")).toBe(true);
    expect(event.includes("\n")).toBe(false);
    const data = event.slice("data: ".length);
    if (data === "[DONE]") done = true;
    else chunks.push(JSON.parse(data));
  }
  return { chunks, done };
}

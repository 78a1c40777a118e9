// A llama-eval-style client for the scale test: a pool of workers (llama-eval's 32 threads), one
// POST /v1/chat/completions per case with its AIME template, graded with its regex grader. Written
// against the HTTP API only, independent of src/.
import { aimePrompt, lastBoxed } from "../../test/e2e/harness.ts";

export interface Case {
  /** Unique within a run, e.g. "p3/q17". */
  readonly key: string;
  readonly question: string;
  /** The grader's gold answer. */
  readonly gold: string;
  /** Which pass of the dataset the case belongs to. */
  readonly pass: number;
}

export interface CaseResult {
  readonly key: string;
  readonly question: string;
  readonly gold: string;
  readonly pass: number;
  /** HTTP status; 0 when the connection failed. */
  readonly status: number;
  /** The replica that answered: the last address in nginx's X-Upstream ("A, B" when A refused). */
  readonly upstream: string | null;
  readonly content: string | null;
  /** What the grader read from the content (null: nothing). */
  readonly answer: string | null;
  readonly correct: boolean;
  /** Set for failures: the status line, the network error or what was wrong with the stream. */
  readonly error: string | null;
  /** performance.now() when the request was sent, and when its reply was complete. */
  readonly start: number;
  readonly end: number;
}

export interface PoolOptions {
  readonly url: string;
  readonly concurrency: number;
  readonly stream: boolean;
  /** Called as each case completes (in completion order), with the count so far. */
  readonly onDone?: (result: CaseResult, done: number) => void;
  /** Called as each case is sent. */
  readonly onStart?: (c: Case, start: number) => void;
}

/** Runs every case with at most `concurrency` in flight: workers take the next case as they finish one. */
export async function runPool(cases: readonly Case[], options: PoolOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const c = cases[index]!;
      const start = performance.now();
      options.onStart?.(c, start);
      const result = await runCase(c, options, start);
      results[index] = result;
      options.onDone?.(result, ++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, cases.length) }, worker));
  return results;
}

/** llama-eval's regex grader for AIME: the last \boxed{} (in the last 10 lines), else the last integer; null if neither. */
export function extract(content: string): string | null {
  const answer = lastBoxed(content) ?? content.split("\n").slice(-10).join("\n").match(/-?\d+/g)?.at(-1);
  return answer === undefined ? null : answer.trim();
}

async function runCase(c: Case, options: PoolOptions, start: number): Promise<CaseResult> {
  const body = { model: "llama", messages: [{ role: "user", content: aimePrompt(c.question) }], n_predict: -1, ...(options.stream ? { stream: true } : {}) };
  const base = { key: c.key, question: c.question, gold: c.gold, pass: c.pass, start, answer: null };
  let status = 0;
  let upstream: string | null = null;
  try {
    const res = await fetch(`${options.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    status = res.status;
    upstream = res.headers.get("x-upstream")?.split(",").at(-1)?.trim() ?? null;
    const text = await res.text();
    if (status !== 200) return { ...base, status, upstream, content: null, correct: false, error: `HTTP ${status}: ${text.replace(/\s+/g, " ").slice(0, 80)}`, end: performance.now() };
    const parsed = options.stream ? parseStream(text, res.headers.get("content-type")) : parseReply(text);
    if ("error" in parsed) return { ...base, status, upstream, content: null, correct: false, error: parsed.error, end: performance.now() };
    const answer = extract(parsed.content);
    return { ...base, status, upstream, content: parsed.content, answer, correct: answer === c.gold, error: null, end: performance.now() };
  } catch (error) {
    return { ...base, status, upstream, content: null, correct: false, error: `network: ${(error as Error).message}`, end: performance.now() };
  }
}

/** What llama-eval reads: choices[0].message.content, and finish_reason "stop" (anything else is an error). */
function parseReply(text: string): { content: string } | { error: string } {
  try {
    const reply = JSON.parse(text) as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] };
    const choice = reply.choices?.[0];
    if (typeof choice?.message?.content !== "string") return { error: "reply without choices[0].message.content" };
    if (choice.finish_reason !== "stop") return { error: `finish_reason ${String(choice.finish_reason)}` };
    return { content: choice.message.content };
  } catch {
    return { error: "reply is not JSON" };
  }
}

/**
 * An unbroken llama-server stream: text/event-stream, a role chunk first, content chunks, one
 * finish chunk with finish_reason "stop", then `data: [DONE]` last; the same id on every chunk.
 */
export function parseStream(text: string, contentType: string | null): { content: string } | { error: string } {
  if (!contentType?.startsWith("text/event-stream")) return { error: `content-type ${contentType}` };
  const events = text.split("\n\n").filter((e) => e.trim() !== "");
  if (events.at(-1) !== "data: [DONE]") return { error: `stream does not end with data: [DONE] (last: ${JSON.stringify(events.at(-1)?.slice(0, 60))})` };
  const ids = new Set<string>();
  let content = "";
  let finishes = 0;
  for (const [i, event] of events.slice(0, -1).entries()) {
    if (!event.startsWith("data: ")) return { error: `event ${i} is not a data line` };
    let chunk: { id?: string; choices?: { delta?: { role?: string; content?: string | null }; finish_reason?: string | null }[] };
    try {
      chunk = JSON.parse(event.slice(6));
    } catch {
      return { error: `event ${i} is not JSON (cut?)` };
    }
    if (chunk.id) ids.add(chunk.id);
    const choice = chunk.choices?.[0];
    if (i === 0 && choice?.delta?.role !== "assistant") return { error: "first chunk has no role" };
    if (typeof choice?.delta?.content === "string") content += choice.delta.content;
    if (choice?.finish_reason === "stop") finishes++;
    else if (choice?.finish_reason) return { error: `finish_reason ${choice.finish_reason}` };
  }
  if (ids.size !== 1) return { error: `${ids.size} distinct ids in one stream` };
  if (finishes !== 1) return { error: `${finishes} finish chunks` };
  return { content };
}

// Fault injection over real sockets (startServer on an ephemeral port): what a client sees of a
// drop, a midstream cut and a hang, and that the server stays healthy after each.
import { afterAll, describe, expect, test } from "bun:test";
import type { FaultOptions } from "../../src/config.ts";
import { startServer } from "../../src/server/app.ts";
import { Faults } from "../../src/server/faults.ts";
import { chatBody, makeContext, parseSse } from "./helpers.ts";

const NONE: FaultOptions = { errorRate: 0, errorCodes: [500], dropRate: 0, hangRate: 0, midstreamDropRate: 0, failFirst: 0, crashAfter: 0, loadingMs: 0 };
const servers: ReturnType<typeof startServer>[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop(true)));
});

function serve(options: Partial<FaultOptions>, seed = 11): { base: string; faults: Faults } {
  const faults = new Faults({ ...NONE, ...options }, seed, { hangTimeoutMs: 60_000 });
  const server = startServer({ ...makeContext({ rate: 1, seed, quiet: true }), faults }, { host: "127.0.0.1", port: 0, idleTimeoutSeconds: 30 });
  servers.push(server);
  return { base: `http://127.0.0.1:${server.port}`, faults };
}

const postChat = (base: string, body: unknown, init: RequestInit = {}) =>
  fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), ...init });

/** The error a fetch fails with, or undefined when it succeeds. */
async function failure(promise: Promise<unknown>): Promise<{ name?: string; code?: string } | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as { name?: string; code?: string };
  }
}

/** Reads a body until it ends or breaks; returns the text and whether it broke. */
async function readAll(response: Response): Promise<{ text: string; broke: boolean }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const step = await reader.read();
      if (step.done) return { text, broke: false };
      text += decoder.decode(step.value, { stream: true });
    }
  } catch {
    return { text, broke: true };
  }
}

describe("over HTTP", () => {
  test("--drop-rate 1: the client sees a connection error, never a status; /health still answers", async () => {
    const { base } = serve({ dropRate: 1 });
    for (let i = 0; i < 5; i++) {
      const error = await failure(postChat(base, chatBody(0)));
      expect(error?.code).toBe("ECONNRESET");
    }
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  test("--midstream-drop-rate 1: a stream's first events, then a reset without the finish chunk or [DONE]", async () => {
    const { base } = serve({ midstreamDropRate: 1 });
    const full = await postChat(serve({}).base, chatBody(1, { stream: true }));
    const whole = parseSse(await full.text());
    expect(whole.done).toBe(true);
    const kept = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const response = await postChat(base, chatBody(1, { stream: true }));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      const { text, broke } = await readAll(response);
      expect(broke).toBe(true);
      expect(text).not.toContain("[DONE]");
      const events = text.split("\n\n").filter((e) => e !== "");
      expect(events.length).toBeGreaterThanOrEqual(1);
      // Whole events of the same stream, cut before its finish chunk (the whole one has chunks + [DONE]).
      expect(events.length).toBeLessThanOrEqual(whole.chunks.length - 1);
      for (const event of events) expect(JSON.parse(event.slice("data: ".length)).object).toBe("chat.completion.chunk");
      expect(text).not.toContain('"finish_reason":"stop"');
      kept.add(events.length);
    }
    // 20 cut points drawn uniformly over the stream are not all the same.
    expect(kept.size).toBeGreaterThan(1);
  });

  test("--midstream-drop-rate 1 on a non-streamed reply: a drop", async () => {
    const { base } = serve({ midstreamDropRate: 1 });
    expect((await failure(postChat(base, chatBody(2))))?.code).toBe("ECONNRESET");
  });

  test("--hang-rate 1: no answer until the client's own timeout; the server is still healthy and holds nothing", async () => {
    const { base, faults } = serve({ hangRate: 1 });
    const started = performance.now();
    const error = await failure(postChat(base, chatBody(3), { signal: AbortSignal.timeout(300) }));
    expect(error?.name).toBe("TimeoutError");
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    await Bun.sleep(50);
    expect(faults.hanging).toBe(0);
  });

  test("--error-rate 1 --error-codes 429: status, Retry-After and body over the wire", async () => {
    const faults = new Faults({ ...NONE, errorRate: 1, errorCodes: [429] }, 3, { hangTimeoutMs: 1000 });
    const server = startServer({ ...makeContext({ quiet: true }), faults }, { host: "127.0.0.1", port: 0, idleTimeoutSeconds: 30 });
    servers.push(server);
    const response = await postChat(`http://127.0.0.1:${server.port}`, chatBody(4));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(((await response.json()) as any).error.type).toBe("rate_limit_error");
  });
});

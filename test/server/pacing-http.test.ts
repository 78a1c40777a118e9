// Pacing, slots and context limits through the real request path: handle() behind Bun.serve, a
// context with a slot pool and a pacer, and fetch as the client. Timing bounds are generous (the
// machine may be busy); bench/pacing.ts measures the precise figures.
import { afterEach, describe, expect, test } from "bun:test";
import { Ledger as RecordLedger } from "../../src/decide/records.ts";
import { handle } from "../../src/server/app.ts";
import { serveChat } from "../../src/server/chat.ts";
import { completionRuntime } from "../../src/server/generation.ts";
import { Metrics } from "../../src/server/metrics.ts";
import { Oracle } from "../../src/server/oracle.ts";
import { NO_PACING, type PacingConfig } from "../../src/server/pacing.ts";
import { parseChatRequest } from "../../src/server/request.ts";
import type { ReplyOptions } from "../../src/config.ts";
import { dropInContext, sseChunks } from "./dropin-helpers.ts";
import { chatBody, QUESTIONS, type TestContext } from "./helpers.ts";
import { timedEvents } from "../fixtures/sse-timing.ts";

interface Running {
  readonly url: string;
  readonly ctx: TestContext & ReturnType<typeof completionRuntime>;
  readonly metrics: Metrics;
  post(path: string, body: unknown, signal?: AbortSignal): Promise<Response>;
  get(path: string): Promise<Response>;
}

const servers: ReturnType<typeof Bun.serve>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

function start(options: { pacing?: Partial<PacingConfig>; parallel?: number; slotContext?: number; nPredict?: number; reply?: Partial<ReplyOptions> } = {}): Running {
  const metrics = new Metrics();
  const runtime = completionRuntime({ parallel: options.parallel ?? 4, slotContext: options.slotContext ?? 8192 }, { ...NO_PACING, ...options.pacing }, 77, metrics);
  const base = dropInContext({ server: { nPredict: options.nPredict ?? -1, endpointMetrics: true } });
  const ctx = { ...base, reply: { ...base.reply, ...options.reply }, parallel: runtime.pool.total, oracle: new Oracle(new RecordLedger({ keep: 100 }), metrics), ...runtime };
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => handle(request, ctx) });
  servers.push(server);
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    ctx,
    metrics,
    post: (path, body, signal) => fetch(url + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal }),
    get: (path) => fetch(url + path),
  };
}


/** A response's JSON body, untyped (tests read fields freely). */
const jsonOf = async (response: Response | Promise<Response>): Promise<any> => (await response).json();

const gauge = (text: string, name: string) => Number(new RegExp(`^llamacpp:${name} (\\S+)$`, "m").exec(text)?.[1]);

describe("pacing: a client measures the configured TTFT and rate", () => {
  test("a chat stream: first chunk after --ttft-ms, then one chunk per token at --tps, timings and usage agree", async () => {
    const sim = start({ pacing: { ttftMs: 150, tps: 40 } });
    const t0 = performance.now();
    const response = await sim.post("/v1/chat/completions", chatBody(0, { stream: true, stream_options: { include_usage: true } }));
    expect(response.status).toBe(200);
    const events = await timedEvents(response, t0);
    expect(events.at(-1)!.data).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => ({ ...e, json: JSON.parse(e.data) }));
    const deltas = chunks.filter((c) => c.json.choices[0]?.delta?.content !== undefined && c.json.choices[0].delta.content !== null);
    const usage = chunks.at(-1)!.json.usage;
    // One chunk per token, and the chunks rebuild the reply.
    expect(deltas.length).toBe(usage.completion_tokens);
    expect(deltas.length).toBeGreaterThan(3);
    // The first token after --ttft-ms (never before), within a generous margin.
    expect(chunks[0]!.at).toBeGreaterThanOrEqual(150);
    expect(chunks[0]!.at).toBeLessThan(150 + 800);
    const rate = ((deltas.length - 1) * 1000) / (deltas.at(-1)!.at - deltas[0]!.at);
    expect(Math.abs(rate - 40) / 40).toBeLessThan(0.25);
    const timings = chunks.at(-1)!.json.timings;
    expect(timings.prompt_ms).toBe(150);
    expect(timings.predicted_per_second).toBe(40);
    expect(timings.predicted_ms).toBe(usage.completion_tokens * 25);
  });

  test("a non-streamed reply is sent when the whole simulated generation is over", async () => {
    const sim = start({ pacing: { ttftMs: 100, prefillTps: 1000, tps: 50 } });
    const t0 = performance.now();
    const body = await jsonOf(sim.post("/v1/chat/completions", chatBody(1)));
    const elapsed = performance.now() - t0;
    const { timings, usage } = body;
    const expected = 100 + usage.prompt_tokens + (usage.completion_tokens * 1000) / 50;
    expect(timings.prompt_ms).toBeCloseTo(100 + usage.prompt_tokens, 6);
    expect(timings.prompt_per_second).toBeCloseTo((usage.prompt_tokens * 1000) / timings.prompt_ms, 2);
    expect(timings.predicted_per_second).toBe(50);
    expect(elapsed).toBeGreaterThanOrEqual(expected);
    expect(elapsed).toBeLessThan(expected + 1000); // generous: an upper bound only catches a runaway delay
  });

  test("/metrics and the ledger see the simulated speeds too", async () => {
    const sim = start({ pacing: { ttftMs: 40, tps: 400 } });
    const body = await jsonOf(sim.post("/v1/chat/completions", chatBody(2)));
    const metrics = await (await sim.get("/metrics")).text();
    expect(gauge(metrics, "predicted_tokens_seconds")).toBeCloseTo(400, 6);
    expect(Number(/^llamacpp:prompt_seconds_total (\S+)$/m.exec(metrics)?.[1])).toBeCloseTo(0.04, 6);
    const record = sim.ctx.oracle!.ledger.page(0, 10).records.at(-1)!;
    expect(record.latency_ms).toBeCloseTo(body.timings.prompt_ms + body.timings.predicted_ms, 3);
  });

  test("--time-scale runs the clock faster and still reports simulated timings", async () => {
    const sim = start({ pacing: { ttftMs: 2000, tps: 5, timeScale: 20 } });
    const t0 = performance.now();
    const events = await timedEvents(await sim.post("/v1/chat/completions", chatBody(2, { stream: true })), t0);
    const last = JSON.parse(events.at(-2)!.data);
    // Simulated: 2 s to the first token, 200 ms a token. Real: 20 times faster.
    expect(last.timings.prompt_ms).toBe(2000);
    expect(last.timings.predicted_per_second).toBe(5);
    expect(events[0]!.at).toBeGreaterThanOrEqual(100);
    expect(events[0]!.at).toBeLessThan(100 + 1000);
    const simulatedTotal = last.timings.prompt_ms + last.timings.predicted_ms;
    expect(events.at(-1)!.at).toBeGreaterThanOrEqual(simulatedTotal / 20);
    expect(events.at(-1)!.at).toBeLessThan(simulatedTotal / 20 + 1000);
  });

  test("the native and OpenAI text streams are paced too, one chunk per token", async () => {
    const sim = start({ pacing: { tps: 100 } });
    for (const path of ["/completion", "/v1/completions"]) {
      const t0 = performance.now();
      const response = await sim.post(path, { prompt: `Question: ${QUESTIONS[0]!.text}\nAnswer:`, stream: true });
      const events = await timedEvents(response, t0);
      const texts = events.filter((e) => e.data !== "[DONE]").map((e) => JSON.parse(e.data));
      const final = texts.at(-1)!;
      const tokens = path === "/completion" ? final.tokens_predicted : final.usage.completion_tokens;
      expect(texts.length - 1).toBe(tokens);
      // tokens - 1 gaps of 10 ms from the first chunk to the last (then one more to the end).
      // 40 ms slack: a late first read on a loaded machine shortens the measured span (unpaced it would be ~0).
      expect(events.at(-2)!.at - events[0]!.at).toBeGreaterThanOrEqual((tokens - 1) * 10 - 40);
      expect(final.timings.predicted_per_second).toBe(100);
    }
  });

  test("with n = 2 the choices' chunks interleave, as parallel slots generate them", async () => {
    const sim = start({ pacing: { tps: 200 } });
    const raw = await (await sim.post("/v1/chat/completions", chatBody(3, { stream: true, n: 2 }))).text();
    const { chunks, done } = sseChunks(raw);
    expect(done).toBe(true);
    const indices = chunks.filter((c) => c.choices[0]?.delta?.content).map((c) => c.choices[0].index);
    expect(indices.slice(0, 4)).toEqual([0, 1, 0, 1]);
    for (const index of [0, 1]) {
      const roles = chunks.filter((c) => c.choices[0]?.index === index && c.choices[0].delta.role === "assistant");
      expect(roles).toHaveLength(1);
      expect(chunks.filter((c) => c.choices[0]?.index === index && c.choices[0].finish_reason !== null)).toHaveLength(1);
    }
  });

  test("without pacing nothing changes: the same body with and without slots, answered synchronously", async () => {
    const pooled = start();
    const plain = dropInContext();
    const request = parseChatRequest(chatBody(0, { seed: 5 }));
    const served = serveChat(pooled.ctx, request);
    expect(served).not.toBeInstanceOf(Promise);
    const strip = (text: string) => text.replace(/"created":\d+/g, "").replace(/chatcmpl-\w+/g, "");
    const direct = serveChat(plain, request);
    expect(strip((served as { body: string }).body)).toBe(strip((direct as { body: string }).body));
    expect(pooled.ctx.pool.processing).toBe(0);
    const stream = serveChat(pooled.ctx, parseChatRequest(chatBody(0, { seed: 5, stream: true })));
    // Events ready at once: a synchronous iterable (not a paced, asynchronous one), the whole stream already there.
    const events = (stream as { events: Iterable<string> }).events;
    expect(Symbol.asyncIterator in events).toBe(false);
    const sent = [...events];
    expect(sent[0]).toContain('"role":"assistant"');
    expect(sent.at(-1)).toBe("data: [DONE]\n\n");
  });
});

describe("slots: N + k clients queue in FIFO order", () => {
  test("-np 2 and 5 clients: 2 run, 3 wait (in /slots and the /metrics gauges), and they finish in arrival order", async () => {
    const sim = start({ parallel: 2, pacing: { ttftMs: 50, tps: 100 } });
    const t0 = performance.now();
    const finished: { i: number; at: number }[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      all.push(
        sim.post("/v1/chat/completions", chatBody(i % QUESTIONS.length)).then(async (r) => {
          expect(r.status).toBe(200);
          await r.text();
          finished.push({ i, at: performance.now() - t0 });
        }),
      );
      await Bun.sleep(5); // arrival order is the order sent
    }
    await Bun.sleep(20);
    const slots = await jsonOf(sim.get("/slots"));
    expect(slots.map((s: { is_processing: boolean }) => s.is_processing)).toEqual([true, true]);
    for (const slot of slots) {
      expect(typeof slot.id_task).toBe("number");
      expect(slot.params.n_predict).toBe(-1);
      expect(slot.next_token[0].has_next_token).toBe(true);
    }
    expect((await sim.get("/slots?fail_on_no_slot=1")).status).toBe(503);
    const metrics = await (await sim.get("/metrics")).text();
    expect(gauge(metrics, "requests_processing")).toBe(2);
    expect(gauge(metrics, "requests_deferred")).toBe(3);
    await Promise.all(all);
    expect(finished.map((f) => f.i)).toEqual([0, 1, 2, 3, 4]);
    // The third client waited for a whole generation of the first: its reply came at least one reply later.
    expect(finished[2]!.at - finished[0]!.at).toBeGreaterThanOrEqual(45);
    const after = await (await sim.get("/metrics")).text();
    expect([gauge(after, "requests_processing"), gauge(after, "requests_deferred")]).toEqual([0, 0]);
    expect((await sim.get("/slots?fail_on_no_slot=1")).status).toBe(200);
    const idle = await jsonOf(sim.get("/slots"));
    expect(idle[0].next_token[0].has_next_token).toBe(false);
    expect(idle[0].next_token[0].n_decoded).toBeGreaterThan(0);
  });

  test("a stream's headers wait for its slot: queueing shows up as a longer time to first token", async () => {
    const sim = start({ parallel: 1, pacing: { ttftMs: 100, tps: 100 } });
    const t0 = performance.now();
    const first = sim.post("/v1/chat/completions", chatBody(0, { stream: true }));
    await Bun.sleep(5);
    const second = sim.post("/v1/chat/completions", chatBody(1, { stream: true }));
    const a = await timedEvents(await first, t0);
    const b = await timedEvents(await second, t0);
    // The second starts once the first's generation is over, then waits its own TTFT. The 50 ms slack
    // absorbs a late read of the first stream's last event on a loaded machine; without queueing the
    // second's first token would come ~100 ms after t0, long before the first stream (~0.3 s) ends.
    expect(a.at(-1)!.at).toBeGreaterThan(250);
    expect(b[0]!.at).toBeGreaterThanOrEqual(a.at(-1)!.at - 50 + 100);
  });

  test("n = 2 takes two slots", async () => {
    const sim = start({ parallel: 3, pacing: { ttftMs: 300 } });
    const pending = sim.post("/v1/chat/completions", chatBody(0, { n: 2 }));
    await Bun.sleep(50);
    expect(sim.ctx.pool.processing).toBe(2);
    const slots = await jsonOf(sim.get("/slots"));
    expect(slots.filter((s: { is_processing: boolean }) => s.is_processing)).toHaveLength(2);
    expect((await jsonOf(pending)).choices).toHaveLength(2);
    expect(sim.ctx.pool.processing).toBe(0);
  });
});

describe("slots: a client that disconnects frees its place at once", () => {
  test("while queued: it leaves the queue; while streaming: its slot is free for the next client", async () => {
    const sim = start({ parallel: 1, pacing: { ttftMs: 20, tps: 20 } });
    const streaming = new AbortController();
    const response = await sim.post("/v1/chat/completions", chatBody(0, { stream: true }), streaming.signal);
    const reader = response.body!.getReader();
    await reader.read();
    expect(sim.ctx.pool.processing).toBe(1);
    const queued = new AbortController();
    const waiting = sim.post("/v1/chat/completions", chatBody(1), queued.signal).catch((e) => e);
    await Bun.sleep(30);
    expect(sim.ctx.pool.deferred).toBe(1);
    queued.abort();
    expect((await waiting).name).toBe("AbortError");
    await Bun.sleep(30);
    expect(sim.ctx.pool.deferred).toBe(0);
    // Mid-stream: the slot is free well before the reply would have ended (about a second at 20 tok/s).
    streaming.abort();
    const t = performance.now();
    while (sim.ctx.pool.processing > 0 && performance.now() - t < 500) await Bun.sleep(5);
    expect(sim.ctx.pool.processing).toBe(0);
    expect(sim.ctx.pacing.scheduler.size).toBe(0);
    const next = await sim.post("/v1/chat/completions", chatBody(2, { stream: true }));
    expect(next.status).toBe(200);
    await next.text();
  });

  test("a client that leaves during a non-streamed generation frees its slot", async () => {
    const sim = start({ parallel: 1, pacing: { ttftMs: 5000 } });
    const controller = new AbortController();
    const pending = sim.post("/v1/chat/completions", chatBody(0), controller.signal).catch((e) => e);
    await Bun.sleep(50);
    expect(sim.ctx.pool.processing).toBe(1);
    controller.abort();
    await pending;
    const t = performance.now();
    while (sim.ctx.pool.processing > 0 && performance.now() - t < 500) await Bun.sleep(5);
    expect(sim.ctx.pool.processing).toBe(0);
  });
});

describe("context size (-c) and token limits", () => {
  const long = (words: number) => `${QUESTIONS[0]!.text} ${"padding words here ".repeat(words)}`;

  test("a prompt over the slot context: llama-server's 400 exceed_context_size_error, before any stream or slot", async () => {
    const sim = start({ slotContext: 64, parallel: 1, pacing: { ttftMs: 10_000 } });
    // The only slot is busy: the overflow is still answered at once, not queued.
    const holder = new AbortController();
    const busy = sim.post("/v1/chat/completions", chatBody(1), holder.signal).catch((e) => e);
    await Bun.sleep(20);
    const cases: [string, unknown][] = [
      ["/v1/chat/completions", { messages: [{ role: "user", content: long(40) }] }],
      ["/v1/chat/completions", { messages: [{ role: "user", content: long(40) }], stream: true }],
      ["/completion", { prompt: long(40), stream: true }],
      ["/v1/completions", { prompt: long(40) }],
    ];
    for (const [path, body] of cases) {
      const t = performance.now();
      const response = await sim.post(path, body);
      expect(performance.now() - t).toBeLessThan(1000);
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
      const json = await jsonOf(response);
      expect(Object.keys(json.error)).toEqual(["code", "message", "type", "n_prompt_tokens", "n_ctx"]);
      expect(json.error).toMatchObject({ code: 400, message: "the request exceeds the available context size, try increasing it", type: "exceed_context_size_error", n_ctx: 64 });
      expect(json.error.n_prompt_tokens).toBeGreaterThanOrEqual(64);
    }
    expect(sim.ctx.pool.deferred).toBe(0);
    holder.abort();
    await busy;
  });

  test("a prompt that fits leaves the rest of the context for the reply: cut with finish_reason length (native: truncated)", async () => {
    const sim = start({ slotContext: 40, reply: { style: "reasoning", reasoningTokens: 200 } });
    const chat = await jsonOf(sim.post("/v1/chat/completions", chatBody(0)));
    expect(chat.choices[0].finish_reason).toBe("length");
    expect(chat.usage.prompt_tokens + chat.usage.completion_tokens).toBe(39);
    const native = await jsonOf(sim.post("/completion", { prompt: QUESTIONS[0]!.text }));
    expect(native.truncated).toBe(true);
    expect(native.stop_type).toBe("limit");
    expect(native.tokens_evaluated + native.tokens_predicted).toBe(39);
    const capped = await jsonOf(sim.post("/completion", { prompt: QUESTIONS[0]!.text, n_predict: 3 }));
    expect(capped.truncated).toBe(false);
  });

  test("chat token limits: the request's, at most -n, else -n; a request's -1 means -n as in llama-server's has_budget()", async () => {
    const sim = start({ nPredict: 5, reply: { style: "reasoning" } });
    const tokens = async (extra: Record<string, unknown>) => (await jsonOf(sim.post("/v1/chat/completions", { ...chatBody(0), n_predict: undefined, ...extra }))).usage.completion_tokens;
    expect(await tokens({})).toBe(5);
    expect(await tokens({ n_predict: -1 })).toBe(5);
    expect(await tokens({ max_tokens: 3 })).toBe(3);
    expect(await tokens({ max_completion_tokens: 4, max_tokens: 3 })).toBe(4);
    expect(await tokens({ n_predict: 2, max_completion_tokens: 4 })).toBe(2);
    // Above -n the request's limit is capped to it (launch_slot_with_task: "n_predict = 50 exceeds server configuration").
    expect(await tokens({ max_tokens: 50 })).toBe(5);
    expect(await tokens({ max_completion_tokens: 8, max_tokens: 3 })).toBe(5);
  });

  test("a cap inside the reasoning: finish_reason length, no answer at all (streamed too)", async () => {
    const sim = start({ reply: { style: "reasoning", reasoningTokens: 300 } });
    const body = await jsonOf(sim.post("/v1/chat/completions", { ...chatBody(4), n_predict: undefined, max_tokens: 12 }));
    const choice = body.choices[0];
    expect(choice.finish_reason).toBe("length");
    expect(choice.message.content).toBe("");
    expect(choice.message.reasoning_content.length).toBeGreaterThan(0);
    expect(choice.message.reasoning_content).not.toContain("boxed");
    expect(body.usage.completion_tokens).toBe(12);
    const { chunks } = sseChunks(await (await sim.post("/v1/chat/completions", { ...chatBody(4), n_predict: undefined, max_tokens: 12, stream: true })).text());
    expect(chunks.some((c) => typeof c.choices[0]?.delta?.content === "string")).toBe(false);
    expect(chunks.some((c) => c.choices[0]?.delta?.reasoning_content)).toBe(true);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)!.choices[0].finish_reason).toBe("length");
  });
});

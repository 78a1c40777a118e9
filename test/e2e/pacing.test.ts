// Latency, slots and context limits of the compiled binary, measured by clients: the openai SDK and
// raw fetch. Bounds are generous so a busy machine does not fail them; `make bench`
// (bench/pacing.ts) measures the precise figures under load.
import { afterAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { AIME_FILE_REL, aimePrompt, evalBody, loadAime, postJson, startSim, stopAll } from "./harness.ts";
import { timedEvents } from "../fixtures/sse-timing.ts";

afterAll(stopAll);

const aime = loadAime();
const CHAT = "/v1/chat/completions";
const base = ["--dataset-file", AIME_FILE_REL, "--seed", "5", "--quiet"];


const gauge = (text: string, name: string) => Number(new RegExp(`^llamacpp:${name} (\\S+)$`, "m").exec(text)?.[1]);

describe("--ttft-ms and --tps, measured by the openai SDK", () => {
  test("first token after --ttft-ms, chunks at --tps, timings and usage report the same", async () => {
    const sim = await startSim({ args: [...base, "--ttft-ms", "300", "--tps", "40", "--response-style", "reasoning", "--reasoning-tokens", "30"] });
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: "none", maxRetries: 0 });
    const t0 = performance.now();
    const stream = await client.chat.completions.create({
      model: "llama",
      messages: [{ role: "user", content: aimePrompt(aime[0]!.problem) }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const tokenTimes: number[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let timings: { prompt_ms: number; predicted_ms: number; predicted_per_second: number } | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      if (delta?.content || delta?.reasoning_content) tokenTimes.push(performance.now() - t0);
      if (chunk.usage) usage = chunk.usage;
      timings = (chunk as unknown as { timings?: typeof timings }).timings ?? timings;
    }
    expect(usage).toBeDefined();
    // One chunk per token.
    expect(tokenTimes.length).toBe(usage!.completion_tokens);
    const ttft = tokenTimes[0]!;
    expect(ttft).toBeGreaterThanOrEqual(300);
    expect(ttft).toBeLessThan(300 + 800);
    const rate = ((tokenTimes.length - 1) * 1000) / (tokenTimes.at(-1)! - tokenTimes[0]!);
    expect(Math.abs(rate - 40) / 40).toBeLessThan(0.15);
    expect(timings!.prompt_ms).toBe(300);
    expect(timings!.predicted_per_second).toBe(40);
    expect(timings!.predicted_ms).toBe(usage!.completion_tokens * 25);
    await sim.stop();
  });

  test("a non-streamed reply comes after the whole simulated generation; --prefill-tps adds prompt time", async () => {
    const sim = await startSim({ args: [...base, "--ttft-ms", "100", "--prefill-tps", "500", "--tps", "50"] });
    const t0 = performance.now();
    const body = (await (await postJson(`${sim.url}${CHAT}`, evalBody(aime[1]!.problem))).json()) as {
      usage: { prompt_tokens: number; completion_tokens: number };
      timings: { prompt_ms: number; predicted_ms: number; predicted_per_second: number };
    };
    const elapsed = performance.now() - t0;
    const promptMs = 100 + (body.usage.prompt_tokens * 1000) / 500;
    expect(body.timings.prompt_ms).toBeCloseTo(promptMs, 3);
    expect(body.timings.predicted_ms).toBeCloseTo(body.usage.completion_tokens * 20, 3);
    const total = body.timings.prompt_ms + body.timings.predicted_ms;
    expect(elapsed).toBeGreaterThanOrEqual(total);
    expect(elapsed).toBeLessThan(total + 800);
    await sim.stop();
  });

  test("--time-scale 50: a slow model answers 50 times faster in real time and reports its simulated timings", async () => {
    const sim = await startSim({ args: [...base, "--ttft-ms", "5000", "--tps", "2", "--time-scale", "50"] });
    const t0 = performance.now();
    const events = await timedEvents(await postJson(`${sim.url}${CHAT}`, evalBody(aime[2]!.problem, { stream: true })), t0);
    const final = JSON.parse(events.at(-2)!.data) as { timings: { prompt_ms: number; predicted_ms: number; predicted_per_second: number } };
    expect(final.timings.prompt_ms).toBe(5000);
    expect(final.timings.predicted_per_second).toBe(2);
    // Simulated: 5 s to the first token, 500 ms per token; real: a fiftieth.
    expect(events[0]!.at).toBeGreaterThanOrEqual(100);
    expect(events[0]!.at).toBeLessThan(100 + 800);
    const realTotal = (final.timings.prompt_ms + final.timings.predicted_ms) / 50;
    expect(events.at(-1)!.at).toBeGreaterThanOrEqual(realTotal);
    expect(events.at(-1)!.at).toBeLessThan(realTotal + 800);
    await sim.stop();
  });

  test("--jitter is seeded: the same --seed gives the same timings, another seed others", async () => {
    const timingsOf = async (seed: string) => {
      const sim = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--seed", seed, "--quiet", "--ttft-ms", "200", "--tps", "400", "--jitter", "0.3", "--time-scale", "10"] });
      const out: string[] = [];
      for (const item of aime.slice(0, 3)) {
        const body = (await (await postJson(`${sim.url}${CHAT}`, evalBody(item.problem))).json()) as { timings: Record<string, number> };
        out.push(JSON.stringify([body.timings.prompt_ms, body.timings.predicted_ms]));
      }
      await sim.stop();
      return out;
    };
    const a = await timingsOf("11");
    const b = await timingsOf("11");
    const c = await timingsOf("12");
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    // The delays really vary: three replies, three different prompt times.
    expect(new Set(a.map((t) => JSON.parse(t)[0])).size).toBe(3);
  });
});

describe("slots (-np) under N + k clients", () => {
  test("-np 2 and 6 clients: 2 run, 4 queue (FIFO), /slots and the /metrics gauges show it; queueing adds whole generations to TTFT", async () => {
    const sim = await startSim({ args: [...base, "-np", "2", "--metrics", "--ttft-ms", "100", "--tps", "50", "--success-rate", "1"] });
    const t0 = performance.now();
    const results: Promise<{ i: number; ttft: number; end: number }>[] = [];
    for (let i = 0; i < 6; i++) {
      results.push(
        postJson(`${sim.url}${CHAT}`, evalBody(aime[3]!.problem, { stream: true, seed: i })).then(async (response) => {
          const events = await timedEvents(response, t0);
          return { i, ttft: events[0]!.at, end: events.at(-1)!.at };
        }),
      );
      await Bun.sleep(10);
    }
    await Bun.sleep(50);
    const slots = (await (await fetch(`${sim.url}/slots`)).json()) as { is_processing: boolean; id_task?: number }[];
    expect(slots.map((s) => s.is_processing)).toEqual([true, true]);
    expect((await fetch(`${sim.url}/slots?fail_on_no_slot=1`)).status).toBe(503);
    // /health says nothing about capacity, as llama-server's.
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${sim.url}/metrics`)).text();
    expect([gauge(metrics, "requests_processing"), gauge(metrics, "requests_deferred")]).toEqual([2, 4]);
    const done = await Promise.all(results);
    // Clients 0-1 start at once, 2-3 when those finish, 4-5 after that: FIFO waves.
    expect(done.map((d) => d.i)).toEqual([0, 1, 2, 3, 4, 5]);
    const wave = (k: number) => done.slice(2 * k, 2 * k + 2);
    for (const k of [1, 2]) {
      for (const d of wave(k)) {
        const previousEnd = Math.min(...wave(k - 1).map((p) => p.end));
        expect(d.ttft).toBeGreaterThanOrEqual(previousEnd + 100 - 50);
      }
    }
    const after = await (await fetch(`${sim.url}/metrics`)).text();
    expect([gauge(after, "requests_processing"), gauge(after, "requests_deferred")]).toEqual([0, 0]);
    await sim.stop();
  });

  test("a client that disconnects frees its slot at once: the queued one starts right away", async () => {
    // -np 1 alone becomes 4 slots, as in llama-server [A]; -kvu keeps it at one.
    const sim = await startSim({ args: [...base, "-np", "1", "-kvu", "--ttft-ms", "50", "--tps", "5"] });
    const first = new AbortController();
    const t0 = performance.now();
    const streaming = await postJson(`${sim.url}${CHAT}`, evalBody(aime[4]!.problem, { stream: true }), { signal: first.signal });
    const reader = streaming.body!.getReader();
    await reader.read();
    const second = postJson(`${sim.url}${CHAT}`, evalBody(aime[5]!.problem, { stream: true }));
    await Bun.sleep(200);
    const abortedAt = performance.now() - t0;
    first.abort();
    const secondReader = (await second).body!.getReader();
    await secondReader.read();
    const firstEventAt = performance.now() - t0;
    await secondReader.cancel();
    // At 5 tok/s the first reply had seconds left; the second got the slot at the abort, then waited its 50 ms TTFT.
    expect(firstEventAt).toBeGreaterThanOrEqual(abortedAt + 50);
    expect(firstEventAt).toBeLessThan(abortedAt + 50 + 800);
    await sim.stop();
  });
});

describe("context size (-c)", () => {
  test("a prompt over the slot context gets the 400 exceed_context_size_error before any stream starts", async () => {
    const sim = await startSim({ args: [...base, "-c", "512", "-np", "4"] });
    const long = aimePrompt(aime[0]!.problem) + " and some more words".repeat(200);
    for (const stream of [false, true]) {
      const response = await postJson(`${sim.url}${CHAT}`, { messages: [{ role: "user", content: long }], stream });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(Object.keys(body.error)).toEqual(["code", "message", "type", "n_prompt_tokens", "n_ctx"]);
      expect(body.error.type).toBe("exceed_context_size_error");
      expect(body.error.message).toBe("the request exceeds the available context size, try increasing it");
      // An explicit -np 4 splits -c 512 into 128 per slot.
      expect(body.error.n_ctx).toBe(128);
      expect(body.error.n_prompt_tokens as number).toBeGreaterThan(128);
    }
    // The openai SDK reads it as a BadRequestError carrying llama-server's type.
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: "none", maxRetries: 0 });
    const error = await client.chat.completions.create({ model: "llama", messages: [{ role: "user", content: long }] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as { error?: { type?: string } }).error?.type).toBe("exceed_context_size_error");
    await sim.stop();
  });
});

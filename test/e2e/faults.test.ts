// Fault injection (issue 8 §4) against the compiled binary, seen by real clients: the `openai`
// package's retries on 503/429 (honouring Retry-After), a drop as a connection error, a hang ended by
// the client's timeout, a stream cut midway, --crash-after, --loading-ms, convergence and replay.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { hoeffdingBound, TOTAL_FALSE_FAILURE } from "../stats.ts";
import { AIME_FILE_REL, aimePrompt, evalBody, lastBoxed, loadAime, postJson, startSim, stopAll, tempDir, type Sim } from "./harness.ts";

const aime = loadAime();
const CHAT = "/v1/chat/completions";
const LOADING_BODY = '{"error":{"message":"Loading model","type":"unavailable_error","code":503}}';

afterAll(stopAll);

const sim = (...args: string[]) => startSim({ args: ["--dataset-file", AIME_FILE_REL, "--seed", "21", "--success-rate", "1", ...args] });

function client(s: Sim, options: { maxRetries?: number; timeout?: number } = {}): OpenAI {
  return new OpenAI({ baseURL: `${s.url}/v1`, apiKey: "x", maxRetries: options.maxRetries ?? 0, timeout: options.timeout ?? 10_000 });
}

const ask = (c: OpenAI, q: number) => c.chat.completions.create({ model: "llama", messages: [{ role: "user", content: aimePrompt(aime[q]!.problem) }] });

interface LedgerLine {
  readonly question: string;
  readonly attempt: number;
  readonly verdict: string;
}

async function ledgerOf(s: Sim): Promise<LedgerLine[]> {
  return ((await (await fetch(`${s.url}/sim/ledger?limit=100000`)).json()) as { records: LedgerLine[] }).records;
}

async function faultsTotal(s: Sim): Promise<Record<string, number>> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^llamasim_faults_total\{kind="([^"]+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** What one chat request came to: its status, or "reset" for a connection error. */
async function outcomeOf(s: Sim, q: number): Promise<string> {
  try {
    const res = await postJson(`${s.url}${CHAT}`, evalBody(aime[q]!.problem));
    await res.text();
    return String(res.status);
  } catch (error) {
    return `reset:${(error as { code?: string }).code}`;
  }
}

describe("--fail-first with the openai client's retries", () => {
  test("fail-first 2: the client retries twice, waiting Retry-After (1 s) each time, then gets the gold answer", async () => {
    const s = await sim("--fail-first", "2", "--metrics");
    const started = performance.now();
    const reply = await ask(client(s, { maxRetries: 2 }), 0);
    const elapsed = performance.now() - started;
    expect(lastBoxed(reply.choices[0]!.message.content!)).toBe(aime[0]!.gold);
    // The SDK's own back-off would be 0.375..0.5 s then 0.75..1 s; Retry-After makes it exactly 1 s + 1 s.
    expect(elapsed).toBeGreaterThanOrEqual(1950);
    expect(elapsed).toBeLessThan(4000);
    expect((await ledgerOf(s)).map((r) => [r.question, r.attempt, r.verdict])).toEqual([
      [aime[0]!.id, 0, "error"],
      [aime[0]!.id, 0, "error"],
      [aime[0]!.id, 0, "correct"],
    ]);
    expect((await faultsTotal(s)).fail_first).toBe(2);
  });

  test("fail-first 2 with one retry: the client gives up on the 503; the next try is answered", async () => {
    const s = await sim("--fail-first", "2");
    const error = await ask(client(s, { maxRetries: 1 }), 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    const reply = await ask(client(s), 1);
    expect(lastBoxed(reply.choices[0]!.message.content!)).toBe(aime[1]!.gold);
  });
});

describe("--error-rate", () => {
  test("--error-rate 1 --error-codes 429: the client retries with Retry-After, then raises RateLimitError", async () => {
    const s = await sim("--error-rate", "1", "--error-codes", "429");
    const started = performance.now();
    const error = await ask(client(s, { maxRetries: 2 }), 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1950);
    // Three attempts logged, all 429 (the log reaches the pipe a moment later).
    const logged = () => s.stderrLines.filter((l) => / POST \/v1\/chat\/completions 429 /.test(l)).length;
    for (let i = 0; i < 40 && logged() < 3; i++) await Bun.sleep(25);
    expect(logged()).toBe(3);
  });

  test("the four kinds over the wire converge to their rates, and /metrics counts what clients saw", async () => {
    const s = await sim("--error-rate", "0.2", "--error-codes", "500,503", "--drop-rate", "0.1", "--midstream-drop-rate", "0.1", "--metrics", "--quiet");
    const n = 1500;
    const seen = new Map<string, number>();
    for (let start = 0; start < n; start += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, n - start) }, (_, i) => outcomeOf(s, (start + i) % aime.length)));
      for (const o of batch) seen.set(o, (seen.get(o) ?? 0) + 1);
    }
    const resets = [...seen].filter(([k]) => k.startsWith("reset")).reduce((a, [, v]) => a + v, 0);
    // Non-streamed midstream drops are drops too: 0.2 resets expected. Three checks, 1e-9/3 each (Hoeffding).
    const bound = hoeffdingBound(n, TOTAL_FALSE_FAILURE / 3);
    expect(Math.abs((seen.get("500") ?? 0) + (seen.get("503") ?? 0) - 0.2 * n)).toBeLessThan(bound);
    expect(Math.abs(resets - 0.2 * n)).toBeLessThan(bound);
    expect(Math.abs((seen.get("200") ?? 0) - 0.6 * n)).toBeLessThan(bound);
    expect([...seen.keys()].filter((k) => k.startsWith("reset")).every((k) => k === "reset:ECONNRESET")).toBe(true);
    const counted = await faultsTotal(s);
    expect(counted.error_500 ?? 0).toBe(seen.get("500") ?? 0);
    expect(counted.error_503 ?? 0).toBe(seen.get("503") ?? 0);
    expect((counted.drop ?? 0) + (counted.midstream_drop ?? 0)).toBe(resets);
  });

  test("the same seed replays the same faults in the same order; another seed does not", async () => {
    const run = async (seed: string) => {
      const s = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--seed", seed, "--error-rate", "0.3", "--drop-rate", "0.2", "--quiet"] });
      const outcomes: string[] = [];
      for (let i = 0; i < 60; i++) outcomes.push(await outcomeOf(s, i % aime.length));
      await s.stop();
      return outcomes;
    };
    const a = await run("5");
    expect(await run("5")).toEqual(a);
    expect(await run("6")).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThanOrEqual(3); // answers, errors and resets all occur
  });
});

describe("drops, hangs and cut streams", () => {
  test("--drop-rate 1: the client sees a connection error, not a status; /health is never faulted", async () => {
    const s = await sim("--drop-rate", "1");
    const error = await ask(client(s), 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect((error as { status?: number }).status).toBeUndefined(); // no HTTP status reached the client
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  test("--hang-rate 1: the client's timeout ends it; the server stays healthy and counts the hang", async () => {
    const s = await sim("--hang-rate", "1", "--metrics");
    const started = performance.now();
    const error = await ask(client(s, { timeout: 700 }), 4).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(650);
    expect(await (await fetch(`${s.url}/health`)).json()).toEqual({ status: "ok" });
    expect((await faultsTotal(s)).hang).toBe(1);
    await s.waitForStderr(/POST \/v1\/chat\/completions 0 error="no response: hung \(--hang-rate\) until the client gave up"/);
  });

  test("--midstream-drop-rate 1: the openai stream breaks after a prefix of the real reply, without [DONE]", async () => {
    const whole = await sim();
    const cut = await sim("--midstream-drop-rate", "1");
    let partials = 0;
    for (let q = 0; q < 8; q++) {
      const full = (await ask(client(whole), q)).choices[0]!.message.content!;
      const stream = await client(cut).chat.completions.create({ model: "llama", stream: true, messages: [{ role: "user", content: aimePrompt(aime[q]!.problem) }] });
      let content = "";
      let finish: string | null = null;
      const error = await (async () => {
        for await (const chunk of stream) {
          content += chunk.choices[0]?.delta.content ?? "";
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(finish).toBeNull();
      // Same seed, same question, first attempt: the cut reply is the start of the whole one.
      expect(full.startsWith(content)).toBe(true);
      expect(content.length).toBeLessThan(full.length);
      if (content.length > 0) partials++;
    }
    expect(partials).toBeGreaterThan(0);
  });
});

test("--midstream-drop-rate 1 with a paced stream (--tps): cut anywhere along a long reply, as it is generated", async () => {
  const args = ["--tps", "2000", "--response-style", "reasoning", "--reasoning-tokens", "400"];
  const whole = await sim(...args);
  const cut = await sim(...args, "--midstream-drop-rate", "1");
  const counts: number[] = [];
  for (let q = 10; q < 16; q++) {
    const full = await (await postJson(`${whole.url}${CHAT}`, evalBody(aime[q]!.problem, { stream: true }))).text();
    const total = full.split("\n\n").filter((e) => e !== "").length;
    const res = await postJson(`${cut.url}${CHAT}`, evalBody(aime[q]!.problem, { stream: true }));
    let text = "";
    let broke = false;
    try {
      for await (const chunk of res.body!) text += new TextDecoder().decode(chunk);
    } catch {
      broke = true;
    }
    expect(broke).toBe(true);
    const events = text.split("\n\n").filter((e) => e !== "");
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.length).toBeLessThanOrEqual(total - 2);
    expect(text).not.toContain("[DONE]");
    counts.push(events.length / total);
  }
  // Cut points spread over the reply, not only its first events (--seed 21 and one request at a time: the draws are fixed).
  expect(Math.max(...counts)).toBeGreaterThan(0.25);
});

describe("--crash-after", () => {
  test("sequential: exactly N replies, then exit 3 with the ledger flushed; later requests fail", async () => {
    const file = join(tempDir("crash"), "ledger.jsonl");
    const s = await sim("--crash-after", "5", "--ledger", file);
    const statuses: string[] = [];
    for (let q = 0; q < 8; q++) statuses.push(await outcomeOf(s, q));
    expect(statuses.slice(0, 5)).toEqual(["200", "200", "200", "200", "200"]);
    expect(statuses.slice(5).every((o) => o.startsWith("reset:"))).toBe(true);
    expect(await s.proc.exited).toBe(3);
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).question)).toEqual(aime.slice(0, 5).map((q) => q.id));
    expect(s.stderrLines.some((l) => l.includes("crashing on purpose after 5 replies (--crash-after)"))).toBe(true);
  });

  test("concurrent: of 20 requests at once exactly N are answered, and the ledger holds N records", async () => {
    const file = join(tempDir("crash"), "ledger.jsonl");
    const s = await sim("--crash-after", "7", "--ledger", file, "--quiet");
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, q) => outcomeOf(s, q)));
    expect(outcomes.filter((o) => o === "200")).toHaveLength(7);
    expect(outcomes.filter((o) => o !== "200").every((o) => o.startsWith("reset:"))).toBe(true);
    expect(await s.proc.exited).toBe(3);
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(7);
  });

  test("a streamed N-th reply arrives whole, [DONE] included, before the exit", async () => {
    const s = await sim("--crash-after", "1");
    const res = await postJson(`${s.url}${CHAT}`, evalBody(aime[0]!.problem, { stream: true }));
    const text = await res.text();
    expect(text).toEndWith("data: [DONE]\n\n");
    expect(await s.proc.exited).toBe(3);
  });
});

describe("--loading-ms", () => {
  test("503 Loading model (llama-server's body) on chat and /health, the model list served; then 200", async () => {
    const s = await sim("--loading-ms", "1500");
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.text()).toBe(LOADING_BODY);
    const chat = await postJson(`${s.url}${CHAT}`, evalBody(aime[0]!.problem));
    expect(chat.status).toBe(503);
    expect(await chat.text()).toBe(LOADING_BODY);
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(200);
    let polls = 0;
    while ((await fetch(`${s.url}/health`)).status === 503) {
      polls++;
      await Bun.sleep(100);
    }
    expect(polls).toBeGreaterThan(5);
    expect((await postJson(`${s.url}${CHAT}`, evalBody(aime[0]!.problem))).status).toBe(200);
  });

  test("the openai client's retries ride out the loading phase", async () => {
    const s = await sim("--loading-ms", "1200");
    const reply = await ask(client(s, { maxRetries: 6 }), 5);
    expect(lastBoxed(reply.choices[0]!.message.content!)).toBe(aime[5]!.gold);
  });
});

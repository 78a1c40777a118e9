// Fault injection (issue 8 §4) through handle(): the per-request draw, error replies and their ledger
// records, --fail-first, --crash-after, hangs and the --loading-ms phase.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseCli } from "../../src/cli.ts";
import { ConfigError, type FaultOptions } from "../../src/config.ts";
import { Ledger as RecordLedger, type LedgerRecord } from "../../src/decide/records.ts";
import { handle } from "../../src/server/app.ts";
import { cutStream, keptEvents, onFinished } from "../../src/server/fault-responses.ts";
import { Faults, faultSummary, isExempt, LOADING_BODY, type FaultHooks, type RequestFault } from "../../src/server/faults.ts";
import { Metrics } from "../../src/server/metrics.ts";
import { Oracle } from "../../src/server/oracle.ts";
import { hoeffdingBound, TOTAL_FALSE_FAILURE } from "../stats.ts";
import { BASE, dropInContext, get, post } from "./dropin-helpers.ts";
import { boxedAnswer, chatBody, QUESTIONS, type TestContext } from "./helpers.ts";

const NONE: FaultOptions = { errorRate: 0, errorCodes: [500, 503, 429], dropRate: 0, hangRate: 0, midstreamDropRate: 0, failFirst: 0, crashAfter: 0, loadingMs: 0 };

interface Rig {
  readonly ctx: TestContext;
  readonly faults: Faults;
  readonly ledger: RecordLedger;
  readonly metrics: Metrics;
}

/** A drop-in context (success rate 1) with a ledger, metrics and the given faults. */
function rig(options: Partial<FaultOptions>, hooks: Partial<FaultHooks> = {}, seed = 77, server = {}): Rig {
  const ledger = new RecordLedger({ keep: 1000 });
  const metrics = new Metrics();
  const faults = new Faults({ ...NONE, ...options }, seed, { hangTimeoutMs: 60_000, ...hooks });
  const ctx: TestContext = { ...dropInContext({ seed, server }), oracle: new Oracle(ledger, metrics), faults };
  return { ctx, faults, ledger, metrics };
}

const records = (ledger: RecordLedger): LedgerRecord[] => ledger.page(0, 1000).records;

function faultCount(metrics: Metrics, kind: string): number {
  const line = metrics.render().split("\n").find((l) => l.startsWith(`llamasim_faults_total{kind="${kind}"}`));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

const chat = (question: number, extra: Record<string, unknown> = {}) => post("/v1/chat/completions", chatBody(question, extra));

/** A response Bun would never send: reading its body fails (the connection would be reset). */
async function expectDropped(response: Response): Promise<void> {
  let failed = false;
  try {
    await response.text();
  } catch {
    failed = true;
  }
  expect(failed).toBe(true);
}

describe("the per-request draw", () => {
  const drawMany = (faults: Faults, n: number): (RequestFault | undefined)[] => Array.from({ length: n }, () => faults.draw());

  test("the same seed draws the same faults in the same order; another seed does not", () => {
    const options = { ...NONE, errorRate: 0.2, dropRate: 0.1, hangRate: 0.1, midstreamDropRate: 0.2 };
    const a = drawMany(new Faults(options, 5, { hangTimeoutMs: 1 }), 2000);
    const b = drawMany(new Faults(options, 5, { hangTimeoutMs: 1 }), 2000);
    const c = drawMany(new Faults(options, 6, { hangTimeoutMs: 1 }), 2000);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  test("each kind's frequency converges to its rate, and error codes are drawn evenly", () => {
    const rates = { errorRate: 0.1, dropRate: 0.05, hangRate: 0.05, midstreamDropRate: 0.2 };
    const faults = new Faults({ ...NONE, ...rates }, 2024, { hangTimeoutMs: 1 });
    const n = 200_000;
    const counts = { error: 0, drop: 0, hang: 0, midstream: 0, none: 0 };
    const codes = new Map<number, number>();
    for (const fault of drawMany(faults, n)) {
      counts[fault?.kind ?? "none"]++;
      if (fault?.kind === "error") codes.set(fault.status, (codes.get(fault.status) ?? 0) + 1);
      if (fault?.kind === "midstream") expect(fault.cut >= 0 && fault.cut < 1).toBe(true);
    }
    // 5 kind counts + 3 code counts (given the error count): Hoeffding at 1e-9/8 each, union bound 1e-9.
    const delta = TOTAL_FALSE_FAILURE / 8;
    const expected = { error: 0.1, drop: 0.05, hang: 0.05, midstream: 0.2, none: 0.6 };
    for (const [kind, p] of Object.entries(expected)) {
      expect(Math.abs(counts[kind as keyof typeof counts] - n * p)).toBeLessThan(hoeffdingBound(n, delta));
    }
    for (const code of [500, 503, 429]) expect(Math.abs((codes.get(code) ?? 0) - counts.error / 3)).toBeLessThan(hoeffdingBound(counts.error, delta));
  });

  test("no rates: nothing is drawn; rate 1: every request", () => {
    expect(drawMany(new Faults(NONE, 1, { hangTimeoutMs: 1 }), 100).every((f) => f === undefined)).toBe(true);
    expect(new Faults(NONE, 1, { hangTimeoutMs: 1 }).active).toBe(false);
    expect(drawMany(new Faults({ ...NONE, dropRate: 1 }, 1, { hangTimeoutMs: 1 }), 100).every((f) => f?.kind === "drop")).toBe(true);
  });

  test("health, /metrics and /sim/* are exempt; every other route is not", () => {
    for (const path of ["/health", "/v1/health", "/metrics", "/sim/ledger", "/sim/stats", "/sim/reset"]) expect(isExempt(path)).toBe(true);
    for (const path of ["/v1/chat/completions", "/completion", "/v1/models", "/props", "/slots", "/tokenize"]) expect(isExempt(path)).toBe(false);
  });
});

describe("keptEvents: where a stream is cut", () => {
  test("at least one event, never the last; never the last two when there are three or more", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (total, cut) => {
        const kept = keptEvents(total, cut);
        expect(kept).toBeGreaterThanOrEqual(1);
        expect(kept).toBeLessThanOrEqual(total >= 3 ? total - 2 : total - 1);
      }),
    );
  });

  test("the cut point covers the whole stream", () => {
    expect(keptEvents(102, 0)).toBe(1);
    expect(keptEvents(102, 0.999999)).toBe(100);
    expect(keptEvents(undefined, 0)).toBe(1);
    expect(keptEvents(undefined, 0.999999)).toBe(64);
  });
});

/** Reads a cut stream's events until it breaks; fails the test if it ends cleanly. */
async function cutEvents(response: Response): Promise<string[]> {
  const reader = response.body!.getReader();
  let text = "";
  for (;;) {
    let step: Awaited<ReturnType<typeof reader.read>>;
    try {
      step = await reader.read();
    } catch {
      return text.split("\n\n").filter((e) => e !== "");
    }
    if (step.done) throw new Error("the stream ended cleanly");
    text += new TextDecoder().decode(step.value);
  }
}

/** An async source of `n` events that reports `remaining` as the paced streams do, and records return(). */
function pacedSource(n: number): AsyncIterable<string> & { remaining: number; returned: number } {
  const events = Array.from({ length: n }, (_, i) => `data: ${i}\n\n`);
  const source = {
    remaining: n,
    returned: 0,
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        await Bun.sleep(1);
        const value = events[n - source.remaining];
        if (value === undefined) return { done: true as const, value: undefined };
        source.remaining--;
        return { done: false as const, value };
      },
      return: async () => {
        source.returned++;
        return { done: true as const, value: undefined };
      },
    }),
  };
  return source;
}

describe("cutStream", () => {
  test("an array: the first keptEvents events, then a break; never the last two", async () => {
    const events = Array.from({ length: 10 }, (_, i) => `data: ${i}\n\n`);
    for (const cut of [0, 0.5, 0.999]) {
      const got = await cutEvents(cutStream(events, {}, 200, cut));
      expect(got).toEqual(events.slice(0, keptEvents(10, cut)).map((e) => e.trimEnd()));
    }
  });

  test("a paced stream that reports its length is cut the same way, and released", async () => {
    const source = pacedSource(10);
    expect(await cutEvents(cutStream(source, {}, 200, 0.999))).toHaveLength(8);
    expect(source.returned).toBe(1);
  });

  test("a stream of unknown length never sends its last event", async () => {
    async function* short() {
      yield "data: a\n\n";
      yield "data: b\n\n";
      yield "data: [DONE]\n\n";
    }
    expect(await cutEvents(cutStream(short(), {}, 200, 0.999))).toEqual(["data: a", "data: b"]);
  });
});

describe("--error-rate", () => {
  test("503: the loading-model body with Retry-After: 1, a ledger record at the attempt it would have been, and the metric", async () => {
    const { ctx, ledger, metrics } = rig({ errorRate: 1, errorCodes: [503] });
    const response = await handle(chat(2), ctx);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await response.text()).toBe(LOADING_BODY);
    expect(records(ledger).map((r) => [r.question, r.attempt, r.verdict, r.gold, r.given])).toEqual([["q2", 0, "error", QUESTIONS[2]!.answer, null]]);
    // The decider never saw it: the next real attempt is still attempt 0.
    expect(ctx.decider.ledger.peekAttempt(2)).toBe(0);
    expect(faultCount(metrics, "error_503")).toBe(1);
  });

  test("429: OpenAI's rate_limit_error with Retry-After: 1", async () => {
    const { ctx } = rig({ errorRate: 1, errorCodes: [429] });
    const response = await handle(chat(0), ctx);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toEqual({ error: { code: 429, message: "Rate limit exceeded, retry later", type: "rate_limit_error" } });
  });

  test("500: llama-server's server_error, no Retry-After", async () => {
    const { ctx } = rig({ errorRate: 1, errorCodes: [500] });
    const response = await handle(chat(0), ctx);
    expect(response.status).toBe(500);
    expect(response.headers.get("retry-after")).toBeNull();
    expect(Object.keys(((await response.json()) as any).error)).toEqual(["code", "message", "type"]);
  });

  test("every route but health: unmatched prompts and GET routes too, without ledger records", async () => {
    const { ctx, ledger, metrics } = rig({ errorRate: 1, errorCodes: [500] });
    expect((await handle(post("/v1/chat/completions", { messages: [{ role: "user", content: "hello" }] }), ctx)).status).toBe(500);
    expect((await handle(get("/v1/models"), ctx)).status).toBe(500);
    expect((await handle(post("/completion", { prompt: QUESTIONS[1]!.text }), ctx)).status).toBe(500);
    expect(records(ledger).map((r) => r.question)).toEqual(["q1"]);
    for (const path of ["/health", "/v1/health", "/metrics", "/sim/stats"]) expect((await handle(get(path), ctx)).status).toBe(200);
    expect(faultCount(metrics, "error_500")).toBe(3);
  });

  test("the request log names the injected error", async () => {
    const { ctx } = rig({ errorRate: 1, errorCodes: [503] });
    await handle(chat(0), ctx);
    expect(ctx.lines.at(-1)).toContain('POST /v1/chat/completions 503 error="injected 503 (--error-rate)"');
  });
});

describe("--fail-first", () => {
  test("each question's first K attempts get 503, then it is answered as without faults", async () => {
    const { ctx, ledger, metrics } = rig({ failFirst: 2 });
    const plain = dropInContext({ seed: 77 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await handle(chat(0), ctx);
      statuses.push(response.status);
      if (response.status === 503) expect(response.headers.get("retry-after")).toBe("1");
      else {
        const content = ((await response.json()) as any).choices[0].message.content;
        const expected = ((await (await handle(chat(0), plain)).json()) as any).choices[0].message.content;
        expect(content).toBe(expected);
        expect(boxedAnswer(content)).toBe(QUESTIONS[0]!.answer);
      }
    }
    expect(statuses).toEqual([503, 503, 200]);
    // Another question has its own count; a question answered once stays answered.
    expect((await handle(chat(1), ctx)).status).toBe(503);
    expect((await handle(chat(0), ctx)).status).toBe(200);
    expect(records(ledger).map((r) => [r.question, r.attempt, r.verdict])).toEqual([
      ["q0", 0, "error"],
      ["q0", 0, "error"],
      ["q0", 0, "correct"],
      ["q1", 0, "error"],
      ["q0", 1, "correct"],
    ]);
    expect(faultCount(metrics, "fail_first")).toBe(3);
  });

  test("the native and OpenAI completion routes count the same question's attempts", async () => {
    const { ctx } = rig({ failFirst: 2 });
    expect((await handle(post("/completion", { prompt: QUESTIONS[3]!.text }), ctx)).status).toBe(503);
    expect((await handle(post("/v1/completions", { prompt: QUESTIONS[3]!.text }), ctx)).status).toBe(503);
    expect((await handle(chat(3), ctx)).status).toBe(200);
  });

  test("unmatched prompts and other routes are never failed", async () => {
    const { ctx } = rig({ failFirst: 5 });
    expect((await handle(post("/v1/chat/completions", { messages: [{ role: "user", content: "hello" }] }), ctx)).status).toBe(400);
    expect((await handle(get("/v1/models"), ctx)).status).toBe(200);
    expect((await handle(post("/tokenize", { content: "hi" }), ctx)).status).toBe(200);
  });
});

describe("--crash-after", () => {
  test("exactly N replies, the crash called once after the last has been sent, then every request dropped", async () => {
    const crashes: number[] = [];
    const { ctx, ledger } = rig({ crashAfter: 3 }, { crash: (n) => crashes.push(n) });
    for (const q of [0, 1]) expect((await handle(chat(q), ctx)).status).toBe(200);
    // An error reply is not a reply: it does not count.
    expect((await handle(post("/v1/chat/completions", { messages: [{ role: "user", content: "hello" }] }), ctx)).status).toBe(400);
    const third = await handle(chat(2, { stream: true }), ctx);
    expect(third.status).toBe(200);
    await Bun.sleep(100);
    expect(crashes).toEqual([]); // not before the stream has been read to its end
    expect(await third.text()).toEndWith("data: [DONE]\n\n");
    await Bun.sleep(100);
    expect(crashes).toEqual([3]);
    await expectDropped(await handle(chat(3), ctx));
    expect((await handle(get("/health"), ctx)).status).toBe(200);
    expect(records(ledger).map((r) => r.question)).toEqual(["q0", "q1", "q2"]);
    expect(ctx.faults!.replies).toBe(3);
  });

  test("a non-streamed last reply is sent whole before the crash", async () => {
    const crashes: number[] = [];
    const { ctx } = rig({ crashAfter: 1 }, { crash: (n) => crashes.push(n) });
    const response = await handle(chat(4), ctx);
    const body = (await response.json()) as any;
    expect(boxedAnswer(body.choices[0].message.content)).toBe(QUESTIONS[4]!.answer);
    await Bun.sleep(100);
    expect(crashes).toEqual([1]);
  });
});

describe("--hang-rate", () => {
  test("a hung request ends when the client gives up, with no response", async () => {
    const { ctx, faults, metrics } = rig({ hangRate: 1 });
    const abort = new AbortController();
    const request = new Request(`${BASE}/v1/chat/completions`, { method: "POST", body: JSON.stringify(chatBody(0)), signal: abort.signal });
    const pending = handle(request, ctx);
    expect(pending).toBeInstanceOf(Promise);
    await Bun.sleep(20);
    expect(faults.hanging).toBe(1);
    abort.abort();
    await expectDropped(await pending);
    expect(faults.hanging).toBe(0);
    expect(faultCount(metrics, "hang")).toBe(1);
    expect(ctx.lines.at(-1)).toContain("no response: hung (--hang-rate) until the client gave up");
  });

  test("… or after --timeout, or when the server stops", async () => {
    const { ctx, faults } = rig({ hangRate: 1 }, { hangTimeoutMs: 50 });
    const started = performance.now();
    await expectDropped(await handle(get("/v1/models"), ctx));
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    const second = handle(get("/v1/models"), ctx);
    faults.endHangs();
    await expectDropped(await second);
    expect(faults.hanging).toBe(0);
  });
});

describe("--hang-rate after the server stopped", () => {
  test("a hang drawn after endHangs (a request that waited for its turn's batch) ends at once instead of holding the shutdown", async () => {
    const { ctx, faults } = rig({ hangRate: 1 }, { hangTimeoutMs: 60_000 });
    faults.endHangs();
    const started = performance.now();
    await expectDropped(await handle(get("/v1/models"), ctx));
    // Without the stop it would hang for the 60 s timeout.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(faults.hanging).toBe(0);
    expect(ctx.lines.at(-1)).toContain("no response: hung (--hang-rate) until the server stopped");
  });
});

describe("--drop-rate and --midstream-drop-rate through handle", () => {
  test("a drop sends nothing and is logged with status 0", async () => {
    const { ctx, metrics } = rig({ dropRate: 1 });
    await expectDropped(await handle(chat(0), ctx));
    expect(ctx.lines.at(-1)).toContain("POST /v1/chat/completions 0 error=");
    expect(faultCount(metrics, "drop")).toBe(1);
  });

  test("a midstream drop of a non-streamed reply is a drop, after the reply was decided (and recorded)", async () => {
    const { ctx, ledger, metrics } = rig({ midstreamDropRate: 1 });
    await expectDropped(await handle(chat(0), ctx));
    expect(records(ledger)).toHaveLength(1);
    expect(faultCount(metrics, "midstream_drop")).toBe(1);
  });
});

describe("--loading-ms", () => {
  test("503 Loading model on every route but the model list, before the key check; then normal", async () => {
    let now = 1000;
    const { ctx, metrics } = rig({ loadingMs: 500 }, { now: () => now }, 77, { apiKeys: ["secret"] });
    for (const path of ["/health", "/v1/health", "/props", "/slots", "/nowhere"]) {
      const response = await handle(get(path), ctx);
      expect(response.status).toBe(503);
      expect(await response.text()).toBe(LOADING_BODY);
    }
    const chatLoading = await handle(chat(0), ctx);
    expect(chatLoading.status).toBe(503);
    expect(chatLoading.headers.get("retry-after")).toBeNull();
    // llama-server [A] lets the model list through while it loads, its meta null until the model is in.
    const listed = await handle(get("/v1/models"), ctx);
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { data: { meta: unknown }[] }).data[0]!.meta).toBeNull();
    expect(faultCount(metrics, "loading")).toBe(6);
    now = 1500;
    expect((await handle(get("/health"), ctx)).status).toBe(200);
    expect(((await (await handle(get("/v1/models"), ctx)).json()) as { data: { meta: unknown }[] }).data[0]!.meta).not.toBeNull();
    expect((await handle(chat(0), ctx)).status).toBe(401);
  });
});

describe("onFinished", () => {
  test("fires once when a sync or async source runs out", async () => {
    let fired = 0;
    expect([...(onFinished(["a", "b"], () => fired++) as Iterable<string>)]).toEqual(["a", "b"]);
    expect(fired).toBe(1);
    async function* source() {
      yield "x";
      yield "y";
    }
    const got: string[] = [];
    for await (const e of onFinished(source(), () => fired++) as AsyncIterable<string>) got.push(e);
    expect(got).toEqual(["x", "y"]);
    expect(fired).toBe(2);
  });

  test("fires once when the consumer lets go early, and forwards return() at once", async () => {
    let fired = 0;
    let released = 0;
    const never: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<string>>(() => {}), return: async () => (released++, { done: true, value: undefined }) }),
    };
    const it = (onFinished(never, () => fired++) as AsyncIterable<string>)[Symbol.asyncIterator]();
    void it.next(); // pending forever
    await it.return!();
    await it.return!();
    expect(fired).toBe(1);
    expect(released).toBe(2);
  });
});

describe("flags", () => {
  const config = (argv: string[]) => {
    const result = parseCli(argv, { HOME: "/home/t" });
    if (result.kind !== "run") throw new Error("expected run");
    return result.config;
  };

  test("defaults: no faults, grace 5000 ms", () => {
    const c = config([]);
    expect(c.faults).toEqual(NONE);
    expect(c.shutdownGraceMs).toBe(5000);
    expect(faultSummary(c.faults)).toBeUndefined();
  });

  test("the four rates share one draw, so their sum is at most 1", () => {
    expect(config(["--error-rate", "0.5", "--drop-rate", "0.5"]).faults.dropRate).toBe(0.5);
    expect(() => config(["--error-rate", "0.5", "--drop-rate", "0.3", "--hang-rate", "0.3"])).toThrow(
      "--error-rate, --drop-rate, --hang-rate and --midstream-drop-rate must add up to at most 1 (got 1.1)",
    );
  });

  test("bad values name their flag", () => {
    for (const [argv, flag] of [
      [["--error-codes", "500,404"], "--error-codes"],
      [["--error-codes", "5xx"], "--error-codes"],
      [["--drop-rate", "2"], "--drop-rate"],
      [["--fail-first", "-1"], "--fail-first"],
      [["--crash-after", "1.5"], "--crash-after"],
      [["--loading-ms", "soon"], "--loading-ms"],
      [["--shutdown-grace-ms", "-5"], "--shutdown-grace-ms"],
    ] as const) {
      expect(() => config([...argv])).toThrow(ConfigError);
      expect(() => config([...argv])).toThrow(flag);
    }
  });

  test("the banner's summary names what is set", () => {
    const c = config(["--error-rate", "0.1", "--error-codes", "503", "--fail-first", "2", "--loading-ms", "300"]);
    expect(faultSummary(c.faults)).toBe("error-rate 0.1 (503), fail-first 2, loading-ms 300");
  });
});

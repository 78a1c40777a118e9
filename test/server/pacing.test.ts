import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { estimateTokens } from "../../src/respond/tokens.ts";
import { SIMULATED_SPEED } from "../../src/respond/timings.ts";
import { tableOf } from "../../src/server/event-table.ts";
import { PacedEvents } from "../../src/server/paced-stream.ts";
import { isPaced, jitterSeed, lognormalFactors, NO_PACING, Pacer, tokenPieces, type PacingConfig } from "../../src/server/pacing.ts";
import { Scheduler } from "../../src/server/scheduler.ts";

const config = (c: Partial<PacingConfig>): PacingConfig => ({ ...NO_PACING, ...c });

describe("Timeline", () => {
  test("TTFT is --ttft-ms plus the prompt at --prefill-tps; tokens follow 1000/--tps ms apart; the reply ends one step after the last", () => {
    const t = new Pacer(config({ ttftMs: 150, prefillTps: 1000, tps: 20 }), 1).timeline(300, 40, [1, 2]);
    expect(t.promptMs).toBe(450);
    expect(t.tokenAt(1)).toBe(450);
    expect(t.tokenAt(2)).toBe(500);
    expect(t.tokenAt(40)).toBe(450 + 39 * 50);
    expect(t.endAt(40)).toBe(450 + 40 * 50);
    expect(t.endAt(0)).toBe(450);
  });

  test("timings report the simulated figures: prompt_ms = TTFT, predicted_per_second = --tps", () => {
    const t = new Pacer(config({ ttftMs: 100, prefillTps: 500, tps: 25 }), 1).timeline(250, 60, [3]);
    const timings = t.timings(250, 60);
    expect(timings.prompt_ms).toBe(600);
    expect(timings.prompt_per_second).toBeCloseTo((250 * 1000) / 600, 3);
    expect(timings.predicted_ms).toBe(2400);
    expect(timings.predicted_per_token_ms).toBe(40);
    expect(timings.predicted_per_second).toBe(25);
    expect(timings.predicted_n).toBe(60);
    // No tokens generated: the nominal rate rather than a division by zero.
    expect(t.timings(250, 0).predicted_per_second).toBe(25);
  });

  test("a phase that is not simulated reports today's SIMULATED_SPEED figures", () => {
    const onlyTps = new Pacer(config({ tps: 10 }), 1).timeline(200, 5, [0]).timings(200, 5);
    expect(onlyTps.prompt_per_second).toBe(SIMULATED_SPEED.promptTokensPerSecond);
    expect(onlyTps.prompt_ms).toBe(100);
    expect(onlyTps.predicted_per_second).toBe(10);
    const onlyTtft = new Pacer(config({ ttftMs: 80 }), 1).timeline(200, 5, [0]).timings(200, 5);
    expect(onlyTtft.prompt_ms).toBe(80);
    expect(onlyTtft.predicted_per_second).toBe(SIMULATED_SPEED.predictedTokensPerSecond);
  });

  test("tokensBy inverts tokenAt", () => {
    const t = new Pacer(config({ ttftMs: 10, tps: 100, jitter: 0.5 }), 9).timeline(10, 200, [4, 1]);
    expect(t.tokensBy(t.promptMs - 0.001, 200)).toBe(0);
    for (const k of [1, 2, 17, 199, 200]) {
      expect(t.tokensBy(t.tokenAt(k), 200)).toBe(k);
      if (k < 200) expect(t.tokensBy(t.tokenAt(k + 1) - 1e-6, 200)).toBe(k);
    }
    expect(t.tokensBy(1e12, 200)).toBe(200);
  });

  test("jitter: the same seed and keys give the same delays; other keys or another seed give others", () => {
    const c = config({ ttftMs: 200, tps: 20, jitter: 0.3 });
    const a = new Pacer(c, 42).timeline(50, 100, [7, 1]);
    const b = new Pacer(c, 42).timeline(50, 100, [7, 1]);
    const otherKeys = new Pacer(c, 42).timeline(50, 100, [7, 2]);
    const otherSeed = new Pacer(c, 43).timeline(50, 100, [7, 1]);
    const times = (t: typeof a) => Array.from({ length: 100 }, (_, k) => t.tokenAt(k + 1));
    expect(times(a)).toEqual(times(b));
    expect(a.promptMs).toBe(b.promptMs);
    expect(times(otherKeys)).not.toEqual(times(a));
    expect(times(otherSeed)).not.toEqual(times(a));
    // Gaps stay positive: the stream never goes backwards.
    for (let k = 1; k < 100; k++) expect(a.tokenAt(k + 1)).toBeGreaterThan(a.tokenAt(k));
  });

  test("jitter factors are lognormal with mean 1 and relative standard deviation --jitter", () => {
    // 200,000 draws: the sample mean's standard error is cv/sqrt(n) = 0.00067 (cv 0.3). The bound 0.006
    // is 9 standard errors: a correct generator fails it with probability below 1e-9. The draws are
    // seeded, so the test is deterministic as well.
    for (const cv of [0.1, 0.3]) {
      const draw = lognormalFactors(cv, jitterSeed(5, [cv * 10]));
      const n = 200_000;
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < n; i++) {
        const x = draw();
        expect(x).toBeGreaterThan(0);
        sum += x;
        squares += x * x;
      }
      const mean = sum / n;
      const sd = Math.sqrt(squares / n - mean * mean);
      expect(Math.abs(mean - 1)).toBeLessThan(0.006);
      expect(Math.abs(sd - cv) / cv).toBeLessThan(0.05);
    }
  });

  test("isPaced: only --ttft-ms, --prefill-tps and --tps make replies take time", () => {
    expect(isPaced(NO_PACING)).toBe(false);
    expect(isPaced(config({ jitter: 0.5, timeScale: 10 }))).toBe(false);
    expect(isPaced(config({ tps: 1 }))).toBe(true);
    expect(isPaced(config({ ttftMs: 1 }))).toBe(true);
    expect(isPaced(config({ prefillTps: 1 }))).toBe(true);
  });

  test("replies to no dataset question get fresh jitter keys each time", () => {
    const pacer = new Pacer(config({ tps: 1 }), 1);
    const echo = { keys: [0], outcome: { kind: "echo" } };
    expect(pacer.replyKeys(echo)).not.toEqual(pacer.replyKeys(echo));
    const question = { keys: [3, 2], outcome: { kind: "question", attempt: 2 } };
    expect(pacer.replyKeys(question)).toEqual(pacer.replyKeys(question));
  });
});

describe("tokenPieces", () => {
  test("property: estimateTokens(text) pieces that join back to the text, never splitting a surrogate pair", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 400 }), (text) => {
        const pieces = tokenPieces(text);
        expect(pieces.join("")).toBe(text);
        for (const piece of pieces) {
          expect(piece.length).toBeGreaterThan(0);
          expect(/^[\uDC00-\uDFFF]/.test(piece)).toBe(false);
          expect(/[\uD800-\uDBFF]$/.test(piece)).toBe(false);
        }
        const hasSurrogates = /[\uD800-\uDFFF]/.test(text);
        if (!hasSurrogates) expect(pieces.length).toBe(estimateTokens(text));
        else expect(pieces.length).toBeLessThanOrEqual(estimateTokens(text));
      }),
    );
  });
});

describe("Scheduler", () => {
  test("callbacks run in deadline order, never before their deadline, and cancelled ones never", async () => {
    const s = new Scheduler();
    const start = performance.now();
    const ran: { id: number; late: number }[] = [];
    const offsets = [30, 5, 20, 5, 12, 40, 1];
    const timers = offsets.map((ms, id) => s.at(start + ms, () => ran.push({ id, late: performance.now() - (start + ms) })));
    s.cancel(timers[4]!);
    s.cancel(timers[4]!); // twice is harmless
    await Bun.sleep(80);
    expect(ran.map((r) => r.id)).toEqual([6, 1, 3, 2, 0, 5]);
    for (const r of ran) expect(r.late).toBeGreaterThanOrEqual(0);
    expect(s.size).toBe(0);
  });

  test("thousands of pending callbacks share one armed timer", async () => {
    const real = globalThis.setTimeout;
    let armed = 0;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      armed++;
      return real(fn, ms);
    }) as typeof setTimeout;
    try {
      const s = new Scheduler();
      const start = performance.now();
      let ran = 0;
      // 2,000 streams' next tokens, spread over 20 ms: each later than the one armed, so no re-arming.
      for (let i = 0; i < 2000; i++) s.at(start + 10 + i / 100, () => ran++);
      expect(armed).toBe(1);
      const armedWhileScheduling = armed;
      await Bun.sleep(60);
      expect(ran).toBe(2000);
      // One timer per turn of the event loop, not one per callback.
      expect(armed - armedWhileScheduling).toBeLessThan(40);
    } finally {
      globalThis.setTimeout = real;
    }
  });

  test("a callback that throws does not stop the others", async () => {
    const s = new Scheduler();
    const now = performance.now();
    let ran = 0;
    s.at(now + 1, () => {
      throw new Error("boom");
    });
    s.at(now + 2, () => ran++);
    await Bun.sleep(20);
    expect(ran).toBe(1);
  });
});

describe("PacedEvents", () => {
  test("hands each event out at its deadline, not before, and ends after the last", async () => {
    const s = new Scheduler();
    const start = performance.now();
    let ended = 0;
    const deadlines = Float64Array.from([0, 0, 15, 30], (ms) => start + ms);
    const stream = new PacedEvents(tableOf(["a", "b", "c", "d"]), deadlines, s, () => ended++);
    const got: { value: string; at: number }[] = [];
    for await (const value of stream) got.push({ value, at: performance.now() - start });
    expect(got.map((g) => g.value)).toEqual(["a", "b", "c", "d"]);
    expect(got[2]!.at).toBeGreaterThanOrEqual(15);
    expect(got[3]!.at).toBeGreaterThanOrEqual(30);
    expect(ended).toBe(1);
  });

  test("return() while a next() waits: the pending next() ends, the timer is dropped, onEnd runs once", async () => {
    const s = new Scheduler();
    let ended = 0;
    const stream = new PacedEvents(tableOf(["a", "b"]), Float64Array.from([0, performance.now() + 10_000]), s, () => ended++);
    expect((await stream.next()).value).toBe("a");
    const pending = stream.next();
    expect(s.size).toBe(1);
    await stream.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(s.size).toBe(0);
    await stream.return();
    expect(ended).toBe(1);
    expect((await stream.next()).done).toBe(true);
  });

  test("push mode: events written into the sink at their deadlines, those due together in one flush", async () => {
    const s = new Scheduler();
    const start = performance.now();
    let ended = 0;
    const writes: { chunk: string; at: number }[] = [];
    const flushes: number[] = [];
    const sink = {
      write: (chunk: string) => (writes.push({ chunk, at: performance.now() - start }), chunk.length),
      flush: () => void flushes.push(writes.length),
    };
    const stream = new PacedEvents(tableOf(["role", "a", "b", "finish", "done"]), Float64Array.from([0, 0, 20, 40, 40], (ms) => start + ms), s, () => ended++);
    await stream.pushTo(sink);
    expect(writes.map((w) => w.chunk)).toEqual(["role", "a", "b", "finish", "done"]);
    expect(writes[2]!.at).toBeGreaterThanOrEqual(20);
    expect(writes[3]!.at).toBeGreaterThanOrEqual(40);
    // role+a together, b alone, finish+done together.
    expect(flushes).toEqual([2, 3, 5]);
    expect(ended).toBe(1);
    expect(s.size).toBe(0);
  });

  test("a first event sent late moves every later deadline by as much: the token rate holds from the first token", async () => {
    const s = new Scheduler();
    const start = performance.now();
    // The first event was due 100 ms ago (a busy loop), the next two 30 and 60 ms after it.
    const deadlines = Float64Array.from([-100, -70, -40], (ms) => start + ms);
    const writes: number[] = [];
    const stream = new PacedEvents(tableOf(["a", "b", "c"]), deadlines, s, () => {});
    await stream.pushTo({ write: () => (writes.push(performance.now()), 1), flush: () => 1 });
    expect(writes.length).toBe(3);
    // Kept to the old deadlines, b and c would have gone out at once with a (a burst).
    expect(writes[1]! - writes[0]!).toBeGreaterThanOrEqual(29);
    expect(writes[2]! - writes[0]!).toBeGreaterThanOrEqual(59);
    // What /slots subtracts to count the tokens out: at least the 100 ms the first event was late.
    expect(stream.lateBy(performance.now())).toBeGreaterThanOrEqual(100);
    expect(stream.lateBy(performance.now())).toBeLessThan(100 + (writes[0]! - start) + 1);

    // The same in pull mode; and a first event on time moves nothing (the tests above).
    const pulled: number[] = [];
    const again = performance.now();
    const pull = new PacedEvents(tableOf(["a", "b"]), Float64Array.from([again - 50, again - 25]), s, () => {});
    for await (const _ of pull) pulled.push(performance.now());
    expect(pulled[1]! - pulled[0]!).toBeGreaterThanOrEqual(24);
  });

  test("only the first event's lateness moves the schedule, and the timer is armed for the moved deadline", async () => {
    // A clock and a scheduler the test drives: each timer's deadline is recorded, fired by hand.
    let clock = 0;
    const armed: { at: number; fire: () => void }[] = [];
    const scheduler = { at: (at: number, fire: () => void) => (armed.push({ at, fire }), { at, seq: 0, fire, cancelled: false }), cancel: () => {} } as unknown as Scheduler;
    const pull = new PacedEvents(tableOf(["a", "b", "c"]), Float64Array.from([0, 50, 100]), scheduler, () => {}, () => clock);
    // Before the first event is out, /slots counts its lateness so far.
    clock = 20;
    expect(pull.lateBy(clock)).toBe(20);
    expect((await pull.next()).value).toBe("a"); // 20 ms late: b and c move to 70 and 120
    clock = 75;
    expect((await pull.next()).value).toBe("b"); // 5 ms late: moves nothing
    clock = 119;
    const c = pull.next();
    expect(armed.map((t) => t.at)).toEqual([120]);
    clock = 120;
    armed[0]!.fire();
    expect((await c).value).toBe("c");
    expect(pull.lateBy(clock)).toBe(20);

    // Push mode arms its timer for the moved deadline too.
    armed.length = 0;
    clock = 30;
    const push = new PacedEvents(tableOf(["x", "y"]), Float64Array.from([0, 50]), scheduler, () => {}, () => clock);
    const written: string[] = [];
    const done = push.pushTo({ write: (chunk: string) => (written.push(chunk), 1), flush: () => 1 });
    expect(written).toEqual(["x"]);
    expect(armed.map((t) => t.at)).toEqual([80]);
    clock = 80;
    armed[0]!.fire();
    await done;
    expect(written).toEqual(["x", "y"]);
  });

  test("push mode: return() stops it at once and settles pushTo(); a full sink holds the schedule until it drains", async () => {
    const s = new Scheduler();
    let ended = 0;
    const now = performance.now();
    const written: string[] = [];
    const stream = new PacedEvents(tableOf(["a", "b", "c"]), Float64Array.from([now, now + 10_000, now + 20_000]), s, () => ended++);
    const pushing = stream.pushTo({ write: (c: string) => (written.push(c), 1), flush: () => 1 });
    expect(written).toEqual(["a"]);
    expect(s.size).toBe(1);
    await stream.return();
    await pushing;
    expect([ended, s.size]).toEqual([1, 0]);

    let drain: () => void = () => {};
    const full = new Promise<number>((resolve) => (drain = () => resolve(1)));
    const slow: string[] = [];
    const later = new PacedEvents(tableOf(["x", "y"]), Float64Array.from([0, 0]), s, () => {});
    const done = later.pushTo({ write: (c: string) => (slow.push(c), slow.length === 1 ? full : 1), flush: () => 1 });
    expect(slow).toEqual(["x"]); // y waits for x's write to drain
    drain();
    await done;
    expect(slow).toEqual(["x", "y"]);
  });

  test("the last event taken ends the stream at once (the slot is free before the client reads it)", async () => {
    let ended = 0;
    const stream = new PacedEvents(tableOf(["x"]), Float64Array.from([0]), new Scheduler(), () => ended++);
    expect((await stream.next()).value).toBe("x");
    expect(ended).toBe(1);
    expect(stream.remaining).toBe(0);
  });
});

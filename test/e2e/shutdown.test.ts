// Graceful shutdown (issue 8 §8) against the compiled binary: SIGTERM/SIGINT during paced streams
// stop new connections, let in-flight replies finish (or cut them after --shutdown-grace-ms), flush
// the ledger and exit 0; a second signal exits at once; hung requests never hold a shutdown up.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AIME_FILE_REL, evalBody, loadAime, postJson, startSim, stopAll, tempDir, type Sim } from "./harness.ts";

const aime = loadAime();
const CHAT = "/v1/chat/completions";

afterAll(stopAll);

/** Long paced replies: ~300 reasoning tokens at 200 tokens/s, about 1.5 s each. */
const SLOW = ["--tps", "200", "--response-style", "reasoning", "--reasoning-tokens", "300"];

const sim = (...args: string[]) => startSim({ args: ["--dataset-file", AIME_FILE_REL, "--seed", "4", "--success-rate", "0.5", ...args] });

interface StreamResult {
  readonly text: string;
  readonly broke: boolean;
}

/**
 * Starts a streamed chat request; resolves once its first bytes arrived, with the promise of the
 * whole (boxed: an async function returning a bare promise would wait for it).
 */
async function startStream(s: Sim, q: number): Promise<{ readonly done: Promise<StreamResult> }> {
  const res = await postJson(`${s.url}${CHAT}`, evalBody(aime[q]!.problem, { stream: true }));
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const first = await reader.read();
  let text = first.done ? "" : decoder.decode(first.value, { stream: true });
  const done = (async (): Promise<StreamResult> => {
    try {
      for (;;) {
        const step = await reader.read();
        if (step.done) return { text, broke: false };
        text += decoder.decode(step.value, { stream: true });
      }
    } catch {
      return { text, broke: true };
    }
  })();
  return { done };
}

async function connectionRefused(s: Sim): Promise<string | undefined> {
  try {
    await fetch(`${s.url}/health`);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

const ledgerLines = (file: string) => readFileSync(file, "utf8").trim().split("\n").filter((l) => l !== "");

describe("SIGTERM with replies in flight", () => {
  test("finishes every in-flight stream, queued ones included, refuses new connections, exits 0 with the ledger complete", async () => {
    const file = join(tempDir("shutdown"), "ledger.jsonl");
    // 2 slots for 3 streams: the third waits in the queue, and is in flight all the same.
    const s = await sim(...SLOW, "-np", "2", "--ledger", file, "--shutdown-grace-ms", "20000");
    const streams = await Promise.all([0, 1].map((q) => startStream(s, q)));
    const queued = postJson(`${s.url}${CHAT}`, evalBody(aime[2]!.problem, { stream: true })).then((r) => r.text());
    await Bun.sleep(200);
    const signalled = performance.now();
    s.proc.kill("SIGTERM");
    await Bun.sleep(200);
    expect(s.alive).toBe(true);
    expect(await connectionRefused(s)).toBe("ECONNREFUSED");
    const results = await Promise.all(streams.map((st) => st.done));
    for (const r of results) {
      expect(r.broke).toBe(false);
      expect(r.text).toEndWith("data: [DONE]\n\n");
    }
    expect(await queued).toEndWith("data: [DONE]\n\n");
    expect(await s.proc.exited).toBe(0);
    // The queued stream started only after a slot freed: the drain took more than one reply's time.
    expect(performance.now() - signalled).toBeGreaterThan(1000);
    const records = ledgerLines(file).map((l) => JSON.parse(l) as { question: string });
    expect(records.map((r) => r.question).sort()).toEqual(aime.slice(0, 3).map((q) => q.id).sort());
    const summary = s.stderrLines.find((l) => l.includes("SIGTERM, stopping;"));
    expect(summary).toMatch(/SIGTERM, stopping; answered 3 matched requests, \d correctly \(\d+\.\d%\); waited for 3 in-flight requests$/);
  });

  test("SIGINT does the same", async () => {
    const s = await sim(...SLOW);
    const stream = await startStream(s, 3);
    s.proc.kill("SIGINT");
    const r = await stream.done;
    expect(r.text).toEndWith("data: [DONE]\n\n");
    expect(await s.proc.exited).toBe(0);
    expect(s.stderrLines.some((l) => l.includes("SIGINT, stopping; answered 1 matched requests"))).toBe(true);
  });

  test("replies still running after --shutdown-grace-ms are cut; the process still exits 0 with the ledger flushed", async () => {
    const file = join(tempDir("shutdown"), "ledger.jsonl");
    const s = await sim(...SLOW, "--ledger", file, "--shutdown-grace-ms", "300");
    const streams = await Promise.all([4, 5].map((q) => startStream(s, q)));
    const signalled = performance.now();
    s.proc.kill("SIGTERM");
    expect(await s.proc.exited).toBe(0);
    const took = performance.now() - signalled;
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(1200);
    for (const r of await Promise.all(streams.map((st) => st.done))) {
      expect(r.broke || !r.text.includes("[DONE]")).toBe(true);
      expect(r.text).not.toContain("[DONE]");
    }
    expect(ledgerLines(file)).toHaveLength(2);
    expect(s.stderrLines.some((l) => /SIGTERM, stopping; answered 2 matched requests.*; cut 2 unfinished requests after --shutdown-grace-ms 300$/.test(l))).toBe(true);
  });

  test("a second signal exits at once (128 + 15)", async () => {
    const s = await sim(...SLOW, "--shutdown-grace-ms", "20000");
    const stream = await startStream(s, 6);
    s.proc.kill("SIGTERM");
    await Bun.sleep(150);
    expect(s.alive).toBe(true);
    const second = performance.now();
    s.proc.kill("SIGTERM");
    expect(await s.proc.exited).toBe(143);
    expect(performance.now() - second).toBeLessThan(500);
    expect((await stream.done).text).not.toContain("[DONE]");
    expect(s.stderrLines.some((l) => l.includes("SIGTERM again, exiting at once"))).toBe(true);
  });

  test("hung requests (--hang-rate) do not hold the shutdown up", async () => {
    const s = await sim("--hang-rate", "1");
    const hung = postJson(`${s.url}${CHAT}`, evalBody(aime[7]!.problem)).then(
      (r) => `status ${r.status}`,
      (e: { code?: string }) => `error ${e.code}`,
    );
    await Bun.sleep(200);
    const signalled = performance.now();
    s.proc.kill("SIGTERM");
    expect(await s.proc.exited).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(1000);
    expect(await hung).toMatch(/^error /);
  });

  test("an idle server exits 0 at once", async () => {
    const s = await sim();
    const signalled = performance.now();
    expect(await s.stop("SIGTERM")).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(1000);
    expect(s.stderrLines.at(-1)).toBe("llama-sim: SIGTERM, stopping; answered 0 matched requests, 0 correctly");
  });
});

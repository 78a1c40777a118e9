// Shared state under real threads: two Bun workers step exact mode's schedule, count attempts and
// take the lock at the same time; then a WorkerPool (from source) serves a port with two workers.
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAppend } from "../../src/decide/records.ts";
import { exactCells } from "../../src/decide/exact.ts";
import { ExactSchedule } from "../../src/decide/exact.ts";
import { newLock } from "../../src/decide/lock.ts";
import { parseCli } from "../../src/cli.ts";
import type { Config } from "../../src/config.ts";
import type { LedgerRecord } from "../../src/decide/records.ts";
import { WorkerPool, WorkerStartError } from "../../src/server/workers.ts";
import { DATASET, QUESTIONS } from "./helpers.ts";
import type { Job } from "./workers-fixture.ts";

const FIXTURE = new URL("./workers-fixture.ts", import.meta.url);

/** Runs `job` in two workers started together; resolves with both reports. */
async function inTwoThreads<R>(job: Job): Promise<R[]> {
  const workers = [0, 1].map(() => new Worker(FIXTURE, { workerData: job } as WorkerOptions));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve) => w.addEventListener("message", resolve, { once: true }))));
    const reports = workers.map((w) => new Promise<R>((resolve) => w.addEventListener("message", (e) => resolve(e.data as R), { once: true })));
    for (const w of workers) w.postMessage("go");
    return await Promise.all(reports);
  } finally {
    for (const w of workers) w.terminate();
  }
}

describe("shared state under two threads", () => {
  test("the lock excludes: 2 x 200,000 unguarded increments of a plain cell add up exactly", async () => {
    const total = new Float64Array(new SharedArrayBuffer(8));
    await inTwoThreads({ kind: "lock", lock: newLock(), total, times: 200_000 });
    expect(total[0]).toBe(400_000);
  });

  test("two threads appending to one O_APPEND descriptor (2 x 10,000 lines of 2 KB): every line whole, none lost", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llama-sim-append-"));
    try {
      const file = join(dir, "ledger.jsonl");
      const fd = openAppend(file);
      const counter = new Int32Array(new SharedArrayBuffer(8));
      await inTwoThreads({ kind: "append", fd, lines: 10_000, bytes: 2000, counter });
      closeSync(fd);
      const lines = readFileSync(file, "utf8").split("\n");
      expect(lines.pop()).toBe("");
      expect(lines).toHaveLength(20_000);
      const seen = lines.map((line) => (JSON.parse(line) as { n: number; worker: number; pad: string })).map((r) => {
        expect(r.pad).toBe(String(r.worker).repeat(2000));
        return r.n;
      });
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("attempts: each question's 2 x 3,000 asks get attempts 0..5,999 exactly once each", async () => {
    const cells = { asked: new Uint32Array(new SharedArrayBuffer(4 * 7)), totals: new Uint32Array(new SharedArrayBuffer(16)) };
    const reports = await inTwoThreads<{ seen: number[][] }>({ kind: "attempts", cells, rounds: 3000 });
    for (let q = 0; q < 7; q++) {
      const all = [...reports[0]!.seen[q]!, ...reports[1]!.seen[q]!].sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 6000 }, (_, i) => i));
    }
  });

  test("exact mode stepped from two threads is the one-thread schedule, in the order the steps took their seqs", async () => {
    const [a, b, seed, steps] = [7, 10, 12345, 100_000];
    const order = new BigUint64Array(new SharedArrayBuffer(8));
    const reports = await inTwoThreads<{ orders: Float64Array; verdicts: Uint8Array }>({ kind: "exact", cells: exactCells(), order, a, b, seed, steps });
    const merged = new Uint8Array(2 * steps).fill(2);
    for (const r of reports) r.orders.forEach((o, i) => (merged[o] = r.verdicts[i]!));
    // Both threads really interleaved (not one after the other): count the hand-overs in step order.
    const owner = new Uint8Array(2 * steps);
    reports[1]!.orders.forEach((o) => (owner[o] = 1));
    let handovers = 0;
    for (let n = 1; n < 2 * steps; n++) if (owner[n] !== owner[n - 1]) handovers++;
    console.log(`exact schedule from two threads: ${handovers} hand-overs between them in ${2 * steps} steps`);
    // At least once each way (thousands on an idle machine; a loaded one time-slices the threads in longer runs).
    expect(handovers).toBeGreaterThanOrEqual(2);
    const alone = new ExactSchedule({ numerator: a, denominator: b }, seed);
    let correct = 0;
    for (let n = 0; n < 2 * steps; n++) {
      expect(merged[n]).toBe(alone.next() ? 1 : 0);
      correct += merged[n]!;
      // Every prefix: floor(p n) or ceil(p n).
      expect(Math.abs(correct - (a * (n + 1)) / b)).toBeLessThan(1);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// A WorkerPool from source: the tiny invented dataset, two workers, one port.

function configOf(args: string[]): Config {
  const cli = parseCli(["--port", "0", "--seed", "9", "--quiet", "--metrics", ...args], {});
  if (cli.kind !== "run") throw new Error(`not a run command: ${cli.kind}`);
  return cli.config;
}

const pools: WorkerPool[] = [];
afterAll(() => pools.forEach((p) => p.terminate()));

async function startPool(args: string[] = [], options: { port?: number } = {}): Promise<WorkerPool> {
  const config = configOf(args);
  const pool = await WorkerPool.start({
    config: options.port === undefined ? config : { ...config, port: options.port },
    dataset: DATASET,
    workers: 2,
    ledgerFd: undefined,
    onCrash: () => undefined,
    onWorkerError: (message) => {
      throw new Error(message);
    },
  });
  pools.push(pool);
  return pool;
}

const ask = (url: string, q: number, init: RequestInit = {}) =>
  fetch(new URL("/v1/chat/completions", url), { method: "POST", body: JSON.stringify({ messages: [{ role: "user", content: QUESTIONS[q]!.text }] }), ...init });

describe.if(process.platform === "linux")("WorkerPool", () => {
  test("two workers answer on one port; ledger, stats and metrics are the process's from either; the drain adds up", async () => {
    const pool = await startPool(["--mode", "fixed", "--success-rate", "0.6", "-np", "4"]);
    expect(pool.size).toBe(2);
    // Fresh connections, so that the kernel spreads them over both workers.
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => ask(pool.url, i % 5, { headers: { Connection: "close" } }).then((r) => r.status)));
    expect(replies.every((s) => s === 200)).toBe(true);
    const page = (await (await fetch(new URL("/sim/ledger?limit=1000", pool.url))).json()) as { records: LedgerRecord[]; next: number };
    expect(page.records.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // P(all 60 connections on one worker) = 2^-59.
    expect(new Set(page.records.map((r) => r.worker))).toEqual(new Set([0, 1]));
    // fixed mode: round(0.6 x 5) = 3 questions always right, whichever worker answered.
    const right = new Set(page.records.filter((r) => r.verdict === "correct").map((r) => r.question));
    expect(right.size).toBe(3);
    for (const r of page.records) expect(r.verdict === "correct").toBe(right.has(r.question));
    // Attempts 0..11 once each per question.
    for (const q of QUESTIONS) {
      const attempts = page.records.filter((r) => r.question === q.id).map((r) => r.attempt).sort((a, b) => a - b);
      expect(attempts).toEqual(Array.from({ length: 12 }, (_, i) => i));
    }
    for (let i = 0; i < 10; i++) {
      const stats = (await (await fetch(new URL("/sim/stats", pool.url), { headers: { Connection: "close" } })).json()) as { totals: { scored: number; correct: number } };
      expect(stats.totals).toMatchObject({ scored: 60, correct: 36 });
      const metrics = await (await fetch(new URL("/metrics", pool.url), { headers: { Connection: "close" } })).text();
      expect(metrics).toContain(`llamasim_replies_total{dataset="tiny",verdict="correct"} 36\n`);
      expect(metrics).toContain(`llamasim_replies_total{dataset="tiny",verdict="wrong"} 24\n`);
      const slots = (await (await fetch(new URL("/slots", pool.url), { headers: { Connection: "close" } })).json()) as { id: number }[];
      expect(slots.map((s) => s.id)).toEqual([0, 1, 2, 3]);
    }
    const drained = await pool.drain(1000);
    expect(drained).toEqual({ pending: 0, clean: true, left: undefined });
    expect(pool.totals.totals).toEqual({ asked: 60, correct: 36, wrong: 24 });
    await expect(fetch(new URL("/health", pool.url))).rejects.toThrow();
  });

  test("a second pool on a busy port fails to start (port busy), and so does one on a port another program shares", async () => {
    const first = await startPool();
    let error: unknown;
    try {
      await startPool([], { port: first.port });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as WorkerStartError).port).toBe(true);
    // The first still serves.
    expect((await fetch(new URL("/health", first.url))).status).toBe(200);
    await first.drain(1000);

    // A program already on the port with SO_REUSEPORT: the main thread's bind without it fails.
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, reusePort: true, fetch: () => new Response("theirs") });
    try {
      await expect(startPool([], { port: other.port! })).rejects.toBeInstanceOf(WorkerStartError);
      expect(await (await fetch(`http://127.0.0.1:${other.port}/`)).text()).toBe("theirs");
    } finally {
      other.stop(true);
    }
  });
});

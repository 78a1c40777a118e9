// The pieces --threads-http workers share, one thread at a time: the workers' SharedLedgers and their
// merged pages (seqs, reservations, eviction), the SharedTally against the Tally, metrics rows,
// the slot division, shared fault counts, the worker count and the /proc port check.
import { newRecord } from "../fixtures/ledger-record.ts";
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { closeSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mergeParts } from "../../src/decide/ledger-merge.ts";
import { Ledger, openAppend, pageJson, type LedgerPageText, type LedgerRecord, type NewLedgerRecord } from "../../src/decide/records.ts";
import { SharedLedger } from "../../src/decide/shared-ledger.ts";
import { SharedTally, Tally, tallyCells, tallyKeys, type TallyRecord } from "../../src/decide/tally.ts";
import type { FaultOptions } from "../../src/config.ts";
import { Faults, faultCells } from "../../src/server/faults.ts";
import { Metrics, metricsRowLength } from "../../src/server/metrics.ts";
import { foreignListeners, parseListeners } from "../../src/server/port-check.ts";
import { allocateShared } from "../../src/server/shared-state.ts";
import { ProcessSlots, SlotPool, slotShares, type Lease } from "../../src/server/slot-pool.ts";
import { workerCount } from "../../src/server/workers.ts";

const sab = (bytes: number) => new SharedArrayBuffer(bytes);

function record(i: number): NewLedgerRecord {
  const verdict = i % 3 === 0 ? "wrong" : "correct";
  return newRecord({ id: `chatcmpl-${i}`, dataset: "tiny", question: `q${i % 5}`, attempt: Math.floor(i / 5), verdict, latency_ms: 0.5 });
}

/** Pages of a process whose workers are `ledgers`, collected and merged as the main thread does. */
function pageOf(ledgers: readonly SharedLedger[], since: number, limit: number, keep: number): LedgerPageText {
  const upTo = ledgers[0]!.lastSeq;
  return mergeParts(ledgers.map((l) => l.part(since, limit, upTo)), since, limit, upTo, keep);
}

describe("SharedLedger and mergeParts (GET /sim/ledger across workers)", () => {
  test("property: records spread over 1-4 workers page exactly as one thread's Ledger pages them, eviction included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 90 }),
        fc.integer({ min: 1, max: 25 }),
        (owners, keep, since, limit) => {
          const seq = new BigUint64Array(sab(8));
          const workers = [0, 1, 2, 3].map((worker) => new SharedLedger({ seq, worker, keep }));
          const one = new Ledger({ keep });
          owners.forEach((w, i) => {
            const made = workers[w]!.append(record(i));
            expect(made).toEqual({ ...one.append(record(i)), worker: w });
          });
          if (since > one.lastSeq) return;
          const expected = one.page(since, limit);
          const page = JSON.parse(pageJson(pageOf(workers, since, limit, keep))) as typeof expected;
          expect(page.records.map(({ worker: _w, ...r }) => r)).toEqual(expected.records);
          expect([page.next, page.dropped]).toEqual([expected.next, expected.dropped]);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a reservation is taken by the next record of the turn; one no record claims leaves a seq that pages skip", async () => {
    const seq = new BigUint64Array(sab(8));
    const a = new SharedLedger({ seq, worker: 0, keep: 100 });
    const b = new SharedLedger({ seq, worker: 1, keep: 100 });
    a.reserve(); // seq 1, as exact mode's step takes it
    expect(b.append(record(0)).seq).toBe(2); // another worker records meanwhile
    expect(a.append(record(1)).seq).toBe(1);
    a.reserve(); // seq 3: its reply fails, nothing claims it
    await Bun.sleep(1);
    expect(a.append(record(2)).seq).toBe(4);
    const page = pageOf([a, b], 0, 10, 100);
    expect(page.lines.map((l) => (JSON.parse(l) as LedgerRecord).seq)).toEqual([1, 2, 4]);
    expect(pageOf([a, b], 0, 2, 100)).toMatchObject({ next: 2 });
    expect(pageOf([a, b], 2, 10, 100)).toMatchObject({ next: 4, dropped: false });
  });

  test("the file gets one whole line per record, from every worker, on the shared descriptor", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llama-sim-shared-ledger-"));
    try {
      const file = join(dir, "ledger.jsonl");
      const fd = openAppend(file);
      const seq = new BigUint64Array(sab(8));
      const workers = [0, 1].map((worker) => new SharedLedger({ seq, worker, keep: 0, fd }));
      for (let i = 0; i < 40; i++) workers[i % 2]!.append(record(i));
      closeSync(fd);
      const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as LedgerRecord);
      expect(lines.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(lines.map((r) => r.worker)).toEqual(Array.from({ length: 40 }, (_, i) => i % 2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("with --ledger-keep 0 nothing is kept, and a page says only how far the ledger got", async () => {
    const seq = new BigUint64Array(sab(8));
    const ledger = new SharedLedger({ seq, worker: 0, keep: 0 });
    for (let i = 0; i < 3; i++) ledger.append(record(i));
    expect(await ledger.page(1, 10)).toEqual({ lines: [], next: 3, dropped: true });
  });
});

describe("SharedTally", () => {
  const verdicts = ["correct", "wrong", "no-answer", "error"] as const;
  const keys = tallyKeys([
    { dataset: "aime", question: "1" },
    { dataset: "aime", question: "2" },
    { dataset: "aime", question: "2" },
    { dataset: "owner/name", question: "1" },
    { dataset: "owner", question: "name/1" },
  ]);

  test("distinct keys, even when a dataset or an id holds a slash", () => {
    expect(keys).toHaveLength(4);
  });

  test("property: two tallies on shared cells (two workers) report what one Tally of every record reports", () => {
    const recordArb = fc.record({
      dataset: fc.constantFrom("aime", "owner/name", "owner", "stray"),
      question: fc.constantFrom("1", "2", "name/1"),
      verdict: fc.constantFrom(...verdicts),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(recordArb, fc.boolean(), fc.constantFrom("record", "judge", "unmatched")), { maxLength: 200 }), (events) => {
        const cells = tallyCells(keys.length, sab);
        const workers = [new SharedTally(keys, cells), new SharedTally(keys, cells)];
        const one = new Tally();
        for (const [r, second, kind] of events) {
          const w = workers[second ? 1 : 0]!;
          // Records outside the dataset count in their own thread only: keep them on worker 0.
          const known = keys.some((k) => k.dataset === r.dataset && k.question === r.question);
          if (kind === "judge") (w.onJudge(), one.onJudge());
          else if (kind === "unmatched") (w.onUnmatched(), one.onUnmatched());
          else if (known || !second) ((known ? w : workers[0]!).add(r as TallyRecord), one.add(r as TallyRecord));
        }
        const options = { configuredRate: 0.5, mode: "random", expectedPassAtK: (k: number) => 1 - 0.5 ** k };
        expect(workers[0]!.stats(options)).toEqual(one.stats(options));
        const known = events.every(([r]) => keys.some((k) => k.dataset === r.dataset && k.question === r.question));
        if (known) expect(workers[1]!.stats(options)).toEqual(one.stats(options));
      }),
      { numRuns: 300 },
    );
  });

  test("reset clears every worker's view", () => {
    const cells = tallyCells(keys.length, sab);
    const a = new SharedTally(keys, cells);
    const b = new SharedTally(keys, cells);
    a.add({ dataset: "aime", question: "1", verdict: "correct" });
    b.onJudge();
    b.reset();
    expect(a.stats({ configuredRate: 1, mode: "fixed" })).toEqual(new Tally().stats({ configuredRate: 1, mode: "fixed" }));
  });
});

describe("Metrics rows", () => {
  const reply = (dataset: string, verdict: "correct" | "wrong") => ({ dataset, verdict, promptTokens: 10, completionTokens: 5, promptMs: 2, predictedMs: 3 });

  test("two workers' rows render as one process: the same text as one Metrics that saw everything", () => {
    const datasets = ["aime", "gsm8k"];
    const length = metricsRowLength(datasets.length);
    const buffer = new Float64Array(sab(8 * 2 * length));
    const rows = [buffer.subarray(0, length), buffer.subarray(length)];
    const a = new Metrics({ datasets, rows, row: 0, processStartTimeUnix: 1 });
    const b = new Metrics({ datasets, rows, row: 1, processStartTimeUnix: 1 });
    const one = new Metrics({ datasets, processStartTimeUnix: 1 });
    const events: [number, (m: Metrics) => void][] = [
      [0, (m) => m.onReply(reply("aime", "correct"))],
      [1, (m) => m.onReply(reply("aime", "wrong"))],
      [1, (m) => m.onReply(reply("gsm8k", "correct"))],
      [0, (m) => m.onJudge()],
      [1, (m) => m.onUnmatched()],
      [1, (m) => m.onFault("drop")],
      [0, (m) => m.onFault("fail_first")],
      [0, (m) => m.observeLatency(0.0003)],
      [1, (m) => m.observeLatency(0.02)],
    ];
    for (const [w, event] of events) {
      event(w === 0 ? a : b);
      event(one);
    }
    a.setSlots(2, 1);
    b.setSlots(1, 0);
    one.setSlots(3, 1);
    expect(b.render()).toBe(one.render());
    expect(a.render()).toBe(one.render());
    expect(a.render()).toContain('llamasim_replies_total{dataset="aime",verdict="wrong"} 1');
    expect(a.render()).toContain("llamacpp:requests_processing 3");
  });

  test("n_tokens_max is the largest of the rows, not their sum", () => {
    const length = metricsRowLength(1);
    const rows = [new Float64Array(sab(8 * length)), new Float64Array(sab(8 * length))];
    new Metrics({ datasets: ["d"], rows, row: 0 }).onReply({ ...reply("d", "correct"), promptTokens: 40 });
    const b = new Metrics({ datasets: ["d"], rows, row: 1 });
    b.onReply({ ...reply("d", "correct"), promptTokens: 30 });
    expect(b.render()).toContain("llamacpp:n_tokens_max 40\n");
  });
});

describe("slots divided among workers", () => {
  test("as evenly as possible, in id order, at least one each", () => {
    expect(slotShares(4, 2)).toEqual([
      { offset: 0, count: 2 },
      { offset: 2, count: 2 },
    ]);
    expect(slotShares(5, 2)).toEqual([
      { offset: 0, count: 3 },
      { offset: 3, count: 2 },
    ]);
    expect(slotShares(1, 3)).toEqual([
      { offset: 0, count: 1 },
      { offset: 1, count: 1 },
      { offset: 2, count: 1 },
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 64 }), (slots, workers) => {
        const shares = slotShares(slots, workers);
        const total = shares.reduce((s, x) => s + x.count, 0);
        expect(total).toBe(Math.max(slots, workers));
        shares.forEach((s, i) => expect(s.offset).toBe(i === 0 ? 0 : shares[i - 1]!.offset + shares[i - 1]!.count));
        expect(Math.max(...shares.map((s) => s.count)) - Math.min(...shares.map((s) => s.count))).toBeLessThanOrEqual(1);
      }),
    );
  });

  test("each worker's pool hands out its own ids; /slots from either shows all of them, busy where busy", () => {
    const busy = new Uint8Array(sab(4));
    const [s0, s1] = slotShares(4, 2);
    const p0 = new SlotPool(s0!.count, 1024, undefined, undefined, { busy, offset: s0!.offset, firstTask: 0, taskStep: 2 });
    const p1 = new SlotPool(s1!.count, 1024, undefined, undefined, { busy, offset: s1!.offset, firstTask: 1, taskStep: 2 });
    const task = { nPredict: -1, params: () => ({}) };
    const a = p0.acquire(1, task) as Lease;
    const b = p1.acquire(2, task) as Lease;
    expect(a.slots).toEqual([0]);
    expect(b.slots).toEqual([2, 3]);
    expect([a.idTask, b.idTask]).toEqual([0, 1]);
    expect((p0.acquire(1, task) as Lease).idTask).toBe(2);
    const view = new ProcessSlots(p0, busy, s0!.offset);
    expect(view.total).toBe(4);
    expect(view.states().map((s) => [s.id, s.isProcessing])).toEqual([
      [0, true],
      [1, true],
      [2, true],
      [3, true],
    ]);
    p1.release(b);
    expect(view.states().map((s) => s.isProcessing)).toEqual([true, true, false, false]);
    expect(new ProcessSlots(p1, busy, s1!.offset).states()[0]!.task).toBeUndefined(); // another worker's task lives there
  });
});

describe("fault counts shared by workers", () => {
  const options = (o: Partial<FaultOptions>): FaultOptions => ({
    errorRate: 0,
    errorCodes: [500],
    dropRate: 0,
    hangRate: 0,
    midstreamDropRate: 0,
    failFirst: 0,
    crashAfter: 0,
    loadingMs: 0,
    ...o,
  });

  test("--crash-after counts the process's replies: N claims in all, the N-th commit crashes, then every worker refuses", () => {
    const cells = faultCells(3, sab);
    const a = new Faults(options({ crashAfter: 3 }), 1, { hangTimeoutMs: 1000 }, cells);
    const b = new Faults(options({ crashAfter: 3 }), 1, { hangTimeoutMs: 1000 }, cells);
    expect([a.reserve(), b.reserve(), a.reserve(), b.reserve()]).toEqual([true, true, true, false]);
    b.release();
    expect(b.reserve()).toBe(true);
    expect([a.commit(), b.commit()]).toEqual([false, false]);
    expect(a.commit()).toBe(true);
    expect(b.replies).toBe(3);
    expect(b.reserve()).toBe(false);
  });

  test("--fail-first counts attempts per question across workers; the draw sequence is one sequence", () => {
    const cells = faultCells(2, sab);
    const a = new Faults(options({ failFirst: 2, errorRate: 0.5 }), 7, { hangTimeoutMs: 1000 }, cells);
    const b = new Faults(options({ failFirst: 2, errorRate: 0.5 }), 7, { hangTimeoutMs: 1000 }, cells);
    expect([a.failsFirst(1, 2), b.failsFirst(1, 2), a.failsFirst(1, 2), b.failsFirst(0, 2)]).toEqual([true, true, false, true]);
    const alone = new Faults(options({ errorRate: 0.5 }), 7, { hangTimeoutMs: 1000 });
    const interleaved = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? a : b).draw());
    expect(interleaved).toEqual(Array.from({ length: 40 }, () => alone.draw()));
  });
});

describe("workerCount", () => {
  test("-1 (llama-server's auto) is 1, 0 is one per core, N is N; other systems than Linux get one with a notice", () => {
    expect(workerCount(-1, 8, "linux")).toEqual({ count: 1 });
    expect(workerCount(1, 8, "linux")).toEqual({ count: 1 });
    expect(workerCount(0, 8, "linux")).toEqual({ count: 8 });
    expect(workerCount(3, 8, "linux")).toEqual({ count: 3 });
    expect(workerCount(0, 1, "linux")).toEqual({ count: 1 });
    const mac = workerCount(4, 8, "darwin");
    expect(mac.count).toBe(1);
    expect(mac.notice).toContain("SO_REUSEPORT");
  });
});

describe("allocateShared", () => {
  test("every cell starts at zero and each worker gets its own metrics row over one buffer", () => {
    const shared = allocateShared({ questionCount: 3, tallyKeyCount: 2, datasetCount: 1, workers: 2, slots: 4 });
    expect(shared.attempts.asked).toHaveLength(3);
    expect(shared.tally.counts).toHaveLength(8);
    expect(shared.faults.failed).toHaveLength(3);
    expect(shared.slotBusy).toHaveLength(4);
    expect(shared.metricsRows).toHaveLength(2);
    expect(shared.metricsRows[0]!.buffer).toBe(shared.metricsRows[1]!.buffer);
    expect(shared.metricsRows[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
    shared.metricsRows[0]![0] = 5;
    expect(shared.metricsRows[1]![0]).toBe(0);
  });
});

describe("the /proc port check", () => {
  const TCP = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0",
    "   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0",
    "   2: 0100007F:1F91 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0",
    "   3: 00000000:1F92 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 100 0 0 10 0",
    "   4: 0200007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 10 0",
  ].join("\n");

  test("LISTEN rows only, with port and inode", () => {
    expect(parseListeners(TCP)).toEqual([
      { address: "0100007F", port: 8081, inode: 111 },
      { address: "0100007F", port: 8081, inode: 222 },
      { address: "00000000", port: 8082, inode: 444 },
      { address: "0200007F", port: 8081, inode: 555 },
    ]);
  });

  test("a listener on our address and port that is not ours is foreign; another address is not", () => {
    const read = (path: string) => (path.endsWith("tcp") ? TCP : "");
    expect(foreignListeners(8081, read, () => new Set([111, 222]))).toEqual([]);
    expect(foreignListeners(8081, read, () => new Set([111]))).toEqual([{ address: "0100007F", port: 8081, inode: 222 }]);
    expect(foreignListeners(8082, read, () => new Set([111, 222]))).toEqual([]);
  });

  test("the real /proc: another process's SO_REUSEPORT socket on our port is found, our own are not", async () => {
    if (process.platform !== "linux") return;
    const ours = Bun.serve({ hostname: "127.0.0.1", port: 0, reusePort: true, fetch: () => new Response("ours") });
    const port = ours.port!;
    expect(foreignListeners(port)).toEqual([]);
    const script = `Bun.serve({ hostname: "127.0.0.1", port: ${port}, reusePort: true, fetch: () => new Response("theirs") }); console.log("up"); await Bun.sleep(10000);`;
    const other = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
    try {
      const reader = other.stdout.getReader();
      await reader.read();
      expect(foreignListeners(port)).toHaveLength(1);
    } finally {
      other.kill();
      await other.exited;
      ours.stop(true);
    }
  });
});

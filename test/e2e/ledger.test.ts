// The ledger (issue 7 §2-3) through real HTTP against the compiled binary: n > 1 choices each decided and
// recorded, the --ledger file after a SIGTERM under load, GET /sim/ledger paging and --ledger-keep eviction,
// and /sim/stats agreeing with the records.
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { stopAll, tempDir, type Sim } from "./harness.ts";
import {
  aimeItems,
  bodyFor,
  chat,
  chatOk,
  getJson,
  getStats,
  gradedCorrect,
  pool,
  readLedger,
  startEmbedded,
  tailBound,
  type LedgerPage,
  type LedgerRecord,
} from "./sim-http.ts";

afterAll(stopAll);

const AIME = aimeItems();
const seeded = (p: number, seed: number, ...more: string[]) => ["--success-rate", String(p), "--seed", String(seed), ...more];

/** The ledger's response_hash, recomputed here: SHA-1 of the trimmed content, first 16 hex digits. */
const hashOf = (content: string) => createHash("sha1").update(content.trim()).digest("hex").slice(0, 16);

/** Parses a --ledger file strictly: it ends with a newline and every line is one whole JSON record. */
function readLedgerFile(path: string): LedgerRecord[] {
  const text = readFileSync(path, "utf8");
  if (text === "") return [];
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line, i) => {
      try {
        return JSON.parse(line) as LedgerRecord;
      } catch {
        throw new Error(`${path}:${i + 1} is not a whole JSON record: ${line.slice(0, 200)}`);
      }
    });
}

describe("n > 1 choices", () => {
  test("n choices are decided independently, each recorded with its choice index; usage is the first choice's", async () => {
    const sim = await startEmbedded("aime", seeded(0.5, 31));
    try {
      const replies = await pool(AIME, 32, async (item) => ({ item, body: await chatOk(sim, bodyFor("aime", item, { n: 4 })) }));
      const { records } = await readLedger(sim);
      expect(records).toHaveLength(4 * AIME.length);
      const byId = Map.groupBy(records, (r) => r.id);
      let allEqual = 0;
      for (const { item, body } of replies) {
        expect(body.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
        const recs = byId.get(body.id)!;
        expect(recs.map((r) => r.choice)).toEqual([0, 1, 2, 3]);
        expect(recs.every((r) => r.question === item.id)).toBe(true);
        // One attempt per choice, consecutive (a request's choices are decided together).
        expect(recs.map((r) => r.attempt - recs[0]!.attempt)).toEqual([0, 1, 2, 3]);
        const graded = body.choices.map((c) => gradedCorrect(c.message.content, item.gold));
        expect(recs.map((r) => r.verdict === "correct")).toEqual(graded);
        expect(recs.map((r) => r.response_hash)).toEqual(body.choices.map((c) => hashOf(c.message.content!)));
        if (new Set(graded).size === 1) allEqual++;
      }
      /*
       * Independent p = 0.5 choices agree all four ways with probability 1/8, so the count of such requests
       * is Binomial(90, 1/8), mean 11.25; Bernstein at δ = 1e-9 puts it below 11.25 + 28.9. One shared
       * decision per request would make all 90 agree.
       */
      const limit = 90 / 8 + tailBound(90, (1 / 8) * (7 / 8), 1e-9);
      console.log(`n=4: ${allEqual}/90 requests with all four verdicts equal (independent: ~11.25, must be <= ${limit.toFixed(1)})`);
      expect(allEqual).toBeLessThanOrEqual(limit);
    } finally {
      await sim.stop();
    }
  });

  test("usage and timings are the first choice's (as llama-server), not the sum", async () => {
    // fixed mode: every choice of a question is the same text, so n = 3 and n = 1 must report the same usage.
    const sim = await startEmbedded("aime", seeded(0.5, 8, "--mode", "fixed"));
    try {
      const one = await chatOk(sim, bodyFor("aime", AIME[0]!));
      const three = await chatOk(sim, bodyFor("aime", AIME[0]!, { n: 3 }));
      expect(three.choices.map((c) => c.message.content)).toEqual([1, 2, 3].map(() => one.choices[0]!.message.content));
      expect(three.usage).toEqual(one.usage);
      expect(three.timings).toEqual(one.timings);
    } finally {
      await sim.stop();
    }
  });

  test("n above -np is a 400 (default -np: 4 slots); n up to -np is served", async () => {
    const [auto, two, eight] = await Promise.all([startEmbedded("aime", seeded(0.5, 1)), startEmbedded("aime", seeded(0.5, 1, "-np", "2")), startEmbedded("aime", seeded(0.5, 1, "-np", "8"))]);
    try {
      const cases: [Sim, number, number][] = [
        [auto, 4, 200],
        [auto, 5, 400],
        [two, 2, 200],
        [two, 3, 400],
        [eight, 8, 200],
        [eight, 9, 400],
      ];
      for (const [sim, n, status] of cases) {
        const r = await chat(sim, bodyFor("aime", AIME[1]!, { n }));
        expect({ n, status: r.status }).toEqual({ n, status });
        if (status === 200) expect(r.body!.choices).toHaveLength(n);
        else expect(JSON.parse(r.text).error).toMatchObject({ code: 400, type: "invalid_request_error", message: expect.stringContaining("-np") });
      }
      // A refused request decides nothing.
      for (const sim of [auto, two, eight]) expect((await readLedger(sim)).records.length).toBe((await getStats(sim)).totals.scored);
      expect((await getStats(two)).totals.scored).toBe(2);
    } finally {
      await Promise.all([auto.stop(), two.stop(), eight.stop()]);
    }
  });
});

/**
 * Loads the server from 64 workers until `before` requests got a 200, sends SIGTERM, lets every request
 * settle, and compares the --ledger file with the ids of the 200 replies.
 */
async function sigtermUnderLoad(flags: readonly string[], before: number) {
  const file = join(tempDir("ledger"), "run", "ledger.jsonl"); // the directory does not exist yet
  const sim = await startEmbedded("aime", [...flags, "--ledger", file]);
  const answered = new Map<string, number>(); // completion id -> n
  let failed = 0;
  const other = new Map<number, number>(); // status -> count, of replies other than 200
  let otherBody: string | undefined;
  let stopping = false;
  let killed = false;
  let inFlight = 0;
  const worker = async (w: number) => {
    for (let i = 0; !stopping; i++) {
      const n = (w + i) % 4 === 0 ? 2 : 1;
      inFlight++;
      try {
        const r = await chat(sim, bodyFor("aime", AIME[(w * 13 + i) % AIME.length]!, { n }));
        if (r.status === 200) answered.set(r.body!.id, n);
        else {
          other.set(r.status, (other.get(r.status) ?? 0) + 1);
          otherBody ??= r.text;
        }
      } catch {
        failed++; // the connection died with the server (or was refused after it)
        if (killed) break; // no point knocking on a closed port
      } finally {
        inFlight--;
      }
    }
  };
  const workers = Array.from({ length: 64 }, (_, w) => worker(w));
  while (answered.size < before) await Bun.sleep(1);
  const inFlightAtKill = inFlight;
  killed = true;
  const code = await sim.stop("SIGTERM");
  stopping = true;
  await Promise.all(workers);
  const records = readLedgerFile(file);
  const byId = Map.groupBy(records, (r) => r.id);
  const lost = [...answered.keys()].filter((id) => !byId.has(id));
  const unanswered = [...byId.keys()].filter((id) => !answered.has(id));
  // The shutdown line (README: how many matched requests it answered).
  const summary = await sim.waitForStderr(/answered \d+ matched requests/);
  console.log(
    `SIGTERM (${flags.join(" ")}) with ${inFlightAtKill} requests in flight: ${answered.size} got a 200 (${[...answered.values()].reduce((a, b) => a + b, 0)} choices), ${failed} died with the server, other statuses ${JSON.stringify(Object.fromEntries(other))}${otherBody ? ` (first: ${otherBody.slice(0, 200)})` : ""}; ` +
      `ledger: ${records.length} records, ${byId.size} ids; answered but not recorded ${lost.length}, recorded but not answered ${unanswered.length}; stderr: "${summary}"`,
  );
  return { code, other, inFlightAtKill, records, byId, answered, lost, unanswered, summary };
}

describe("the --ledger file", () => {
  test("after a SIGTERM mid-load (64 requests in flight) it holds exactly the answered requests, each line a whole record", async () => {
    const run = await sigtermUnderLoad(seeded(0.5, 5), 3000);
    expect(run.code).toBe(0);
    expect(run.other.size).toBe(0);
    expect(run.inFlightAtKill).toBeGreaterThan(32);
    expect(run.records.map((r) => r.seq)).toEqual(run.records.map((_, i) => i + 1));
    expect(run.lost).toEqual([]);
    expect(run.unanswered).toEqual([]);
    for (const [id, n] of run.answered) expect(run.byId.get(id)!.map((r) => r.choice)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(run.summary).toContain(`answered ${run.records.length} matched requests`);
  }, 30_000);

  test("with paced replies (--ttft-ms 30 --tps 500), a SIGTERM drains the in-flight replies: the ledger again holds exactly the answered ones", async () => {
    const run = await sigtermUnderLoad(seeded(0.5, 5, "-np", "64", "--kv-unified", "--ttft-ms", "30", "--tps", "500"), 300);
    expect(run.code).toBe(0);
    expect(run.other.size).toBe(0);
    expect(run.inFlightAtKill).toBeGreaterThan(32);
    expect(run.lost).toEqual([]);
    expect(run.unanswered).toEqual([]);
  }, 30_000);

  /*
   * KNOWN BUG (reported to the lead; run with `bun test --todo`): a paced reply is recorded when its slot
   * starts it, so replies cut by --shutdown-grace-ms stay in the ledger (and in the "answered N" line)
   * although their clients never got them (62 of 64 in a trial run).
   */
  test.todo("with paced replies cut at once (--shutdown-grace-ms 0), the ledger holds only the answered ones", async () => {
    const run = await sigtermUnderLoad(seeded(0.5, 5, "-np", "64", "--kv-unified", "--ttft-ms", "30", "--tps", "500", "--shutdown-grace-ms", "0"), 300);
    expect(run.lost).toEqual([]);
    expect(run.unanswered).toEqual([]);
  }, 30_000);

  test("the file and GET /sim/ledger hold the same records; a restart appends after what is there", async () => {
    const file = join(tempDir("ledger"), "ledger.jsonl");
    const first = await startEmbedded("aime", seeded(0.5, 6, "--ledger", file));
    let served: LedgerRecord[];
    try {
      const bodies = await pool(AIME.slice(0, 40), 16, (item) => chatOk(first, bodyFor("aime", item)));
      served = (await readLedger(first)).records;
      expect(readLedgerFile(file)).toEqual(served);
      expect(served.map((r) => r.id).sort()).toEqual(bodies.map((b) => b.id).sort());
      for (const r of served) {
        expect(Number.isNaN(Date.parse(r.time))).toBe(false);
        expect(r.dataset).toBe("aime");
        expect(r.latency_ms).toBeGreaterThan(0);
      }
    } finally {
      await first.stop();
    }
    const second = await startEmbedded("aime", seeded(0.5, 6, "--ledger", file));
    try {
      const reply = await chatOk(second, bodyFor("aime", AIME[0]!));
      const all = readLedgerFile(file);
      expect(all).toHaveLength(41);
      expect(all.slice(0, 40)).toEqual(served);
      expect(all[40]!.id).toBe(reply.id);
    } finally {
      await second.stop();
    }
  });
});

describe("streamed replies", () => {
  test("a streamed reply is recorded under its chunks' id with the hash of the streamed content (what reconcile matches)", async () => {
    const sim = await startEmbedded("aime", seeded(0.5, 10));
    try {
      for (const item of AIME.slice(0, 6)) {
        const res = await fetch(`${sim.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(bodyFor("aime", item, { stream: true })),
        });
        expect(res.status).toBe(200);
        const events = (await res.text()).split("\n\n").filter((e) => e.startsWith("data: ") && e !== "data: [DONE]");
        const chunks = events.map((e) => JSON.parse(e.slice(6)) as { id: string; choices: { delta: { content?: string | null } }[] });
        const content = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
        const record = (await readLedger(sim)).records.at(-1)!;
        expect(new Set(chunks.map((c) => c.id))).toEqual(new Set([record.id]));
        expect(record.response_hash).toBe(hashOf(content));
        expect(record.verdict === "correct").toBe(gradedCorrect(content, item.gold));
      }
    } finally {
      await sim.stop();
    }
  });
});

describe("GET /sim/ledger", () => {
  test("property: paging with any limit from any cursor returns every later record exactly once, in order", async () => {
    const sim = await startEmbedded("aime", seeded(0.4, 7, "-np", "3"));
    try {
      const work = Array.from({ length: 150 }, (_, i) => AIME[i % AIME.length]!);
      await pool(work, 32, (item, i) => chatOk(sim, bodyFor("aime", item, { n: (i % 3) + 1 })));
      const total = 150 + 150; // n = 1, 2, 3 in turn: 50 · 6 choices
      const { records: all } = await readLedger(sim, 10_000);
      expect(all.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: total }), async (limit, since) => {
          const { records, pages } = await readLedger(sim, limit, since);
          expect(records).toEqual(all.slice(since));
          for (const page of pages) {
            expect(page.records.length).toBeLessThanOrEqual(limit);
            expect(page.dropped).toBe(false);
          }
          expect(pages.at(-1)!.next).toBe(total);
        }),
        { numRuns: 25 },
      );
      // No limit: 1000 a page; a limit above 10,000 is cut to 10,000.
      const whole = await getJson<LedgerPage>(`${sim.url}/sim/ledger`);
      expect(whole.records).toHaveLength(total);
      expect((await getJson<LedgerPage>(`${sim.url}/sim/ledger?limit=99999`)).records).toHaveLength(total);
      for (const bad of ["since=abc", "since=-1", "limit=0", `since=${total + 1}`]) {
        const res = await fetch(`${sim.url}/sim/ledger?${bad}`);
        expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
        expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
      }
    } finally {
      await sim.stop();
    }
  });

  test("--ledger-keep N keeps the newest N records in memory: a cursor before them reports dropped; the file keeps all", async () => {
    const file = join(tempDir("ledger"), "kept.jsonl");
    const sim = await startEmbedded("aime", seeded(0.5, 8, "--ledger-keep", "50", "--ledger", file));
    try {
      for (const item of AIME.slice(0, 60)) await chatOk(sim, bodyFor("aime", item)); // seq 1..60
      const page = async (q: string) => getJson<LedgerPage>(`${sim.url}/sim/ledger?${q}`);
      const fromStart = await page("since=0");
      expect(fromStart.dropped).toBe(true);
      expect(fromStart.records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 11));
      expect(fromStart.next).toBe(60);
      const afterDrop = await page("since=5&limit=10");
      expect(afterDrop).toMatchObject({ dropped: true, next: 20 });
      expect(afterDrop.records.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 11));
      // From the first kept record on nothing was dropped.
      expect(await page("since=10&limit=5")).toMatchObject({ dropped: false, next: 15 });
      expect(await page("since=60")).toEqual({ records: [], next: 60, dropped: false });
      expect(readLedgerFile(file).map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    } finally {
      await sim.stop();
    }
    // --ledger-keep 0: nothing in memory, everything in the file.
    const none = await startEmbedded("aime", seeded(0.5, 8, "--ledger-keep", "0"));
    try {
      await chatOk(none, bodyFor("aime", AIME[0]!));
      expect(await getJson<LedgerPage>(`${none.url}/sim/ledger`)).toEqual({ records: [], next: 1, dropped: true });
      expect((await getStats(none)).totals.scored).toBe(1);
    } finally {
      await none.stop();
    }
  });
});

describe("GET /sim/stats", () => {
  test("totals, per-dataset and per-question counts equal the ledger's; the rate sits inside its Wilson interval", async () => {
    const sim = await startEmbedded("aime", seeded(0.6, 9, "--allow-override"));
    try {
      await pool(
        Array.from({ length: 200 }, (_, i) => i),
        32,
        async (i) => {
          const outcome = i % 10 === 0 ? { "X-Sim-Outcome": i % 20 === 0 ? "no-answer" : "error" } : undefined;
          const r = await chat(sim, bodyFor("aime", AIME[i % AIME.length]!), outcome);
          expect(r.status).toBe(i % 20 === 10 ? 500 : 200);
        },
      );
      const { records } = await readLedger(sim);
      const stats = await getStats(sim);
      const count = (v: string) => records.filter((r) => r.verdict === v).length;
      expect(stats.totals).toMatchObject({ scored: 200, correct: count("correct"), wrong: count("wrong"), no_answer: 10, error: 10 });
      expect(stats.datasets.aime).toEqual(stats.totals);
      const graded = 200 - 10;
      expect(stats.totals.rate).toBeCloseTo(count("correct") / graded, 12);
      const [low, high] = stats.totals.wilson95;
      expect(low).toBeLessThan(stats.totals.rate!);
      expect(high).toBeGreaterThan(stats.totals.rate!);
      expect(stats.configured_rate).toBe(0.6);
      expect(stats.mode).toBe("random");
      for (const item of AIME) {
        const mine = records.filter((r) => r.question === item.id);
        expect(stats.questions[`aime/${item.id}`]).toEqual({
          asked: mine.length,
          correct: mine.filter((r) => r.verdict === "correct").length,
          wrong: mine.filter((r) => r.verdict === "wrong").length,
          no_answer: mine.filter((r) => r.verdict === "no-answer").length,
          error: mine.filter((r) => r.verdict === "error").length,
        });
      }
      // Not difficulty mode: no pass@k.
      expect(stats.expected_pass_at_k).toBeUndefined();
    } finally {
      await sim.stop();
    }
  });
});

// --threads-http N (issue 9 §2) against the compiled binary: two workers on one port keep every
// mode's guarantee, one ledger (file and /sim/ledger), and the process's /sim/stats and /metrics;
// --crash-after and SIGTERM work across workers; a busy port still refuses a second simulator; and
// the worker is inside the binary (run from an empty directory with an empty environment).
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { AIME_FILE, AIME_FILE_REL, BINARY, evalBody, loadAime, postJson, runToExit, startSim, stopAll, tempDir, type Sim } from "./harness.ts";
import { gradedCorrect, pool, type ChatCompletion, type LedgerPage } from "./sim-http.ts";

afterAll(stopAll);

/** Several HTTP threads need Linux's SO_REUSEPORT; elsewhere llama-sim serves on one (tested in test/server). */
const linuxDescribe = describe.if(process.platform === "linux");

const aime = loadAime();
const CHAT = "/v1/chat/completions";

interface Record_ {
  readonly seq: number;
  readonly id: string;
  readonly question: string;
  readonly attempt: number;
  readonly choice: number;
  readonly verdict: string;
  readonly worker?: number;
}

const sim = (...args: string[]) => startSim({ args: ["--dataset-file", AIME_FILE_REL, "--threads-http", "2", "--quiet", ...args] });

/** Every line of a --ledger file, each required to be one whole JSON record. */
function ledgerFile(path: string): Record_[] {
  const text = readFileSync(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line) as Record_);
}

const bySeq = (records: readonly Record_[]) => [...records].sort((a, b) => a.seq - b.seq);

async function ask(s: Sim, q: number, extra: Record<string, unknown> = {}): Promise<ChatCompletion> {
  const res = await postJson(`${s.url}${CHAT}`, evalBody(aime[q]!.problem, extra));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as ChatCompletion;
}

async function allPages(s: Sim, limit: number): Promise<Record_[]> {
  const records: Record_[] = [];
  for (let since = 0; ; ) {
    const page = (await (await fetch(`${s.url}/sim/ledger?since=${since}&limit=${limit}`)).json()) as LedgerPage & { records: Record_[] };
    records.push(...page.records);
    if (page.records.length === 0) return records;
    since = page.next;
  }
}

linuxDescribe("--threads-http 2: one process on two workers", () => {
  test("fixed mode scores exactly round(p N) on each full pass at 32-way concurrency, whichever worker served; both served", async () => {
    const file = join(tempDir("threads"), "ledger.jsonl");
    const s = await sim("--mode", "fixed", "--success-rate", "0.8", "--seed", "3", "--ledger", file);
    expect(s.banner["http threads"]).toStartWith("2 workers");
    const expected = Math.round(0.8 * aime.length);
    const correctSets: string[][] = [];
    for (let pass = 0; pass < 2; pass++) {
      const replies = await pool(aime, 32, (item, i) => ask(s, i));
      const right = aime.filter((item, i) => gradedCorrect(replies[i]!.choices[0]!.message.content, item.gold)).map((item) => item.id);
      expect(right).toHaveLength(expected);
      correctSets.push(right);
    }
    expect(correctSets[1]).toEqual(correctSets[0]!);
    const records = ledgerFile(file);
    expect(records).toHaveLength(2 * aime.length);
    // 32 keep-alive connections, each placed on a worker by the kernel's hash: P(all on one) <= 2^-31.
    const workers = new Map<number, number>();
    for (const r of records) workers.set(r.worker!, (workers.get(r.worker!) ?? 0) + 1);
    console.log(`fixed mode, 2 passes of ${aime.length} at 32-way: ${expected} right each pass; records per worker ${JSON.stringify(Object.fromEntries(workers))}`);
    expect([...workers.keys()].sort()).toEqual([0, 1]);
    expect(await s.stop()).toBe(0);
  });

  test("exact mode: in ledger seq order every prefix is within 1 of p n; seqs are 1..M, lines whole, and /sim/ledger pages the same records", async () => {
    const file = join(tempDir("threads"), "ledger.jsonl");
    const p = 0.7;
    const s = await sim("--mode", "exact", "--success-rate", String(p), "--seed", "11", "--ledger", file, "--metrics");
    // 4 passes, every 5th request with n = 2 (two decisions, two records).
    const items = Array.from({ length: 4 * aime.length }, (_, i) => i % aime.length);
    await pool(items, 32, (q, i) => ask(s, q, i % 5 === 0 ? { n: 2 } : {}));
    const records = ledgerFile(file);
    const total = items.length + items.filter((_, i) => i % 5 === 0).length;
    expect(records).toHaveLength(total);
    const ordered = bySeq(records);
    expect(ordered.map((r) => r.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    let correct = 0;
    ordered.forEach((r, n) => {
      if (r.verdict === "correct") correct++;
      expect(Math.abs(correct - p * (n + 1))).toBeLessThan(1);
    });
    // The file is in write order; not every pair is in seq order across workers, which is why it is sorted above.
    expect(await allPages(s, 97)).toEqual(ordered);
    // /sim/stats and /metrics from either worker (fresh connections: P(all 40 on one worker) = 2^-39) equal the ledger.
    const wrong = total - correct;
    for (let i = 0; i < 20; i++) {
      const stats = (await (await fetch(`${s.url}/sim/stats`, { headers: { Connection: "close" } })).json()) as { totals: { scored: number; correct: number; wrong: number } };
      expect(stats.totals).toMatchObject({ scored: total, correct, wrong });
      const metrics = await (await fetch(`${s.url}/metrics`, { headers: { Connection: "close" } })).text();
      expect(metrics).toContain(`verdict="correct"} ${correct}\n`);
      expect(metrics).toContain(`verdict="wrong"} ${wrong}\n`);
      expect(metrics).toMatch(new RegExp(`^llamasim_request_duration_seconds_count (\\d+)$`, "m"));
    }
    expect(await s.stop()).toBe(0);
    expect(s.stderrLines.some((l) => l.includes(`SIGTERM, stopping; answered ${total} matched requests, ${correct} correctly`))).toBe(true);
  });

  test("random mode: a question asked k times from both workers has attempts 0..k-1 exactly once each", async () => {
    const s = await sim("--success-rate", "0.5", "--seed", "5");
    const k = 5;
    // Each question's asks spread over the run and over the 32 connections.
    const items = Array.from({ length: k * aime.length }, (_, i) => (i * 37) % aime.length);
    await pool(items, 32, (q) => ask(s, q));
    const records = await allPages(s, 1000);
    expect(records).toHaveLength(items.length);
    for (const item of aime) {
      const attempts = records.filter((r) => r.question === item.id).map((r) => r.attempt).sort((a, b) => a - b);
      expect(attempts).toEqual([0, 1, 2, 3, 4]);
    }
    expect(new Set(records.map((r) => r.worker))).toEqual(new Set([0, 1]));
  });

  test("POST /sim/reset from one worker resets the process: attempts start at 0 again and /sim/stats is empty from either", async () => {
    const s = await sim("--allow-override", "--seed", "2");
    await pool(Array.from({ length: 2 * aime.length }, (_, i) => i % aime.length), 32, (q) => ask(s, q));
    expect((await fetch(`${s.url}/sim/reset`, { method: "POST" })).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      const stats = (await (await fetch(`${s.url}/sim/stats`, { headers: { Connection: "close" } })).json()) as { totals: { scored: number } };
      expect(stats.totals.scored).toBe(0);
    }
    await pool(aime, 32, (item, q) => ask(s, q));
    const records = await allPages(s, 1000);
    expect(records.slice(2 * aime.length).every((r) => r.attempt === 0)).toBe(true);
  });

  test("--loading-ms: every worker answers 503 Loading model, then 200, from its start", async () => {
    const s = await sim("--loading-ms", "600");
    const early = await Promise.all(Array.from({ length: 8 }, () => fetch(`${s.url}/health`, { headers: { Connection: "close" } }).then((r) => r.status)));
    expect(early).toEqual(Array.from({ length: 8 }, () => 503));
    await Bun.sleep(700);
    const late = await Promise.all(Array.from({ length: 8 }, () => fetch(`${s.url}/health`, { headers: { Connection: "close" } }).then((r) => r.status)));
    expect(late).toEqual(Array.from({ length: 8 }, () => 200));
  });

  test("-np is divided among the workers, and /slots and /props show the process's slots from either", async () => {
    const s = await sim("-np", "5");
    for (let i = 0; i < 10; i++) {
      const slots = (await (await fetch(`${s.url}/slots`, { headers: { Connection: "close" } })).json()) as { id: number }[];
      expect(slots.map((slot) => slot.id)).toEqual([0, 1, 2, 3, 4]);
      const props = (await (await fetch(`${s.url}/props`, { headers: { Connection: "close" } })).json()) as { total_slots: number };
      expect(props.total_slots).toBe(5);
    }
  });

  test("--threads-http 0 runs one worker per core", async () => {
    const s = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--threads-http", "0", "--quiet"] });
    const cores = availableParallelism();
    if (cores > 1) expect(s.banner["http threads"]).toStartWith(`${cores} workers`);
    else expect(s.banner["http threads"]).toBeUndefined();
    expect((await ask(s, 0)).choices).toHaveLength(1);
  });
});

/** A request's outcome: its status, or the socket error that ended it. */
async function outcomeOf(s: Sim, q: number): Promise<string> {
  try {
    const res = await postJson(`${s.url}${CHAT}`, evalBody(aime[q % aime.length]!.problem));
    await res.text();
    return String(res.status);
  } catch (error) {
    return `reset:${(error as { code?: string }).code}`;
  }
}

linuxDescribe("--threads-http 2: faults and shutdown", () => {
  test("--crash-after 25 counts the process's replies: of 80 requests at 32-way exactly 25 are answered, the ledger holds 25, exit 3", async () => {
    const file = join(tempDir("threads"), "ledger.jsonl");
    const s = await sim("--crash-after", "25", "--ledger", file);
    const outcomes = await pool(Array.from({ length: 80 }, (_, i) => i), 32, (q) => outcomeOf(s, q));
    expect(outcomes.filter((o) => o === "200")).toHaveLength(25);
    expect(outcomes.filter((o) => o !== "200").every((o) => o.startsWith("reset:"))).toBe(true);
    expect(await s.proc.exited).toBe(3);
    expect(ledgerFile(file)).toHaveLength(25);
    expect(s.stderrLines.some((l) => l.includes("crashing on purpose after 25 replies (--crash-after)"))).toBe(true);
  });

  test("--fail-first 2 counts each question's attempts across workers: exactly 2 failures per question", async () => {
    const s = await sim("--fail-first", "2", "--metrics");
    const outcomes = await pool(Array.from({ length: 3 * aime.length }, (_, i) => i % aime.length), 32, (q) => outcomeOf(s, q));
    expect(outcomes.filter((o) => o === "503")).toHaveLength(2 * aime.length);
    expect(outcomes.filter((o) => o === "200")).toHaveLength(aime.length);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain(`llamasim_faults_total{kind="fail_first"} ${2 * aime.length}\n`);
  });

  test("SIGTERM mid-load (32 clients): exit 0, and the ledger holds exactly the requests that got a 200", async () => {
    const file = join(tempDir("threads"), "ledger.jsonl");
    const s = await sim("--ledger", file, "--seed", "8");
    const answered = new Set<string>();
    let killed = false;
    const client = async (c: number) => {
      for (let i = 0; !killed || i < 0; i++) {
        try {
          const res = await postJson(`${s.url}${CHAT}`, evalBody(aime[(c * 7 + i) % aime.length]!.problem));
          const text = await res.text();
          if (res.status === 200) answered.add((JSON.parse(text) as ChatCompletion).id);
          else throw new Error(`HTTP ${res.status}`);
        } catch (error) {
          if (killed) return;
          throw error;
        }
      }
    };
    const clients = Array.from({ length: 32 }, (_, c) => client(c));
    while (answered.size < 1500) await Bun.sleep(2);
    const code = s.stop("SIGTERM");
    killed = true;
    await Promise.all(clients);
    expect(await code).toBe(0);
    const records = ledgerFile(file);
    expect(new Set(records.map((r) => r.id))).toEqual(answered);
    expect(bySeq(records).map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(s.stderrLines.some((l) => l.includes(`answered ${records.length} matched requests`))).toBe(true);
  }, 30_000);

  test("SIGTERM with paced streams on both workers waits for every one of them, then exits 0", async () => {
    const s = await sim("--tps", "200", "--response-style", "reasoning", "--reasoning-tokens", "200", "-np", "16", "--shutdown-grace-ms", "20000");
    const streams = await Promise.all(
      Array.from({ length: 12 }, async (_, q) => {
        const res = await fetch(`${s.url}${CHAT}`, { method: "POST", headers: { Connection: "close" }, body: JSON.stringify(evalBody(aime[q]!.problem, { stream: true })) });
        const reader = res.body!.getReader();
        await reader.read(); // the stream has started
        return (async () => {
          let text = "";
          for (;;) {
            const step = await reader.read();
            if (step.done) return text;
            text += new TextDecoder().decode(step.value);
          }
        })();
      }),
    );
    s.proc.kill("SIGTERM");
    const texts = await Promise.all(streams);
    for (const text of texts) expect(text).toEndWith("data: [DONE]\n\n");
    expect(await s.proc.exited).toBe(0);
    // (Not "waited for 12 in-flight requests": Bun's pendingRequests, which that count reads, misses
    // streams whose handler answered through a promise, with one thread as with two.)
    expect(s.stderrLines.some((l) => l.includes("SIGTERM, stopping; answered 12 matched requests"))).toBe(true);
  }, 30_000);
});

linuxDescribe("the port", () => {
  const start = (port: number, threads: string) =>
    runToExit(["--dataset-file", AIME_FILE_REL, "--port", String(port), "--threads-http", threads], { timeoutMs: 15_000 });

  test("a second llama-sim on a busy port fails to start, whichever of them runs two workers", async () => {
    for (const [first, second] of [
      ["2", "2"],
      ["2", "1"],
      ["1", "2"],
    ] as const) {
      const s = await sim("--threads-http", first);
      const r = await start(s.port, second);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${s.port} (--host/--port)`);
      // The first is untouched.
      expect((await ask(s, 1)).choices).toHaveLength(1);
      expect(await s.stop()).toBe(0);
    }
  });

  test("a port another program holds with SO_REUSEPORT is busy too: the workers never join it", async () => {
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, reusePort: true, fetch: () => new Response("theirs") });
    try {
      const r = await start(other.port!, "2");
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain("cannot listen on");
    } finally {
      other.stop(true);
    }
  });
});

linuxDescribe("the binary carries its worker", () => {
  test("from an empty directory with an empty environment (env -i), two workers start and answer", async () => {
    const cwd = tempDir("empty");
    const proc = Bun.spawn([BINARY, "--dataset-file", AIME_FILE, "--port", "0", "--threads-http", "2", "--cache-dir", join(cwd, "cache")], {
      cwd,
      env: {},
      stdout: "ignore",
      stderr: "pipe",
    });
    const reader = proc.stderr.getReader();
    let text = "";
    while (!/ready in:/.test(text)) {
      const step = await reader.read();
      if (step.done) break;
      text += new TextDecoder().decode(step.value);
    }
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text)?.[1];
    expect(text).toContain("http threads: 2 workers");
    expect(port).toBeDefined();
    const res = await postJson(`http://127.0.0.1:${port}${CHAT}`, evalBody(aime[2]!.problem));
    expect(res.status).toBe(200);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
  });
});

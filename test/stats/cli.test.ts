// `llama-sim stats` end to end: two replicas of the compiled binary in fixed mode, each with its own
// ledger, share one AIME pass; the merged numbers equal the client's own grading and the replicas'
// /sim/stats added up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { evalBody, lastBoxed, loadAime, postJson, runToExit, startSim, stopAll, tempDir, type Sim } from "../e2e/harness.ts";

const RATE = 0.8;
let sims: Sim[] = [];
let ledgers: string[] = [];
let clientCorrect = 0;

beforeAll(async () => {
  const dir = tempDir("stats");
  ledgers = [join(dir, "a.jsonl"), join(dir, "b.jsonl")];
  sims = await Promise.all(
    ledgers.map((ledger) => startSim({ args: ["--mode", "fixed", "--seed", "7", "--success-rate", String(RATE), "--dataset", "aime", "--source", "embedded", "--ledger", ledger, "--quiet"] })),
  );
  // Alternate replicas, as a balancer would; each question asked once.
  const items = loadAime();
  const graded = await Promise.all(
    items.map(async (item, i) => {
      const reply = (await (await postJson(`${sims[i % 2]!.url}/v1/chat/completions`, evalBody(item.problem))).json()) as { choices: { message: { content: string } }[] };
      return lastBoxed(reply.choices[0]!.message.content) === item.gold;
    }),
  );
  clientCorrect = graded.filter(Boolean).length;
});
afterAll(stopAll);

describe("llama-sim stats on two replicas' ledgers", () => {
  test("the merged totals are the client's grading, and fixed mode's round(p N) exactly", async () => {
    const result = await runToExit(["stats", "--ledger", ledgers.join(","), "--rate", String(RATE), "--mode", "fixed", "--json"]);
    expect(result.exitCode).toBe(0);
    const stats = JSON.parse(result.stdout);
    const n = loadAime().length;
    expect(stats.totals.scored).toBe(n);
    expect(stats.totals.correct).toBe(clientCorrect);
    expect(stats.totals.correct).toBe(Math.round(RATE * n));
    expect(stats.ledgers.map((l: { records: number }) => l.records)).toEqual([Math.ceil(n / 2), Math.floor(n / 2)]);
    expect(stats.configured_rate).toBe(RATE);
    expect(stats.mode).toBe("fixed");
  });

  test("each replica's GET /sim/stats is its own ledger's; the merged questions are the union", async () => {
    const merged = JSON.parse((await runToExit(["stats", "--ledger", ledgers.join(","), "--json"])).stdout);
    const union: Record<string, unknown> = {};
    for (const [i, sim] of sims.entries()) {
      const live = (await (await fetch(`${sim.url}/sim/stats`)).json()) as { totals: unknown; questions: Record<string, unknown> };
      const own = JSON.parse((await runToExit(["stats", "--ledger", ledgers[i]!, "--json"])).stdout);
      expect(own.totals).toEqual(live.totals);
      expect(own.questions).toEqual(live.questions);
      Object.assign(union, live.questions);
    }
    expect(merged.questions).toEqual(union);
  });

  test("text output: the totals line and the rate with its interval", async () => {
    const result = await runToExit(["stats", "--ledger", ledgers.join(",")]);
    expect(result.exitCode).toBe(0);
    const n = loadAime().length;
    expect(result.stdout).toContain(`ledgers:    2 files, ${n} records\n`);
    expect(result.stdout).toMatch(new RegExp(`rate:       ${(clientCorrect / n).toFixed(4)} = ${clientCorrect}/${n} graded, Wilson 95% \\[0\\.\\d{4}, 0\\.\\d{4}\\]`));
  });

  test("a usage error exits 2 with one line naming the flag", async () => {
    const result = await runToExit(["stats", "--ledger", ledgers[0]!, "--rate", "2"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderrLines).toEqual(['llama-sim stats: --rate must be a number from 0 to 1 (got "2")']);
  });
});

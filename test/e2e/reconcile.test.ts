// `llama-sim reconcile` (issue 7 §4) end to end: a harness pass against the compiled binary with --ledger,
// graded the way llama-eval's regex grader does, saved in llama-eval's state format, then the binary's own
// `reconcile` subcommand. A grader that compares with AIME's raw zero-padded gold ("033") must be caught, case
// by case, with a reason; so must a string compare against varied answer forms; an honest grader must not be.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastBoxed, runToExit, stopAll, tempDir, type Sim } from "./harness.ts";
import { aimeItems, bodyFor, chatOk, pool, startEmbedded, type Item } from "./sim-http.ts";

afterAll(stopAll);

const AIME = aimeItems();

/** One graded case, as llama-eval keeps it in task_states.cases. */
interface Case {
  readonly task_id: string;
  readonly prompt: string;
  readonly expected: string;
  readonly response: string;
  readonly answer: string | null;
  readonly grader_log: Record<string, unknown>;
  readonly correct: boolean;
  readonly status: "ok";
  /** Not part of llama-eval's file: kept by the test to know what it planted. */
  readonly item: Item;
}

/** How a grader picks its gold: llama-eval's int normalisation ("033" -> "33"), or the raw dataset string. */
type GoldOf = (item: Item) => string;
const normalisedGold: GoldOf = (item) => item.gold;
const rawGold: GoldOf = (item) => item.raw;

/** One harness pass: every AIME question once, 32 in flight, each sent to `pick(i)`, graded by exact string compare of the last \boxed{}. */
async function harnessPass(pick: (i: number) => Sim, goldOf: GoldOf): Promise<Case[]> {
  return pool(AIME, 32, async (item, i) => {
    const request = bodyFor("aime", item);
    const body = await chatOk(pick(i), request);
    const response = body.choices[0]!.message.content!;
    const answer = lastBoxed(response) ?? null;
    const expected = goldOf(item);
    const taskId = `aime_000_${String(i).padStart(3, "0")}`;
    return { task_id: taskId, prompt: (request.messages as { content: string }[])[0]!.content, expected, response, answer, grader_log: { method: "regex" }, correct: answer === expected, status: "ok", item };
  });
}

/** llama-eval's state JSON (current version: task_states.cases keyed by task id). */
function writeState(cases: readonly Case[], dir: string): string {
  const path = join(dir, "state.json");
  const state = {
    id: "aime",
    model_name: "llama",
    tasks: cases.map((c) => c.task_id),
    task_states: {
      total: cases.length,
      correct: cases.filter((c) => c.correct).length,
      cases: Object.fromEntries(cases.map(({ item: _item, ...c }) => [c.task_id, c])),
    },
    sampling_config: { temperature: null },
  };
  writeFileSync(path, JSON.stringify(state, null, 2));
  return path;
}

interface Listed {
  readonly id: string;
  readonly question: string;
  readonly meant: string;
  readonly graded: string;
  readonly reason: string;
}

/** The disagreements `reconcile` printed: a header line, simulator/harness lines, then `reason:`. */
function listed(stdout: string): Listed[] {
  const lines = stdout.split("\n");
  const out: Listed[] = [];
  lines.forEach((line, i) => {
    const m = /^(\S+) \(aime\/(\S+), ledger seq \d+\): simulator meant (\S+), harness graded (\S+)$/.exec(line);
    if (!m) return;
    const reason = /^ {2}reason: {4}(.+)$/.exec(lines[i + 3] ?? "")?.[1];
    if (reason === undefined) throw new Error(`no reason line after ${JSON.stringify(line)}:\n${stdout}`);
    out.push({ id: m[1]!, question: m[2]!, meant: m[3]!, graded: m[4]!, reason });
  });
  return out;
}

const summaryOf = (stdout: string) => /^matched (\d+), unmatched (\d+), agree (\d+), disagree (\d+)/m.exec(stdout)?.slice(1).map(Number);

describe("llama-sim reconcile against a real harness pass", () => {
  test("a grader comparing with AIME's raw gold (\\boxed{33} vs \"033\") is caught on exactly the planted cases: exit 1, each with a reason", async () => {
    const dir = tempDir("reconcile");
    const ledger = join(dir, "ledger.jsonl");
    const sim = await startEmbedded("aime", ["--success-rate", "0.8", "--seed", "17", "--ledger", ledger]);
    let cases: Case[];
    try {
      cases = await harnessPass(() => sim, rawGold);
    } finally {
      await sim.stop();
    }
    // Planted: a correct reply (it boxes the normalised gold) to a question whose raw gold is zero-padded.
    const planted = cases.filter((c) => c.answer === c.item.gold && c.item.raw !== c.item.gold);
    // 20 of the 90 golds are zero-padded; at p = 0.8 none answered correctly has probability 0.2^20.
    expect(planted.length).toBeGreaterThan(0);
    const run = await runToExit(["reconcile", "--ledger", ledger, "--harness", writeState(cases, dir)]);
    const found = listed(run.stdout);
    console.log(`reconcile (raw-gold grader): ${planted.length} planted, ${found.length} listed, exit ${run.exitCode}; e.g.\n${run.stdout.split("\n").slice(0, 4).join("\n")}\n${run.stdout.trim().split("\n").at(-1)}`);
    expect(run.exitCode).toBe(1);
    expect(found.map((f) => f.id).sort()).toEqual(planted.map((c) => c.task_id).sort());
    for (const f of found) {
      const c = cases.find((x) => x.task_id === f.id)!;
      expect(f).toMatchObject({ meant: "correct", graded: "wrong" });
      // Paired with a record of this question, or of another with the same gold and so the very same reply
      // text (questions 6, 59 and 84 all have gold "033"): indistinguishable, and as good.
      expect(AIME.find((q) => q.id === f.question)!.raw).toBe(c.item.raw);
      // The reason names what the harness compared: the reply's answer and its zero-padded expectation.
      expect(f.reason).toContain(c.item.raw);
      expect(f.reason).toContain(c.item.gold);
    }
    expect(summaryOf(run.stdout)).toEqual([90, 0, 90 - planted.length, planted.length]);
  });

  test("a string-compare grader against --answer-forms varied (\\boxed{33.0}, \\boxed{1,000}) is caught with the form it misread", async () => {
    const dir = tempDir("reconcile");
    const ledger = join(dir, "ledger.jsonl");
    const sim = await startEmbedded("aime", ["--success-rate", "0.8", "--seed", "18", "--answer-forms", "varied", "--ledger", ledger]);
    let cases: Case[];
    try {
      cases = await harnessPass(() => sim, normalisedGold);
    } finally {
      await sim.stop();
    }
    // Planted: graded wrong, yet the boxed answer has the gold's value (33.0, 1,000 for 1000).
    const planted = cases.filter((c) => !c.correct && c.answer !== null && Number(c.answer.replaceAll(",", "")) === Number(c.item.gold));
    const run = await runToExit(["reconcile", "--ledger", ledger, "--harness", writeState(cases, dir)]);
    const found = listed(run.stdout);
    console.log(`reconcile (varied forms, string compare): ${planted.length} planted, ${found.length} listed, exit ${run.exitCode}; reasons: ${[...new Set(found.map((f) => f.reason))].slice(0, 3).join(" | ")}`);
    // Exactly the planted cases are listed: meant correct, written in a form the string compare rejected.
    expect(planted.length).toBeGreaterThan(0);
    expect(found.map((f) => f.id).sort()).toEqual(planted.map((c) => c.task_id).sort());
    expect(run.exitCode).toBe(1);
    for (const f of found) {
      const c = cases.find((x) => x.task_id === f.id)!;
      expect(f).toMatchObject({ meant: "correct", graded: "wrong" });
      expect(c.answer).not.toBe(c.item.gold);
      expect(f.reason).toContain(c.answer ?? "no answer");
    }
    expect(summaryOf(run.stdout)).toEqual([90, 0, 90 - planted.length, planted.length]);
  });

  /** An honest pass over two replicas (even cases to a, odd to b), each with its own --ledger. */
  async function honestPass(): Promise<{ dir: string; ledgers: string; cases: Case[] }> {
    const dir = tempDir("reconcile");
    const [la, lb] = [join(dir, "a.jsonl"), join(dir, "b.jsonl")];
    const flags = ["--success-rate", "0.5", "--seed", "19"];
    const [a, b] = await Promise.all([startEmbedded("aime", [...flags, "--ledger", la]), startEmbedded("aime", [...flags, "--ledger", lb])]);
    try {
      return { dir, ledgers: `${la},${lb}`, cases: await harnessPass((i) => (i % 2 === 0 ? a : b), normalisedGold) };
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }

  test("an honest grader over two replicas (--ledger a,b), saved as llama-eval state JSON: exit 0, disagree 0", async () => {
    const { dir, ledgers, cases } = await honestPass();
    const state = await runToExit(["reconcile", "--ledger", ledgers, "--harness", writeState(cases, dir)]);
    console.log(`reconcile (honest, two replicas): exit ${state.exitCode}: ${state.stdout.trim()}`);
    expect(state.exitCode).toBe(0);
    expect(state.stdout.trim()).toBe(`matched 90, unmatched 0, agree 90, disagree 0`);
    // One replica's ledger alone leaves the other's replies unmatched (short replies can repeat across
    // questions with the same answer, so only most of the 45 are).
    const half = summaryOf((await runToExit(["reconcile", "--ledger", ledgers.split(",")[0]!, "--harness", writeState(cases, dir)])).stdout)!;
    expect(half[0]! + half[1]!).toBe(90);
    expect(half[1]!).toBeGreaterThan(0);
  });

  /*
   * Without a saved gold, short replies repeat across questions ("... \boxed{24}." is right for a question
   * whose gold is 24 and wrong for one whose gold is 21); reconcile then prefers, among records of the same
   * text, one whose verdict agrees with the harness, so an honest run reports no false disagreement.
   */
  test("an honest grader saved as JSON Lines of {response, correct} (no gold): exit 0, disagree 0", async () => {
    const { dir, ledgers, cases } = await honestPass();
    const jsonl = join(dir, "cases.jsonl");
    writeFileSync(jsonl, cases.map((c) => JSON.stringify({ response: c.response, correct: c.correct })).join("\n") + "\n");
    const lines = await runToExit(["reconcile", "--ledger", ledgers, "--harness", jsonl]);
    console.log(`reconcile (honest, JSON Lines, no gold): exit ${lines.exitCode}: ${lines.stdout.trim().split("\n").at(-1)}`);
    expect(lines.exitCode).toBe(0);
    expect(lines.stdout).toContain("disagree 0");
  });
});

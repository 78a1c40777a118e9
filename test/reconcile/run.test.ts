// reconcile end to end over files: a simulated run writes a real ledger file, a harness grades the
// same replies and saves llama-eval's state JSON; planted grader bugs must be found, an honest
// grader must give exit 0.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalAnswer } from "../../src/dataset/answer.ts";
import { Ledger, responseHash, type Verdict } from "../../src/decide/records.ts";
import { runReconcile } from "../../src/reconcile/run.ts";

const dir = mkdtempSync(join(tmpdir(), "llama-sim-reconcile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const path = (name: string) => join(dir, `${++n}-${name}`);

interface Reply {
  readonly question: string;
  readonly gold: string;
  readonly verdict: Verdict;
  /** What the reply meant and how it wrote it (null: no answer). */
  readonly given: string | null;
  readonly written: string | null;
  readonly form: string;
}

/** A run over invented AIME-like questions: correct in several written forms, wrong, no answer. */
const RUN: readonly Reply[] = [
  { question: "1", gold: "33", verdict: "correct", given: "33", written: "33", form: "canonical" },
  { question: "2", gold: "33", verdict: "correct", given: "33", written: "033", form: "zero-padded" },
  { question: "3", gold: "336", verdict: "correct", given: "336", written: "336^\\circ", form: "degrees" },
  { question: "4", gold: "116", verdict: "wrong", given: "115", written: "115", form: "canonical" },
  { question: "5", gold: "7", verdict: "no-answer", given: null, written: null, form: "canonical" },
  { question: "6", gold: "999", verdict: "correct", given: "999", written: "999", form: "canonical" },
  { question: "7", gold: "8", verdict: "wrong", given: "9", written: "9", form: "canonical" },
];

/** The reply text: a line of reasoning, then the answer the way the simulator writes it. */
const content = (r: Reply) =>
  r.written === null
    ? `Question ${r.question}: I tried several approaches but could not finish the computation.`
    : `Question ${r.question}: working through the cases carefully.\n\nThe answer is \\boxed{${r.written}}.`;

function writeLedger(replies: readonly Reply[]): string {
  const file = path("ledger.jsonl");
  const ledger = new Ledger({ keep: 100, file });
  replies.forEach((r, i) =>
    ledger.append({
      time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      id: `chatcmpl-${String(i).padStart(32, "a")}`,
      dataset: "aime",
      question: r.question,
      attempt: 0,
      choice: 0,
      gold: r.gold,
      given: r.given,
      written: r.written,
      form: r.form,
      style: "short",
      format: "boxed",
      verdict: r.verdict,
      latency_ms: 0.2,
      response_hash: responseHash(content(r)),
    }),
  );
  ledger.close();
  return file;
}

type Grader = (response: string, expected: string) => { answer: string | null; correct: boolean };

/** llama-eval's regex grader: the last \boxed{digits}, else the last integer; exact string equality. */
const llamaEvalRegex: Grader = (response, expected) => {
  const boxed = [...response.matchAll(/\\boxed\{(\d+)\}/g)].at(-1)?.[1];
  const answer = boxed ?? [...response.matchAll(/\b(\d+)\b/g)].at(-1)?.[1] ?? null;
  return { answer, correct: answer !== null && answer.trim() === expected.trim() };
};

/** A grader that reads the whole boxed answer and compares canonical forms. */
const honest: Grader = (response, expected) => {
  const answer = [...response.matchAll(/\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}/g)].at(-1)?.[1] ?? null;
  return { answer, correct: answer !== null && canonicalAnswer(answer) === canonicalAnswer(expected) };
};

/** llama-eval's state JSON (task_states.cases keyed by task id), graded by `grader`. */
function writeState(replies: readonly Reply[], grader: Grader, expectedOf: (r: Reply) => string = (r) => r.gold): string {
  const cases: Record<string, unknown> = {};
  replies.forEach((r, i) => {
    const taskId = `aime_000_${String(i).padStart(3, "0")}`;
    const response = content(r);
    const expected = expectedOf(r);
    const { answer, correct } = grader(response, expected);
    cases[taskId] = { task_id: taskId, prompt: "…", expected, response, answer, grader_log: {}, correct, status: "ok", tokens: 20 };
  });
  const file = path("state.json");
  writeFileSync(file, JSON.stringify({ id: "aime", model_name: "llama", tasks: Object.keys(cases), task_states: { total: replies.length, cases }, sampling_config: {} }, null, 2));
  return file;
}

async function run(argv: string[]): Promise<{ status: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runReconcile(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

describe("llama-sim reconcile", () => {
  test("an honest grader agrees on every case: exit 0", async () => {
    const r = await run(["--ledger", writeLedger(RUN), "--harness", writeState(RUN, honest)]);
    expect(r.out).toEqual([`matched ${RUN.length}, unmatched 0, agree ${RUN.length}, disagree 0`]);
    expect(r.err).toEqual([]);
    expect(r.status).toBe(0);
  });

  test("llama-eval's regex grader mis-reads \\boxed{033}: exit 1 with both answers and the reason", async () => {
    // Its fallback reads 336 out of `336^\circ`, which still equals the normalised gold: no disagreement there.
    const r = await run(["--ledger", writeLedger(RUN), "--harness", writeState(RUN, llamaEvalRegex)]);
    expect(r.status).toBe(1);
    expect(r.out).toEqual([
      "aime_000_001 (aime/2, ledger seq 2): simulator meant correct, harness graded wrong",
      '  simulator: gold "33", answered "33", written `033` (form zero-padded, style short, format boxed)',
      '  harness:   expected "33", read "033"',
      '  reason:    harness read "033" but gold is "33"',
      `matched ${RUN.length}, unmatched 0, agree ${RUN.length - 1}, disagree 1`,
    ]);
  });

  test("a harness that keeps its gold as `336^\\circ` and reads 336 from the reply", async () => {
    const r = await run(["--ledger", writeLedger(RUN), "--harness", writeState(RUN, llamaEvalRegex, (x) => (x.question === "3" ? "336^\\circ" : x.gold))]);
    expect(r.status).toBe(1);
    expect(r.out.filter((l) => l.startsWith("  reason:"))).toEqual(['  reason:    harness read "033" but gold is "33"', "  reason:    harness read 336 from `336^\\circ`"]);
    expect(r.out.at(-1)).toBe(`matched ${RUN.length}, unmatched 0, agree ${RUN.length - 2}, disagree 2`);
  });

  test("a grader that falls back to any integer grades a no-answer reply correct", async () => {
    // The no-answer reply mentions "Question 5"; the gold of question 5 is 7, so make it 5 to plant it.
    const replies = RUN.map((r) => (r.question === "5" ? { ...r, gold: "5" } : r));
    const r = await run(["--ledger", writeLedger(replies), "--harness", writeState(replies, llamaEvalRegex)]);
    expect(r.status).toBe(1);
    expect(r.out).toContain('  reason:    reply had no answer but harness graded it correct (it read "5")');
  });

  test("JSON Lines of {response, correct}, several ledger files, unmatched cases and pending ones", async () => {
    const first = writeLedger(RUN.slice(0, 3));
    const second = writeLedger(RUN.slice(3));
    const lines = RUN.map((r) => JSON.stringify({ response: content(r), correct: honest(content(r), r.gold).correct }));
    lines.push(JSON.stringify({ response: "A reply from some other server.", correct: true, id: "stray" }));
    lines.push(JSON.stringify({ response: null, correct: false, id: "pending" }));
    const harness = path("harness.jsonl");
    writeFileSync(harness, `${lines.join("\n")}\n`);
    const r = await run([`--ledger=${first},${second}`, `--harness=${harness}`]);
    expect(r.out).toEqual(["unmatched stray: no ledger record has this response", `matched ${RUN.length}, unmatched 1, agree ${RUN.length}, disagree 0, skipped 1 (no response)`]);
    expect(r.status).toBe(0);
  });

  test("a harness file from another run matches nothing: exit 0 but a warning", async () => {
    const other = RUN.map((r) => ({ ...r, question: `x${r.question}` }));
    const r = await run(["--ledger", writeLedger(RUN), "--harness", writeState(other, honest)]);
    expect(r.status).toBe(0);
    expect(r.out.at(-1)).toBe(`matched 0, unmatched ${RUN.length}, agree 0, disagree 0`);
    expect(r.err).toEqual(["llama-sim reconcile: no harness case matched a ledger record: are the ledger and the harness file from the same run?"]);
  });

  describe("usage errors: exit 2 and one line naming the flag", () => {
    const ledger = writeLedger(RUN);
    const state = writeState(RUN, honest);
    const cases: [string[], RegExp][] = [
      [["--harness", state], /^llama-sim reconcile: --ledger FILE\[,FILE\] is required/],
      [["--ledger", ledger], /^llama-sim reconcile: --harness FILE is required/],
      [["--ledger", ",", "--harness", state], /--ledger FILE\[,FILE\] is required/],
      [["--ledger"], /^llama-sim reconcile: --ledger needs a value/],
      [["--ledger", ledger, "--harness", state, "--bogus"], /^llama-sim reconcile: unknown flag --bogus/],
      [["--ledger", ledger, "--harness", state, "extra"], /^llama-sim reconcile: unexpected argument/],
      [["--ledger", join(dir, "missing.jsonl"), "--harness", state], /^llama-sim reconcile: --ledger: ENOENT.*missing\.jsonl/],
      [["--ledger", ledger, "--harness", join(dir, "missing.json")], /^llama-sim reconcile: --harness: ENOENT.*missing\.json/],
      [["--ledger", state, "--harness", state], /^llama-sim reconcile: --ledger: .*:1: not a JSON line/],
      [["--ledger", ledger, "--harness", ledger], /^llama-sim reconcile: --harness: .*: line 1 has no "response"/],
    ];
    for (const [argv, pattern] of cases) {
      test(argv.join(" ").replaceAll(dir, "DIR"), async () => {
        const r = await run(argv);
        expect(r.status).toBe(2);
        expect(r.out).toEqual([]);
        expect(r.err.length).toBe(1);
        expect(r.err[0]).toMatch(pattern);
      });
    }
  });

  test("--help prints the usage and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.status).toBe(0);
    expect(r.out[0]).toStartWith("usage: llama-sim reconcile --ledger");
    expect(r.out.join("\n")).toContain("Exit status: 0 no disagreement, 1 at least one disagreement, 2");
  });
});

// `llama-sim stats`: merged statistics from several replicas' ledger files.
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ledger, type NewLedgerRecord, type Verdict } from "../../src/decide/records.ts";
import { statsFromRecords } from "../../src/decide/tally.ts";
import { mixedQuestions } from "../../src/stats/format.ts";
import { runStats } from "../../src/stats/run.ts";

const dir = mkdtempSync(join(tmpdir(), "llama-sim-stats-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;

function record(dataset: string, question: string, verdict: Verdict): NewLedgerRecord {
  return {
    time: "2026-12-01T00:00:00.000Z",
    id: `chatcmpl-${question}`,
    dataset,
    question,
    attempt: 1,
    choice: 0,
    gold: "33",
    given: verdict === "correct" ? "33" : verdict === "wrong" ? "34" : null,
    written: verdict === "correct" ? "33" : verdict === "wrong" ? "34" : null,
    form: "canonical",
    style: "short",
    format: "boxed",
    verdict,
    latency_ms: 0.1,
    response_hash: "0123456789abcdef",
  };
}

/** A ledger file written by the server's own Ledger class, as one replica would. */
function ledgerFile(records: readonly NewLedgerRecord[]): string {
  const file = join(dir, `r${++fileCount}.jsonl`);
  writeFileSync(file, "");
  const ledger = new Ledger({ keep: 0, file });
  for (const r of records) ledger.append(r);
  ledger.close();
  return file;
}

async function run(argv: readonly string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runStats(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const repeat = (n: number, r: NewLedgerRecord) => Array.from({ length: n }, () => r);

describe("llama-sim stats: merging", () => {
  // Three replicas: aime q1 always correct, q2 always wrong, gsm8k q7 correct; one no-answer and one injected error.
  const a = ledgerFile([...repeat(3, record("aime", "1", "correct")), record("aime", "2", "wrong"), record("gsm8k", "7", "correct")]);
  const b = ledgerFile([...repeat(2, record("aime", "1", "correct")), ...repeat(2, record("aime", "2", "wrong")), record("gsm8k", "7", "no-answer")]);
  const c = ledgerFile([record("aime", "1", "correct"), record("aime", "3", "error")]);

  test("--json: totals, datasets and questions add up over the files, with per-file record counts", async () => {
    const { code, out, err } = await run(["--ledger", `${a},${b}`, "--ledger", c, "--rate", "0.5", "--mode", "fixed", "--json"]);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out).toHaveLength(1);
    const stats = JSON.parse(out[0]!);
    expect(stats.ledgers).toEqual([
      { file: a, records: 5 },
      { file: b, records: 5 },
      { file: c, records: 2 },
    ]);
    expect(stats.configured_rate).toBe(0.5);
    expect(stats.mode).toBe("fixed");
    // 7 correct (6 aime q1 + 1 gsm8k), 3 wrong, 1 no answer, 1 error: rate = 7 / (12 - 1).
    expect(stats.totals).toMatchObject({ scored: 12, correct: 7, wrong: 3, no_answer: 1, error: 1, rate: 7 / 11 });
    expect(stats.datasets.aime).toMatchObject({ scored: 10, correct: 6, wrong: 3, no_answer: 0, error: 1, rate: 6 / 9 });
    expect(stats.datasets.gsm8k).toMatchObject({ scored: 2, correct: 1, wrong: 0, no_answer: 1, error: 0, rate: 0.5 });
    expect(stats.questions["aime/1"]).toEqual({ asked: 6, correct: 6, wrong: 0, no_answer: 0, error: 0 });
    expect(stats.questions["aime/2"]).toEqual({ asked: 3, correct: 0, wrong: 3, no_answer: 0, error: 0 });
    expect(stats.questions["gsm8k/7"]).toEqual({ asked: 2, correct: 1, wrong: 0, no_answer: 1, error: 0 });
    expect(mixedQuestions(stats)).toBe(1);
  });

  test("without --rate and --mode the JSON says null for both", async () => {
    const stats = JSON.parse((await run(["--ledger", a, "--json"])).out[0]!);
    expect(stats.configured_rate).toBeNull();
    expect(stats.mode).toBeNull();
    expect(stats.totals.scored).toBe(5);
  });

  test("text: totals, per-file counts, rate with the Wilson interval, per-dataset lines", async () => {
    // 8 correct of 10: the Wilson 95% interval is [0.4902, 0.9433] (textbook value).
    const ten = ledgerFile([...repeat(8, record("aime", "1", "correct")), ...repeat(2, record("aime", "2", "wrong"))]);
    const { code, out } = await run(["--ledger", ten, "--rate", "0.8"]);
    expect(code).toBe(0);
    expect(out[0]).toBe("ledgers:    1 file, 10 records");
    expect(out[1]).toBe(`  ${ten}  10`);
    expect(out).toContain("replies:    10 scored: 8 correct, 2 wrong, 0 no answer, 0 errors");
    expect(out).toContain("rate:       0.8000 = 8/10 graded, Wilson 95% [0.4902, 0.9433]");
    expect(out).toContain("configured: 0.8, inside the interval");
    expect(out).toContain("questions:  2 distinct, each asked 2 to 8 times; 0 answered correctly on some replies and not on others");
    expect(out.at(-1)).toBe("dataset aime: 10 scored: 8 correct, 2 wrong, 0 no answer, 0 errors; rate 0.8000 = 8/10 graded, Wilson 95% [0.4902, 0.9433]");
  });

  test("a configured rate outside the interval is flagged", async () => {
    const ten = ledgerFile([...repeat(8, record("aime", "1", "correct")), ...repeat(2, record("aime", "2", "wrong"))]);
    const { out } = await run(["--ledger", ten, "--rate", "0.2", "--mode", "random"]);
    expect(out).toContain("configured: 0.2 (mode random), OUTSIDE the interval");
  });

  test("a torn last line (a replica killed mid-write) is skipped; the records before it count", async () => {
    const torn = ledgerFile([record("aime", "1", "correct"), record("aime", "2", "wrong")]);
    appendFileSync(torn, '{"seq":3,"time":"2026-12-01T00:00:00.000Z","id":"chatcmpl-x","data');
    const stats = JSON.parse((await run(["--ledger", torn, "--json"])).out[0]!);
    expect(stats.totals).toMatchObject({ scored: 2, correct: 1, wrong: 1 });
  });

  test("empty ledgers: zero totals, rate null, a note on stderr, exit 0", async () => {
    const empty = ledgerFile([]);
    const { code, out, err } = await run(["--ledger", empty, "--json"]);
    expect(code).toBe(0);
    expect(JSON.parse(out[0]!).totals).toMatchObject({ scored: 0, rate: null });
    expect(err).toEqual(["llama-sim stats: the ledger files hold no records"]);
  });

  test("property: however the records are split over files and in whatever order, the merged stats are those of all records", async () => {
    const verdicts: Verdict[] = ["correct", "wrong", "no-answer", "error"];
    const recordArb = fc.record({ dataset: fc.constantFrom("aime", "gsm8k"), question: fc.integer({ min: 0, max: 5 }), verdict: fc.constantFrom(...verdicts) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(recordArb, fc.integer({ min: 0, max: 3 })), { maxLength: 60 }), async (items) => {
        const all = items.map(([r]) => record(r.dataset, String(r.question), r.verdict));
        // Split over 4 files by the drawn index (some may be empty), then list the files in reverse.
        const files = [0, 1, 2, 3].map((k) => ledgerFile(items.flatMap(([r, f], i) => (f === k ? [all[i]!] : []))));
        const merged = JSON.parse((await run(["--ledger", files.reverse().join(","), "--json"])).out[0]!);
        const single = statsFromRecords(all, { configuredRate: 0, mode: "" });
        expect(merged.totals).toEqual(JSON.parse(JSON.stringify(single.totals)));
        expect(merged.datasets).toEqual(JSON.parse(JSON.stringify(single.datasets)));
        expect(merged.questions).toEqual(single.questions);
        expect(merged.ledgers.reduce((s: number, l: { records: number }) => s + l.records, 0)).toBe(all.length);
      }),
      { numRuns: 40 },
    );
  });
});

describe("llama-sim stats: usage errors exit 2 with one line naming the flag", () => {
  const good = ledgerFile([record("aime", "1", "correct")]);
  const cases: [string, string[], RegExp][] = [
    ["no --ledger", [], /^llama-sim stats: --ledger FILE\[,FILE\.\.\.\] is required/],
    ["empty --ledger", ["--ledger", " , "], /^llama-sim stats: --ledger FILE/],
    ["--ledger without a value", ["--ledger"], /^llama-sim stats: --ledger needs a value/],
    ["an unknown flag", ["--ledger", good, "--bogus"], /^llama-sim stats: unknown flag --bogus/],
    ["a positional argument", ["--ledger", good, "extra"], /^llama-sim stats: unexpected argument/],
    ["--rate above 1", ["--ledger", good, "--rate", "1.5"], /^llama-sim stats: --rate must be a number from 0 to 1 \(got "1\.5"\)$/],
    ["--rate not a number", ["--ledger", good, "--rate", "0x1"], /^llama-sim stats: --rate must be a number/],
    ["--mode unknown", ["--ledger", good, "--mode", "lucky"], /^llama-sim stats: --mode must be one of random, fixed, exact, difficulty/],
    ["the same file twice", ["--ledger", `${good},${good}`], /^llama-sim stats: --ledger: ".*" is given twice$/],
    ["a missing file", ["--ledger", join(dir, "nope.jsonl")], /^llama-sim stats: --ledger: ENOENT.*nope\.jsonl/],
  ];
  for (const [name, argv, pattern] of cases) {
    test(name, async () => {
      const { code, out, err } = await run(argv);
      expect(code).toBe(2);
      expect(out).toEqual([]);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(pattern);
    });
  }

  test("a line that is not a ledger record names the file and line", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${JSON.stringify({ seq: 1, ...record("aime", "1", "correct") })}\n{"hello": 1}\n`);
    const { code, err } = await run(["--ledger", bad]);
    expect(code).toBe(2);
    expect(err).toEqual([`llama-sim stats: --ledger: ${bad}:2: not a ledger record`]);
  });

  test("--help prints the usage on out and exits 0", async () => {
    const { code, out, err } = await run(["--help"]);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toStartWith("usage: llama-sim stats --ledger FILE[,FILE...]");
  });
});

import { newRecord } from "../fixtures/ledger-record.ts";
import { describe, expect, test } from "bun:test";
import { responseHash, type LedgerRecord, type Verdict } from "../../src/decide/records.ts";
import type { HarnessCase } from "../../src/reconcile/harness.ts";
import { reconcile } from "../../src/reconcile/match.ts";
import { disagreementReason } from "../../src/reconcile/reason.ts";

let seq = 0;
function record(over: Partial<LedgerRecord> & { verdict: Verdict; content: string }): LedgerRecord {
  const { content, ...rest } = over;
  seq++;
  return { seq, ...newRecord({ id: `chatcmpl-${seq}`, response_hash: responseHash(content) }), ...rest };
}

const harness = (over: Partial<HarnessCase> & { response: string | null; correct: boolean }): HarnessCase => ({
  id: "case",
  answer: null,
  expected: null,
  ...over,
});

describe("disagreementReason", () => {
  const reason = (h: Partial<HarnessCase>, r: Partial<LedgerRecord> & { verdict: Verdict }) =>
    disagreementReason(harness({ response: "x", correct: r.verdict !== "correct", ...h }), record({ content: "x", ...r }));

  test("simulator meant correct, harness graded wrong", () => {
    // The planted AIME case: the reply wrote 033, the harness compared strings.
    expect(reason({ answer: "033", expected: "33" }, { verdict: "correct", gold: "33", given: "33", written: "033", form: "zero-padded" })).toBe(
      'harness read "033" but gold is "33"',
    );
    // The harness kept only the digits of `336^\circ` and compared with its unnormalised gold.
    expect(reason({ answer: "336", expected: "336^\\circ" }, { verdict: "correct", gold: "336", given: "336", written: "336^\\circ" })).toBe(
      "harness read 336 from `336^\\circ`",
    );
    expect(reason({ answer: null }, { verdict: "correct", written: "1,234", gold: "1234", given: "1234" })).toBe(
      "harness found no answer in a reply that wrote `1,234`",
    );
    expect(reason({ answer: "12" }, { verdict: "correct", written: "33" })).toBe('harness read "12" but the reply\'s answer was `33`');
  });

  test("simulator meant wrong, no answer or an error, harness graded correct", () => {
    expect(reason({ answer: "33" }, { verdict: "no-answer", given: null, written: null })).toBe(
      'reply had no answer but harness graded it correct (it read "33")',
    );
    expect(reason({}, { verdict: "no-answer", given: null, written: null })).toBe("reply had no answer but harness graded it correct");
    expect(reason({}, { verdict: "error", given: null, written: null })).toBe("reply was an injected error but harness graded it correct");
    // The harness picked the gold out of the reasoning, not the final answer.
    expect(reason({ answer: "33", expected: "33" }, { verdict: "wrong", given: "34", written: "34" })).toBe(
      'harness read "33" but the reply\'s answer was `34` (gold "33")',
    );
    expect(reason({ answer: "34" }, { verdict: "wrong", given: "34", written: "34" })).toBe('harness graded "34" correct but gold is "33"');
  });

  test("different golds come first, formatting differences are not different golds", () => {
    expect(reason({ answer: "B", expected: "B" }, { verdict: "wrong", gold: "C", given: "B", written: "B" })).toBe(
      'harness expects "B" but the simulator\'s gold is "C"',
    );
    expect(reason({ answer: "033", expected: "033" }, { verdict: "correct", written: "033" })).toBe('harness read "033" but gold is "33"');
  });
});

describe("reconcile", () => {
  test("pairs by response text, compares grades, lists unmatched and skipped", () => {
    const records = [
      record({ verdict: "correct", content: "The answer is \\boxed{33}." }),
      record({ verdict: "wrong", content: "The answer is \\boxed{34}.", given: "34", written: "34" }),
      record({ verdict: "correct", content: "The answer is \\boxed{033}.", written: "033" }),
    ];
    const cases = [
      harness({ id: "a", response: "The answer is \\boxed{33}.\n", correct: true, answer: "33" }),
      harness({ id: "b", response: "The answer is \\boxed{34}.", correct: false, answer: "34" }),
      harness({ id: "c", response: "The answer is \\boxed{033}.", correct: false, answer: "033", expected: "33" }),
      harness({ id: "d", response: "Something the simulator never said.", correct: true }),
      harness({ id: "e", response: null, correct: false }),
    ];
    const result = reconcile(cases, records);
    expect(result.agree.map((m) => [m.harness.id, m.record.seq])).toEqual([
      ["a", records[0]!.seq],
      ["b", records[1]!.seq],
    ]);
    expect(result.disagree.map((d) => [d.harness.id, d.record.seq, d.reason])).toEqual([["c", records[2]!.seq, 'harness read "033" but gold is "33"']]);
    expect(result.unmatched.map((c) => c.id)).toEqual(["d"]);
    expect(result.skipped.map((c) => c.id)).toEqual(["e"]);
  });

  test("identical replies to different questions are told apart by the harness's gold", () => {
    // Multiple choice: "Answer: B" is right for one question and wrong for the other.
    const text = "Answer: B";
    const wrongOne = record({ verdict: "wrong", content: text, dataset: "gpqa", question: "1", gold: "C", given: "B", written: "B" });
    const rightOne = record({ verdict: "correct", content: text, dataset: "gpqa", question: "2", gold: "B", given: "B", written: "B" });
    const result = reconcile(
      [
        harness({ id: "q2", response: text, correct: true, answer: "B", expected: "B" }),
        harness({ id: "q1", response: text, correct: false, answer: "B", expected: "C" }),
      ],
      [wrongOne, rightOne],
    );
    expect(result.disagree).toEqual([]);
    expect(result.agree.map((m) => [m.harness.id, m.record.question])).toEqual([
      ["q2", "2"],
      ["q1", "1"],
    ]);
  });

  test("repeated identical replies are paired one to one in ledger order", () => {
    const text = "The answer is \\boxed{33}.";
    const records = [record({ verdict: "correct", content: text }), record({ verdict: "correct", content: text })];
    const result = reconcile(
      [harness({ id: "x", response: text, correct: true }), harness({ id: "y", response: text, correct: true }), harness({ id: "z", response: text, correct: true })],
      records,
    );
    // The third grading of the same text reuses the first record rather than going unmatched.
    expect(result.agree.map((m) => m.record.seq)).toEqual([records[0]!.seq, records[1]!.seq, records[0]!.seq]);
  });
});

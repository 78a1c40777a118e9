import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Verdict } from "../../src/decide/records.ts";
import { wilson95 } from "../../src/decide/stats.ts";
import { statsFromRecords, Tally, type TallyRecord } from "../../src/decide/tally.ts";

const rec = (dataset: string, question: string, verdict: Verdict): TallyRecord => ({ dataset, question, verdict });
const OPTIONS = { configuredRate: 0.5, mode: "random" } as const;

describe("Tally", () => {
  test("counts totals, per dataset and per question by verdict", () => {
    const tally = new Tally();
    tally.add(rec("aime", "1", "correct"));
    tally.add(rec("aime", "1", "wrong"));
    tally.add(rec("aime", "2", "correct"));
    tally.add(rec("gsm8k", "7", "no-answer"));
    tally.add(rec("gsm8k", "7", "error"));
    const stats = tally.stats(OPTIONS);
    expect(stats.configured_rate).toBe(0.5);
    expect(stats.mode).toBe("random");
    const w = wilson95(2, 4);
    // Errors are scored but not graded: rate = 2 / (5 - 1).
    expect(stats.totals).toEqual({ scored: 5, correct: 2, wrong: 1, no_answer: 1, error: 1, rate: 0.5, wilson95: [w.low, w.high] });
    expect(stats.datasets.aime).toMatchObject({ scored: 3, correct: 2, wrong: 1, no_answer: 0, error: 0, rate: 2 / 3 });
    expect(stats.datasets.gsm8k).toMatchObject({ scored: 2, correct: 0, no_answer: 1, error: 1, rate: 0 });
    expect(stats.questions).toEqual({
      "aime/1": { asked: 2, correct: 1, wrong: 1, no_answer: 0, error: 0 },
      "aime/2": { asked: 1, correct: 1, wrong: 0, no_answer: 0, error: 0 },
      "gsm8k/7": { asked: 2, correct: 0, wrong: 0, no_answer: 1, error: 1 },
    });
  });

  test("an empty tally has no rate and the whole [0, 1] interval", () => {
    const stats = new Tally().stats(OPTIONS);
    expect(stats.totals).toEqual({ scored: 0, correct: 0, wrong: 0, no_answer: 0, error: 0, rate: null, wilson95: [0, 1] });
    expect(stats.datasets).toEqual({});
    expect(stats.questions).toEqual({});
    expect(stats).not.toHaveProperty("expected_pass_at_k");
  });

  test("judge and unmatched requests are counted apart from scored replies", () => {
    const tally = new Tally();
    tally.onJudge();
    tally.onJudge();
    tally.onUnmatched();
    tally.add(rec("aime", "1", "correct"));
    const stats = tally.stats(OPTIONS);
    expect(stats.judge_requests).toBe(2);
    expect(stats.unmatched_requests).toBe(1);
    expect(stats.totals.scored).toBe(1);
  });

  test("reset clears everything", () => {
    const tally = new Tally();
    tally.add(rec("aime", "1", "correct"));
    tally.onJudge();
    tally.onUnmatched();
    tally.reset();
    expect(tally.stats(OPTIONS)).toEqual(new Tally().stats(OPTIONS));
    tally.add(rec("aime", "3", "wrong"));
    expect(Object.keys(tally.stats(OPTIONS).questions)).toEqual(["aime/3"]);
  });

  test("keys are sorted so equal records give identical JSON", () => {
    const tally = new Tally();
    for (const [d, q] of [["b", "2"], ["a", "9"], ["b", "1"], ["a", "10"]] as const) tally.add(rec(d, q, "correct"));
    const stats = tally.stats(OPTIONS);
    expect(Object.keys(stats.datasets)).toEqual(["a", "b"]);
    expect(Object.keys(stats.questions)).toEqual(["a/10", "a/9", "b/1", "b/2"]);
  });

  test("difficulty mode: expected pass@k from the callback and observed pass@k from the counts", () => {
    const tally = new Tally();
    // q1: 2 of 4 correct; q2: 0 of 2; q3: 1 of 1 (asked too few times for k >= 2).
    for (const v of ["correct", "wrong", "correct", "wrong"] as const) tally.add(rec("aime", "1", v));
    tally.add(rec("aime", "2", "wrong"));
    tally.add(rec("aime", "2", "no-answer"));
    tally.add(rec("aime", "3", "correct"));
    tally.add(rec("aime", "3", "error")); // not a sample
    const stats = tally.stats({ ...OPTIONS, mode: "difficulty", expectedPassAtK: (k) => 1 - 0.5 ** k });
    expect(stats.expected_pass_at_k).toEqual({ "1": 0.5, "2": 0.75, "4": 0.9375, "8": 1 - 0.5 ** 8 });
    // pass@1 = mean(2/4, 0/2, 1/1); pass@2 = mean(1 - C(2,2)/C(4,2), 0); pass@4 = q1 only: 1; pass@8: nobody.
    expect(stats.pass_at_k!["1"]).toBeCloseTo((0.5 + 0 + 1) / 3, 12);
    expect(stats.pass_at_k!["2"]).toBeCloseTo((1 - 1 / 6 + 0) / 2, 12);
    expect(stats.pass_at_k!["4"]).toBe(1);
    expect(stats.pass_at_k!["8"]).toBeNull();
  });
});

const recordArb = fc.record({
  dataset: fc.constantFrom("aime", "gsm8k", "__proto__", "a b"),
  question: fc.constantFrom("0", "1", "2", "17"),
  verdict: fc.constantFrom<Verdict>("correct", "wrong", "no-answer", "error"),
});

describe("Tally by question index", () => {
  test("property: counting by index gives the stats counting by key gives, through resets, shared keys and indices outside the dataset", () => {
    // Six indices over five keys: indices 4 and 5 are the same question (a dataset with a repeated id).
    const keys: readonly (readonly [string, string])[] = [["aime", "1"], ["aime", "2"], ["gsm8k", "1"], ["a b", "17"], ["aime", "9"], ["aime", "9"]];
    const step = fc.oneof(
      fc.record({ index: fc.integer({ min: 0, max: 7 }), verdict: fc.constantFrom<Verdict>("correct", "wrong", "no-answer", "error") }),
      fc.constant("reset" as const),
      fc.constant("judge" as const),
      // A dataset question counted without its index (an injected error): merged with its indexed counts.
      fc.record({ unindexed: fc.integer({ min: 0, max: 5 }), verdict: fc.constantFrom<Verdict>("correct", "error") }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 150 }), (steps) => {
        const byIndex = new Tally(keys.length);
        const byKey = new Tally();
        for (const s of steps) {
          if (s === "reset") [byIndex, byKey].forEach((t) => t.reset());
          else if (s === "judge") [byIndex, byKey].forEach((t) => t.onJudge());
          else if ("unindexed" in s) [byIndex, byKey].forEach((t) => t.add(rec(keys[s.unindexed]![0], keys[s.unindexed]![1], s.verdict)));
          else {
            // Indices 6 and 7 are outside the dataset: counted by key, as a record without an index.
            const [dataset, question] = keys[s.index] ?? ["stray", String(s.index)];
            byIndex.add(rec(dataset, question, s.verdict), s.index);
            byKey.add(rec(dataset, question, s.verdict));
          }
        }
        expect(byIndex.stats(OPTIONS)).toEqual(byKey.stats(OPTIONS));
        // pass@k too, to the last digit (summed in key order whatever the counting order).
        const withPassAtK = { ...OPTIONS, expectedPassAtK: () => 0.5 };
        expect(byIndex.stats(withPassAtK)).toEqual(byKey.stats(withPassAtK));
        // Fractional or negative indices are not dataset indices: counted by key.
        const odd = new Tally(keys.length);
        odd.add(rec("aime", "1", "correct"), 0.5);
        odd.add(rec("aime", "1", "wrong"), -1);
        expect(odd.stats(OPTIONS).questions["aime/1"]).toEqual({ asked: 2, correct: 1, wrong: 1, no_answer: 0, error: 0 });
      }),
      { numRuns: 300 },
    );
  });
});

describe("statsFromRecords", () => {
  test("property: equals a live tally of the same records, and the parts add up", () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 200 }), (records) => {
        const live = new Tally();
        for (const r of records) live.add(r);
        const stats = statsFromRecords(records, OPTIONS);
        expect(stats).toEqual(live.stats(OPTIONS));
        // JSON-able: survives a round trip unchanged.
        expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
        const t = stats.totals;
        expect(t.scored).toBe(records.length);
        expect(t.correct + t.wrong + t.no_answer + t.error).toBe(t.scored);
        const datasets = Object.values(stats.datasets);
        expect(datasets.reduce((s, d) => s + d.scored, 0)).toBe(t.scored);
        expect(datasets.reduce((s, d) => s + d.correct, 0)).toBe(t.correct);
        expect(Object.values(stats.questions).reduce((s, q) => s + q.asked, 0)).toBe(t.scored);
        const graded = t.scored - t.error;
        expect(t.rate).toBe(graded === 0 ? null : t.correct / graded);
        expect(t.wilson95[0]).toBeLessThanOrEqual(t.rate ?? 0);
        expect(t.wilson95[1]).toBeGreaterThanOrEqual(t.rate ?? 1);
      }),
      { numRuns: 300 },
    );
  });

  test("a dataset named __proto__ is an ordinary key", () => {
    const stats = statsFromRecords([rec("__proto__", "1", "correct")], OPTIONS);
    expect(Object.keys(stats.datasets)).toEqual(["__proto__"]);
    expect(JSON.parse(JSON.stringify(stats)).datasets.__proto__.correct).toBe(1);
  });
});

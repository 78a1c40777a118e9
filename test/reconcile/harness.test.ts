import { describe, expect, test } from "bun:test";
import { parseHarness } from "../../src/reconcile/harness.ts";

describe("parseHarness", () => {
  test("llama-eval's current state file: task_states.cases keyed by task id", () => {
    const state = {
      id: "aime",
      model_name: "llama",
      tasks: ["aime_000_003", "aime_000_007", "aime_000_001"],
      task_states: {
        total: 2,
        correct: 1,
        total_time: 1.5,
        ci_lower: 0.1,
        ci_upper: 0.9,
        cases: {
          aime_000_003: { task_id: "aime_000_003", prompt: "p", expected: "33", response: "The answer is \\boxed{33}.", answer: "33", grader_log: {}, correct: true, status: "ok", tokens: 9 },
          aime_000_007: { task_id: "aime_000_007", prompt: "p", expected: "116", response: "The answer is \\boxed{115}.", answer: "115", grader_log: {}, correct: false, status: "ok" },
          aime_000_001: { task_id: "aime_000_001", prompt: "p", expected: "5", response: null, answer: null, grader_log: {}, correct: false, status: "pending" },
        },
      },
      sampling_config: { temperature: 0 },
    };
    expect(parseHarness(JSON.stringify(state, null, 2))).toEqual([
      { id: "aime_000_003", response: "The answer is \\boxed{33}.", correct: true, answer: "33", expected: "33" },
      { id: "aime_000_007", response: "The answer is \\boxed{115}.", correct: false, answer: "115", expected: "116" },
      { id: "aime_000_001", response: null, correct: false, answer: null, expected: "5" },
    ]);
  });

  test("llama-eval's first state files: task_states.<task>.cases.<task>[] with pred/extracted/gold", () => {
    const state = {
      id: "gpqa",
      tasks: ["gpqa"],
      task_states: { gpqa: { total: 1, correct: 0, cases: { gpqa: [{ case_id: "gpqa_000_184", prompt: "p", gold: "B", pred: "Answer: C", extracted: "C", correct: false, status: "ok" }] } } },
      sampling_config: {},
    };
    expect(parseHarness(JSON.stringify(state))).toEqual([{ id: "gpqa_000_184", response: "Answer: C", correct: false, answer: "C", expected: "B" }]);
  });

  test("a bare array, a results array, and numeric answers and grades", () => {
    const cases = [{ response: "x", correct: 1, answer: 42, expected: 42 }, { response: "y", correct: 0 }];
    const want = [
      { id: "#1", response: "x", correct: true, answer: "42", expected: "42" },
      { id: "#2", response: "y", correct: false, answer: null, expected: null },
    ];
    expect(parseHarness(JSON.stringify(cases))).toEqual(want);
    expect(parseHarness(JSON.stringify({ results: cases }))).toEqual(want);
  });

  test("JSON Lines of {response, correct}", () => {
    const text = `{"response": "a", "correct": true}\n\n{"response": "b", "correct": false, "id": 7}\n`;
    expect(parseHarness(text)).toEqual([
      { id: "#1", response: "a", correct: true, answer: null, expected: null },
      { id: "7", response: "b", correct: false, answer: null, expected: null },
    ]);
  });

  test("empty answers count as none; answers are trimmed", () => {
    expect(parseHarness(JSON.stringify([{ response: "r", correct: false, answer: "  ", expected: " 33 " }]))[0]).toMatchObject({ answer: null, expected: "33" });
  });

  test("errors say what is wrong", () => {
    expect(() => parseHarness("{}")).toThrow(/no graded cases/);
    expect(() => parseHarness(JSON.stringify([{ response: "r", correct: "yes" }]))).toThrow(/no graded cases/);
    expect(() => parseHarness(`{"response": "a", "correct": true}\nnot json\n`)).toThrow(/^line 2 is not JSON/);
    expect(() => parseHarness(`{"response": "a", "correct": true}\n{"correct": true}\n`)).toThrow(/^line 2 has no "response"/);
  });
});

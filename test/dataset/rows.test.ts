import { describe, expect, test } from "bun:test";
import { fieldsOf, rowsToQuestions } from "../../src/dataset/rows.ts";
import { DatasetError } from "../../src/dataset/types.ts";

const aimeRow = { id: 7, problem: "What is 1+1?", solution: "It is 2.", answer: "002", url: "https://x" };

describe("rowsToQuestions", () => {
  test("defaults: problem/answer, id from the row, canonical answer", () => {
    const r = rowsToQuestions([aimeRow], {});
    expect(r).toEqual({
      questions: [{ index: 0, id: "7", text: "What is 1+1?", answer: "2" }],
      skipped: 0,
      unresolved: 0,
      questionField: "problem",
      answerField: "answer",
      multipleChoice: false,
    });
  });

  test("falls back to `question` when there is no `problem`", () => {
    const r = rowsToQuestions([{ question: "Q?", answer: "#### 1,234" }], {});
    expect(r.questionField).toBe("question");
    expect(r.questions[0]).toEqual({ index: 0, id: "0", text: "Q?", answer: "1,234" });
  });

  test("case-insensitive fallback: AIME_2024's Problem/Answer/ID", () => {
    const r = rowsToQuestions([{ ID: "2024-II-4", Problem: "P", Solution: "S", Answer: 33 }], {});
    expect([r.questionField, r.answerField]).toEqual(["Problem", "Answer"]);
    expect(r.questions[0]).toEqual({ index: 0, id: "2024-II-4", text: "P", answer: "33", difficulty: 3 / 14 });
  });

  test("explicit fields win, and match case-insensitively", () => {
    const r = rowsToQuestions([aimeRow], { question: "SOLUTION", answer: "url" });
    expect(r.questions[0]).toMatchObject({ text: "It is 2.", answer: "https://x" });
  });

  test("unique_id is used as the id; no id field means the row position", () => {
    expect(rowsToQuestions([{ problem: "a", answer: "1", unique_id: "test/x/1.json" }], {}).questions[0]!.id).toBe("test/x/1.json");
    const r = rowsToQuestions([{ problem: "a", answer: "1" }, { problem: "b", answer: "2" }], {});
    expect(r.questions.map((q) => q.id)).toEqual(["0", "1"]);
  });

  test("rows with an empty question or answer are skipped and counted; indexes stay dense", () => {
    const rows = [
      { problem: "a", answer: "1" },
      { problem: "   ", answer: "2" },
      { answer: "3" },
      { problem: "d", answer: "" },
      { problem: "e", answer: "5" },
    ];
    const r = rowsToQuestions(rows, {});
    expect(r.skipped).toBe(3);
    expect(r.questions.map((q) => [q.index, q.id, q.text])).toEqual([
      [0, "0", "a"],
      [1, "4", "e"],
    ]);
  });

  test("a missing explicit field names it and lists the fields that exist", () => {
    expect(() => rowsToQuestions([aimeRow], { question: "prob" })).toThrow(
      new DatasetError('no question field "prob" in the rows; fields are: id, problem, solution, answer, url (use --question-field)'),
    );
    expect(() => rowsToQuestions([aimeRow], { answer: "gold" })).toThrow(
      'no answer field "gold" in the rows; fields are: id, problem, solution, answer, url (use --answer-field)',
    );
  });

  test("missing default fields say what was tried", () => {
    expect(() => rowsToQuestions([{ text: "x", label: "1" }], {})).toThrow(
      "no question field (tried problem, question) in the rows; fields are: text, label (use --question-field)",
    );
    expect(() => rowsToQuestions([{ question: "x", label: "1" }], {})).toThrow(
      "no answer field (tried answer) in the rows; fields are: question, label (use --answer-field)",
    );
  });

  test("fieldsOf unions ragged rows in order of first appearance", () => {
    expect(fieldsOf([{ a: 1 }, { b: 2, a: 3 }, { c: 4 }])).toEqual(["a", "b", "c"]);
  });
});

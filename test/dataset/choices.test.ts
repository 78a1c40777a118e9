// Multiple-choice rows. The examples here are invented; GPQA itself is read from ../shared at run time only,
// and compared through ids and booleans so that a failure never prints its text.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { detectChoiceShape } from "../../src/dataset/choices.ts";
import { csvToRows } from "../../src/dataset/csv.ts";
import { loadDataset } from "../../src/dataset/load.ts";
import { resolveDataset } from "../../src/dataset/presets.ts";
import { rowsToQuestions } from "../../src/dataset/rows.ts";
import type { Question } from "../../src/dataset/types.ts";
import { GATED_TOKEN, SHARED_DATASETS, startFakeDatasetsServer } from "../fixtures/fake-datasets-server.ts";
import { hubOptions, tempDir } from "./helpers.ts";

const GPQA_CSV = join(SHARED_DATASETS, "gpqa/gpqa_diamond.csv");

/** An invented row in GPQA's column layout (with the pre-revision columns that must not be picked). */
const columnsRow = {
  "Pre-Revision Question": "old wording",
  "Pre-Revision Correct Answer": "old correct",
  Question: "  Which gas do green plants take in for photosynthesis?\n",
  "Correct Answer": " Carbon dioxide ",
  "Incorrect Answer 1": "Oxygen",
  "Incorrect Answer 2": " Nitrogen",
  "Incorrect Answer 3": "Helium  ",
  "Record ID": "recInvented001",
};

describe("GPQA's column shape", () => {
  test("Correct Answer + Incorrect Answer 1..3 are recognised without flags: correct first, all trimmed", () => {
    const r = rowsToQuestions([columnsRow], {});
    expect([r.questionField, r.answerField, r.multipleChoice]).toEqual(["Question", "Correct Answer", true]);
    expect(r.questions).toEqual([
      {
        index: 0,
        id: "recInvented001",
        text: "Which gas do green plants take in for photosynthesis?",
        answer: "Carbon dioxide",
        choices: ["Carbon dioxide", "Oxygen", "Nitrogen", "Helium"],
      },
    ]);
  });

  test("the gpqa preset's explicit fields give the same; another --answer-field turns the shape off", () => {
    const [source] = resolveDataset("gpqa");
    expect(rowsToQuestions([columnsRow], source!.fields).questions).toEqual(rowsToQuestions([columnsRow], {}).questions);
    const other = rowsToQuestions([columnsRow], { answer: "Incorrect Answer 1" });
    expect(other.multipleChoice).toBe(false);
    expect(other.questions[0]).toMatchObject({ answer: "Oxygen" });
    expect(other.questions[0]!.choices).toBeUndefined();
  });

  test("an empty correct answer skips the row; empty wrong options are left out", () => {
    const r = rowsToQuestions([{ ...columnsRow, "Correct Answer": "  " }, { ...columnsRow, "Incorrect Answer 2": "" }], {});
    expect(r.skipped).toBe(1);
    expect(r.questions.map((q) => q.choices)).toEqual([["Carbon dioxide", "Oxygen", "Helium"]]);
  });

  test("CSV with those columns (as simple-evals ships it) loads through loadDataset", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "mc.csv");
      const header = Object.keys(columnsRow).map((k) => `"${k}"`).join(",");
      const values = Object.values(columnsRow).map((v) => `"${v.replaceAll('"', '""')}"`).join(",");
      await Bun.write(path, `${header}\n${values}\n`);
      const ds = await loadDataset({ kind: "file", path, fields: {} }, hubOptions("http://unused.invalid", dir.path, { offline: true }));
      expect(ds.questions[0]).toMatchObject({ id: "recInvented001", answer: "Carbon dioxide", dataset: path });
      expect(ds.questions[0]!.choices).toHaveLength(4);
    } finally {
      dir.cleanup();
    }
  });
});

describe("the generic options-list shape (lm-eval / MMLU / ARC)", () => {
  const options = ["Mercury", "Venus", "Earth", "Mars"];
  const correctThird = { answer: "Earth", choices: ["Earth", "Mercury", "Venus", "Mars"] };

  test.each([
    ["an MMLU-style 0-based index", { question: "Which planet do we live on?", choices: options, answer: 2 }],
    ["a letter", { question: "Which planet do we live on?", options, answer: "C" }],
    ["a letter in parentheses", { question: "Which planet do we live on?", options, answer: "(C)" }],
    ["a letter with a dot, lower case", { question: "Which planet do we live on?", options, answer: "c." }],
    ["the option's text", { question: "Which planet do we live on?", options, answer: " Earth " }],
    ["a digit string index", { question: "Which planet do we live on?", choices: options, answer: "2" }],
    ["ARC's {text, label} and answerKey", { question: "Which planet do we live on?", choices: { text: options, label: ["A", "B", "C", "D"] }, answerKey: "C" }],
    ["ARC's numeric labels", { question: "Which planet do we live on?", choices: { text: options, label: ["1", "2", "3", "4"] }, answerKey: "3" }],
  ])("%s", (_, row) => {
    const r = rowsToQuestions([row], {});
    expect(r.multipleChoice).toBe(true);
    expect(r.questions[0]).toMatchObject(correctThird);
  });

  test("rows whose answer names no option are skipped and counted; the rest are kept", () => {
    const rows = [
      { question: "Which planet do we live on?", choices: options, answer: 2 },
      { question: "Which is the smallest?", choices: options, answer: "E" },
      { question: "Which is the red one?", choices: options, answer: 7 },
    ];
    const r = rowsToQuestions(rows, {});
    expect([r.questions.length, r.unresolved, r.skipped]).toEqual([1, 2, 0]);
  });

  test("an options field whose answers never name an option is not multiple choice", () => {
    const rows = [{ problem: "How many moons does Mars have?", options: ["fast", "slow"], answer: "002" }];
    const r = rowsToQuestions(rows, {});
    expect(r.multipleChoice).toBe(false);
    expect(r.questions[0]).toEqual({ index: 0, id: "0", text: "How many moons does Mars have?", answer: "2" });
  });

  test("detectChoiceShape", () => {
    expect(detectChoiceShape(["question", "Options", "answer"], undefined)).toEqual({ kind: "list", field: "Options" });
    expect(detectChoiceShape(["problem", "answer"], undefined)).toBeUndefined();
    expect(detectChoiceShape(["Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2"], undefined)).toBeUndefined();
  });
});

describe("GPQA diamond from ../shared (never copied into the repository)", () => {
  const server = startFakeDatasetsServer();
  const cache = tempDir();
  afterAll(async () => {
    await server.stop();
    cache.cleanup();
  });

  /** Ids of questions whose fields differ from the CSV's cells, so a failure names ids, never GPQA text. */
  function mismatches(questions: readonly Question[], rows: Record<string, string>[]): string[] {
    const byId = new Map(rows.map((r) => [r["Record ID"]!, r]));
    const bad: string[] = [];
    for (const q of questions) {
      const row = byId.get(q.id);
      const wrong = ["Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"].map((k) => row?.[k]?.trim());
      const ok =
        row !== undefined &&
        q.text === row.Question!.trim() &&
        q.answer === row["Correct Answer"]!.trim() &&
        JSON.stringify(q.choices) === JSON.stringify([q.answer, ...wrong]);
      if (!ok) bad.push(q.id);
    }
    return bad;
  }

  test("the simple-evals CSV loads with no field flags: 198 questions, Record ID ids, correct option first", async () => {
    const rows = csvToRows(await Bun.file(GPQA_CSV).text());
    const ds = await loadDataset({ kind: "file", path: GPQA_CSV, fields: {} }, hubOptions("http://unused.invalid", cache.path, { offline: true }));
    expect(ds.questions).toHaveLength(198);
    expect(new Set(ds.questions.map((q) => q.id)).size).toBe(198);
    expect(mismatches(ds.questions, rows)).toEqual([]);
    expect(ds.questions.every((q) => q.choices?.length === 4 && q.difficulty === undefined)).toBe(true);
  });

  test("the gpqa preset through the (gated) datasets-server: 401 without HF_TOKEN, 404 with a token lacking access", async () => {
    const noToken = await loadDataset(resolveDataset("gpqa"), hubOptions(server.url, join(cache.path, "a"))).catch((e) => e);
    expect(noToken.message).toContain("gated or private");
    expect(noToken.message).toContain("set HF_TOKEN");
    const wrong = await loadDataset(resolveDataset("gpqa"), hubOptions(server.url, join(cache.path, "b"), { token: "hf_not_granted" })).catch((e) => e);
    expect(wrong.message).toContain("HF_TOKEN has no access");
    const rowsRequests = server.requests.filter((r) => r.path === "/rows");
    expect(rowsRequests.map((r) => r.status)).toEqual([401, 404]); // neither retried
  });

  test("with the token the hub gives exactly what the CSV gives", async () => {
    const hub = await loadDataset(resolveDataset("gpqa"), hubOptions(server.url, join(cache.path, "c"), { token: GATED_TOKEN }));
    expect(hub).toMatchObject({ name: "gpqa", config: "gpqa_diamond", split: "train", origin: "hub" });
    const file = await loadDataset({ kind: "file", path: GPQA_CSV, fields: {} }, hubOptions("http://unused.invalid", cache.path, { offline: true }));
    const strip = (qs: readonly Question[]) => qs.map(({ dataset: _, ...q }) => JSON.stringify(q));
    expect(strip(hub.questions).every((q, i) => q === strip(file.questions)[i])).toBe(true);
    expect(hub.questions.every((q) => q.dataset === "gpqa")).toBe(true);
  });
});

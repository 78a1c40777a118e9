import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { aimeProblemNumber, rowDifficulty } from "../../src/dataset/difficulty.ts";
import { readRowsFile } from "../../src/dataset/file.ts";
import { SHARED_DATASETS } from "../fixtures/fake-datasets-server.ts";

describe("rowDifficulty", () => {
  test("MATH level 1..5 -> 0, 1/4, ..., 1 (int or the original MATH's 'Level N')", () => {
    expect([1, 2, 3, 4, 5].map((level) => rowDifficulty({ level }, 0))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(rowDifficulty({ level: "Level 3" }, 0)).toBe(0.5);
    expect(rowDifficulty({ level: "5" }, 0)).toBe(1);
    for (const level of [0, 6, 2.5, "Level ?", null, "hard"]) expect(rowDifficulty({ level }, 0)).toBeUndefined();
  });

  test("AIME ids like 2024-II-4 and AoPS urls give the problem number -> (n-1)/14", () => {
    expect(rowDifficulty({ ID: "2024-II-4" }, 9)).toBe(3 / 14);
    expect(rowDifficulty({ id: "2023-I-15" }, 0)).toBe(1);
    expect(rowDifficulty({ id: 7, url: "https://artofproblemsolving.com/wiki/index.php/2022_AIME_I_Problems/Problem_10" }, 0)).toBe(9 / 14);
    expect(rowDifficulty({ url: "https://artofproblemsolving.com/wiki/index.php/1983_AIME_Problems/Problem_1" }, 0)).toBe(0);
    // Not an AIME number: out of range, or some other id scheme.
    expect(rowDifficulty({ ID: "2024-II-16" }, 0)).toBeUndefined();
    expect(rowDifficulty({ id: "test/precalculus/807.json" }, 3)).toBeUndefined();
    expect(rowDifficulty({ url: "https://artofproblemsolving.com/wiki/index.php/2022_AIME_I_Problems/Problem_100" }, 0)).toBeUndefined();
  });

  test("position and problem_idx count only for splits the preset says are AIME papers", () => {
    expect(rowDifficulty({ question: "q" }, 4)).toBeUndefined();
    expect(rowDifficulty({ question: "q" }, 4, { aimePapers: true })).toBe(4 / 14);
    expect(aimeProblemNumber({}, 17, { aimePapers: true })).toBe(3); // position 17 -> the second paper's 3rd problem
    expect(aimeProblemNumber({ problem_idx: 16 }, 0, { aimePapers: true })).toBe(1); // II #1 of a 30-row split
    expect(aimeProblemNumber({ problem_idx: 30 }, 0, { aimePapers: true })).toBe(15);
    expect(aimeProblemNumber({ problem_idx: 16 }, 0)).toBeUndefined();
  });

  test("every row of the shared AIME files gets its number from the data", async () => {
    // aimo-validation-aime is sorted by problem number as strings (1, 10, 11, ..., 15, 2, ...); the url says which.
    const aime = await readRowsFile(join(SHARED_DATASETS, "aimo-validation-aime/train.jsonl"));
    const numbers = aime.map((row, i) => aimeProblemNumber(row, i));
    const paper = [1, 10, 11, 12, 13, 14, 15, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(numbers).toEqual(Array.from({ length: 6 }, () => paper).flat());
    const aime2024 = await readRowsFile(join(SHARED_DATASETS, "AIME_2024/train.jsonl"));
    expect(aime2024.map((row, i) => aimeProblemNumber(row, i))).toEqual(aime2024.map((row) => Number(String(row.ID).split("-")[2])));
    const aime2026 = await readRowsFile(join(SHARED_DATASETS, "aime_2026/train.jsonl"));
    const paper2026 = Array.from({ length: 15 }, (_, i) => i + 1);
    expect(aime2026.map((row, i) => aimeProblemNumber(row, i, { aimePapers: true }))).toEqual([...paper2026, ...paper2026]);
  });
});

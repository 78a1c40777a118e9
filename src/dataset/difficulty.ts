// Relative difficulty in [0, 1] from what the rows themselves say (the `--difficulty dataset` mode reads it):
// MATH's level 1..5, or an AIME problem's number 1..15 (problems get harder through each paper).
import type { Row } from "./rows.ts";

/** How a split numbers its AIME problems when its rows carry no id or url that says so. */
export interface DifficultyHint {
  /**
   * The split is AIME papers of 15 problems in order (aime2025's configs, MathArena's aime_2026): the number is
   * `problem_idx` (1..30 over two papers) when present, else the row's position.
   */
  readonly aimePapers?: boolean;
}

const AIME_PROBLEMS = 15;
// "2024-II-4" (Maxwell-Jia/AIME_2024's ID).
const AIME_ID = /^\d{4}-(?:I|II)-(\d{1,2})$/;
// ".../2022_AIME_I_Problems/Problem_10" (aimo-validation-aime's url); older single papers have no I/II.
const AIME_URL = /AIME_(?:I{1,2}_)?Problems\/Problem_(\d{1,2})(?!\d)/;
// MATH-500's int level, or the original MATH dataset's "Level 3".
const LEVEL_TEXT = /^(?:level\s*)?([1-5])$/i;

/** The row's difficulty, or undefined when nothing in it (or the hint) says. `position` counts rows of the split. */
export function rowDifficulty(row: Row, position: number, hint: DifficultyHint = {}): number | undefined {
  const level = mathLevel(row.level);
  if (level !== undefined) return (level - 1) / 4;
  const n = aimeProblemNumber(row, position, hint);
  return n === undefined ? undefined : (n - 1) / (AIME_PROBLEMS - 1);
}

function mathLevel(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 1 && value <= 5 ? value : undefined;
  if (typeof value === "string") {
    const m = LEVEL_TEXT.exec(value.trim());
    return m ? Number(m[1]) : undefined;
  }
  return undefined;
}

/** 1..15, from an AIME id or url in the row, else (with the hint) from problem_idx or the position. */
export function aimeProblemNumber(row: Row, position: number, hint: DifficultyHint = {}): number | undefined {
  for (const key of ["ID", "id"]) {
    const value = row[key];
    const m = typeof value === "string" ? AIME_ID.exec(value.trim()) : null;
    if (m) return inPaper(Number(m[1]));
  }
  for (const key of ["url", "link", "source"]) {
    const value = row[key];
    const m = typeof value === "string" ? AIME_URL.exec(value) : null;
    if (m) return inPaper(Number(m[1]));
  }
  if (!hint.aimePapers) return undefined;
  const idx = row.problem_idx;
  if (typeof idx === "number" && Number.isInteger(idx) && idx >= 1) return ((idx - 1) % AIME_PROBLEMS) + 1;
  return (position % AIME_PROBLEMS) + 1;
}

function inPaper(n: number): number | undefined {
  return n >= 1 && n <= AIME_PROBLEMS ? n : undefined;
}

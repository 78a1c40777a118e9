import { canonicalAnswer } from "./answer.ts";
import { cellText, columnChoices, detectChoiceShape, LIST_ANSWER_FIELDS, listChoices } from "./choices.ts";
import { rowDifficulty, type DifficultyHint } from "./difficulty.ts";
import { DatasetError, type FieldNames, type Question } from "./types.ts";

export type Row = Record<string, unknown>;

export interface RowsResult {
  readonly questions: Question[];
  /** Rows left out because their question text or gold answer was empty. */
  readonly skipped: number;
  /** Multiple-choice rows left out because their answer names none of their options. */
  readonly unresolved: number;
  /** Whether the rows were read as multiple choice (see choices.ts). */
  readonly multipleChoice: boolean;
  /** The field names actually used, after defaults and case-insensitive fallbacks. */
  readonly questionField: string;
  readonly answerField: string;
}

const DEFAULT_QUESTION_FIELDS = ["problem", "question"] as const;
const DEFAULT_ANSWER_FIELDS = ["answer"] as const;
const ID_FIELDS = ["id", "ID", "unique_id", "Record ID"] as const;

/** Field names in order of first appearance across all rows (rows may be ragged, e.g. CSV or hand-written JSON). */
export function fieldsOf(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/**
 * Picks the field to read: the requested name (exact, then case-insensitive), or the first default that
 * exists (exact, then case-insensitive, so AIME_2024's `Problem`/`Answer` work without flags).
 */
export function resolveField(
  available: readonly string[],
  requested: string | undefined,
  defaults: readonly string[],
  role: "question" | "answer",
): string {
  const candidates = requested === undefined ? defaults : [requested];
  for (const want of candidates) if (available.includes(want)) return want;
  for (const want of candidates) {
    const found = available.find((f) => f.toLowerCase() === want.toLowerCase());
    if (found !== undefined) return found;
  }
  const wanted = requested === undefined ? `field (tried ${defaults.join(", ")})` : `field "${requested}"`;
  const fields = available.length > 0 ? available.join(", ") : "(none)";
  throw new DatasetError(`no ${role} ${wanted} in the rows; fields are: ${fields} (use --${role}-field)`);
}

/** Turns raw rows into questions; `index` is dense over the kept rows, `id` falls back to the row's position. */
export function rowsToQuestions(rows: readonly Row[], fields: FieldNames, hint: DifficultyHint = {}): RowsResult {
  const available = fieldsOf(rows);
  const questionField = resolveField(available, fields.question, DEFAULT_QUESTION_FIELDS, "question");
  let shape = detectChoiceShape(available, fields.answer);
  const answerDefaults = shape?.kind === "columns" ? [shape.correct] : shape?.kind === "list" ? LIST_ANSWER_FIELDS : DEFAULT_ANSWER_FIELDS;
  const answerField = resolveField(available, fields.answer, answerDefaults, "answer");
  const idField = ID_FIELDS.find((f) => available.includes(f));
  // An options field whose answers name none of its options is some other data: read the rows as free answers.
  if (shape?.kind === "list") {
    const { field } = shape;
    if (!rows.some((row) => listChoices(row, field, row[answerField]) !== undefined)) shape = undefined;
  }

  const questions: Question[] = [];
  let skipped = 0;
  let unresolved = 0;
  rows.forEach((row, position) => {
    const text = cellText(row[questionField]).trim();
    let answer: string;
    let choices: string[] | undefined;
    if (shape === undefined) {
      answer = canonicalAnswer(row[answerField]);
    } else {
      const picked = shape.kind === "columns" ? columnChoices(row, shape) : listChoices(row, shape.field, row[answerField]);
      if (picked === undefined && shape.kind === "list" && text !== "") {
        unresolved++;
        return;
      }
      answer = picked?.answer ?? "";
      choices = picked?.choices;
    }
    if (text === "" || answer === "") {
      skipped++;
      return;
    }
    const rawId = idField === undefined ? undefined : row[idField];
    const id = rawId === undefined || rawId === null || rawId === "" ? String(position) : cellText(rawId);
    const difficulty = rowDifficulty(row, position, hint);
    questions.push({
      index: questions.length,
      id,
      text,
      answer,
      ...(choices !== undefined ? { choices } : {}),
      ...(difficulty !== undefined ? { difficulty } : {}),
    });
  });
  return { questions, skipped, unresolved, questionField, answerField, multipleChoice: shape !== undefined };
}

import { canonicalAnswer } from "./answer.ts";
import { DatasetError, type FieldNames, type Question } from "./types.ts";

export type Row = Record<string, unknown>;

export interface RowsResult {
  readonly questions: Question[];
  /** Rows left out because their question text or gold answer was empty. */
  readonly skipped: number;
  /** The field names actually used, after defaults and case-insensitive fallbacks. */
  readonly questionField: string;
  readonly answerField: string;
}

const DEFAULT_QUESTION_FIELDS = ["problem", "question"] as const;
const DEFAULT_ANSWER_FIELDS = ["answer"] as const;
const ID_FIELDS = ["id", "ID", "unique_id"] as const;

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
export function rowsToQuestions(rows: readonly Row[], fields: FieldNames): RowsResult {
  const available = fieldsOf(rows);
  const questionField = resolveField(available, fields.question, DEFAULT_QUESTION_FIELDS, "question");
  const answerField = resolveField(available, fields.answer, DEFAULT_ANSWER_FIELDS, "answer");
  const idField = ID_FIELDS.find((f) => available.includes(f));

  const questions: Question[] = [];
  let skipped = 0;
  rows.forEach((row, position) => {
    const text = cellText(row[questionField]).trim();
    const answer = canonicalAnswer(row[answerField]);
    if (text === "" || answer === "") {
      skipped++;
      return;
    }
    const rawId = idField === undefined ? undefined : row[idField];
    const id = rawId === undefined || rawId === null || rawId === "" ? String(position) : cellText(rawId);
    questions.push({ index: questions.length, id, text, answer });
  });
  return { questions, skipped, questionField, answerField };
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
}

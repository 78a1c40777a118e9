// Raw rows of one dataset (one or several configs) to its questions. The loader and scripts/snapshot.ts both
// go through here, so an embedded snapshot holds exactly what loading the same rows from the hub gives.
import { describeCoords } from "./hub.ts";
import { rowsToQuestions, type Row } from "./rows.ts";
import type { DatasetSource, Question } from "./types.ts";

export interface SourceRows {
  readonly source: DatasetSource;
  readonly rows: readonly Row[];
}

/**
 * Concatenates the sources' questions in order with a dense index. Ids stay unique across the configs of one
 * preset: "AIME2025-II/4". Skipped rows are reported through `log`.
 */
export function questionsFromRows(parts: readonly SourceRows[], log: (line: string) => void): Question[] {
  const several = parts.length > 1;
  const questions: Question[] = [];
  for (const { source, rows } of parts) {
    const label = source.kind === "hub" ? describeCoords(source) : source.path;
    const hint = source.kind === "hub" ? source.hint : undefined;
    const result = rowsToQuestions(rows, source.fields, hint);
    if (result.skipped > 0) log(`skipped ${result.skipped} of ${rows.length} rows of ${label}: empty question or answer`);
    if (result.unresolved > 0) {
      log(`skipped ${result.unresolved} of ${rows.length} rows of ${label}: the answer (${result.answerField}) names none of the row's options`);
    }
    const prefix = several && source.kind === "hub" ? `${source.config}/` : "";
    for (const q of result.questions) questions.push({ ...q, index: questions.length, id: prefix + q.id });
  }
  return questions;
}

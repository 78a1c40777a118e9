import { TOTALS_CELLS, type AttemptCells } from "./ledger.ts";

/**
 * One process's per-question counts side by side: a question's four tally cells (correct, wrong,
 * no-answer, error) and its attempt counter in one 32-byte block. A reply reads and writes
 * both; with thousands of questions in use out of 100,000, two arrays cost two cold cache lines a
 * reply where one block costs one. (--threads-http workers share theirs: server/shared-state.ts.)
 */
export const CELLS_PER_QUESTION = 8;
/** The attempt counter's cell in a question's block, after the tally's four. */
const ASKED_AT = 4;

export interface QuestionCells {
  /** For the Decider's Ledger. */
  readonly attempts: AttemptCells;
  /** For the Tally. */
  readonly tally: { readonly cells: Uint32Array; readonly stride: number };
}

export function questionCells(questionCount: number): QuestionCells {
  const cells = new Uint32Array(CELLS_PER_QUESTION * questionCount);
  return {
    attempts: { asked: cells.subarray(ASKED_AT), stride: CELLS_PER_QUESTION, totals: new Uint32Array(TOTALS_CELLS) },
    tally: { cells, stride: CELLS_PER_QUESTION },
  };
}

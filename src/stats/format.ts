// The text report of `llama-sim stats`: totals, the observed rate with its Wilson interval, one line
// per dataset and one per ledger file (which replica served how much).
import type { SimStats, VerdictTotals } from "../decide/tally.ts";

/** One ledger file and how many records it held. */
export interface LedgerSource {
  readonly file: string;
  readonly records: number;
}

/** Merged statistics: SimStats over every file, with the rate and mode the user named (or null), and the files. */
export type MergedStats = Omit<SimStats, "configured_rate" | "mode"> & {
  readonly configured_rate: number | null;
  readonly mode: string | null;
  readonly ledgers: readonly LedgerSource[];
};

/** A rate as 4 decimals; null (nothing graded) as "n/a". */
const rate4 = (x: number | null): string => (x === null ? "n/a" : x.toFixed(4));

function verdictLine(t: VerdictTotals): string {
  return `${t.scored} scored: ${t.correct} correct, ${t.wrong} wrong, ${t.no_answer} no answer, ${t.error} errors`;
}

function rateLine(t: VerdictTotals): string {
  const graded = t.scored - t.error;
  if (t.rate === null) return "n/a (nothing graded)";
  return `${rate4(t.rate)} = ${t.correct}/${graded} graded, Wilson 95% [${rate4(t.wilson95[0])}, ${rate4(t.wilson95[1])}]`;
}

/** Questions answered correctly on some replies and not on others: 0 in fixed mode, whatever replica served. */
export function mixedQuestions(stats: Pick<SimStats, "questions">): number {
  return Object.values(stats.questions).filter((q) => q.correct > 0 && q.wrong + q.no_answer > 0).length;
}

export function formatStats(stats: MergedStats): string[] {
  const t = stats.totals;
  const lines: string[] = [];
  lines.push(`ledgers:    ${stats.ledgers.length} file${stats.ledgers.length === 1 ? "" : "s"}, ${t.scored} records`);
  const width = stats.ledgers.reduce((w, l) => Math.max(w, l.file.length), 0);
  for (const l of stats.ledgers) lines.push(`  ${l.file.padEnd(width)}  ${l.records}`);
  lines.push(`replies:    ${verdictLine(t)}`);
  lines.push(`rate:       ${rateLine(t)}`);
  if (stats.configured_rate !== null) {
    const [low, high] = t.wilson95;
    const where = t.rate === null ? "" : stats.configured_rate >= low && stats.configured_rate <= high ? ", inside the interval" : ", OUTSIDE the interval";
    lines.push(`configured: ${stats.configured_rate}${stats.mode === null ? "" : ` (mode ${stats.mode})`}${where}`);
  } else if (stats.mode !== null) {
    lines.push(`mode:       ${stats.mode}`);
  }
  const asked = Object.values(stats.questions).map((q) => q.asked);
  if (asked.length > 0) {
    // reduce, not Math.min(...): a 100k-question dataset would overflow the argument list.
    const min = asked.reduce((a, b) => Math.min(a, b));
    const max = asked.reduce((a, b) => Math.max(a, b));
    const times = min === max ? `${min}` : `${min} to ${max}`;
    lines.push(`questions:  ${asked.length} distinct, each asked ${times} times; ${mixedQuestions(stats)} answered correctly on some replies and not on others`);
  }
  for (const [name, d] of Object.entries(stats.datasets)) {
    lines.push(`dataset ${name}: ${verdictLine(d)}; rate ${rateLine(d)}`);
  }
  return lines;
}

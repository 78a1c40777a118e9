// One line saying why a harness's grade differs from what the simulator meant, from the record's
// gold/given/written answers and the harness's extracted answer and gold.
import { canonicalAnswer } from "../dataset/answer.ts";
import type { LedgerRecord } from "../decide/records.ts";
import type { HarnessCase } from "./harness.ts";

const q = (s: string): string => JSON.stringify(s);
/** Written answers are LaTeX-ish source text: shown in backticks, as in the reply. */
const code = (s: string): string => `\`${s}\``;

/** Only called for a disagreement: harness.correct !== (record.verdict === "correct"). */
export function disagreementReason(harness: HarnessCase, record: LedgerRecord): string {
  const { answer, expected } = harness;
  const { gold, written, given } = record;
  // The two sides grade against different golds (e.g. a shuffled multiple-choice letter, or another
  // question): nothing else matters until that is fixed. Formatting differences ("033" vs "33",
  // "336^\circ" vs "336") are not a different gold.
  if (expected !== null && canonicalAnswer(expected) !== canonicalAnswer(gold)) {
    return `harness expects ${q(expected)} but the simulator's gold is ${q(gold)}`;
  }
  // The harness kept only part of what the reply wrote.
  const partial = answer !== null && written !== null && answer !== written && written.includes(answer);

  if (record.verdict === "correct") {
    if (answer === null) return written === null ? "harness found no answer in a correct reply" : `harness found no answer in a reply that wrote ${code(written)}`;
    if (partial) return `harness read ${answer} from ${code(written)}`;
    if (written !== null && answer !== written) return `harness read ${q(answer)} but the reply's answer was ${code(written)}`;
    if (expected !== null && expected !== gold && answer !== expected) return `harness read ${q(answer)} but compared it with its unnormalised gold ${q(expected)} as text`;
    return `harness read ${q(answer)} but gold is ${q(gold)}`;
  }
  if (record.verdict === "error") return "reply was an injected error but harness graded it correct";
  if (given === null) {
    return answer === null ? "reply had no answer but harness graded it correct" : `reply had no answer but harness graded it correct (it read ${q(answer)})`;
  }
  if (answer === null) return `harness graded it correct without an answer; the reply's ${code(written ?? given)} is wrong (gold ${q(gold)})`;
  if (partial) return `harness read ${answer} from ${code(written!)}, but the reply meant ${q(given)} (gold ${q(gold)})`;
  if (written !== null && answer !== written) return `harness read ${q(answer)} but the reply's answer was ${code(written)} (gold ${q(gold)})`;
  return `harness graded ${q(answer)} correct but gold is ${q(gold)}`;
}

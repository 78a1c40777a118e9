// Pairs each harness case with the ledger record of the reply it graded, and compares the grades.
import { canonicalAnswer } from "../dataset/answer.ts";
import { responseHash, type LedgerRecord } from "../decide/records.ts";
import type { HarnessCase } from "./harness.ts";
import { disagreementReason } from "./reason.ts";

export interface Matched {
  readonly harness: HarnessCase;
  readonly record: LedgerRecord;
}

export interface Disagreement extends Matched {
  readonly reason: string;
}

export interface Reconciliation {
  readonly agree: readonly Matched[];
  readonly disagree: readonly Disagreement[];
  /** Cases whose response no ledger record produced. */
  readonly unmatched: readonly HarnessCase[];
  /** Cases with no response to match (pending, or the request failed). */
  readonly skipped: readonly HarnessCase[];
}

/**
 * Short replies repeat (same answer, same text, different questions; fixed mode repeats a reply
 * on every attempt), so one hash can name several records. Among them prefer records whose gold
 * is the harness's gold, then one not yet paired with another case, in ledger order. Without a gold
 * (JSON Lines of {response, correct}) the same text may be right for one question and wrong for
 * another: then a record whose verdict agrees with the harness is taken first, since the text alone
 * cannot say which question was meant, and a pairing that invents a disagreement would be a false alarm.
 */
export function reconcile(cases: readonly HarnessCase[], records: readonly LedgerRecord[]): Reconciliation {
  const byHash = new Map<string, Candidates>();
  for (const record of records) {
    let entry = byHash.get(record.response_hash);
    if (!entry) byHash.set(record.response_hash, (entry = { all: new Queue(), byGold: new Map(), correct: new Queue(), notCorrect: new Queue() }));
    entry.all.items.push(record);
    (record.verdict === "correct" ? entry.correct : entry.notCorrect).items.push(record);
    const gold = canonicalAnswer(record.gold);
    let queue = entry.byGold.get(gold);
    if (!queue) entry.byGold.set(gold, (queue = new Queue()));
    queue.items.push(record);
  }
  const used = new Set<LedgerRecord>();
  const agree: Matched[] = [];
  const disagree: Disagreement[] = [];
  const unmatched: HarnessCase[] = [];
  const skipped: HarnessCase[] = [];
  for (const harness of cases) {
    if (harness.response === null) {
      skipped.push(harness);
      continue;
    }
    const entry = byHash.get(responseHash(harness.response));
    if (!entry) {
      unmatched.push(harness);
      continue;
    }
    const sameGold = harness.expected === null ? undefined : entry.byGold.get(canonicalAnswer(harness.expected));
    const sameVerdict = harness.correct ? entry.correct : entry.notCorrect;
    const record = sameGold ? sameGold.take(used) : sameVerdict.hasUnused(used) ? sameVerdict.take(used) : entry.all.take(used);
    const simCorrect = record.verdict === "correct";
    if (harness.correct === simCorrect) agree.push({ harness, record });
    else disagree.push({ harness, record, reason: disagreementReason(harness, record) });
  }
  return { agree, disagree, unmatched, skipped };
}

interface Candidates {
  readonly all: Queue;
  /** Keyed by canonical gold. */
  readonly byGold: Map<string, Queue>;
  readonly correct: Queue;
  readonly notCorrect: Queue;
}

/** Records in ledger order with a cursor past the used ones: each take is amortised O(1). */
class Queue {
  readonly items: LedgerRecord[] = [];
  #next = 0;

  hasUnused(used: Set<LedgerRecord>): boolean {
    while (this.#next < this.items.length && used.has(this.items[this.#next]!)) this.#next++;
    return this.#next < this.items.length;
  }

  /** The first record not yet paired; when all are, the first one again (a harness may grade one reply twice). */
  take(used: Set<LedgerRecord>): LedgerRecord {
    while (this.#next < this.items.length && used.has(this.items[this.#next]!)) this.#next++;
    const record = this.items[this.#next] ?? this.items[0]!;
    used.add(record);
    return record;
  }
}

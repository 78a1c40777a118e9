// Live counters behind GET /sim/stats (issue 7 §3), also buildable from ledger files.
import type { LedgerRecord, Verdict } from "./records.ts";
import { passAtK, wilson95 } from "./stats.ts";

/** What a tally needs from a record. */
export type TallyRecord = Pick<LedgerRecord, "dataset" | "question" | "verdict">;

export interface StatsOptions {
  readonly configuredRate: number;
  readonly mode: string;
  /** difficulty mode: the expected pass@k of the configured per-question probabilities. */
  readonly expectedPassAtK?: (k: number) => number;
}

export interface VerdictTotals {
  /** Every scored reply, injected errors included. */
  readonly scored: number;
  readonly correct: number;
  readonly wrong: number;
  readonly no_answer: number;
  readonly error: number;
  /**
   * correct / (scored - error): a harness never grades an errored request (llama-eval leaves it
   * pending), so this is the accuracy it should measure. null before any graded reply.
   */
  readonly rate: number | null;
  readonly wilson95: readonly [number, number];
}

export interface QuestionCounts {
  readonly asked: number;
  readonly correct: number;
  readonly wrong: number;
  readonly no_answer: number;
  readonly error: number;
}

export interface SimStats {
  readonly configured_rate: number;
  readonly mode: string;
  readonly totals: VerdictTotals;
  readonly datasets: Record<string, VerdictTotals>;
  /** Keyed "dataset/question id". */
  readonly questions: Record<string, QuestionCounts>;
  readonly judge_requests: number;
  readonly unmatched_requests: number;
  /** Only with expectedPassAtK: for k = 1, 2, 4, 8. */
  readonly expected_pass_at_k?: Record<string, number>;
  /**
   * Only with expectedPassAtK: the unbiased pass@k estimate averaged over the questions asked at
   * least k times (null when none was).
   */
  readonly pass_at_k?: Record<string, number | null>;
}

const PASS_K = [1, 2, 4, 8] as const;

class Counts {
  correct = 0;
  wrong = 0;
  noAnswer = 0;
  error = 0;

  add(verdict: Verdict): void {
    switch (verdict) {
      case "correct":
        this.correct++;
        break;
      case "wrong":
        this.wrong++;
        break;
      case "no-answer":
        this.noAnswer++;
        break;
      case "error":
        this.error++;
        break;
    }
  }

  get asked(): number {
    return this.correct + this.wrong + this.noAnswer + this.error;
  }

  totals(): VerdictTotals {
    const graded = this.correct + this.wrong + this.noAnswer;
    const { low, high } = wilson95(this.correct, graded);
    return {
      scored: this.asked,
      correct: this.correct,
      wrong: this.wrong,
      no_answer: this.noAnswer,
      error: this.error,
      rate: graded === 0 ? null : this.correct / graded,
      wilson95: [low, high],
    };
  }

  question(): QuestionCounts {
    return { asked: this.asked, correct: this.correct, wrong: this.wrong, no_answer: this.noAnswer, error: this.error };
  }
}

export class Tally {
  #totals = new Counts();
  #datasets = new Map<string, Counts>();
  #questions = new Map<string, Counts>();
  #judge = 0;
  #unmatched = 0;

  add(record: TallyRecord): void {
    this.#totals.add(record.verdict);
    countIn(this.#datasets, record.dataset).add(record.verdict);
    countIn(this.#questions, `${record.dataset}/${record.question}`).add(record.verdict);
  }

  /** An LLM judge's grading request (not a scored reply). */
  onJudge(): void {
    this.#judge++;
  }

  /** A request that carried no dataset question. */
  onUnmatched(): void {
    this.#unmatched++;
  }

  reset(): void {
    this.#totals = new Counts();
    this.#datasets.clear();
    this.#questions.clear();
    this.#judge = 0;
    this.#unmatched = 0;
  }

  stats(options: StatsOptions): SimStats {
    const stats: SimStats = {
      configured_rate: options.configuredRate,
      mode: options.mode,
      totals: this.#totals.totals(),
      datasets: mapSorted(this.#datasets, (c) => c.totals()),
      questions: mapSorted(this.#questions, (c) => c.question()),
      judge_requests: this.#judge,
      unmatched_requests: this.#unmatched,
    };
    if (!options.expectedPassAtK) return stats;
    const expected = options.expectedPassAtK;
    return {
      ...stats,
      expected_pass_at_k: Object.fromEntries(PASS_K.map((k) => [String(k), expected(k)])),
      pass_at_k: Object.fromEntries(PASS_K.map((k) => [String(k), observedPassAtK([...this.#questions.values()], k)])),
    };
  }
}

/** Statistics of finished runs, e.g. `llama-sim stats --ledger a.jsonl,b.jsonl`. */
export function statsFromRecords(records: Iterable<TallyRecord>, options: StatsOptions): SimStats {
  const tally = new Tally();
  for (const record of records) tally.add(record);
  return tally.stats(options);
}

function countIn(map: Map<string, Counts>, key: string): Counts {
  let counts = map.get(key);
  if (counts === undefined) {
    counts = new Counts();
    map.set(key, counts);
  }
  return counts;
}

/** Sorted keys, so two runs over the same records print the same JSON. */
function mapSorted<T>(map: Map<string, Counts>, value: (c: Counts) => T): Record<string, T> {
  // fromEntries defines own properties, so even a dataset named "__proto__" stays a plain key.
  return Object.fromEntries([...map.keys()].sort().map((key) => [key, value(map.get(key)!)]));
}

/** Errors are not samples: pass@k counts graded replies only. */
function observedPassAtK(questions: readonly Counts[], k: number): number | null {
  let sum = 0;
  let count = 0;
  for (const q of questions) {
    const n = q.correct + q.wrong + q.noAnswer;
    if (n < k) continue;
    sum += passAtK(n, q.correct, k);
    count++;
  }
  return count === 0 ? null : sum / count;
}

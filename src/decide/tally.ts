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

  static of(correct: number, wrong: number, noAnswer: number, error: number): Counts {
    const c = new Counts();
    c.correct = correct;
    c.wrong = wrong;
    c.noAnswer = noAnswer;
    c.error = error;
    return c;
  }

  merge(other: Counts): void {
    this.correct += other.correct;
    this.wrong += other.wrong;
    this.noAnswer += other.noAnswer;
    this.error += other.error;
  }

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

/** What the Oracle counts into and GET /sim/stats reads: a Tally, or a SharedTally across workers. */
export interface LiveTally {
  /** `index`: the question's index in the dataset, when known: counted without building its string key. */
  add(record: TallyRecord, index?: number): void;
  onJudge(): void;
  onUnmatched(): void;
  reset(): void;
  stats(options: StatsOptions): SimStats;
}

export class Tally implements LiveTally {
  /**
   * Replies counted by their question's index in the dataset (the server's case): four cells per index
   * (correct, wrong, no-answer, error) in one typed array, so a reply touches one cache line instead of
   * an index entry, a pair of Counts objects and the question's Counts (with 7,473 questions, each of
   * those a cache miss under load). Totals and per-dataset counts are summed when stats are read.
   * A cell counts to 2^32 − 1 (as SharedTally's): ~30 hours of 40,000 replies a second to one question.
   */
  readonly #cells: Uint32Array;
  /** Cells from one index's four to the next's: 4, or more when other counts sit between (question-cells.ts). */
  readonly #stride: number;
  /** Each counted index's dataset and question id, set with its first reply. */
  readonly #keys: (TallyKey | undefined)[];
  /** Replies counted by key: records without an index (ledger files, injected errors) or with one outside the dataset. */
  #totals = new Counts();
  #datasets = new Map<string, Counts>();
  #questions = new Map<string, Counts>();
  #judge = 0;
  #unmatched = 0;

  /** `cells`: where to count, index i's four cells at `stride * i` (default: an array of its own). */
  constructor(questionCount = 0, cells?: { readonly cells: Uint32Array; readonly stride: number }) {
    this.#stride = cells?.stride ?? 4;
    this.#cells = cells?.cells ?? new Uint32Array(4 * questionCount);
    if (this.#stride < 4 || (questionCount > 0 && this.#cells.length < this.#stride * (questionCount - 1) + 4)) {
      throw new RangeError(`tally cells hold fewer than ${questionCount} questions`);
    }
    this.#keys = Array.from({ length: questionCount }, () => undefined);
  }

  add(record: TallyRecord, index?: number): void {
    if (index !== undefined && index >>> 0 === index && index < this.#keys.length) {
      const cells = this.#cells;
      const at = this.#stride * index;
      if ((cells[at]! | cells[at + 1]! | cells[at + 2]! | cells[at + 3]!) === 0) this.#keys[index] = { dataset: record.dataset, question: record.question };
      cells[at + VERDICT_CELL[record.verdict]]!++;
      return;
    }
    this.#totals.add(record.verdict);
    countIn(this.#questions, `${record.dataset}/${record.question}`).add(record.verdict);
    countIn(this.#datasets, record.dataset).add(record.verdict);
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
    // Only this tally's cells: others may sit between them.
    for (let at = 0; at < this.#stride * this.#keys.length; at += this.#stride) this.#cells.fill(0, at, at + 4);
    this.#keys.fill(undefined);
    this.#totals = new Counts();
    this.#datasets.clear();
    this.#questions.clear();
    this.#judge = 0;
    this.#unmatched = 0;
  }

  stats(options: StatsOptions): SimStats {
    const totals = new Counts();
    const datasets = new Map<string, Counts>();
    const questions = new Map<string, Counts>();
    totals.merge(this.#totals);
    for (const [key, c] of this.#datasets) countIn(datasets, key).merge(c);
    for (const [key, c] of this.#questions) countIn(questions, key).merge(c);
    const cells = this.#cells;
    for (let index = 0; index < this.#keys.length; index++) {
      const key = this.#keys[index];
      if (key === undefined) continue;
      const at = this.#stride * index;
      // Keyed "dataset/question", as by-key records are: indices that share a question add up there.
      const c = Counts.of(cells[at]!, cells[at + 1]!, cells[at + 2]!, cells[at + 3]!);
      countIn(questions, `${key.dataset}/${key.question}`).merge(c);
      countIn(datasets, key.dataset).merge(c);
      totals.merge(c);
    }
    return assembleStats(totals, datasets, questions, this.#judge, this.#unmatched, options);
  }
}

/** Where a SharedTally counts: SharedArrayBuffer views every worker adds to with Atomics. */
export interface TallyCells {
  /** Per distinct "dataset/question": correct, wrong, no-answer, error (4 cells each). */
  readonly counts: Uint32Array;
  /** [judge requests, unmatched requests]. */
  readonly other: BigUint64Array;
}

const VERDICT_CELL: Record<Verdict, number> = { correct: 0, wrong: 1, "no-answer": 2, error: 3 };

/** One question a SharedTally counts: its dataset and id (several indices may share one). */
export interface TallyKey {
  readonly dataset: string;
  readonly question: string;
}

/** A pair's own key: unlike "dataset/question", two different pairs never share it. */
const pairKey = (dataset: string, question: string): string => `${dataset}\u0000${question}`;

/** The distinct (dataset, question) pairs of a dataset's questions, in cell order. */
export function tallyKeys(questions: readonly TallyKey[]): TallyKey[] {
  const seen = new Map<string, TallyKey>();
  for (const q of questions) {
    const key = pairKey(q.dataset, q.question);
    if (!seen.has(key)) seen.set(key, { dataset: q.dataset, question: q.question });
  }
  return [...seen.values()];
}

export function tallyCells(keyCount: number, share: (bytes: number) => ArrayBufferLike = (n) => new ArrayBuffer(n)): TallyCells {
  return { counts: new Uint32Array(share(4 * 4 * keyCount), 0, 4 * keyCount), other: new BigUint64Array(share(16), 0, 2) };
}

/**
 * The Tally of a process whose --threads-http workers answer together: every count is a cell of
 * shared memory bumped with Atomics, so GET /sim/stats answered by any worker counts every worker's
 * replies. The questions are known at start-up (the dataset's), so the cells are fixed; the sums
 * per dataset and overall are made when stats are read (a few milliseconds for 100,000 questions),
 * which keeps each reply's cost at one Map lookup and one Atomics.add.
 */
export class SharedTally implements LiveTally {
  readonly #keys: readonly TallyKey[];
  readonly #slot: Map<string, number>;
  /** The slot of a dataset index's question, once looked up by key. */
  readonly #slotByIndex = new Map<number, number>();
  readonly #cells: TallyCells;
  /** Records of a question outside the dataset (none in practice): counted in this thread only. */
  readonly #strays = new Tally();

  constructor(keys: readonly TallyKey[], cells: TallyCells) {
    if (cells.counts.length !== 4 * keys.length) throw new RangeError(`tally cells hold ${cells.counts.length / 4} questions, not ${keys.length}`);
    this.#keys = keys;
    this.#slot = new Map(keys.map((k, i) => [pairKey(k.dataset, k.question), i]));
    this.#cells = cells;
  }

  add(record: TallyRecord, index?: number): void {
    let slot = index === undefined ? undefined : this.#slotByIndex.get(index);
    if (slot === undefined) {
      slot = this.#slot.get(pairKey(record.dataset, record.question));
      if (slot === undefined) return this.#strays.add(record);
      if (index !== undefined) this.#slotByIndex.set(index, slot);
    }
    Atomics.add(this.#cells.counts, 4 * slot + VERDICT_CELL[record.verdict], 1);
  }

  onJudge(): void {
    Atomics.add(this.#cells.other, 0, 1n);
  }

  onUnmatched(): void {
    Atomics.add(this.#cells.other, 1, 1n);
  }

  reset(): void {
    const counts = this.#cells.counts;
    for (let i = 0; i < counts.length; i++) Atomics.store(counts, i, 0);
    Atomics.store(this.#cells.other, 0, 0n);
    Atomics.store(this.#cells.other, 1, 0n);
    this.#strays.reset();
  }

  stats(options: StatsOptions): SimStats {
    const totals = new Counts();
    const datasets = new Map<string, Counts>();
    const questions = new Map<string, Counts>();
    const counts = this.#cells.counts;
    // Keyed as the Tally keys them: "dataset/question" (two pairs that spell the same key add up there too).
    const add = (dataset: string, question: string, c: Counts) => {
      countIn(questions, `${dataset}/${question}`).merge(c);
      countIn(datasets, dataset).merge(c);
      totals.merge(c);
    };
    for (let slot = 0; slot < this.#keys.length; slot++) {
      const at = 4 * slot;
      const c = Counts.of(Atomics.load(counts, at), Atomics.load(counts, at + 1), Atomics.load(counts, at + 2), Atomics.load(counts, at + 3));
      if (c.asked > 0) add(this.#keys[slot]!.dataset, this.#keys[slot]!.question, c);
    }
    const strays = this.#strays.stats(options);
    const countsOf = (t: QuestionCounts | VerdictTotals) => Counts.of(t.correct, t.wrong, t.no_answer, t.error);
    for (const [key, q] of Object.entries(strays.questions)) countIn(questions, key).merge(countsOf(q));
    for (const [name, d] of Object.entries(strays.datasets)) countIn(datasets, name).merge(countsOf(d));
    totals.merge(countsOf(strays.totals));
    const judge = Number(Atomics.load(this.#cells.other, 0)) + strays.judge_requests;
    const unmatched = Number(Atomics.load(this.#cells.other, 1)) + strays.unmatched_requests;
    return assembleStats(totals, datasets, questions, judge, unmatched, options);
  }
}

function assembleStats(
  totals: Counts,
  datasets: Map<string, Counts>,
  questions: Map<string, Counts>,
  judge: number,
  unmatched: number,
  options: StatsOptions,
): SimStats {
  const stats: SimStats = {
    configured_rate: options.configuredRate,
    mode: options.mode,
    totals: totals.totals(),
    datasets: mapSorted(datasets, (c) => c.totals()),
    questions: mapSorted(questions, (c) => c.question()),
    judge_requests: judge,
    unmatched_requests: unmatched,
  };
  if (!options.expectedPassAtK) return stats;
  const expected = options.expectedPassAtK;
  return {
    ...stats,
    expected_pass_at_k: Object.fromEntries(PASS_K.map((k) => [String(k), expected(k)])),
    // Summed in key order, like the maps above: the same records give the same digits, however they were counted.
    pass_at_k: Object.fromEntries(PASS_K.map((k) => [String(k), observedPassAtK([...questions.keys()].sort().map((key) => questions.get(key)!), k)])),
  };
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

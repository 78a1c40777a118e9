import { DEFAULT_SPREAD, betaProbabilities, datasetProbabilities } from "./difficulty.ts";
import { ExactSchedule, type ExactCells } from "./exact.ts";
import { fixedCorrectSet } from "./fixed.ts";
import { Ledger, type AttemptCells } from "./ledger.ts";
import { uniform } from "./random.ts";
import { limitDenominator, type Rational } from "./rational.ts";
import { SEED_KEY } from "./streams.ts";
import type { DecideRequest, Decision, DeciderOptions, Mode } from "./types.ts";

export type { DecideRequest, Decision, DeciderOptions, Mode, Verdict } from "./types.ts";

/** Where a Decider counts attempts, when not in cells of its own (one process: decide/question-cells.ts). */
export interface DeciderCells {
  readonly attempts: AttemptCells;
}

/**
 * State that --threads-http workers share (server/shared-state.ts): the attempt counters, exact
 * mode's schedule, and a hook run inside each exact step's lock (the reply's ledger seq is taken
 * there, so seq order is schedule order). Everything else a Decider holds is a pure function of
 * (seed, question count, rate), so each worker builds the same.
 */
export interface DeciderShared extends DeciderCells {
  readonly exact: ExactCells;
  readonly onExactStep?: () => void;
}

/** llama-server's LLAMA_DEFAULT_SEED: a request seed of -1 (0xFFFFFFFF) asks for a random one. */
const RANDOM_REQUEST_SEED = 0xffffffff;

/**
 * Turns the success rate into a verdict per request, in one of four modes:
 * - random: Bernoulli(p) keyed by (seed, question, attempt);
 * - fixed: the same round(p N) questions are always right, in every process with this seed;
 * - exact: after n scored requests, floor(p n) or ceil(p n) were right (see exact.ts);
 * - difficulty: question i has its own p_i (Beta around p, or from the dataset), each attempt Bernoulli(p_i).
 * With `greedy`, a temperature-0 request is keyed by the question alone, and a request `seed` keys
 * by that seed instead of the attempt, so such requests get the same reply every time (random and
 * difficulty modes). exact mode keeps its schedule for the verdict (its point is the count over
 * requests served); greedy and seed then choose only the reply keys.
 */
export class Decider {
  readonly mode: Mode;
  readonly successRate: number;
  readonly seed: number;
  readonly questionCount: number;
  readonly greedy: boolean;
  /** The rate as a fraction with denominator <= 2^20, for fixed and exact modes' integer arithmetic. */
  readonly rate: Rational;
  readonly ledger: Ledger;
  /** Per-question probabilities, in difficulty mode only: every other mode has one rate for all. */
  readonly #probabilities: Float64Array | undefined;
  readonly #fixed: Uint8Array | undefined;
  readonly #exact: ExactSchedule | undefined;
  readonly #onExactStep: (() => void) | undefined;

  constructor(options: DeciderOptions, cells?: DeciderCells | DeciderShared) {
    const shared = cells !== undefined && "exact" in cells ? cells : undefined;
    checkOptions(options);
    this.mode = options.mode;
    this.successRate = options.successRate;
    this.seed = options.seed;
    this.questionCount = options.questionCount;
    this.greedy = options.greedy ?? false;
    this.rate = limitDenominator(options.successRate);
    this.ledger = new Ledger(options.questionCount, cells?.attempts);
    this.#probabilities = options.mode === "difficulty" ? difficultyProbabilities(options) : undefined;
    this.#fixed = options.mode === "fixed" ? fixedCorrectSet(this.rate, options.seed, options.questionCount, options.groups) : undefined;
    this.#exact = options.mode === "exact" ? new ExactSchedule(this.rate, options.seed, shared?.exact) : undefined;
    this.#onExactStep = shared?.onExactStep;
  }

  decide(question: number, request: DecideRequest = {}): Decision {
    if (!(Number.isInteger(question) && question >= 0 && question < this.questionCount)) {
      throw new RangeError(`question ${question} is not in 0..${this.questionCount - 1}`);
    }
    const attempt = this.ledger.nextAttempt(question);
    const probability = this.#probabilities?.[question] ?? this.successRate;
    const keys = this.#keysFor(question, attempt, request);
    const forced = request.override;
    // A forced reply is not scored: it does not advance exact mode's schedule.
    const correct = forced !== undefined ? forced === "correct" : this.#verdict(question, keys, probability);
    this.ledger.record(correct);
    return forced !== undefined
      ? { question, attempt, correct, forced, keys, probability }
      : { question, attempt, correct, keys, probability };
  }

  /** Clears attempt counters, the exact-mode schedule position and totals (POST /sim/reset). */
  reset(): void {
    this.ledger.reset();
    this.#exact?.reset();
  }

  /** Per-question probabilities (all p except in difficulty mode). A copy. */
  probabilities(): Float64Array {
    return this.#probabilities?.slice() ?? new Float64Array(this.questionCount).fill(this.successRate);
  }

  /**
   * Expected pass@k over the questions for independent attempts: mean_i 1 - (1 - p_i)^k. In fixed
   * mode a question is always or never right, so it is the share of the fixed correct set (round(p N) / N
   * with one dataset) for every k >= 1.
   */
  expectedPassAtK(k: number): number {
    if (!(Number.isInteger(k) && k >= 0)) throw new RangeError(`k must be a non-negative integer (got ${k})`);
    const n = this.questionCount;
    if (n === 0 || k === 0) return 0;
    if (this.#fixed !== undefined) return this.#fixed.reduce((sum, x) => sum + x, 0) / n;
    if (this.#probabilities === undefined) return 1 - (1 - this.successRate) ** k;
    let sum = 0;
    for (const p of this.#probabilities) sum += 1 - (1 - p) ** k;
    return sum / n;
  }

  get totals(): { readonly asked: number; readonly correct: number; readonly wrong: number } {
    return this.ledger.totals;
  }

  #keysFor(question: number, attempt: number, request: DecideRequest): readonly number[] {
    if (this.mode === "fixed") return [question];
    // llama-server samples greedily for any temperature <= 0.
    if (this.greedy && request.temperature !== undefined && request.temperature <= 0) return [question];
    const seed = request.requestSeed;
    if (seed !== undefined && seed >>> 0 !== RANDOM_REQUEST_SEED) return [question, SEED_KEY, seed];
    return [question, attempt];
  }

  #verdict(question: number, keys: readonly number[], probability: number): boolean {
    if (this.#fixed !== undefined) return this.#fixed[question] === 1;
    if (this.#exact !== undefined) return this.#exact.next(this.#onExactStep);
    // p = 1 is always correct and p = 0 never: uniform() is in [0, 1).
    return uniform(this.seed, keys) < probability;
  }
}

function difficultyProbabilities(options: DeciderOptions): Float64Array {
  if (options.difficultySource === "dataset") {
    const difficulties = options.difficulties;
    if (difficulties === undefined || difficulties.length !== options.questionCount) {
      throw new RangeError(`difficulty source "dataset" needs one difficulty per question (${options.questionCount}, got ${difficulties?.length ?? "none"})`);
    }
    // Checked only here: other modes ignore difficulties, whatever the dataset holds.
    if (difficulties.some((d) => d !== undefined && !(d >= 0 && d <= 1))) throw new RangeError("difficulties must be in [0, 1] or undefined");
    return datasetProbabilities(options.successRate, difficulties);
  }
  return betaProbabilities(options.successRate, options.spread ?? DEFAULT_SPREAD, options.seed, options.questionCount);
}

function checkOptions(options: DeciderOptions): void {
  const { successRate, seed, questionCount, spread } = options;
  if (!["random", "fixed", "exact", "difficulty"].includes(options.mode)) throw new RangeError(`unknown mode ${JSON.stringify(options.mode)}`);
  if (!(successRate >= 0 && successRate <= 1)) throw new RangeError(`success rate must be in [0, 1] (got ${successRate})`);
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) throw new RangeError(`seed must be an integer in 0..2^32-1 (got ${seed})`);
  if (!(Number.isInteger(questionCount) && questionCount >= 0 && questionCount < 2 ** 31)) {
    throw new RangeError(`question count must be a non-negative integer (got ${questionCount})`);
  }
  if (spread !== undefined && !(spread > 0 && Number.isFinite(spread))) throw new RangeError(`spread must be a positive number (got ${spread})`);
}

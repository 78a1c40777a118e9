import { Ledger } from "./ledger.ts";
import { uniform } from "./random.ts";

export interface Outcome {
  readonly question: number;
  /** How many times this question was asked before (0 on the first ask). */
  readonly attempt: number;
  readonly correct: boolean;
  /** Keys for any further random choice about this reply (e.g. which wrong answer). */
  readonly keys: readonly number[];
}

/** Bernoulli(successRate) per (question, attempt), keyed by the seed. */
export class Decider {
  readonly ledger: Ledger;

  constructor(
    readonly successRate: number,
    readonly seed: number,
    questionCount: number,
  ) {
    this.ledger = new Ledger(questionCount);
  }

  decide(question: number): Outcome {
    const attempt = this.ledger.nextAttempt(question);
    const keys = [question, attempt];
    // rate 1 must always be correct and rate 0 never: uniform() is in [0, 1).
    const correct = uniform(this.seed, keys) < this.successRate;
    this.ledger.record(correct);
    return { question, attempt, correct, keys };
  }
}

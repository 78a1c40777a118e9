/** How a Decider turns the success rate into verdicts (issue 7 §1). */
export type Mode = "random" | "fixed" | "exact" | "difficulty";

/** What a reply does: X-Sim-Outcome can force any of these; the rate only picks the first two. */
export type Verdict = "correct" | "wrong" | "no-answer" | "error";

export interface DeciderOptions {
  readonly mode: Mode;
  /** p in [0, 1]. */
  readonly successRate: number;
  /** 0 .. 2^32-1. */
  readonly seed: number;
  readonly questionCount: number;
  /**
   * difficulty mode: "beta" (default) draws each question's probability from Beta with mean p and
   * concentration `spread` (alpha+beta, default 4); "dataset" derives it from `difficulties`
   * (0 easy .. 1 hard, undefined = unknown -> treated as the mean), rescaled so the mean over
   * questions is p.
   */
  readonly difficultySource?: "beta" | "dataset";
  readonly spread?: number;
  readonly difficulties?: readonly (number | undefined)[];
  /**
   * The dataset of each question (any label, e.g. its name), when several are served together: fixed
   * mode then makes round(p·n) of each dataset's n questions correct, so a pass over any one of them
   * scores exactly (and the union within one per dataset of round(p·N)).
   */
  readonly groups?: readonly string[];
  /** --greedy: a request with temperature 0 gets the same outcome and text for a question on every attempt. */
  readonly greedy?: boolean;
}

export interface DecideRequest {
  /** The request's `temperature`; <= 0 is greedy sampling, as in llama-server. */
  readonly temperature?: number;
  /** The request's `seed` field; -1 (llama-server's "random") counts as absent. */
  readonly requestSeed?: number;
  /** X-Sim-Outcome (only passed when --allow-override). */
  readonly override?: Verdict;
}

export interface Decision {
  readonly question: number;
  /** This question's attempt number in this process (0 first). */
  readonly attempt: number;
  readonly correct: boolean;
  /** Set when an override forced the outcome. */
  readonly forced?: Verdict;
  /**
   * Keys for every further random choice about this reply (wrong answer, text, form). Same keys
   * and same verdict => same reply text. fixed mode: [question]; greedy temperature 0:
   * [question]; request seed: [question, 0x5eed, requestSeed]; else [question, attempt].
   */
  readonly keys: readonly number[];
  /** The probability this question had of being answered correctly (p, or the per-question p in difficulty mode). */
  readonly probability: number;
}

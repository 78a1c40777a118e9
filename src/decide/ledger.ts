/**
 * Where a Ledger keeps its counts: plain arrays in one process, or views of SharedArrayBuffers that
 * every --threads-http worker updates with Atomics (server/shared-state.ts allocates them).
 */
export interface AttemptCells {
  /** Asks so far, per question index. */
  readonly asked: Uint32Array;
  /** [correct, wrong] over all questions; 64-bit so a long run at full load never wraps. */
  readonly totals: BigUint64Array;
}

export function attemptCells(questionCount: number): AttemptCells {
  return { asked: new Uint32Array(questionCount), totals: new BigUint64Array(2) };
}

/**
 * Counts, per question, how often it was asked, and how the replies went overall. Every update is
 * one Atomics operation, so with workers sharing the cells a question asked k times gets attempts
 * 0..k-1 exactly once each, whichever threads asked; on unshared cells an Atomics op costs a few
 * nanoseconds more than a plain increment (bench: no measurable change per request).
 */
export class Ledger {
  readonly #asked: Uint32Array;
  readonly #totals: BigUint64Array;

  constructor(questionCount: number, cells: AttemptCells = attemptCells(questionCount)) {
    if (cells.asked.length !== questionCount) throw new RangeError(`attempt cells hold ${cells.asked.length} questions, not ${questionCount}`);
    this.#asked = cells.asked;
    this.#totals = cells.totals;
  }

  /** Records a new ask of `question` and returns its attempt number (0 for the first ask). */
  nextAttempt(question: number): number {
    return Atomics.add(this.#asked, question, 1);
  }

  /** The attempt number the next ask of `question` will get, without recording an ask. */
  peekAttempt(question: number): number {
    return Atomics.load(this.#asked, question);
  }

  record(correct: boolean): void {
    Atomics.add(this.#totals, correct ? 0 : 1, 1n);
  }

  get totals(): { readonly asked: number; readonly correct: number; readonly wrong: number } {
    const correct = Number(Atomics.load(this.#totals, 0));
    const wrong = Number(Atomics.load(this.#totals, 1));
    return { asked: correct + wrong, correct, wrong };
  }

  /** Back to a fresh start: every question's next ask is attempt 0 again. */
  reset(): void {
    for (let q = 0; q < this.#asked.length; q++) Atomics.store(this.#asked, q, 0);
    Atomics.store(this.#totals, 0, 0n);
    Atomics.store(this.#totals, 1, 0n);
  }
}

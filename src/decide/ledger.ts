/**
 * Where a Ledger keeps its counts: one process's array, shared with the tally's cells
 * (question-cells.ts), or views of SharedArrayBuffers that every --threads-http worker updates with
 * Atomics (server/shared-state.ts allocates them).
 */
export interface AttemptCells {
  /** Asks so far: question q's at `stride * q`. */
  readonly asked: Uint32Array;
  /** Cells from one question's count to the next; default 1 (question-cells.ts interleaves other counts). */
  readonly stride?: number;
  /**
   * [correct, wrong] over all questions as 64-bit counts in 32-bit halves (low, high, low, high): a
   * BigUint64Array's Atomics.add returns a BigInt, an allocation per reply.
   */
  readonly totals: Uint32Array;
}

/** Cells of AttemptCells.totals: two 64-bit counts as 32-bit halves. */
export const TOTALS_CELLS = 4;

export function attemptCells(questionCount: number): AttemptCells {
  return { asked: new Uint32Array(questionCount), totals: new Uint32Array(TOTALS_CELLS) };
}

/**
 * Counts, per question, how often it was asked, and how the replies went overall. Every update is
 * one Atomics operation, so with workers sharing the cells a question asked k times gets attempts
 * 0..k-1 exactly once each, whichever threads asked; on unshared cells an Atomics op costs a few
 * nanoseconds more than a plain increment (bench: no measurable change per request).
 */
export class Ledger {
  readonly #asked: Uint32Array;
  readonly #stride: number;
  readonly #questions: number;
  readonly #totals: Uint32Array;

  constructor(questionCount: number, cells: AttemptCells = attemptCells(questionCount)) {
    const stride = cells.stride ?? 1;
    const held = Math.ceil(cells.asked.length / stride);
    if (held !== questionCount) throw new RangeError(`attempt cells hold ${held} questions, not ${questionCount}`);
    this.#asked = cells.asked;
    this.#stride = stride;
    this.#questions = questionCount;
    this.#totals = cells.totals;
  }

  /** Records a new ask of `question` and returns its attempt number (0 for the first ask). */
  nextAttempt(question: number): number {
    return Atomics.add(this.#asked, this.#stride * question, 1);
  }

  /** The attempt number the next ask of `question` will get, without recording an ask. */
  peekAttempt(question: number): number {
    return Atomics.load(this.#asked, this.#stride * question);
  }

  record(correct: boolean): void {
    const low = correct ? 0 : 2;
    // The carry: exactly one add sees the low half wrap, whichever thread it is.
    if (Atomics.add(this.#totals, low, 1) === 0xffffffff) Atomics.add(this.#totals, low + 1, 1);
  }

  get totals(): { readonly asked: number; readonly correct: number; readonly wrong: number } {
    const count = (low: number) => Atomics.load(this.#totals, low + 1) * 0x100000000 + Atomics.load(this.#totals, low);
    const correct = count(0);
    const wrong = count(2);
    return { asked: correct + wrong, correct, wrong };
  }

  /** Back to a fresh start: every question's next ask is attempt 0 again. */
  reset(): void {
    for (let q = 0; q < this.#questions; q++) Atomics.store(this.#asked, this.#stride * q, 0);
    for (let i = 0; i < TOTALS_CELLS; i++) Atomics.store(this.#totals, i, 0);
  }
}

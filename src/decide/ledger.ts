/** Counts, per question, how often it was asked, and how the replies went overall. */
export class Ledger {
  readonly #asked: Uint32Array;
  #correct = 0;
  #wrong = 0;

  constructor(questionCount: number) {
    this.#asked = new Uint32Array(questionCount);
  }

  /** Records a new ask of `question` and returns its attempt number (0 for the first ask). */
  nextAttempt(question: number): number {
    const attempt = this.#asked[question]!;
    this.#asked[question] = attempt + 1;
    return attempt;
  }

  /** The attempt number the next ask of `question` will get, without recording an ask. */
  peekAttempt(question: number): number {
    return this.#asked[question]!;
  }

  record(correct: boolean): void {
    if (correct) this.#correct++;
    else this.#wrong++;
  }

  get totals(): { readonly asked: number; readonly correct: number; readonly wrong: number } {
    return { asked: this.#correct + this.#wrong, correct: this.#correct, wrong: this.#wrong };
  }

  /** Back to a fresh start: every question's next ask is attempt 0 again. */
  reset(): void {
    this.#asked.fill(0);
    this.#correct = 0;
    this.#wrong = 0;
  }
}

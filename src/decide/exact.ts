import { uniform } from "./random.ts";
import type { Rational } from "./rational.ts";
import { EXACT_STREAM } from "./streams.ts";

/**
 * exact mode's schedule for p = a/b: after n scored requests the number correct c(n) is always
 * floor(p n) or ceil(p n), and yet every single request is correct with probability exactly p.
 *
 * Write L(n) = floor(p n) and f(n) = frac(p n). The schedule is a Markov chain on c(n) - L(n) in
 * {0, 1} whose marginals are P(c(n) = L(n) + 1) = f(n): then E[c(n)] = p n for every n, so each
 * step is correct with probability p, and c(n) = L(n) + 1 only when f(n) > 0, i.e. c(n) = ceil(p n).
 * Step n -> n+1, with g = f(n+1):
 *   - no wrap (L(n+1) = L(n), so g >= f): from L + 1 stay (wrong); from L go up (correct) with
 *     probability (g - f) / (1 - f). Then P(c = L + 1) = f + (1 - f) (g - f) / (1 - f) = g.
 *   - wrap (L(n+1) = L(n) + 1, g < f or p = 1): from L go up (correct) surely, since c(n+1) >= L + 1;
 *     from L + 1 go up with probability g / f. Then P(c = L + 2) = f g / f = g.
 * c(0) = 0 = L(0) with f(0) = 0 starts it right. Each step draws a fresh keyed uniform, so unlike a
 * fixed offset u (correct iff floor(p (n+1) + u) > floor(p n + u), same marginals, one pattern
 * with period b) the successes are spread over questions: the chain forgets its past whenever f = 0,
 * so a question asked once per pass of N >= b questions is right on a Binomial(passes, p) count of them.
 *
 * All arithmetic is on integers scaled by b, exact for n up to 2^33 with b <= 2^20.
 */
export class ExactSchedule {
  #step = 0;
  #correct = 0;

  constructor(
    readonly rate: Rational,
    readonly seed: number,
  ) {}

  /** The verdict of the next scored request. */
  next(): boolean {
    const { numerator: a, denominator: b } = this.rate;
    const n = this.#step++;
    const scaledNow = a * n; // p n, times b
    const scaledNext = scaledNow + a;
    const f = scaledNow % b; // frac(p n), times b
    const g = scaledNext % b;
    const floorNow = (scaledNow - f) / b;
    const wraps = (scaledNext - g) / b > floorNow;
    const above = this.#correct > floorNow;
    let correct: boolean;
    if (!wraps) correct = !above && g > f && this.#draw(n) * (b - f) < g - f;
    else correct = !above || this.#draw(n) * f < g;
    if (correct) this.#correct++;
    return correct;
  }

  /** Scored requests so far and how many were correct. */
  get position(): { readonly steps: number; readonly correct: number } {
    return { steps: this.#step, correct: this.#correct };
  }

  reset(): void {
    this.#step = 0;
    this.#correct = 0;
  }

  #draw(step: number): number {
    return uniform(this.seed, [EXACT_STREAM, step]);
  }
}

import { uniform } from "./random.ts";
import type { Rational } from "./rational.ts";
import { EXACT_STREAM } from "./streams.ts";
import { newLock, withLock } from "./lock.ts";

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
  /** [steps, correct]: in a SharedArrayBuffer when workers share the schedule, else private. */
  readonly #state: Float64Array;
  /** Set when shared: makes each step one atomic read-decide-write across threads. */
  readonly #lock: Int32Array | undefined;

  constructor(
    readonly rate: Rational,
    readonly seed: number,
    shared?: ExactCells,
  ) {
    this.#state = shared?.state ?? new Float64Array(2);
    this.#lock = shared?.lock;
  }

  /**
   * The verdict of the next scored request. With shared cells the step runs under the lock, and
   * `whileLocked` runs inside it too: the Decider reserves the reply's ledger seq there, so the
   * ledger's seq order is this schedule's order whichever worker took each step.
   */
  next(whileLocked?: () => void): boolean {
    if (this.#lock === undefined) {
      const correct = this.#step();
      whileLocked?.();
      return correct;
    }
    return withLock(this.#lock, () => {
      const correct = this.#step();
      whileLocked?.();
      return correct;
    });
  }

  /** Scored requests so far and how many were correct. */
  get position(): { readonly steps: number; readonly correct: number } {
    const read = () => ({ steps: this.#state[0]!, correct: this.#state[1]! });
    return this.#lock === undefined ? read() : withLock(this.#lock, read);
  }

  reset(): void {
    const clear = () => this.#state.fill(0);
    if (this.#lock === undefined) clear();
    else withLock(this.#lock, clear);
  }

  #step(): boolean {
    const state = this.#state;
    const { numerator: a, denominator: b } = this.rate;
    const n = state[0]!;
    state[0] = n + 1;
    const scaledNow = a * n; // p n, times b
    const scaledNext = scaledNow + a;
    const f = scaledNow % b; // frac(p n), times b
    const g = scaledNext % b;
    const floorNow = (scaledNow - f) / b;
    const wraps = (scaledNext - g) / b > floorNow;
    const above = state[1]! > floorNow;
    let correct: boolean;
    if (!wraps) correct = !above && g > f && this.#draw(n) * (b - f) < g - f;
    else correct = !above || this.#draw(n) * f < g;
    if (correct) state[1] = state[1]! + 1;
    return correct;
  }

  #draw(step: number): number {
    return uniform(this.seed, [EXACT_STREAM, step]);
  }
}

/** The schedule's position and its lock, shared by every worker (server/shared-state.ts). */
export interface ExactCells {
  readonly state: Float64Array;
  readonly lock: Int32Array;
}

export function exactCells(): ExactCells {
  return { state: new Float64Array(new SharedArrayBuffer(16)), lock: newLock() };
}

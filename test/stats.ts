// Binomial bounds for the statistical tests. Every statistical check in this suite is budgeted so
// that a correct implementation fails it with probability below 1e-9 (union bound over all checks
// of one test).

/** Total false-failure probability allowed for one statistical test, split over its checks. */
export const TOTAL_FALSE_FAILURE = 1e-9;

/**
 * Hoeffding: for k ~ Binomial(n, p), P(|k - n p| >= t) <= 2 exp(-2 t^2 / n) for every p.
 * Setting the right side to delta gives t = sqrt(n ln(2 / delta) / 2).
 */
export function hoeffdingBound(n: number, delta: number): number {
  return Math.sqrt((n * Math.log(2 / delta)) / 2);
}

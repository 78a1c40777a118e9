/** Confidence intervals, pass@k and tail bounds for reporting accuracy and for the statistical tests. */

/** The 97.5% standard normal quantile. */
const Z95 = 1.959963984540054;

/** Wilson score 95% interval for a binomial proportion; n = 0 gives the whole [0, 1]. */
export function wilson95(successes: number, n: number): { readonly low: number; readonly high: number } {
  if (!(Number.isInteger(n) && n >= 0 && Number.isInteger(successes) && successes >= 0 && successes <= n)) {
    throw new RangeError(`wilson95 needs integers 0 <= successes <= n (got ${successes}, ${n})`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const z2 = Z95 * Z95;
  const center = (successes + z2 / 2) / (n + z2);
  const half = (Z95 / (n + z2)) * Math.sqrt((successes * (n - successes)) / n + z2 / 4);
  // At 0 or n successes the bound touches 0 resp. 1 exactly; rounding would leave ~1e-17.
  return {
    low: successes === 0 ? 0 : Math.max(0, center - half),
    high: successes === n ? 1 : Math.min(1, center + half),
  };
}

/**
 * The unbiased pass@k estimator (Chen et al. 2021) for one question answered c times correctly
 * out of n samples: 1 - C(n-c, k) / C(n, k), computed as a product to avoid huge binomials.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k) && c >= 0 && c <= n && k >= 1 && k <= n)) {
    throw new RangeError(`passAtK needs integers 0 <= c <= n and 1 <= k <= n (got n=${n}, c=${c}, k=${k})`);
  }
  if (n - c < k) return 1;
  // C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i).
  let ratio = 1;
  for (let i = n - c + 1; i <= n; i++) ratio *= 1 - k / i;
  return 1 - ratio;
}

/**
 * Hoeffding: for a sum S of n independent values in [0, 1] with mean m,
 * P(|S - n m| >= t) <= 2 exp(-2 t^2 / n); returns the t that makes the right side delta.
 */
export function hoeffdingDeviation(n: number, delta: number): number {
  return Math.sqrt((n * Math.log(2 / delta)) / 2);
}

/**
 * Bernstein: for a sum S of n independent values in [0, 1] with mean m and variance v,
 * P(|S - n m| >= t) <= 2 exp(-t^2 / (2 n v + 2 t / 3)); returns the t that makes the right side
 * delta (the positive root of t^2 = L (2 n v + 2 t / 3), L = ln(2 / delta)). Much tighter than
 * Hoeffding when v is small (rates near 0 or 1, concentrated Beta).
 */
export function bernsteinDeviation(n: number, variance: number, delta: number): number {
  const l = Math.log(2 / delta);
  return l / 3 + Math.sqrt((l * l) / 9 + 2 * l * n * variance);
}

/** t with P(|K - n p| >= t) <= delta for K ~ Binomial(n, p): the smaller of Hoeffding and Bernstein. */
export function binomialTailBound(n: number, p: number, delta: number): number {
  return Math.min(hoeffdingDeviation(n, delta), bernsteinDeviation(n, p * (1 - p), delta));
}

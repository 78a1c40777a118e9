/** A fraction numerator/denominator with 0 <= numerator <= denominator. */
export interface Rational {
  readonly numerator: number;
  readonly denominator: number;
}

/**
 * Denominators up to 2^20 hold every decimal rate with six digits (10^6 < 2^20), so "0.35" is
 * exactly 35/100 and round(0.35 * 10) is 4, where the double 0.35 * 10 = 3.4999999999999996.
 */
export const MAX_DENOMINATOR = 1 << 20;

/**
 * The fraction closest to the double `x` in [0, 1] among those with denominator <= maxDenominator
 * (Python's Fraction.limit_denominator, in exact BigInt arithmetic). Two distinct fractions with
 * denominators <= 2^20 differ by >= 2^-40, far more than a double's rounding error, so a rate
 * written as k/b with b <= 2^20 comes back as exactly k/b (in lowest terms).
 */
export function limitDenominator(x: number, maxDenominator = MAX_DENOMINATOR): Rational {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`rate must be in [0, 1] (got ${x})`);
  // x = m / 2^e exactly: doubling a double is exact.
  let m = x;
  let e = 0;
  while (m !== Math.floor(m)) {
    m *= 2;
    e++;
  }
  let n = BigInt(m);
  let d = 1n << BigInt(e);
  const tn = n;
  const td = d;
  const max = BigInt(maxDenominator);
  let p0 = 0n, q0 = 1n, p1 = 1n, q1 = 0n;
  if (d <= max) return reduce(n, d);
  for (;;) {
    const a = n / d;
    const q2 = q0 + a * q1;
    if (q2 > max) break;
    [p0, q0, p1, q1] = [p1, q1, p0 + a * p1, q2];
    [n, d] = [d, n - a * d];
  }
  const k = (max - q0) / q1;
  const b1n = p0 + k * p1, b1d = q0 + k * q1;
  // |p1/q1 - t| <= |b1n/b1d - t|, both sides multiplied by td * q1 * b1d.
  const closerToConvergent = abs(p1 * td - tn * q1) * b1d <= abs(b1n * td - tn * b1d) * q1;
  return closerToConvergent ? reduce(p1, q1) : reduce(b1n, b1d);
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function reduce(n: bigint, d: bigint): Rational {
  let a = n, b = d;
  while (b !== 0n) [a, b] = [b, a % b];
  return { numerator: Number(n / a), denominator: Number(d / a) };
}

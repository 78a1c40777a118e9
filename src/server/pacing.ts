import type { PacingOptions } from "../config.ts";
import { mix32 } from "../decide/random.ts";
import { SIMULATED_SPEED, timingsFor, type Timings } from "../respond/timings.ts";
import { SCHEDULER, type Scheduler } from "./scheduler.ts";

/**
 * Simulated latency (--ttft-ms, --prefill-tps, --tps, --jitter, --time-scale). Every figure is in
 * simulated time; --time-scale F makes the real clock run F times faster than the simulated one
 * while replies still report simulated timings.
 */
export type PacingConfig = PacingOptions;

export const NO_PACING: PacingConfig = { ttftMs: 0, prefillTps: 0, tps: 0, jitter: 0, timeScale: 1 };

/** Whether replies take simulated time at all; with the defaults they are sent at once. */
export const isPaced = (config: PacingConfig): boolean => config.ttftMs > 0 || config.prefillTps > 0 || config.tps > 0;

/**
 * A reply's simulated timeline, in simulated ms from the moment its slot is taken: the prompt
 * phase (TTFT), then one gap per generated token. Token x (1-based) is out at `tokenAt(x)`; after
 * the last of n tokens one more step (the end-of-generation token) ends the reply at `endAt(n)`,
 * so `predicted_ms` = n gaps and `predicted_per_second` = --tps on average.
 */
export class Timeline {
  /** Cumulative gaps with jitter: cum[k] = sum of the first k gaps; undefined without jitter. */
  readonly #cum: Float64Array | undefined;

  constructor(
    readonly config: PacingConfig,
    /** Time to the first token, simulated ms. */
    readonly promptMs: number,
    /** Mean gap between tokens, simulated ms (0 when generation is instant). */
    readonly gapMs: number,
    cumulativeGaps?: Float64Array,
  ) {
    this.#cum = cumulativeGaps;
  }

  /** Simulated ms spent generating the first `m` tokens (m may be fractional). */
  generationMs(m: number): number {
    if (m <= 0 || this.gapMs === 0) return 0;
    const cum = this.#cum;
    if (cum === undefined) return m * this.gapMs;
    const whole = Math.floor(m);
    const last = cum.length - 1;
    if (whole >= last) return cum[last]! + (m - last) * this.gapMs;
    return cum[whole]! + (m - whole) * (cum[whole + 1]! - cum[whole]!);
  }

  /** When token x (1-based, may be fractional) is out, simulated ms. */
  tokenAt(x: number): number {
    return this.promptMs + this.generationMs(x - 1);
  }

  /** When a reply of n tokens ends (its end-of-generation step), simulated ms. */
  endAt(n: number): number {
    return this.promptMs + this.generationMs(n);
  }

  /** Tokens out by simulated time t (0 before the first), at most n. */
  tokensBy(t: number, n: number): number {
    if (t < this.promptMs) return 0;
    if (this.gapMs === 0) return n;
    let low = 1;
    let high = n;
    // The largest x in [1, n] with tokenAt(x) <= t (tokenAt is increasing).
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.tokenAt(mid) <= t) low = mid;
      else high = mid - 1;
    }
    return Math.min(low, n);
  }

  /** llama-server's timings for a reply of `promptTokens` in and `predictedTokens` out, from this timeline. */
  timings(promptTokens: number, predictedTokens: number): Timings {
    const { ttftMs, prefillTps, tps } = this.config;
    // A phase that is not simulated keeps the default figures (SIMULATED_SPEED), as without pacing.
    const promptMs = ttftMs > 0 || prefillTps > 0 ? this.promptMs : undefined;
    const predictedMs = tps > 0 ? this.generationMs(predictedTokens) : undefined;
    const speed = {
      promptTokensPerSecond: prefillTps > 0 ? prefillTps : SIMULATED_SPEED.promptTokensPerSecond,
      predictedTokensPerSecond: tps > 0 ? tps : SIMULATED_SPEED.predictedTokensPerSecond,
    };
    return timingsFor(promptTokens, predictedTokens, speed, { promptMs, predictedMs });
  }
}

/** Real (performance.now()) time of simulated offset `simMs` for a reply that started at `start`. */
export const realTime = (config: PacingConfig, start: number, simMs: number): number => start + simMs / config.timeScale;

/** Pacing for a server: its configuration, the shared scheduler, and the seed jitter draws from. */
export class Pacer {
  constructor(
    readonly config: PacingConfig,
    readonly seed: number,
    readonly scheduler: Scheduler = SCHEDULER,
  ) {}

  #unkeyed = 0;

  get paced(): boolean {
    return isPaced(this.config);
  }

  /**
   * The keys a reply's jitter is drawn from: its decision keys and attempt number. A reply to no
   * dataset question (a judge prompt, an echo) has no such keys and gets a fresh pair each time.
   */
  replyKeys(answer: { readonly keys: readonly number[]; readonly outcome: { readonly kind: string; readonly attempt?: number } }): readonly number[] {
    if (answer.outcome.kind !== "question") return [0x0ec0, this.#unkeyed++];
    return [...answer.keys, answer.outcome.attempt ?? 0];
  }

  /**
   * The timeline of a reply: `promptTokens` in, at most `tokens` out (the longest choice). Jitter
   * is drawn from the seed and `keys` (the reply's decision keys), so the same --seed and the
   * same requests give the same delays, whatever the order concurrent requests arrive in.
   */
  timeline(promptTokens: number, tokens: number, keys: readonly number[]): Timeline {
    const c = this.config;
    const base = c.ttftMs + (c.prefillTps > 0 ? (1000 * promptTokens) / c.prefillTps : 0);
    const gap = c.tps > 0 ? 1000 / c.tps : 0;
    if (c.jitter <= 0) return new Timeline(c, base, gap);
    const draw = lognormalFactors(c.jitter, jitterSeed(this.seed, keys));
    const promptMs = base * draw();
    if (gap === 0) return new Timeline(c, promptMs, 0);
    const cum = new Float64Array(tokens + 1);
    for (let k = 1; k <= tokens; k++) cum[k] = cum[k - 1]! + gap * draw();
    return new Timeline(c, promptMs, gap, cum);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Jitter: lognormal factors with mean 1 and the configured coefficient of variation.

const JITTER_STREAM = 0x7a11e7;


/** A 32-bit seed for one reply's delays, from the server seed and the reply's keys. */
export function jitterSeed(seed: number, keys: readonly number[]): number {
  let h = mix32(seed ^ mix32(JITTER_STREAM));
  for (const key of keys) h = mix32(h ^ mix32((key >>> 0) + 0x85ebca6b));
  return h;
}

/**
 * Draws of a lognormal variable with mean 1 and standard deviation `cv` (sigma² = ln(1 + cv²),
 * mu = -sigma²/2), from a small seeded generator (splitmix32): one reply draws hundreds of them.
 */
export function lognormalFactors(cv: number, seed: number): () => number {
  const sigma = Math.sqrt(Math.log(1 + cv * cv));
  const mu = (-sigma * sigma) / 2;
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return ((z ^ (z >>> 15)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  return () => {
    let normal: number;
    if (spare !== undefined) {
      normal = spare;
      spare = undefined;
    } else {
      const radius = Math.sqrt(-2 * Math.log(1 - next())); // 1 - u in (0, 1]: the log stays finite
      const angle = 2 * Math.PI * next();
      normal = radius * Math.cos(angle);
      spare = radius * Math.sin(angle);
    }
    return Math.exp(mu + sigma * normal);
  };
}

// ---------------------------------------------------------------------------------------------------------
// Token-sized pieces: a paced stream sends one chunk per simulated token.

/**
 * Where `text` is cut into estimateTokens(text) pieces of about four characters (fewer only where
 * a cut would split a surrogate pair): each piece's end offset. A paced stream sends one chunk per
 * piece, so its chunk count matches `completion_tokens` and its chunk rate is --tps.
 */
export function tokenCuts(text: string): Int32Array {
  const length = text.length;
  if (length === 0) return new Int32Array(0);
  const count = Math.max(1, Math.round(length / 4));
  const cuts = new Int32Array(count);
  let n = 0;
  let start = 0;
  for (let k = 1; k <= count; k++) {
    let end = k === count ? length : Math.round((k * length) / count);
    if (end < length && isLowSurrogate(text.charCodeAt(end))) end++;
    if (end > start) cuts[n++] = start = end;
  }
  return n === count ? cuts : cuts.slice(0, n);
}

/** The pieces tokenCuts() cuts `text` into; they join back to `text`. */
export function tokenPieces(text: string): string[] {
  let start = 0;
  return Array.from(tokenCuts(text), (end) => text.slice(start, (start = end)));
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** llama-server's `timings` object, computed from simulated model speeds. */
export interface Timings {
  readonly cache_n: number;
  readonly prompt_n: number;
  readonly prompt_ms: number;
  readonly prompt_per_token_ms: number;
  readonly prompt_per_second: number;
  readonly predicted_n: number;
  readonly predicted_ms: number;
  readonly predicted_per_token_ms: number;
  readonly predicted_per_second: number;
}

/** Speeds of a mid-range GPU running an 8B model: what replies report when no latency is simulated. */
export const SIMULATED_SPEED = { promptTokensPerSecond: 2000, predictedTokensPerSecond: 60 } as const;

export interface Speed {
  readonly promptTokensPerSecond: number;
  readonly predictedTokensPerSecond: number;
}

/**
 * Simulated durations of a reply (server/pacing.ts): when a phase's duration is given, its
 * `*_ms` is that duration and its rates follow from it; otherwise it is derived from `speed`.
 */
export interface Durations {
  readonly promptMs?: number;
  readonly predictedMs?: number;
}

/**
 * The timings of a reply of `promptTokens` in and `predictedTokens` out. `*_per_second` is
 * `1000 / *_per_token_ms`, as llama-server computes it; a phase with no tokens (or no time) reports
 * the nominal speed rather than a division by zero.
 */
export function timingsFor(promptTokens: number, predictedTokens: number, speed: Speed = SIMULATED_SPEED, durations?: Durations): Timings {
  const prompt = phase(promptTokens, speed.promptTokensPerSecond, durations?.promptMs);
  const predicted = phase(predictedTokens, speed.predictedTokensPerSecond, durations?.predictedMs);
  return {
    cache_n: 0,
    prompt_n: promptTokens,
    prompt_ms: prompt.ms,
    prompt_per_token_ms: prompt.perToken,
    prompt_per_second: prompt.perSecond,
    predicted_n: predictedTokens,
    predicted_ms: predicted.ms,
    predicted_per_token_ms: predicted.perToken,
    predicted_per_second: predicted.perSecond,
  };
}

function phase(tokens: number, tokensPerSecond: number, ms: number | undefined): { ms: number; perToken: number; perSecond: number } {
  if (ms === undefined || tokens === 0 || !(ms > 0)) {
    const perToken = 1000 / tokensPerSecond;
    return { ms: round3(ms ?? tokens * perToken), perToken: round3(perToken), perSecond: tokensPerSecond };
  }
  return { ms: round3(ms), perToken: round3(ms / tokens), perSecond: round3((1000 * tokens) / ms) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

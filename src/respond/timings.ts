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

/** Speeds of a mid-range GPU running an 8B model; a later latency model may make these flags. */
export const SIMULATED_SPEED = { promptTokensPerSecond: 2000, predictedTokensPerSecond: 60 } as const;

export interface Speed {
  readonly promptTokensPerSecond: number;
  readonly predictedTokensPerSecond: number;
}

export function timingsFor(promptTokens: number, predictedTokens: number, speed: Speed = SIMULATED_SPEED): Timings {
  const promptPerToken = 1000 / speed.promptTokensPerSecond;
  const predictedPerToken = 1000 / speed.predictedTokensPerSecond;
  return {
    cache_n: 0,
    prompt_n: promptTokens,
    prompt_ms: round3(promptTokens * promptPerToken),
    prompt_per_token_ms: round3(promptPerToken),
    prompt_per_second: speed.promptTokensPerSecond,
    predicted_n: predictedTokens,
    predicted_ms: round3(predictedTokens * predictedPerToken),
    predicted_per_token_ms: round3(predictedPerToken),
    predicted_per_second: speed.predictedTokensPerSecond,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

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

/** The `timings` object as JSON, in llama-server's key order, written as a template (the reply's hottest part). */
export function timingsJson(t: Timings): string {
  return (
    `{"cache_n":${t.cache_n},"prompt_n":${t.prompt_n},"prompt_ms":${t.prompt_ms},"prompt_per_token_ms":${t.prompt_per_token_ms},` +
    `"prompt_per_second":${t.prompt_per_second},"predicted_n":${t.predicted_n},"predicted_ms":${t.predicted_ms},` +
    `"predicted_per_token_ms":${t.predicted_per_token_ms},"predicted_per_second":${t.predicted_per_second}}`
  );
}

/**
 * timingsFor(p, c) at the default speeds, and its JSON, remembered in a small direct-mapped table:
 * the pair repeats across replies (a question's prompt, a reply style's length), and writing nine
 * numbers, five of them fractional, costs more than the rest of a reply's JSON. The reply (server/chat-json.ts)
 * and the ledger's latency (oracle.ts) share it.
 */
export const MEMO_SLOTS = 4096; // tokenPairSlot's 12 bits
const memoPrompt = new Int32Array(MEMO_SLOTS).fill(-1);
const memoCompletion = new Int32Array(MEMO_SLOTS).fill(-1);
const memoTimings: Timings[] = new Array<Timings>(MEMO_SLOTS);
/** "" until a reply first asks for the slot's JSON. */
const memoJson: string[] = new Array<string>(MEMO_SLOTS).fill("");

/**
 * Only counts an Int32Array holds exactly are remembered: a larger one would be stored wrapped
 * (2^40 as 0) and then answer for the small count it wrapped to. Real counts are far below 2^31.
 */
const memoable = (promptTokens: number, completionTokens: number): boolean => (promptTokens | 0) === promptTokens && (completionTokens | 0) === completionTokens;

/** A (prompt tokens, completion tokens) pair's slot in a direct-mapped table of MEMO_SLOTS (here, and chat-json.ts's reply pieces). */
export const tokenPairSlot = (promptTokens: number, completionTokens: number): number =>
  (Math.imul(promptTokens, 0x9e3779b1) ^ Math.imul(completionTokens, 0x85ebca77)) >>> 20;

function memoSlot(promptTokens: number, completionTokens: number): number {
  const slot = tokenPairSlot(promptTokens, completionTokens);
  if (memoPrompt[slot] !== promptTokens || memoCompletion[slot] !== completionTokens) {
    memoPrompt[slot] = promptTokens;
    memoCompletion[slot] = completionTokens;
    memoTimings[slot] = timingsFor(promptTokens, completionTokens);
    memoJson[slot] = "";
  }
  return slot;
}

export function simulatedTimings(promptTokens: number, completionTokens: number): Timings {
  if (!memoable(promptTokens, completionTokens)) return timingsFor(promptTokens, completionTokens);
  return memoTimings[memoSlot(promptTokens, completionTokens)]!;
}

export function simulatedTimingsJson(promptTokens: number, completionTokens: number): string {
  if (!memoable(promptTokens, completionTokens)) return timingsJson(timingsFor(promptTokens, completionTokens));
  const slot = memoSlot(promptTokens, completionTokens);
  return (memoJson[slot] ||= timingsJson(memoTimings[slot]!));
}

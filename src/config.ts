import type { FieldNames } from "./dataset/types.ts";

/** What the user asked for; presets and defaults are resolved by the dataset module. */
export interface DatasetChoice {
  /** Preset names (`aime`) or HF repo ids (`owner/name`), served together from one index; ignored when `file` is set. */
  readonly names: readonly string[];
  /** Explicit `--dataset-config` / `--dataset-split`; undefined means the preset's or the default. */
  readonly config: string | undefined;
  readonly split: string | undefined;
  readonly file: string | undefined;
  readonly fields: FieldNames;
  /** Where hub datasets come from: auto = cache, then the datasets-server, then the embedded snapshot. */
  readonly source: DatasetSourceChoice;
}

export const DATASET_SOURCES = ["auto", "hub", "cache", "embedded"] as const;
export type DatasetSourceChoice = (typeof DATASET_SOURCES)[number];
export const RESPONSE_STYLES = ["short", "reasoning", "think", "mixed"] as const;
export type ResponseStyleChoice = (typeof RESPONSE_STYLES)[number];
export const REASONING_FORMATS = ["auto", "deepseek", "deepseek-legacy", "none"] as const;
export type ReasoningFormat = (typeof REASONING_FORMATS)[number];
export const ANSWER_FORMS = ["canonical", "varied"] as const;
export type AnswerForms = (typeof ANSWER_FORMS)[number];
export const WRONG_STYLES = ["plausible", "off-by-one", "no-answer", "mixed"] as const;
export type WrongStyleChoice = (typeof WRONG_STYLES)[number];
export const UNMATCHED_POLICIES = ["error", "echo"] as const;
export type UnmatchedPolicy = (typeof UNMATCHED_POLICIES)[number];
export const MODES = ["random", "fixed", "exact", "difficulty"] as const;
export type ModeChoice = (typeof MODES)[number];
export const DIFFICULTY_SOURCES = ["beta", "dataset"] as const;
export type DifficultySource = (typeof DIFFICULTY_SOURCES)[number];

/** How replies are written (issue: answers shaped like real models'). */
export interface ReplyOptions {
  readonly style: ResponseStyleChoice;
  /** Length of a reasoning chain in tokens (--reasoning-tokens). */
  readonly reasoningTokens: number;
  /** Where thoughts go by default; a request's `reasoning_format` overrides it. */
  readonly reasoningFormat: ReasoningFormat;
  readonly answerForms: AnswerForms;
  readonly wrongStyle: WrongStyleChoice;
  readonly onUnmatched: UnmatchedPolicy;
}

/** How outcomes are decided and recorded. */
export interface DecisionOptions {
  readonly mode: ModeChoice;
  readonly difficultySource: DifficultySource;
  /** Concentration alpha+beta of the difficulty Beta distribution. */
  readonly difficultySpread: number;
  readonly greedy: boolean;
  /** Honour X-Sim-Outcome and allow POST /sim/reset. */
  readonly allowOverride: boolean;
  readonly ledgerFile: string | undefined;
  /** Records kept in memory for GET /sim/ledger. */
  readonly ledgerKeep: number;
  readonly metrics: boolean;
}

/** llama-server's own flags (the drop-in conventions), resolved. */
export interface ServerFlags {
  /** --api-key (comma-separated) and --api-key-file keys; empty = no key needed. */
  readonly apiKeys: readonly string[];
  /** --api-prefix as "" or "/path" (leading slash added, trailing slashes dropped). */
  readonly apiPrefix: string;
  /** Slots after llama-server [A]'s -np resolution (see slotLayout). */
  readonly parallel: number;
  /** -c after resolution (0 = the model's training context). */
  readonly ctxSize: number;
  /** Context of each slot. */
  readonly slotContext: number;
  /** -n: token limit of a request that sets none; -1 = unlimited. */
  readonly nPredict: number;
  /** --threads-http as given: workers serving the port (server/workers.ts workerCount: 0 = one per core, -1 = 1). */
  readonly threadsHttp: number;
  readonly endpointSlots: boolean;
  readonly endpointProps: boolean;
  /** -m / LLAMA_ARG_MODEL as given, reported as /props model_path; nothing is loaded. */
  readonly modelPath: string | undefined;
  /** llama-server flags accepted and ignored, as typed (`-ngl 99`), for the one notice line. */
  readonly ignoredFlags: readonly string[];
}

/** Status codes --error-codes may name: llama-server's 500 and 503, and the 429 of the proxies in front of it. */
export const FAULT_ERROR_CODES = [429, 500, 503] as const;
export type FaultErrorCode = (typeof FAULT_ERROR_CODES)[number];

/** Fault injection (issue 8 §4): per-request probabilities drawn from the seed, and scripted failures. */
export interface FaultOptions {
  /** Probability of an error reply, its status drawn from errorCodes. */
  readonly errorRate: number;
  readonly errorCodes: readonly FaultErrorCode[];
  /** Probability of closing the connection without a response. */
  readonly dropRate: number;
  /** Probability of never answering, until the client gives up (or --timeout). */
  readonly hangRate: number;
  /** Probability of cutting a stream after some events (a non-streamed reply is dropped). */
  readonly midstreamDropRate: number;
  /** Each question's first K attempts get 503 (0 = off). */
  readonly failFirst: number;
  /** Exit with status 3 right after the N-th reply (0 = never). */
  readonly crashAfter: number;
  /** Every route but the model list answers 503 "Loading model" for this long after start (0 = ready at once). */
  readonly loadingMs: number;
}

/** Simulated latency (issue 8 §1), all in simulated time; zeros mean instant replies. */
export interface PacingOptions {
  /** --ttft-ms: fixed delay before the first token, ms. */
  readonly ttftMs: number;
  /** --prefill-tps: prompt tokens per second, added to the time to first token (0 = instant). */
  readonly prefillTps: number;
  /** --tps: generated tokens per second (0 = instant). */
  readonly tps: number;
  /** --jitter: relative standard deviation of each delay (lognormal, mean kept). */
  readonly jitter: number;
  /** --time-scale: the real clock runs this many times faster than the simulated one. */
  readonly timeScale: number;
}

/** The simulated model's training context (/v1/models meta.n_ctx_train): -c 0 means this, and no slot gets more. */
export const N_CTX_TRAIN = 131072;

/**
 * Slots and per-slot context as llama-server [A] resolves them: -np left at 1 (its default) without
 * -kvu becomes 4 slots sharing one unified KV cache, each seeing the whole context; otherwise the
 * KV cache is split, c/np per slot, unless -kvu keeps it unified. -np -1 is newer builds' "auto".
 */
export function slotLayout(parallel: number | undefined, ctxSize: number, kvUnified: boolean): { parallel: number; slotContext: number } {
  const total = ctxSize === 0 ? N_CTX_TRAIN : ctxSize;
  let np = parallel === undefined || parallel === -1 ? 1 : parallel;
  let unified = kvUnified;
  if (np === 1 && !unified) {
    np = 4;
    unified = true;
  }
  return { parallel: np, slotContext: Math.min(unified ? total : Math.floor(total / np), N_CTX_TRAIN) };
}

/** Everything the process needs, resolved from flags, environment and defaults. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly successRate: number;
  /** Seed for every random choice; printed at start-up so a run can be replayed. */
  readonly seed: number;
  /** Whether the seed was given (flag or env) or drawn at random. */
  readonly seedGiven: boolean;
  readonly dataset: DatasetChoice;
  readonly datasetsServer: string;
  readonly cacheDir: string;
  readonly offline: boolean;
  readonly hfToken: string | undefined;
  /** The model id served on /v1/models and echoed in every completion. */
  readonly alias: string;
  readonly maxBodyBytes: number;
  readonly quiet: boolean;
  /** Requests handled in one batch per event-loop turn (server/turn-batch.ts); false with --no-batch. */
  readonly batch: boolean;
  /** Seconds a connection may sit idle (llama-server's read/write timeout). */
  readonly timeoutSeconds: number;
  /** Seconds allowed to receive a request body once its headers are in. */
  readonly readTimeoutSeconds: number;
  readonly reply: ReplyOptions;
  readonly decision: DecisionOptions;
  readonly server: ServerFlags;
  readonly pacing: PacingOptions;
  readonly faults: FaultOptions;
  /** SIGINT/SIGTERM: how long in-flight replies may take to finish before they are cut. */
  readonly shutdownGraceMs: number;
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8033,
  successRate: 0.8,
  dataset: "aime",
  datasetConfig: "default",
  datasetSplit: "train",
  datasetsServer: "https://datasets-server.huggingface.co",
  alias: "llama",
  maxBodyBytes: 1024 * 1024,
  timeoutSeconds: 600,
  readTimeoutSeconds: 10,
  reasoningTokens: 400,
  difficultySpread: 4,
  ledgerKeep: 100_000,
  ctxSize: 8192,
  nPredict: -1,
  threadsHttp: 1,
  errorCodes: "500,503,429",
  shutdownGraceMs: 5000,
} as const;

/** A bad flag or environment value; the message is the one line the user sees. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function defaultCacheDir(env: Record<string, string | undefined>): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && xdg.startsWith("/")) return `${xdg}/llama-sim`;
  const home = env.HOME ?? env.USERPROFILE;
  if (home) return `${home}/.cache/llama-sim`;
  // `env -i` leaves no HOME: fall back to a directory next to nothing in particular but still writable.
  return `${env.TMPDIR ?? "/tmp"}/llama-sim-cache`;
}

const MAX_SEED = 2 ** 32 - 1;

export function parseSeed(text: string, flag: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) > MAX_SEED) {
    throw new ConfigError(`${flag} must be an integer from 0 to ${MAX_SEED} (got "${text}")`);
  }
  return Number(trimmed);
}

export function parseRate(text: string, flag: string): number {
  const value = Number(text.trim());
  // Decimal notation only: Number() would also take "0x1" or "0b1".
  if (!/^\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim()) || value < 0 || value > 1) {
    throw new ConfigError(`${flag} must be a number from 0 to 1 (got "${text}")`);
  }
  return value;
}

export function parsePort(text: string, flag: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) > 65535) {
    throw new ConfigError(`${flag} must be a port number from 0 to 65535 (got "${text}")`);
  }
  return Number(trimmed);
}

export function parseSeconds(text: string, flag: string): number {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed) || Number(trimmed) <= 0 || Number(trimmed) > 86400) {
    throw new ConfigError(`${flag} must be a number of seconds above 0 and at most 86400 (got "${text}")`);
  }
  return Number(trimmed);
}

export function parseByteCount(text: string, flag: string): number {
  const match = /^(\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  const unit = match?.[2]?.[0]?.toLowerCase();
  const scale = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  const value = match ? Number(match[1]) * scale : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`${flag} must be a positive byte count such as 1048576 or 1MiB (got "${text}")`);
  }
  return value;
}

export function parseUrl(text: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${flag} must be an http(s) URL (got "${text}")`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${flag} must be an http(s) URL (got "${text}")`);
  }
  return url.href.replace(/\/+$/, "");
}

const TRUE_WORDS = new Set(["1", "true", "on", "enabled", "yes"]);
const FALSE_WORDS = new Set(["0", "false", "off", "disabled", "no", ""]);

/** llama-server's convention for boolean environment variables. */
export function parseBoolEnv(text: string, name: string): boolean {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ConfigError(`${name} must be one of true/false, 1/0, on/off, enabled/disabled, yes/no (got "${text}")`);
}

/** One of a fixed set of words, e.g. --mode fixed. */
export function parseChoice<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  const word = text.trim().toLowerCase();
  if (!(choices as readonly string[]).includes(word)) {
    throw new ConfigError(`${flag} must be one of ${choices.join(", ")} (got "${text}")`);
  }
  return word as T;
}

/** A whole number in [min, max]. */
export function parseInteger(text: string, flag: string, min: number, max: number): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < min || Number(trimmed) > max) {
    throw new ConfigError(`${flag} must be a whole number from ${min} to ${max} (got "${text}")`);
  }
  return Number(trimmed);
}

/** A positive decimal number, at most `max`. */
export function parsePositive(text: string, flag: string, max: number): number {
  const trimmed = text.trim();
  if (!/^(\d+\.?\d*|\.\d+)$/.test(trimmed) || Number(trimmed) <= 0 || Number(trimmed) > max) {
    throw new ConfigError(`${flag} must be a number above 0 and at most ${max} (got "${text}")`);
  }
  return Number(trimmed);
}

/** A decimal number from 0 to `max` (0 usually meaning "off"). */
export function parseNonNegative(text: string, flag: string, max: number): number {
  const trimmed = text.trim();
  if (!/^(\d+\.?\d*|\.\d+)$/.test(trimmed) || Number(trimmed) > max) {
    throw new ConfigError(`${flag} must be a number from 0 to ${max} (got "${text}")`);
  }
  return Number(trimmed);
}

/** A whole number in [min, max] that may be negative (-n -1, -np -1, --threads-http -1). */
export function parseSignedInteger(text: string, flag: string, min: number, max: number): number {
  const trimmed = text.trim();
  if (!/^[-+]?\d+$/.test(trimmed) || Number(trimmed) < min || Number(trimmed) > max) {
    throw new ConfigError(`${flag} must be a whole number from ${min} to ${max} (got "${text}")`);
  }
  return Number(trimmed);
}

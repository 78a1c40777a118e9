// The command line: flags (cli-flags.ts) and their environment variables, resolved and validated into one Config.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  ConfigError,
  DEFAULTS,
  defaultCacheDir,
  ANSWER_FORMS,
  DATASET_SOURCES,
  DIFFICULTY_SOURCES,
  MODES,
  parseBoolEnv,
  parseByteCount,
  parseChoice,
  parseInteger,
  parseNonNegative,
  parsePositive,
  REASONING_FORMATS,
  RESPONSE_STYLES,
  UNMATCHED_POLICIES,
  WRONG_STYLES,
  parsePort,
  parseRate,
  parseSeconds,
  parseSeed,
  parseSignedInteger,
  parseUrl,
  slotLayout,
  N_CTX_TRAIN,
  FAULT_ERROR_CODES,
  type Config,
  type PacingOptions,
  type FaultErrorCode,
  type FaultOptions,
  type ServerFlags,
} from "./config.ts";
import { isDatasetName, PRESET_NAMES } from "./dataset/presets.ts";
import { FLAGS, helpText } from "./cli-flags.ts";
import { normalizeArgv, type IgnoredFlag } from "./llama-args.ts";

type Env = Record<string, string | undefined>;

export type CliResult =
  | { readonly kind: "run"; readonly config: Config }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "list-datasets" }
  | { readonly kind: "version" };

type Values = Record<string, string | boolean | undefined>;

export function parseCli(argv: readonly string[], env: Env): CliResult {
  const { args, ignored } = normalizeArgv(argv);
  const values = parseFlags(args);
  if (values.help) return { kind: "help", text: helpText() };
  if (values.version) return { kind: "version" };
  if (values["list-datasets"]) return { kind: "list-datasets" };
  return { kind: "run", config: resolveConfig(values, env, ignored) };
}

function parseFlags(argv: readonly string[]): Values {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const flag of FLAGS) options[flag.name] = flag.short ? { type: flag.type, short: flag.short } : { type: flag.type };
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false, allowNegative: false });
    return values as Values;
  } catch (error) {
    throw new ConfigError(describeParseError(error, argv));
  }
}

function describeParseError(error: unknown, argv: readonly string[]): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? /"([^"]*)"/.exec(message)?.[1];
  const flag = quoted?.match(/--[\w-]+/)?.[0] ?? quoted?.split(/[ =,]/)[0];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag ?? message} (see --help)`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (message.includes("does not take an argument")) return `${flag ?? "a flag"} takes no value (see --help)`;
      return `${flag ?? "a flag"} needs a value (see --help)`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument "${quoted ?? argv.find((a) => !a.startsWith("-")) ?? ""}": every option is a --flag (see --help)`;
    default:
      return message.split("\n")[0] ?? "invalid command line";
  }
}

/** Flag value if given, else its environment variable (empty counts as unset), else undefined. */
function pick(values: Values, env: Env, name: string): { text: string; from: string } | undefined {
  const given = values[name];
  if (typeof given === "string") return { text: given, from: `--${name}` };
  const spec = FLAGS.find((f) => f.name === name);
  const fromEnv = spec?.env ? env[spec.env] : undefined;
  if (spec?.env && fromEnv !== undefined && fromEnv !== "") return { text: fromEnv, from: spec.env };
  return undefined;
}

function pickBool(values: Values, env: Env, name: string): boolean {
  if (values[name] === true) return true;
  const spec = FLAGS.find((f) => f.name === name);
  const fromEnv = spec?.env ? env[spec.env] : undefined;
  return spec?.env && fromEnv !== undefined ? parseBoolEnv(fromEnv, spec.env) : false;
}

function nonEmpty(choice: { text: string; from: string } | undefined): string | undefined {
  if (choice === undefined) return undefined;
  if (choice.text.trim() === "") throw new ConfigError(`${choice.from} must not be empty`);
  return choice.text;
}

function resolveConfig(values: Values, env: Env, ignored: readonly IgnoredFlag[] = []): Config {
  const port = pick(values, env, "port");
  const rate = pick(values, env, "success-rate");
  const seed = pick(values, env, "seed");
  const server = pick(values, env, "datasets-server");
  const maxBody = pick(values, env, "max-body-bytes");
  const timeout = pick(values, env, "timeout");
  const readTimeout = pick(values, env, "read-timeout");
  const file = nonEmpty(pick(values, env, "dataset-file"));
  const hubOffline = env.HF_HUB_OFFLINE !== undefined && env.HF_HUB_OFFLINE !== "" && parseBoolEnv(env.HF_HUB_OFFLINE, "HF_HUB_OFFLINE");
  const token = env.HF_TOKEN?.trim();
  const choice = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const given = pick(values, env, name);
    return given ? parseChoice(given.text, given.from, choices) : fallback;
  };
  const integer = (name: string, min: number, max: number, fallback: number): number => {
    const given = pick(values, env, name);
    return given ? parseInteger(given.text, given.from, min, max) : fallback;
  };
  const spread = pick(values, env, "difficulty-spread");
  return {
    host: nonEmpty(pick(values, env, "host")) ?? DEFAULTS.host,
    port: port ? parsePort(port.text, port.from) : DEFAULTS.port,
    successRate: rate ? parseRate(rate.text, rate.from) : DEFAULTS.successRate,
    seed: seed ? parseSeed(seed.text, seed.from) : randomSeed(),
    seedGiven: seed !== undefined,
    dataset: {
      names: datasetNames(pick(values, env, "dataset")),
      config: nonEmpty(pick(values, env, "dataset-config")),
      split: nonEmpty(pick(values, env, "dataset-split")),
      file,
      fields: {
        question: nonEmpty(pick(values, env, "question-field")),
        answer: nonEmpty(pick(values, env, "answer-field")),
      },
      source: choice("source", DATASET_SOURCES, "auto"),
    },
    datasetsServer: server ? parseUrl(server.text, server.from) : DEFAULTS.datasetsServer,
    cacheDir: nonEmpty(pick(values, env, "cache-dir")) ?? defaultCacheDir(env),
    offline: pickBool(values, env, "offline") || hubOffline,
    hfToken: token ? token : undefined,
    alias: nonEmpty(pick(values, env, "alias")) ?? DEFAULTS.alias,
    maxBodyBytes: maxBody ? parseByteCount(maxBody.text, maxBody.from) : DEFAULTS.maxBodyBytes,
    quiet: pickBool(values, env, "quiet"),
    batch: !pickBool(values, env, "no-batch"),
    timeoutSeconds: timeout ? parseSeconds(timeout.text, timeout.from) : DEFAULTS.timeoutSeconds,
    readTimeoutSeconds: readTimeout ? parseSeconds(readTimeout.text, readTimeout.from) : DEFAULTS.readTimeoutSeconds,
    reply: {
      style: choice("response-style", RESPONSE_STYLES, "short"),
      reasoningTokens: integer("reasoning-tokens", 0, 32768, DEFAULTS.reasoningTokens),
      reasoningFormat: choice("reasoning-format", REASONING_FORMATS, "auto"),
      answerForms: choice("answer-forms", ANSWER_FORMS, "canonical"),
      wrongStyle: choice("wrong-style", WRONG_STYLES, "plausible"),
      onUnmatched: choice("on-unmatched", UNMATCHED_POLICIES, "error"),
    },
    decision: {
      mode: choice("mode", MODES, "random"),
      difficultySource: choice("difficulty", DIFFICULTY_SOURCES, "beta"),
      difficultySpread: spread ? parsePositive(spread.text, spread.from, 1e6) : DEFAULTS.difficultySpread,
      greedy: pickBool(values, env, "greedy"),
      allowOverride: pickBool(values, env, "allow-override"),
      ledgerFile: nonEmpty(pick(values, env, "ledger")),
      ledgerKeep: integer("ledger-keep", 0, 10_000_000, DEFAULTS.ledgerKeep),
      metrics: pickBool(values, env, "metrics"),
    },
    server: resolveServerFlags(values, env, ignored),
    pacing: resolvePacing(values, env),
    faults: resolveFaults(values, env),
    shutdownGraceMs: integer("shutdown-grace-ms", 0, 3_600_000, DEFAULTS.shutdownGraceMs),
  };
}

/** --error-rate, --drop-rate, --hang-rate and --midstream-drop-rate share one draw per request, so they add up to at most 1. */
function resolveFaults(values: Values, env: Env): FaultOptions {
  const rate = (name: string): number => {
    const given = pick(values, env, name);
    return given ? parseRate(given.text, given.from) : 0;
  };
  const integer = (name: string, max: number): number => {
    const given = pick(values, env, name);
    return given ? parseInteger(given.text, given.from, 0, max) : 0;
  };
  const faults: FaultOptions = {
    errorRate: rate("error-rate"),
    errorCodes: errorCodes(pick(values, env, "error-codes")),
    dropRate: rate("drop-rate"),
    hangRate: rate("hang-rate"),
    midstreamDropRate: rate("midstream-drop-rate"),
    failFirst: integer("fail-first", 1_000_000),
    crashAfter: integer("crash-after", 2 ** 31 - 1),
    loadingMs: integer("loading-ms", 86_400_000),
  };
  const total = faults.errorRate + faults.dropRate + faults.hangRate + faults.midstreamDropRate;
  if (total > 1 + 1e-12) {
    throw new ConfigError(`--error-rate, --drop-rate, --hang-rate and --midstream-drop-rate must add up to at most 1 (got ${Number(total.toFixed(12))})`);
  }
  return faults;
}

function errorCodes(given: { text: string; from: string } | undefined): FaultErrorCode[] {
  const text = nonEmpty(given) ?? DEFAULTS.errorCodes;
  const codes = text.split(",").map((c) => c.trim());
  const allowed = FAULT_ERROR_CODES.map(String);
  for (const code of codes) {
    if (!allowed.includes(code)) throw new ConfigError(`${given!.from} must be status codes from ${allowed.join(", ")}, comma-separated (got "${given!.text}")`);
  }
  return [...new Set(codes.map(Number) as FaultErrorCode[])];
}

/** The drop-in flags: keys, prefix, slots and context, token limit, endpoint switches, -m. */
function resolveServerFlags(values: Values, env: Env, ignored: readonly IgnoredFlag[]): ServerFlags {
  const signed = (name: string, min: number, max: number): number | undefined => {
    const given = pick(values, env, name);
    return given ? parseSignedInteger(given.text, given.from, min, max) : undefined;
  };
  const parallel = signed("parallel", -1, 65536);
  if (parallel === 0) throw new ConfigError(`${pick(values, env, "parallel")!.from} must be a positive number of slots, or -1 for auto (got "0")`);
  const ctxSize = signed("ctx-size", 0, 16_777_216) ?? DEFAULTS.ctxSize;
  const layout = slotLayout(parallel, ctxSize, pickBool(values, env, "kv-unified"));
  const nPredict = signed("n-predict", -2, 2 ** 31 - 1) ?? DEFAULTS.nPredict;
  const model = [...ignored].reverse().find((f) => f.flag === "-m" || f.flag === "--model")?.values[0];
  const modelEnv = env.LLAMA_ARG_MODEL?.trim();
  return {
    apiKeys: apiKeys(values, env),
    apiPrefix: apiPrefix(pick(values, env, "api-prefix")),
    parallel: layout.parallel,
    ctxSize: ctxSize === 0 ? N_CTX_TRAIN : ctxSize,
    slotContext: layout.slotContext,
    // -2 is llama-cli's "until the context is full": unlimited here too.
    nPredict: nPredict < 0 ? -1 : nPredict,
    threadsHttp: signed("threads-http", -1, 1024) ?? DEFAULTS.threadsHttp,
    endpointSlots: slotsEndpoint(values, env),
    endpointProps: pickBool(values, env, "props"),
    modelPath: model ?? (modelEnv ? modelEnv : undefined),
    ignoredFlags: ignored.map((f) => [f.flag, ...f.values].join(" ")),
  };
}

/** --ttft-ms, --prefill-tps, --tps, --jitter, --time-scale: all 0 (and a scale of 1) = instant replies. */
function resolvePacing(values: Values, env: Env): PacingOptions {
  const number = (name: string, max: number, fallback: number, positive = false): number => {
    const given = pick(values, env, name);
    if (given === undefined) return fallback;
    return positive ? parsePositive(given.text, given.from, max) : parseNonNegative(given.text, given.from, max);
  };
  return {
    ttftMs: number("ttft-ms", 3_600_000, 0),
    prefillTps: number("prefill-tps", 10_000_000, 0),
    tps: number("tps", 1_000_000, 0),
    jitter: number("jitter", 10, 0),
    timeScale: number("time-scale", 1_000_000, 1, true),
  };
}

/** --slots / --no-slots (normalizeArgv keeps only the last); else LLAMA_ARG_ENDPOINT_SLOTS, then the older LLAMA_ARG_NO_ENDPOINT_SLOTS; on by default. */
function slotsEndpoint(values: Values, env: Env): boolean {
  if (values.slots === true) return true;
  if (values["no-slots"] === true) return false;
  const on = env.LLAMA_ARG_ENDPOINT_SLOTS;
  if (on !== undefined && on !== "") return parseBoolEnv(on, "LLAMA_ARG_ENDPOINT_SLOTS");
  return !pickBool(values, env, "no-slots");
}

/** Keys from --api-key (comma-separated) and --api-key-file (one a line; blank and # lines skipped). */
function apiKeys(values: Values, env: Env): string[] {
  const keys: string[] = [];
  const inline = pick(values, env, "api-key");
  if (inline && nonEmpty(inline)) {
    const given = inline.text.split(",").map((k) => k.trim()).filter((k) => k !== "");
    // A list of nothing must not quietly turn authentication off.
    if (given.length === 0) throw new ConfigError(`${inline.from}: holds no key (got "${inline.text}")`);
    keys.push(...given);
  }
  const file = pick(values, env, "api-key-file");
  if (file && nonEmpty(file)) {
    let text: string;
    try {
      text = readFileSync(file.text.trim(), "utf8");
    } catch (error) {
      throw new ConfigError(`${file.from}: cannot read "${file.text}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const given = text.split(/\r?\n/).map((k) => k.trim()).filter((k) => k !== "" && !k.startsWith("#"));
    if (given.length === 0) throw new ConfigError(`${file.from}: "${file.text}" holds no key (only blank or # lines)`);
    keys.push(...given);
  }
  return keys;
}

/** "" or "/path": a leading slash added, trailing slashes dropped ("/" alone means no prefix). */
function apiPrefix(given: { text: string; from: string } | undefined): string {
  if (given === undefined) return "";
  const text = nonEmpty(given)!.trim();
  if (/[\s?#]/.test(text)) throw new ConfigError(`${given.from} must be a URL path such as /llm (got "${given.text}")`);
  const path = `/${text}`.replace(/^\/+/, "/").replace(/\/+$/, "");
  return path;
}

function datasetNames(choice: { text: string; from: string } | undefined): string[] {
  const text = nonEmpty(choice);
  if (text === undefined) return [DEFAULTS.dataset];
  const names = text.split(",").map((n) => n.trim());
  for (const name of names) {
    if (!isDatasetName(name)) {
      throw new ConfigError(`${choice!.from} must be presets (${PRESET_NAMES}) or HF dataset ids like owner/name, comma-separated (got "${name}")`);
    }
  }
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) throw new ConfigError(`${choice!.from} names a dataset twice (got "${text}")`);
  return names;
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

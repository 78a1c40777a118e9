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
  parsePositive,
  REASONING_FORMATS,
  RESPONSE_STYLES,
  UNMATCHED_POLICIES,
  WRONG_STYLES,
  parsePort,
  parseRate,
  parseSeconds,
  parseSeed,
  parseUrl,
  type Config,
} from "./config.ts";
import { isDatasetName, PRESET_NAMES } from "./dataset/presets.ts";

type Env = Record<string, string | undefined>;

interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: "string" | "boolean";
  readonly env?: string;
  readonly value?: string;
  readonly default?: string;
  readonly help: string;
}

/** The single source of truth for flags: parsing, environment lookup and --help all read it. */
export const FLAGS: readonly FlagSpec[] = [
  { name: "host", type: "string", env: "LLAMA_ARG_HOST", value: "ADDR", default: DEFAULTS.host, help: "address to listen on" },
  { name: "port", type: "string", env: "LLAMA_ARG_PORT", value: "N", default: String(DEFAULTS.port), help: "port to listen on; 0 picks a free port (the banner prints it)" },
  { name: "success-rate", type: "string", env: "LLAMA_SIM_SUCCESS_RATE", value: "P", default: String(DEFAULTS.successRate), help: "probability (0..1) that a matched question gets its correct answer" },
  { name: "seed", type: "string", env: "LLAMA_SIM_SEED", value: "N", default: "random, printed at start-up", help: "seed for every random choice; the same seed and requests give the same outcomes" },
  { name: "dataset", type: "string", env: "LLAMA_SIM_DATASET", value: "NAME", default: DEFAULTS.dataset, help: "a preset (see --list-datasets) or any HF dataset id owner/name; several, comma-separated, are served together" },
  { name: "dataset-config", type: "string", env: "LLAMA_SIM_DATASET_CONFIG", value: "NAME", default: `${DEFAULTS.datasetConfig} (or the preset's)`, help: "HF dataset config" },
  { name: "dataset-split", type: "string", env: "LLAMA_SIM_DATASET_SPLIT", value: "NAME", default: `${DEFAULTS.datasetSplit} (or the preset's)`, help: "HF dataset split" },
  { name: "dataset-file", type: "string", env: "LLAMA_SIM_DATASET_FILE", value: "PATH", help: "load a local .jsonl, .json (array) or .csv file instead of the hub" },
  { name: "question-field", type: "string", env: "LLAMA_SIM_QUESTION_FIELD", value: "NAME", default: "problem, then question", help: "row field holding the question" },
  { name: "answer-field", type: "string", env: "LLAMA_SIM_ANSWER_FIELD", value: "NAME", default: "answer", help: "row field holding the gold answer" },
  { name: "datasets-server", type: "string", env: "LLAMA_SIM_DATASETS_SERVER", value: "URL", default: DEFAULTS.datasetsServer, help: "HF datasets-server base URL" },
  { name: "cache-dir", type: "string", env: "LLAMA_SIM_CACHE_DIR", value: "DIR", default: "$XDG_CACHE_HOME/llama-sim or ~/.cache/llama-sim", help: "where fetched datasets are cached" },
  { name: "source", type: "string", env: "LLAMA_SIM_SOURCE", value: "WHERE", default: "auto", help: "auto (--dataset-file, cache, datasets-server, then the embedded snapshot), hub, cache or embedded" },
  { name: "list-datasets", type: "boolean", help: "list every preset with its source and exit" },
  { name: "offline", type: "boolean", env: "LLAMA_SIM_OFFLINE", help: "never touch the network: cache or --dataset-file only (HF_HUB_OFFLINE=1 also works)" },
  { name: "alias", short: "a", type: "string", env: "LLAMA_ARG_ALIAS", value: "NAME", default: DEFAULTS.alias, help: "model id reported by /v1/models and in every reply" },
  { name: "max-body-bytes", type: "string", env: "LLAMA_SIM_MAX_BODY_BYTES", value: "N", default: "1MiB", help: "largest accepted request body (bytes, or with KiB/MiB); larger gets 413" },
  { name: "timeout", type: "string", env: "LLAMA_ARG_TIMEOUT", value: "SECONDS", default: String(DEFAULTS.timeoutSeconds), help: "close connections idle this long, as llama-server's -to (Bun caps it at 255)" },
  { name: "read-timeout", type: "string", env: "LLAMA_SIM_READ_TIMEOUT", value: "SECONDS", default: String(DEFAULTS.readTimeoutSeconds), help: "time allowed to receive a request body; a slower client gets 408" },
  { name: "response-style", type: "string", env: "LLAMA_SIM_RESPONSE_STYLE", value: "STYLE", default: "short", help: "short, reasoning (a worked chain of thought), think (the same inside <think> in content) or mixed (drawn per reply)" },
  { name: "reasoning-tokens", type: "string", env: "LLAMA_SIM_REASONING_TOKENS", value: "N", default: String(DEFAULTS.reasoningTokens), help: "length of the reasoning in tokens for the reasoning and think styles" },
  { name: "reasoning-format", type: "string", env: "LLAMA_ARG_THINK", value: "FORMAT", default: "auto", help: "auto/deepseek: thoughts in message.reasoning_content; none: inline in <think>; deepseek-legacy: inline while streaming (a request's reasoning_format overrides)" },
  { name: "answer-forms", type: "string", env: "LLAMA_SIM_ANSWER_FORMS", value: "FORMS", default: "canonical", help: "canonical, or varied: correct answers in equivalent forms (1,000, 0.5 for \\frac{1}{2}, (C))" },
  { name: "wrong-style", type: "string", env: "LLAMA_SIM_WRONG_STYLE", value: "STYLE", default: "plausible", help: "wrong answers: plausible, off-by-one, no-answer (nothing extractable) or mixed" },
  { name: "on-unmatched", type: "string", env: "LLAMA_SIM_ON_UNMATCHED", value: "POLICY", default: "error", help: "a request carrying no dataset question: error (400) or echo (a short generic reply)" },
  { name: "mode", type: "string", env: "LLAMA_SIM_MODE", value: "MODE", default: "random", help: "random (each reply a coin flip), fixed (each question always the same way; exactly round(p*N) correct), exact (every prefix within 1 of p*n) or difficulty (per-question rates)" },
  { name: "difficulty", type: "string", env: "LLAMA_SIM_DIFFICULTY", value: "SOURCE", default: "beta", help: "difficulty mode: beta (per-question rates drawn from a Beta with mean p) or dataset (from MATH level / AIME problem number)" },
  { name: "difficulty-spread", type: "string", env: "LLAMA_SIM_DIFFICULTY_SPREAD", value: "K", default: String(DEFAULTS.difficultySpread), help: "concentration alpha+beta of the Beta distribution; smaller is wider" },
  { name: "greedy", type: "boolean", env: "LLAMA_SIM_GREEDY", help: "a request with temperature 0 gets the same outcome and text for a question on every attempt" },
  { name: "allow-override", type: "boolean", env: "LLAMA_SIM_ALLOW_OVERRIDE", help: "honour the X-Sim-Outcome request header and allow POST /sim/reset" },
  { name: "ledger", type: "string", env: "LLAMA_SIM_LEDGER", value: "FILE", help: "append every scored decision to FILE as JSON Lines" },
  { name: "ledger-keep", type: "string", env: "LLAMA_SIM_LEDGER_KEEP", value: "N", default: String(DEFAULTS.ledgerKeep), help: "ledger records kept in memory for GET /sim/ledger" },
  { name: "metrics", type: "boolean", env: "LLAMA_ARG_ENDPOINT_METRICS", help: "serve Prometheus metrics on GET /metrics (else 501, as llama-server)" },
  { name: "quiet", short: "q", type: "boolean", env: "LLAMA_SIM_QUIET", help: "no per-request log lines on stderr" },
  { name: "help", short: "h", type: "boolean", help: "show this help and exit" },
  { name: "version", type: "boolean", help: "show version, git commit and Bun version and exit" },
];

export type CliResult =
  | { readonly kind: "run"; readonly config: Config }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "list-datasets" }
  | { readonly kind: "version" };

type Values = Record<string, string | boolean | undefined>;

export function parseCli(argv: readonly string[], env: Env): CliResult {
  const values = parseFlags(argv);
  if (values.help) return { kind: "help", text: helpText() };
  if (values.version) return { kind: "version" };
  if (values["list-datasets"]) return { kind: "list-datasets" };
  return { kind: "run", config: resolveConfig(values, env) };
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

function resolveConfig(values: Values, env: Env): Config {
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
  };
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

export function helpText(): string {
  const rows = FLAGS.map((flag) => {
    const names = `${flag.short ? `-${flag.short}, ` : "    "}--${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
    const extras = [flag.default ? `default: ${flag.default}` : "", flag.env ? `env: ${flag.env}` : ""].filter(Boolean).join("; ");
    return `  ${names.padEnd(30)} ${flag.help}${extras ? `\n  ${"".padEnd(30)} (${extras})` : ""}`;
  });
  return [
    "llama-sim: a stand-in for llama.cpp's llama-server that answers benchmark questions at a set success rate",
    "",
    "usage: llama-sim [--success-rate P] [--seed N] [--dataset NAME | --dataset-file PATH] [--port N] ...",
    "",
    "options:",
    ...rows,
    "",
    "A flag overrides its environment variable. HF_TOKEN, when set, is sent to the datasets-server as a Bearer token.",
    "Routes: POST /v1/chat/completions, /chat/completions; GET /health, /v1/health, /v1/models, /models; OPTIONS (CORS).",
  ].join("\n");
}

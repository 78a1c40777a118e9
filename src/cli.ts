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

type Env = Record<string, string | undefined>;

interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  /** llama-server's other spellings (-np, -kvu, --predict), shown in --help and mapped by normalizeArgv. */
  readonly aliases?: readonly string[];
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
  { name: "offline", type: "boolean", env: "LLAMA_SIM_OFFLINE", help: "never touch the network: --dataset-file, the cache, then the embedded snapshot (HF_HUB_OFFLINE=1 also works)" },
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
  { name: "api-key", type: "string", env: "LLAMA_API_KEY", value: "KEY[,KEY]", help: "require one of these keys (Authorization: Bearer KEY, or X-Api-Key: KEY) on every route but /health and /models; else 401" },
  { name: "api-key-file", type: "string", env: "LLAMA_ARG_API_KEY_FILE", value: "FILE", help: "more keys, one per line (blank lines and # comments skipped)" },
  { name: "api-prefix", type: "string", env: "LLAMA_ARG_API_PREFIX", value: "PATH", help: "serve every route under this path prefix (e.g. /llm/v1/models), and only there" },
  { name: "parallel", aliases: ["-np"], type: "string", env: "LLAMA_ARG_N_PARALLEL", value: "N", default: "4 (auto)", help: "slots: replies generated at once, more wait in a FIFO queue (/slots, /metrics); as llama-server, 1 (or -1) means 4 slots sharing the context, unless --kv-unified" },
  { name: "ctx-size", short: "c", type: "string", env: "LLAMA_ARG_CTX_SIZE", value: "N", default: String(DEFAULTS.ctxSize), help: "context size: each slot gets all of it by default, c/N with an explicit -np N; 0 = the model's 131072. A longer prompt gets 400 exceed_context_size_error" },
  { name: "kv-unified", aliases: ["-kvu"], type: "boolean", env: "LLAMA_ARG_KV_UNIFIED", help: "one KV cache for all slots: each slot sees the whole context (and -np 1 stays 1 slot)" },
  { name: "n-predict", short: "n", aliases: ["--predict"], type: "string", env: "LLAMA_ARG_N_PREDICT", value: "N", default: "-1 (unlimited)", help: "token limit of a request that sets none (n_predict, max_completion_tokens, max_tokens)" },
  { name: "threads-http", type: "string", env: "LLAMA_ARG_THREADS_HTTP", value: "N", default: "1", help: "HTTP worker threads serving the port together (Linux: SO_REUSEPORT); 0 = one per core, -1 (llama-server's auto) = 1. Attempts, exact mode, the ledger, /sim/stats and /metrics stay the whole process's; -np is divided among them" },
  { name: "slots", type: "boolean", env: "LLAMA_ARG_ENDPOINT_SLOTS", help: "serve GET /slots (the default; LLAMA_ARG_ENDPOINT_SLOTS=0 turns it off)" },
  { name: "no-slots", type: "boolean", env: "LLAMA_ARG_NO_ENDPOINT_SLOTS", help: "GET /slots answers 501, as llama-server's --no-slots" },
  { name: "props", type: "boolean", env: "LLAMA_ARG_ENDPOINT_PROPS", help: "allow POST /props (else 501, as llama-server)" },
  { name: "error-rate", type: "string", env: "LLAMA_SIM_ERROR_RATE", value: "P", default: "0", help: "fault injection: probability (0..1) that a request gets an error reply, its status drawn from --error-codes" },
  { name: "error-codes", type: "string", env: "LLAMA_SIM_ERROR_CODES", value: "LIST", default: DEFAULTS.errorCodes, help: "statuses for --error-rate, comma-separated, from 500, 503, 429 (503 and 429 carry Retry-After: 1)" },
  { name: "drop-rate", type: "string", env: "LLAMA_SIM_DROP_RATE", value: "P", default: "0", help: "fault injection: probability that a connection is closed without a response" },
  { name: "hang-rate", type: "string", env: "LLAMA_SIM_HANG_RATE", value: "P", default: "0", help: "fault injection: probability that a request is never answered, until the client gives up or --timeout" },
  { name: "midstream-drop-rate", type: "string", env: "LLAMA_SIM_MIDSTREAM_DROP_RATE", value: "P", default: "0", help: "fault injection: probability that a stream is cut after some events, without [DONE] (a non-streamed reply is dropped)" },
  { name: "fail-first", type: "string", env: "LLAMA_SIM_FAIL_FIRST", value: "K", default: "0", help: "each question's first K attempts get 503 with Retry-After: 1, then it is answered (tests retries)" },
  { name: "crash-after", type: "string", env: "LLAMA_SIM_CRASH_AFTER", value: "N", default: "0 (never)", help: "exit with status 3 right after the N-th reply, logs and ledger flushed (tests resuming)" },
  { name: "loading-ms", type: "string", env: "LLAMA_SIM_LOADING_MS", value: "T", default: "0", help: "for T ms after start every route but the model list answers 503 Loading model, /health included, as llama-server while it loads" },
  { name: "shutdown-grace-ms", type: "string", env: "LLAMA_SIM_SHUTDOWN_GRACE_MS", value: "MS", default: String(DEFAULTS.shutdownGraceMs), help: "on SIGINT/SIGTERM, time in-flight replies get to finish before they are cut (a second signal exits at once)" },
  { name: "ttft-ms", type: "string", env: "LLAMA_SIM_TTFT_MS", value: "MS", default: "0 (instant)", help: "simulated time to first token, ms; queueing for a slot comes on top" },
  { name: "prefill-tps", type: "string", env: "LLAMA_SIM_PREFILL_TPS", value: "N", default: "0 (instant)", help: "simulated prompt tokens per second, added to the time to first token" },
  { name: "tps", type: "string", env: "LLAMA_SIM_TPS", value: "N", default: "0 (instant)", help: "simulated tokens generated per second: streams send one chunk per token at this rate; a non-streamed reply comes when it is all generated" },
  { name: "jitter", type: "string", env: "LLAMA_SIM_JITTER", value: "J", default: "0", help: "relative standard deviation of every simulated delay (lognormal, same mean), drawn from --seed per request" },
  { name: "time-scale", type: "string", env: "LLAMA_SIM_TIME_SCALE", value: "F", default: "1", help: "run the simulated clock F times faster than real time; replies still report simulated timings" },
  { name: "no-batch", type: "boolean", env: "LLAMA_SIM_NO_BATCH", help: "handle each request as it arrives, not in one batch per event-loop turn (~20% more CPU a request under load)" },
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
  const { args, ignored } = normalizeArgv(argv);
  const values = parseFlags(args);
  if (values.help) return { kind: "help", text: helpText() };
  if (values.version) return { kind: "version" };
  if (values["list-datasets"]) return { kind: "list-datasets" };
  return { kind: "run", config: resolveConfig(values, env, ignored) };
}

// ---------------------------------------------------------------------------------------------------------
// llama-server's command line: its multi-letter single-dash flags, and the flags that do not apply.

/** Spellings of flags llama-sim shares with llama-server but that other entries of FLAGS own. */
const EXTRA_ALIASES: Record<string, readonly string[]> = { timeout: ["-to"], seed: ["-s"] };

const aliasesOf = (flag: FlagSpec): readonly string[] => [...(flag.aliases ?? []), ...(EXTRA_ALIASES[flag.name] ?? [])];

/** Every spelling of every flag of FLAGS -> its spec. */
const OWN_SPELLINGS: ReadonlyMap<string, FlagSpec> = new Map(
  FLAGS.flatMap((flag) => [`--${flag.name}`, ...(flag.short ? [`-${flag.short}`] : []), ...aliasesOf(flag)].map((spelling) => [spelling, flag] as const)),
);

const words = (text: string) => text.trim().split(/\s+/);

/**
 * llama-server flags with nothing to simulate (model loading, hardware, sampling defaults, logging,
 * templates, speculative decoding, the web UI), from its common/arg.cpp; accepted with their values
 * and ignored, so that a llama-server command line starts llama-sim unchanged. -m's value is still
 * reported as /props model_path.
 */
const IGNORED_WITH_VALUE = words(`
  -m --model -mu --model-url -dr --docker-repo -hf -hfr --hf-repo -hff --hf-file -hfv -hfrv --hf-repo-v -hffv --hf-file-v
  -hft --hf-token -hfd -hfrd --hf-repo-draft --mmproj --mmproj-url --lora --control-vector --override-kv
  -t --threads -tb --threads-batch -C --cpu-mask -Cr --cpu-range --cpu-strict --prio --poll -Cb --cpu-mask-batch
  -Crb --cpu-range-batch --cpu-strict-batch --prio-batch --poll-batch --numa -dev --device --rpc
  -ngl --gpu-layers --n-gpu-layers -sm --split-mode -ts --tensor-split -mg --main-gpu -ot --override-tensor
  -ncmoe --n-cpu-moe -fitt --fit-target -fitc --fit-ctx
  -b --batch-size -ub --ubatch-size --keep -ctk --cache-type-k -ctv --cache-type-v -dt --defrag-thold
  --cache-reuse --cache-ram -cram -ctxcp --ctx-checkpoints --swa-checkpoints -sps --slot-prompt-similarity
  --rope-scaling --rope-scale --rope-freq-base --rope-freq-scale --yarn-orig-ctx --yarn-ext-factor
  --yarn-attn-factor --yarn-beta-slow --yarn-beta-fast --pooling --image-min-tokens --image-max-tokens
  --samplers --sampling-seq --sampler-seq --temp --top-k --top-p --min-p --top-nsigma --xtc-probability
  --xtc-threshold --typical --repeat-last-n --repeat-penalty --presence-penalty --frequency-penalty
  --dry-multiplier --dry-base --dry-allowed-length --dry-penalty-last-n --dry-sequence-breaker
  --dynatemp-range --dynatemp-exp --mirostat --mirostat-lr --mirostat-ent -l --logit-bias --grammar
  --grammar-file -j --json-schema -jf --json-schema-file -r --reverse-prompt
  --chat-template --chat-template-file --chat-template-kwargs --reasoning-budget
  --log-file -lv --verbosity --log-verbosity --ssl-key-file --ssl-cert-file --path --media-path
  --webui-config --webui-config-file --slot-save-path --sse-ping-interval --sleep-idle-seconds --tags
  --models-dir --models-max --models-preset
  -td --threads-draft -tbd --threads-batch-draft --draft-max --draft --draft-n --draft-min --draft-n-min
  --draft-p-min -cd --ctx-size-draft -devd --device-draft -ngld --gpu-layers-draft --n-gpu-layers-draft
  -md --model-draft -ctkd --cache-type-k-draft -ctvd --cache-type-v-draft -otd --override-tensor-draft
  -ncmoed --n-cpu-moe-draft -mv --model-vocoder
`);
const IGNORED_SWITCHES = words(`
  --jinja --no-jinja -cb --cont-batching -nocb --no-cont-batching --mlock --mmap --no-mmap -dio --direct-io
  --no-direct-io -nkvo --no-kv-offload -kvo --kv-offload -nr --no-repack --no-host --swa-full --context-shift
  --no-context-shift -no-kvu --no-kv-unified --check-tensors --no-op-offload --lora-init-without-apply
  -cmoe --cpu-moe -cmoed --cpu-moe-draft --no-mmproj --no-mmproj-offload --mmproj-auto --no-mmproj-auto
  --embedding --embeddings --reranking --rerank --no-prefill-assistant --webui --no-webui --ui --no-ui
  --no-warmup --warmup --spm-infill -sp --special -e --escape --no-escape --perf --no-perf
  -v --verbose --log-verbose --log-disable --log-prefix --log-timestamps --verbose-prompt --ignore-eos
  --tts-use-guide-tokens --no-models-autoload --models-autoload --list-devices
  --embd-bge-small-en-default --embd-e5-small-en-default --embd-gte-small-default --fim-qwen-1.5b-default
  --fim-qwen-3b-default --fim-qwen-7b-default --fim-qwen-7b-spec --fim-qwen-14b-spec --fim-qwen-30b-default
  --gpt-oss-20b-default --gpt-oss-120b-default --vision-gemma-4b-default --vision-gemma-12b-default
`);
/** Flags whose value is optional in newer builds (-fa on|off|auto; a bare -fa in older ones). */
const IGNORED_OPTIONAL_VALUE = words("-fa --flash-attn --log-colors -fit --fit");
const IGNORED_TWO_VALUES = words("--lora-scaled --control-vector-scaled --control-vector-layer-range --spec-replace");
const OPTIONAL_VALUE = /^(on|off|auto|enabled?|disabled?|true|false|yes|no|[01])$/i;

const IGNORED_ARITY: ReadonlyMap<string, number | "optional"> = new Map<string, number | "optional">([
  ...IGNORED_WITH_VALUE.map((f): [string, number] => [f, 1]),
  ...IGNORED_SWITCHES.map((f): [string, number] => [f, 0]),
  ...IGNORED_OPTIONAL_VALUE.map((f): [string, "optional"] => [f, "optional"]),
  ...IGNORED_TWO_VALUES.map((f): [string, number] => [f, 2]),
]);

const SHORT_FLAGS = new Set(FLAGS.flatMap((flag) => (flag.short ? [flag.short] : [])));

/** Of --slots and --no-slots the last one given wins, as llama-server reads its command line in order. */
const SLOTS_SWITCHES = new Set(["--slots", "--no-slots"]);

/** A llama-server flag accepted and ignored, with the values it took. */
export interface IgnoredFlag {
  readonly flag: string;
  readonly values: readonly string[];
}

/**
 * Rewrites a command line for parseArgs: every spelling of llama-sim's own flags (-np, -to, -c, -n,
 * --predict, ...) becomes `--name` or `--name=value`, so multi-letter single-dash flags and values
 * that start with a dash (`-n -1`) work; llama-server flags that do not apply are taken out with
 * their values and returned. Anything else is left for parseArgs to accept or refuse.
 */
export function normalizeArgv(argv: readonly string[]): { args: string[]; ignored: IgnoredFlag[] } {
  const args: string[] = [];
  const ignored: IgnoredFlag[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      args.push(...argv.slice(i));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      args.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const name = eq > 0 ? token.slice(0, eq) : token;
    const inline = eq > 0 ? token.slice(eq + 1) : undefined;
    const own = OWN_SPELLINGS.get(name);
    if (own) {
      if (SLOTS_SWITCHES.has(`--${own.name}`)) {
        const earlier = args.findIndex((a) => SLOTS_SWITCHES.has(a.split("=")[0]!));
        if (earlier >= 0) args.splice(earlier, 1);
      }
      if (own.type === "boolean") args.push(inline === undefined ? `--${own.name}` : `--${own.name}=${inline}`);
      else if (inline === undefined && i + 1 >= argv.length) args.push(`--${own.name}`); // parseArgs reports the missing value
      else {
        const value = inline ?? argv[++i]!;
        // llama-server adds a key for each --api-key given; the others keep the last value.
        const earlier = own.name === "api-key" ? args.findIndex((a) => a.startsWith("--api-key=")) : -1;
        if (earlier >= 0 && value !== "") args[earlier] = `${args[earlier]},${value}`;
        else args.push(`--${own.name}=${value}`);
      }
      continue;
    }
    const arity = IGNORED_ARITY.get(name);
    if (arity === undefined) {
      // parseArgs would read an unknown -ngld as the cluster -n -g -l -d and name only "g".
      if (/^-[A-Za-z]{2,}$/.test(name) && ![...name.slice(1)].every((c) => SHORT_FLAGS.has(c))) {
        throw new ConfigError(`unknown flag ${name} (see --help)`);
      }
      args.push(token);
      continue;
    }
    const values: string[] = inline !== undefined ? [inline] : [];
    const wanted = arity === "optional" ? (inline === undefined && OPTIONAL_VALUE.test(argv[i + 1] ?? "") ? 1 : 0) : arity - values.length;
    for (let k = 0; k < wanted; k++) {
      if (i + 1 >= argv.length) throw new ConfigError(`${name} needs a value (it is a llama-server flag llama-sim accepts and ignores)`);
      values.push(argv[++i]!);
    }
    ignored.push({ flag: name, values });
  }
  return { args, ignored };
}

/** The one stderr line naming the ignored llama-server flags, or undefined when there are none. */
export function ignoredNotice(config: Config): string | undefined {
  const flags = config.server.ignoredFlags;
  return flags.length === 0 ? undefined : `llama-sim: ignoring llama-server flags that do not apply here: ${flags.join(" ")}`;
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
  if (inline && nonEmpty(inline)) keys.push(...inline.text.split(",").map((k) => k.trim()).filter((k) => k !== ""));
  const file = pick(values, env, "api-key-file");
  if (file && nonEmpty(file)) {
    let text: string;
    try {
      text = readFileSync(file.text.trim(), "utf8");
    } catch (error) {
      throw new ConfigError(`${file.from}: cannot read "${file.text}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    keys.push(...text.split(/\r?\n/).map((k) => k.trim()).filter((k) => k !== "" && !k.startsWith("#")));
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

export function helpText(): string {
  const rows = FLAGS.map((flag) => {
    const names = `${flag.short ? `-${flag.short}, ` : "    "}--${flag.name}${flag.value ? ` ${flag.value}` : ""}`;
    const aliases = aliasesOf(flag);
    const extras = [aliases.length > 0 ? `also ${aliases.join(", ")}` : "", flag.default ? `default: ${flag.default}` : "", flag.env ? `env: ${flag.env}` : ""]
      .filter(Boolean)
      .join("; ");
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
    "llama-server's other flags (-m, -ngl, -fa, -t, -b, -ub, --jinja, --temp, --mlock, -cb, -hf, --chat-template, ...) are accepted",
    "with their values and ignored, with one notice line on stderr.",
    "Routes: POST /v1/chat/completions, /chat/completions, /completion, /completions, /v1/completions, /tokenize, /detokenize,",
    "/apply-template, /props (with --props), /sim/reset (with --allow-override); GET /health, /v1/health, /v1/models, /models,",
    "/props, /slots, /metrics (with --metrics), /sim/ledger, /sim/stats; HEAD on every GET route; OPTIONS (CORS);",
    "501 for embeddings, rerank and infill. With --api-prefix P every route is under P.",
    "",
    "Subcommands: llama-sim reconcile --ledger FILE[,FILE] --harness STATE.json (a harness's grades against the ledger);",
    "llama-sim stats --ledger FILE[,FILE] [--json] (merged statistics of several ledgers, e.g. from replicas).",
  ].join("\n");
}

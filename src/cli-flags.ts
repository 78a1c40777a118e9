// llama-sim's flags: one table that parsing, the environment and --help all read, and the help text.
import { DEFAULTS } from "./config.ts";

export interface FlagSpec {
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
  { name: "n-predict", short: "n", aliases: ["--predict"], type: "string", env: "LLAMA_ARG_N_PREDICT", value: "N", default: "-1 (unlimited)", help: "token limit of a request that sets none (n_predict, max_completion_tokens, max_tokens); a larger request limit is lowered to it" },
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
  { name: "no-batch", type: "boolean", env: "LLAMA_SIM_NO_BATCH", help: "handle each request as it arrives, not in one batch per event-loop turn (~20% more CPU a request under load); for clients that pipeline HTTP/1.1 requests" },
  { name: "quiet", short: "q", type: "boolean", env: "LLAMA_SIM_QUIET", help: "no per-request log lines on stderr" },
  { name: "help", short: "h", type: "boolean", help: "show this help and exit" },
  { name: "version", type: "boolean", help: "show version, git commit and Bun version and exit" },
];

/** Spellings of flags llama-sim shares with llama-server but that other entries of FLAGS own. */
const EXTRA_ALIASES: Record<string, readonly string[]> = { timeout: ["-to"], seed: ["-s"] };

export const aliasesOf = (flag: FlagSpec): readonly string[] => [...(flag.aliases ?? []), ...(EXTRA_ALIASES[flag.name] ?? [])];

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

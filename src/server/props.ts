import type { ServerFlags } from "../config.ts";
import type { ServerContext, ServerSettings } from "./context.ts";
import { HttpError } from "./errors.ts";
import { slotsOf } from "./slots.ts";
import { BOS_TOKEN, CHAT_TEMPLATE, EOS_TOKEN } from "./template.ts";

/** llama-server's defaults for the drop-in flags, for a context built without them (tests). */
export const DEFAULT_SETTINGS: ServerSettings = {
  apiKeys: [],
  apiPrefix: "",
  endpointSlots: true,
  endpointProps: false,
  endpointMetrics: false,
  nPredict: -1,
  modelPath: "",
};

export const settingsOf = (ctx: ServerContext): ServerSettings => ctx.server ?? DEFAULT_SETTINGS;

/** The context's settings from the resolved flags (--metrics lives with the decision options). */
export function serverSettings(flags: ServerFlags, metrics: boolean): ServerSettings {
  return {
    apiKeys: flags.apiKeys,
    apiPrefix: flags.apiPrefix,
    endpointSlots: flags.endpointSlots,
    endpointProps: flags.endpointProps,
    endpointMetrics: metrics,
    nPredict: flags.nPredict,
    modelPath: flags.modelPath ?? "",
  };
}

/** /props model_path: -m as given, else a name that looks like one (upstream tests check for ".gguf"). */
export const modelPathOf = (ctx: ServerContext): string => settingsOf(ctx).modelPath || `${ctx.alias}.gguf`;

type Json = Record<string, unknown>;

/** llama.cpp stores these as 32-bit floats; nlohmann prints the widened double (0.8 -> 0.800000011920929). */
const f32 = (x: number) => Math.fround(x);

/** LLAMA_DEFAULT_SEED: a random seed prints as 0xFFFFFFFF. */
const RANDOM_SEED = 4294967295;

const DEFAULT_SAMPLERS = ["penalties", "dry", "top_n_sigma", "top_k", "typ_p", "top_p", "min_p", "xtc", "temperature"];

/** A request field if it has the expected type, else the default: llama-server's lenient json_value(). */
function field<T>(body: Json | undefined, key: string, fallback: T): T {
  const value = body?.[key];
  if (value === undefined || value === null) return fallback;
  if (typeof fallback === "number") return (typeof value === "number" ? value : fallback) as T;
  if (typeof fallback === "boolean") return (typeof value === "boolean" ? value : fallback) as T;
  if (Array.isArray(fallback)) return (Array.isArray(value) ? value : fallback) as T;
  return (typeof value === typeof fallback ? value : fallback) as T;
}

export interface TaskParamsOptions {
  /** The resolved token limit (-1 = unlimited). */
  readonly nPredict: number;
  readonly stream: boolean;
  /** The full form (generation_settings of a completion) or the short one (/props, /slots). */
  readonly full: boolean;
}

/**
 * llama-server's task_params::to_json: the effective generation parameters, its keys in its order,
 * from the request's fields where given (of the right type) and the server's defaults otherwise.
 * The seed defaults to the simulator's --seed, as llama-server's does to its own --seed.
 */
export function taskParams(ctx: ServerContext, body: Json | undefined, options: TaskParamsOptions): Json {
  const f = <T>(key: string, fallback: T) => field(body, key, fallback);
  const nCtx = slotsOf(ctx).nCtx;
  const lastN = (n: number) => (n === -1 ? nCtx : n);
  const seed = f("seed", ctx.decider.seed);
  const params: Json = {
    seed: seed === -1 ? RANDOM_SEED : seed,
    temperature: f32(f("temperature", 0.8)),
    dynatemp_range: f32(f("dynatemp_range", 0)),
    dynatemp_exponent: f32(f("dynatemp_exponent", 1)),
    top_k: f("top_k", 40),
    top_p: f32(f("top_p", 0.95)),
    min_p: f32(f("min_p", 0.05)),
    top_n_sigma: f32(f("top_n_sigma", -1)),
    xtc_probability: f32(f("xtc_probability", 0)),
    xtc_threshold: f32(f("xtc_threshold", 0.1)),
    typical_p: f32(f("typical_p", 1)),
    repeat_last_n: lastN(f("repeat_last_n", 64)),
    repeat_penalty: f32(f("repeat_penalty", 1)),
    presence_penalty: f32(f("presence_penalty", 0)),
    frequency_penalty: f32(f("frequency_penalty", 0)),
    dry_multiplier: f32(f("dry_multiplier", 0)),
    dry_base: f32(f("dry_base", 1.75)),
    dry_allowed_length: f("dry_allowed_length", 2),
    dry_penalty_last_n: lastN(f("dry_penalty_last_n", -1)),
    dry_sequence_breakers: f("dry_sequence_breakers", ["\n", ":", '"', "*"]),
    mirostat: f("mirostat", 0),
    mirostat_tau: f32(f("mirostat_tau", 5)),
    mirostat_eta: f32(f("mirostat_eta", 0.1)),
    stop: f("stop", [] as unknown[]),
    max_tokens: options.nPredict,
    n_predict: options.nPredict,
    n_keep: f("n_keep", 0),
    n_discard: f("n_discard", 0),
    ignore_eos: f("ignore_eos", false),
    stream: options.stream,
    logit_bias: [],
    n_probs: f("n_probs", 0),
    min_keep: f("min_keep", 0),
    grammar: f("grammar", ""),
    grammar_lazy: false,
    grammar_triggers: [],
    preserved_tokens: [],
    chat_format: "Content-only",
    reasoning_format: "auto",
    reasoning_in_content: false,
    thinking_forced_open: false,
    samplers: f("samplers", DEFAULT_SAMPLERS),
    "speculative.n_max": 16,
    "speculative.n_min": 0,
    "speculative.p_min": f32(0.75),
    timings_per_token: f("timings_per_token", false),
    post_sampling_probs: f("post_sampling_probs", false),
    lora: [],
  };
  if (!options.full) {
    // to_json(only_metrics = true) leaves out what may be large or private.
    for (const key of ["stop", "logit_bias", "grammar", "grammar_triggers", "preserved_tokens"]) delete params[key];
  }
  return params;
}

/**
 * GET /props in llama-server [A]'s key order. default_generation_settings.params shows the server's
 * sampling defaults only: n_predict stays -1 and stream false even with -n, as in llama-server.
 */
export function propsBody(ctx: ServerContext): string {
  const settings = settingsOf(ctx);
  const slots = slotsOf(ctx);
  return JSON.stringify({
    default_generation_settings: { params: taskParams(ctx, undefined, { nPredict: -1, stream: false, full: false }), n_ctx: slots.nCtx },
    total_slots: slots.total,
    model_alias: ctx.aliases?.join(",") ?? ctx.alias,
    model_path: modelPathOf(ctx),
    modalities: { vision: false, audio: false },
    endpoint_slots: settings.endpointSlots,
    endpoint_props: settings.endpointProps,
    endpoint_metrics: settings.endpointMetrics,
    // No web UI is served (GET / is 404).
    webui: false,
    chat_template: CHAT_TEMPLATE,
    bos_token: BOS_TOKEN,
    eos_token: EOS_TOKEN,
    build_info: ctx.fingerprint,
  });
}

const POST_PROPS_OK = JSON.stringify({ success: true });

/** POST /props: 501 without --props; with it, llama-server changes nothing and does not even read the body. */
export function postPropsBody(ctx: ServerContext): string {
  if (!settingsOf(ctx).endpointProps) {
    throw new HttpError(501, "not_supported_error", "This server does not support changing global properties. Start it with `--props`");
  }
  return POST_PROPS_OK;
}

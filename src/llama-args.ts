// llama-server's command line: its multi-letter single-dash flags, and the flags that do not apply here.
import { aliasesOf, FLAGS, type FlagSpec } from "./cli-flags.ts";
import { ConfigError, type Config } from "./config.ts";

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

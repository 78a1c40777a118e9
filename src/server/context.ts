import type { ReplyOptions } from "../config.ts";
import type { QuestionInUse } from "../dataset/in-use.ts";
import type { Dataset, Question } from "../dataset/types.ts";
import type { Decider } from "../decide/decide.ts";
import type { AnswerPool } from "../respond/wrong.ts";
import type { Faults } from "./faults.ts";
import type { Oracle } from "./oracle.ts";
import type { Pacer } from "./pacing.ts";
import type { SlotPool } from "./slot-pool.ts";
import type { SlotView } from "./slots.ts";

/** llama-server's own switches that change what routes answer (§7 drop-in flags), resolved. */
export interface ServerSettings {
  /** --api-key / --api-key-file / LLAMA_API_KEY; empty = no check. */
  readonly apiKeys: readonly string[];
  /** --api-prefix, normalised to "" or "/x" (no trailing slash). */
  readonly apiPrefix: string;
  /** --slots/--no-slots, --props, --metrics. */
  readonly endpointSlots: boolean;
  readonly endpointProps: boolean;
  readonly endpointMetrics: boolean;
  /** -n: token limit of a request that sets none; -1 = unlimited. */
  readonly nPredict: number;
  /** -m as given, reported as /props model_path (nothing is loaded). */
  readonly modelPath: string;
}

/** Everything a request handler needs, built once at start-up by main.ts. */
export interface ServerContext {
  readonly dataset: Dataset;
  /** Index of the dataset question carried by these message texts, if any. */
  readonly findQuestion: (texts: readonly string[]) => number | undefined;
  /** Question `index` of the dataset (the server's copy of it, dataset/in-use.ts). */
  readonly question: (index: number) => QuestionInUse;
  readonly decider: Decider;
  /** The answers of a question's own dataset, so wrong answers stay in its range. */
  readonly poolFor: (question: Question) => AnswerPool;
  /** How replies are written (--response-style, --answer-forms, --wrong-style, ...). */
  readonly reply: ReplyOptions;
  /** The model name every reply reports: the first of the --alias names in sorted order, as llama-server picks it. */
  readonly alias: string;
  /** Every --alias name (`-a a,b,c`), as given; undefined = just `alias`. */
  readonly aliases?: readonly string[];
  readonly fingerprint: string;
  readonly maxBodyBytes: number;
  /** Seconds allowed to receive a request body (--read-timeout). */
  readonly readTimeoutSeconds: number;
  /** Slots (-np): the most choices one request may ask for (n). */
  readonly parallel?: number;
  /** --allow-override: honour X-Sim-Outcome and POST /sim/reset. */
  readonly allowOverride?: boolean;
  /** The ledger, the tally and the metrics; undefined in tests that do not look at them. */
  readonly oracle?: Oracle;
  /** Called once per request with its log line; undefined when --quiet. */
  readonly log: ((line: string) => void) | undefined;
  /** The drop-in flags; absent = llama-server's defaults (see server/props.ts settingsOf). */
  readonly server?: ServerSettings;
  /** The slots as /slots and /props report them; absent = 4 idle slots (see server/slots.ts slotsOf). */
  readonly slots?: SlotView;
  /** The slots completions run in (-np), usually also `slots`; absent = no queueing (tests). */
  readonly pool?: SlotPool;
  /** Simulated latency (--ttft-ms, --tps, ...); absent = instant replies. */
  readonly pacing?: Pacer;
  /** Fault injection and the loading phase (--error-rate, --fail-first, --loading-ms, ...); absent = none. */
  readonly faults?: Faults;
}

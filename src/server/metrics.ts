// GET /metrics (issue 7 §5): llama-server's llamacpp:* metrics, as its [A]/[C] builds print them,
// plus llama-sim's own counters, in the Prometheus text exposition format (version 0.0.4).
import type { Verdict } from "../decide/types.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4";

export interface ReplyMetrics {
  readonly dataset: string;
  readonly verdict: Verdict;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly promptMs: number;
  readonly predictedMs: number;
}

/** Upper bounds (seconds) of the latency histogram: the simulator answers in 0.1 ms .. seconds. */
export const LATENCY_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  /** Unix seconds at construction, for llama-server's `Process-Start-Time-Unix` header. */
  readonly processStartTimeUnix = Math.floor(Date.now() / 1000);

  #promptTokens = 0;
  #promptMs = 0;
  #predictedTokens = 0;
  #predictedMs = 0;
  /** One llama_decode for the prompt and one per generated token, as a single-sequence server. */
  #decodes = 0;
  /** Sum over decodes of the slots busy at the time, for n_busy_slots_per_decode. */
  #busySlotDecodes = 0;
  #tokensMax = 0;
  #processing = 0;
  #deferred = 0;

  /** dataset -> verdict -> count. */
  readonly #replies = new Map<string, Map<string, number>>();
  #unmatched = 0;
  #judge = 0;
  /** kind -> injected faults of that kind. */
  readonly #faults = new Map<string, number>();

  readonly #bucketCounts = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  #latencyCount = 0;
  #latencySum = 0;

  onReply(reply: ReplyMetrics): void {
    this.#promptTokens += reply.promptTokens;
    this.#promptMs += reply.promptMs;
    this.#predictedTokens += reply.completionTokens;
    this.#predictedMs += reply.predictedMs;
    const decodes = 1 + reply.completionTokens;
    this.#decodes += decodes;
    this.#busySlotDecodes += decodes * Math.max(1, this.#processing);
    this.#tokensMax = Math.max(this.#tokensMax, reply.promptTokens);
    let byVerdict = this.#replies.get(reply.dataset);
    if (!byVerdict) this.#replies.set(reply.dataset, (byVerdict = new Map()));
    byVerdict.set(reply.verdict, (byVerdict.get(reply.verdict) ?? 0) + 1);
  }

  onUnmatched(): void {
    this.#unmatched++;
  }

  onJudge(): void {
    this.#judge++;
  }

  /** An injected fault (--error-rate, --drop-rate, --fail-first, --loading-ms, ...), by kind. */
  onFault(kind: string): void {
    this.#faults.set(kind, (this.#faults.get(kind) ?? 0) + 1);
  }

  /** Seconds from receiving a request to its reply, for every request. */
  observeLatency(seconds: number): void {
    if (!(seconds >= 0 && seconds < Infinity)) return; // NaN or a clock step back: not a sample
    this.#latencyCount++;
    this.#latencySum += seconds;
    // Stored per bucket (not cumulative); render() accumulates.
    const index = LATENCY_BUCKETS.findIndex((bound) => seconds <= bound);
    if (index !== -1) this.#bucketCounts[index]!++;
  }

  /** Requests being answered now, and waiting for a slot. */
  setSlots(processing: number, deferred: number): void {
    this.#processing = processing;
    this.#deferred = deferred;
  }

  render(): string {
    const out: string[] = [];
    const llama = (name: string, type: "counter" | "gauge", help: string, value: number) => {
      out.push(`# HELP llamacpp:${name} ${help}`, `# TYPE llamacpp:${name} ${type}`, `llamacpp:${name} ${cppNumber(value)}`);
    };
    // Names, types, help texts and order as llama-server's get_metrics: all counters, then gauges.
    llama("prompt_tokens_total", "counter", "Number of prompt tokens processed.", this.#promptTokens);
    llama("prompt_seconds_total", "counter", "Prompt process time", this.#promptMs / 1000);
    llama("tokens_predicted_total", "counter", "Number of generation tokens processed.", this.#predictedTokens);
    llama("tokens_predicted_seconds_total", "counter", "Predict process time", this.#predictedMs / 1000);
    llama("n_decode_total", "counter", "Total number of llama_decode() calls", this.#decodes);
    llama("n_tokens_max", "counter", "Largest observed n_tokens.", this.#tokensMax);
    llama("n_busy_slots_per_decode", "counter", "Average number of busy slots per llama_decode() call", ratio(this.#busySlotDecodes, this.#decodes));
    llama("prompt_tokens_seconds", "gauge", "Average prompt throughput in tokens/s.", ratio(1000 * this.#promptTokens, this.#promptMs));
    llama("predicted_tokens_seconds", "gauge", "Average generation throughput in tokens/s.", ratio(1000 * this.#predictedTokens, this.#predictedMs));
    llama("requests_processing", "gauge", "Number of requests processing.", this.#processing);
    llama("requests_deferred", "gauge", "Number of requests deferred.", this.#deferred);

    out.push("# HELP llamasim_replies_total Scored replies by dataset and the verdict the simulator meant.", "# TYPE llamasim_replies_total counter");
    for (const dataset of [...this.#replies.keys()].sort()) {
      const byVerdict = this.#replies.get(dataset)!;
      for (const verdict of [...byVerdict.keys()].sort()) {
        out.push(`llamasim_replies_total{dataset="${escapeLabel(dataset)}",verdict="${escapeLabel(verdict)}"} ${byVerdict.get(verdict)}`);
      }
    }
    out.push("# HELP llamasim_unmatched_total Requests that carried no dataset question.", "# TYPE llamasim_unmatched_total counter", `llamasim_unmatched_total ${this.#unmatched}`);
    out.push("# HELP llamasim_judge_requests_total LLM-judge grading requests.", "# TYPE llamasim_judge_requests_total counter", `llamasim_judge_requests_total ${this.#judge}`);
    out.push("# HELP llamasim_faults_total Injected faults by kind.", "# TYPE llamasim_faults_total counter");
    for (const kind of [...this.#faults.keys()].sort()) out.push(`llamasim_faults_total{kind="${escapeLabel(kind)}"} ${this.#faults.get(kind)}`);

    const h = "llamasim_request_duration_seconds";
    out.push(`# HELP ${h} Time from receiving a request to sending its reply.`, `# TYPE ${h} histogram`);
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((bound, i) => {
      cumulative += this.#bucketCounts[i]!;
      out.push(`${h}_bucket{le="${promNumber(bound)}"} ${cumulative}`);
    });
    out.push(`${h}_bucket{le="+Inf"} ${this.#latencyCount}`, `${h}_sum ${promNumber(this.#latencySum)}`, `${h}_count ${this.#latencyCount}`);
    return `${out.join("\n")}\n`;
  }
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** Label values escape backslash, double quote and line feed (the exposition format's rule). */
export function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

/** Go/Prometheus float spelling for our own samples: shortest round-trip, +Inf/-Inf/NaN. */
function promNumber(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  return String(x);
}

/**
 * A C++ ostream's default formatting (printf %g, 6 significant digits), as llama-server prints
 * its metrics: 1234567 -> "1.23457e+06", 0.5 -> "0.5", 42 -> "42".
 */
export function cppNumber(x: number): string {
  if (!Number.isFinite(x)) return promNumber(x);
  if (x === 0) return "0";
  const [mantissa, exponentText] = x.toExponential(5).split("e") as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? "-" : "+";
    return `${trimZeros(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return trimZeros(x.toFixed(5 - exponent));
}

function trimZeros(text: string): string {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

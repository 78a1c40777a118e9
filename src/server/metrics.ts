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

/** The labels of llamasim_faults_total that have a cell of their own (server/faults.ts FaultKind). */
export const FAULT_KINDS: readonly string[] = ["error_429", "error_500", "error_503", "drop", "hang", "midstream_drop", "fail_first", "loading"];
const VERDICT_LABELS: readonly Verdict[] = ["correct", "wrong", "no-answer", "error"];

// Cells of a metrics row, in order; then the latency buckets, the fault kinds and dataset x verdict.
const PROMPT_TOKENS = 0;
const PROMPT_MS = 1;
const PREDICTED_TOKENS = 2;
const PREDICTED_MS = 3;
/** One llama_decode for the prompt and one per generated token, as a single-sequence server. */
const DECODES = 4;
/** Sum over decodes of the slots busy at the time, for n_busy_slots_per_decode. */
const BUSY_SLOT_DECODES = 5;
const TOKENS_MAX = 6;
const PROCESSING = 7;
const DEFERRED = 8;
const UNMATCHED = 9;
const JUDGE = 10;
const LATENCY_COUNT = 11;
const LATENCY_SUM = 12;
const BUCKETS = 13;
const FAULTS = BUCKETS + LATENCY_BUCKETS.length;
const REPLIES = FAULTS + FAULT_KINDS.length;

/** Cells in one row for a server of these datasets. */
export const metricsRowLength = (datasetCount: number): number => REPLIES + VERDICT_LABELS.length * datasetCount;

export interface MetricsOptions {
  /** The datasets served (each gets its reply counters); replies of any other go to a thread-local map. */
  readonly datasets?: readonly string[];
  /**
   * With --threads-http > 1: every worker's row (views of one SharedArrayBuffer) and this worker's
   * index. Each row has one writer, so counting needs no atomics; render() sums the rows, so
   * /metrics from any worker reports the whole process. Without: one private row.
   */
  readonly rows?: readonly Float64Array[];
  readonly row?: number;
  /** Unix seconds the process started (the main thread's, so every worker reports the same). */
  readonly processStartTimeUnix?: number;
}

export class Metrics {
  /** Unix seconds at construction, for llama-server's `Process-Start-Time-Unix` header. */
  readonly processStartTimeUnix: number;

  readonly #rows: readonly Float64Array[];
  /** This thread's row. */
  readonly #cells: Float64Array;
  readonly #datasets: readonly string[];
  readonly #datasetCell: Map<string, number>;
  /** dataset -> verdict -> count, for datasets without cells (tests that pass none). */
  readonly #otherReplies = new Map<string, Map<string, number>>();
  /** kind -> count, for fault kinds without a cell. */
  readonly #otherFaults = new Map<string, number>();

  constructor(options: MetricsOptions = {}) {
    this.processStartTimeUnix = options.processStartTimeUnix ?? Math.floor(Date.now() / 1000);
    this.#datasets = options.datasets ?? [];
    this.#datasetCell = new Map(this.#datasets.map((name, i) => [name, REPLIES + VERDICT_LABELS.length * i]));
    const length = metricsRowLength(this.#datasets.length);
    this.#rows = options.rows ?? [new Float64Array(length)];
    this.#cells = this.#rows[options.row ?? 0]!;
    if (this.#rows.some((row) => row.length !== length)) throw new RangeError(`metrics rows must hold ${length} cells`);
  }

  onReply(reply: ReplyMetrics): void {
    const c = this.#cells;
    c[PROMPT_TOKENS]! += reply.promptTokens;
    c[PROMPT_MS]! += reply.promptMs;
    c[PREDICTED_TOKENS]! += reply.completionTokens;
    c[PREDICTED_MS]! += reply.predictedMs;
    const decodes = 1 + reply.completionTokens;
    c[DECODES]! += decodes;
    c[BUSY_SLOT_DECODES]! += decodes * Math.max(1, this.#sum(PROCESSING));
    c[TOKENS_MAX] = Math.max(c[TOKENS_MAX]!, reply.promptTokens);
    const cell = this.#datasetCell.get(reply.dataset);
    if (cell !== undefined) {
      c[cell + VERDICT_LABELS.indexOf(reply.verdict)]! += 1;
      return;
    }
    let byVerdict = this.#otherReplies.get(reply.dataset);
    if (!byVerdict) this.#otherReplies.set(reply.dataset, (byVerdict = new Map()));
    byVerdict.set(reply.verdict, (byVerdict.get(reply.verdict) ?? 0) + 1);
  }

  onUnmatched(): void {
    this.#cells[UNMATCHED]! += 1;
  }

  onJudge(): void {
    this.#cells[JUDGE]! += 1;
  }

  /** An injected fault (--error-rate, --drop-rate, --fail-first, --loading-ms, ...), by kind. */
  onFault(kind: string): void {
    const index = FAULT_KINDS.indexOf(kind);
    if (index !== -1) this.#cells[FAULTS + index]! += 1;
    else this.#otherFaults.set(kind, (this.#otherFaults.get(kind) ?? 0) + 1);
  }

  /** Seconds from receiving a request to its reply, for every request. */
  observeLatency(seconds: number): void {
    if (!(seconds >= 0 && seconds < Infinity)) return; // NaN or a clock step back: not a sample
    const c = this.#cells;
    c[LATENCY_COUNT]! += 1;
    c[LATENCY_SUM]! += seconds;
    // Stored per bucket (not cumulative); render() accumulates.
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]!) {
        c[BUCKETS + i]! += 1;
        return;
      }
    }
  }

  /** Requests being answered now, and waiting for a slot (this thread's slots). */
  setSlots(processing: number, deferred: number): void {
    this.#cells[PROCESSING] = processing;
    this.#cells[DEFERRED] = deferred;
  }

  render(): string {
    const out: string[] = [];
    const llama = (name: string, type: "counter" | "gauge", help: string, value: number) => {
      out.push(`# HELP llamacpp:${name} ${help}`, `# TYPE llamacpp:${name} ${type}`, `llamacpp:${name} ${cppNumber(value)}`);
    };
    const sum = (cell: number) => this.#sum(cell);
    const promptTokens = sum(PROMPT_TOKENS);
    const promptMs = sum(PROMPT_MS);
    const predictedTokens = sum(PREDICTED_TOKENS);
    const predictedMs = sum(PREDICTED_MS);
    const decodes = sum(DECODES);
    // Names, types, help texts and order as llama-server's get_metrics: all counters, then gauges.
    llama("prompt_tokens_total", "counter", "Number of prompt tokens processed.", promptTokens);
    llama("prompt_seconds_total", "counter", "Prompt process time", promptMs / 1000);
    llama("tokens_predicted_total", "counter", "Number of generation tokens processed.", predictedTokens);
    llama("tokens_predicted_seconds_total", "counter", "Predict process time", predictedMs / 1000);
    llama("n_decode_total", "counter", "Total number of llama_decode() calls", decodes);
    llama("n_tokens_max", "counter", "Largest observed n_tokens.", Math.max(...this.#rows.map((row) => row[TOKENS_MAX]!)));
    llama("n_busy_slots_per_decode", "counter", "Average number of busy slots per llama_decode() call", ratio(sum(BUSY_SLOT_DECODES), decodes));
    llama("prompt_tokens_seconds", "gauge", "Average prompt throughput in tokens/s.", ratio(1000 * promptTokens, promptMs));
    llama("predicted_tokens_seconds", "gauge", "Average generation throughput in tokens/s.", ratio(1000 * predictedTokens, predictedMs));
    llama("requests_processing", "gauge", "Number of requests processing.", sum(PROCESSING));
    llama("requests_deferred", "gauge", "Number of requests deferred.", sum(DEFERRED));

    out.push("# HELP llamasim_replies_total Scored replies by dataset and the verdict the simulator meant.", "# TYPE llamasim_replies_total counter");
    const replies = this.#replyCounts();
    for (const dataset of [...replies.keys()].sort()) {
      const byVerdict = replies.get(dataset)!;
      for (const verdict of [...byVerdict.keys()].sort()) {
        out.push(`llamasim_replies_total{dataset="${escapeLabel(dataset)}",verdict="${escapeLabel(verdict)}"} ${byVerdict.get(verdict)}`);
      }
    }
    out.push("# HELP llamasim_unmatched_total Requests that carried no dataset question.", "# TYPE llamasim_unmatched_total counter", `llamasim_unmatched_total ${sum(UNMATCHED)}`);
    out.push("# HELP llamasim_judge_requests_total LLM-judge grading requests.", "# TYPE llamasim_judge_requests_total counter", `llamasim_judge_requests_total ${sum(JUDGE)}`);
    out.push("# HELP llamasim_faults_total Injected faults by kind.", "# TYPE llamasim_faults_total counter");
    const faults = new Map(this.#otherFaults);
    FAULT_KINDS.forEach((kind, i) => {
      const count = sum(FAULTS + i);
      if (count > 0) faults.set(kind, count);
    });
    for (const kind of [...faults.keys()].sort()) out.push(`llamasim_faults_total{kind="${escapeLabel(kind)}"} ${faults.get(kind)}`);

    const h = "llamasim_request_duration_seconds";
    out.push(`# HELP ${h} Time from receiving a request to sending its reply.`, `# TYPE ${h} histogram`);
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((bound, i) => {
      cumulative += sum(BUCKETS + i);
      out.push(`${h}_bucket{le="${promNumber(bound)}"} ${cumulative}`);
    });
    const count = sum(LATENCY_COUNT);
    out.push(`${h}_bucket{le="+Inf"} ${count}`, `${h}_sum ${promNumber(sum(LATENCY_SUM))}`, `${h}_count ${count}`);
    return `${out.join("\n")}\n`;
  }

  /** A cell summed over every worker's row. */
  #sum(cell: number): number {
    const rows = this.#rows;
    if (rows.length === 1) return rows[0]![cell]!;
    let total = 0;
    for (const row of rows) total += row[cell]!;
    return total;
  }

  /** dataset -> verdict -> count, over every row and the thread-local map; only counts above 0. */
  #replyCounts(): Map<string, Map<string, number>> {
    const replies = new Map<string, Map<string, number>>();
    for (const [dataset, byVerdict] of this.#otherReplies) replies.set(dataset, new Map(byVerdict));
    for (const [dataset, cell] of this.#datasetCell) {
      VERDICT_LABELS.forEach((verdict, i) => {
        const count = this.#sum(cell + i);
        if (count === 0) return;
        let byVerdict = replies.get(dataset);
        if (!byVerdict) replies.set(dataset, (byVerdict = new Map()));
        byVerdict.set(verdict, (byVerdict.get(verdict) ?? 0) + count);
      });
    }
    return replies;
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

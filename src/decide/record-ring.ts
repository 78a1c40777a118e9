// The records the ledger keeps in memory for GET /sim/ledger (--ledger-keep, 100,000 by default),
// held column by column rather than as one object each.
import type { LedgerRecord, Verdict } from "./records.ts";

/**
 * Every field of a LedgerRecord and the column it is kept in: a field added to LedgerRecord
 * without a column here is a type error, so the ring never drops one silently.
 */
const COLUMNS = {
  seq: "slot",
  time: "text",
  id: "text",
  dataset: "text",
  question: "text",
  attempt: "number",
  choice: "number",
  gold: "text",
  given: "text",
  written: "text",
  form: "text",
  style: "text",
  format: "text",
  verdict: "verdict",
  latency_ms: "number",
  response_hash: "text",
  worker: "number",
} as const satisfies Record<keyof LedgerRecord, "slot" | "text" | "number" | "verdict">;
export const RING_FIELDS: readonly (keyof LedgerRecord)[] = Object.keys(COLUMNS) as (keyof LedgerRecord)[];

const VERDICT_CODES: readonly Verdict[] = ["correct", "wrong", "no-answer", "error"];
const VERDICT_CODE: Readonly<Record<Verdict, number>> = { correct: 0, wrong: 1, "no-answer": 2, error: 3 };
const NO_WORKER = -1;

/**
 * A ring of the newest `keep` records: the record with seq s sits at (s - 1) % keep. Kept as one
 * object per record, 100,000 records are 100,000 objects that outlive every young collection and
 * that each old collection walks again; in typed arrays and arrays of the (mostly shared) strings,
 * the garbage collector has next to nothing to promote or trace, which costs a busy server several
 * microseconds per reply less. get() rebuilds the same object, keys in the same order.
 */
export class RecordRing {
  readonly keep: number;
  readonly #seq: Float64Array;
  readonly #attempt: Float64Array;
  readonly #choice: Float64Array;
  readonly #latency: Float64Array;
  readonly #worker: Float64Array;
  readonly #verdict: Uint8Array;
  readonly #time: string[];
  readonly #id: string[];
  readonly #dataset: string[];
  readonly #question: string[];
  readonly #gold: string[];
  readonly #given: (string | null)[];
  readonly #written: (string | null)[];
  readonly #form: string[];
  readonly #style: string[];
  readonly #format: string[];
  readonly #hash: string[];

  constructor(keep: number) {
    this.keep = keep;
    this.#seq = new Float64Array(keep);
    this.#attempt = new Float64Array(keep);
    this.#choice = new Float64Array(keep);
    this.#latency = new Float64Array(keep);
    this.#worker = new Float64Array(keep);
    this.#verdict = new Uint8Array(keep);
    const texts = () => new Array<string>(keep).fill("");
    this.#time = texts();
    this.#id = texts();
    this.#dataset = texts();
    this.#question = texts();
    this.#gold = texts();
    this.#given = new Array<string | null>(keep).fill(null);
    this.#written = new Array<string | null>(keep).fill(null);
    this.#form = texts();
    this.#style = texts();
    this.#format = texts();
    this.#hash = texts();
  }

  put(r: LedgerRecord): void {
    if (this.keep === 0) return;
    const i = (r.seq - 1) % this.keep;
    this.#seq[i] = r.seq;
    this.#time[i] = r.time;
    this.#id[i] = r.id;
    this.#dataset[i] = r.dataset;
    this.#question[i] = r.question;
    this.#attempt[i] = r.attempt;
    this.#choice[i] = r.choice;
    this.#gold[i] = r.gold;
    this.#given[i] = r.given;
    this.#written[i] = r.written;
    this.#form[i] = r.form;
    this.#style[i] = r.style;
    this.#format[i] = r.format;
    this.#verdict[i] = VERDICT_CODE[r.verdict];
    this.#latency[i] = r.latency_ms;
    this.#hash[i] = r.response_hash;
    this.#worker[i] = r.worker ?? NO_WORKER;
  }

  /** The record with this seq, which must be among the newest `keep` put. */
  get(seq: number): LedgerRecord {
    const i = (seq - 1) % this.keep;
    const record: LedgerRecord = {
      seq: this.#seq[i]!,
      time: this.#time[i]!,
      id: this.#id[i]!,
      dataset: this.#dataset[i]!,
      question: this.#question[i]!,
      attempt: this.#attempt[i]!,
      choice: this.#choice[i]!,
      gold: this.#gold[i]!,
      given: this.#given[i]!,
      written: this.#written[i]!,
      form: this.#form[i]!,
      style: this.#style[i]!,
      format: this.#format[i]!,
      verdict: VERDICT_CODES[this.#verdict[i]!]!,
      latency_ms: this.#latency[i]!,
      response_hash: this.#hash[i]!,
    };
    const worker = this.#worker[i]!;
    return worker === NO_WORKER ? record : { ...record, worker };
  }
}

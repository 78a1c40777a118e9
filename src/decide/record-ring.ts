// The records the ledger keeps in memory for GET /sim/ledger (--ledger-keep, 100,000 by default), held
// in typed arrays rather than as an object (and strings) per record.
import type { LedgerRecord, Verdict } from "./records.ts";

/**
 * Every field of a LedgerRecord and how the ring keeps it: a field added to LedgerRecord without a
 * column here is a type error, so the ring never drops one silently.
 */
const COLUMNS = {
  seq: "number",
  time: "time",
  id: "bytes",
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
  verdict: "code",
  latency_ms: "number",
  response_hash: "hex",
  worker: "number",
} as const satisfies Record<keyof LedgerRecord, "number" | "time" | "bytes" | "text" | "code" | "hex">;
/** The fields, in the order records are written (JSON key order). */
export const RING_FIELDS = Object.keys(COLUMNS) as readonly (keyof LedgerRecord)[];

const VERDICTS: readonly Verdict[] = ["correct", "wrong", "no-answer", "error"];
const VERDICT_CODE: Readonly<Record<Verdict, number>> = { correct: 0, wrong: 1, "no-answer": 2, error: 3 };
/** The text columns, in `#texts` order. */
const TEXT_FIELDS = ["dataset", "question", "gold", "given", "written", "form", "style", "format"] as const;
const NULL_TEXT = -1;
/** `given` is `gold` (a correct reply), `written` is `given` (canonical form): no lookup, nothing stored. */
const SAME_AS_GOLD = -2;
const SAME_AS_GIVEN = -3;
/**
 * `given` is an integer written as String() writes it (most wrong answers), kept as a number in the row's
 * spare int32 rather than in the table of distinct strings: fresh wrong integers of a large dataset grew
 * that table to 200,000 strings, each new one a lookup and an insert in a Map out of cache.
 */
const GIVEN_INTEGER = -4;
/** question and gold: the dataset's own strings, kept by reference in chunks (see #refs). */
const DATASET = 0;
const QUESTION = 1;
const GOLD = 2;
const GIVEN = 3;
const WRITTEN = 4;
const FORM = 5;
const STYLE = 6;
const FORMAT = 7;
/** The int32 of question's text index is free (questions are kept by reference): it holds an integer `given`. */
const GIVEN_VALUE = QUESTION;
const CHUNK = 1024;
/** Records written into their rows together (see #pending). */
const BATCH = 32;
/** Per-slot flags: fields kept as they are (in `#odd`) because they do not have the usual shape. */
const ODD_TIME = 1;
const ODD_ID = 2;
const ODD_HASH = 4;

/**
 * Bytes per record: a row keeps a record's fields together, and 128 aligned bytes are exactly two
 * cache lines (a 144-byte row touched three of them half the time).
 */
const ROW = 128;
// Offsets in a row: six doubles (seq, time ms, attempt, choice, latency_ms, worker), then eight text
// indices (int32; question's holds an integer given), then the hash (two uint32), verdict, flags,
// id length (bytes; the high bit for the "chatcmpl-" prefix, which is not stored), then the id's bytes.
const F64_PER_ROW = ROW / 8;
const I32_PER_ROW = ROW / 4;
const TEXTS_AT = 12; // int32 index of the first text index (byte 48)
const HASH_AT = 20; // uint32 index of the hash (byte 80)
const VERDICT_AT = 88;
const FLAGS_AT = 89;
const ID_LENGTH_AT = 90;
const ID_AT = 96;
/** Every completion id's prefix (server/chat.ts): a bit of the length byte rather than nine bytes. */
const ID_PREFIX = "chatcmpl-";
const ID_PREFIXED = 0x80;

/**
 * The newest `keep` records, record seq s at slot (s - 1) % keep. As one object per record, 100,000
 * records (with their ids, times and hashes) are a few hundred thousand objects that every old
 * collection walks again and every freed one makes the collector work for; a busy server spent
 * about a fifth of its CPU on that. Here a record is one 128-byte row of one buffer, which the
 * collector never looks inside: its repeating strings (dataset, answers, form, style, format) as
 * indices into a table of distinct strings, its id as bytes, its time as milliseconds, its hash as
 * two integers; its question and gold (the dataset's own strings) by reference. get() builds the
 * same object again, keys in the same order.
 */
export class RecordRing {
  readonly keep: number;
  /** Rows allocated so far: the buffer grows (doubling) up to `keep` as records arrive. */
  #rows = 0;
  #f64 = new Float64Array(0);
  #i32 = new Int32Array(0);
  #u32 = new Uint32Array(0);
  #u8 = new Uint8Array(0);
  /** Values kept as they are: the rare time, id or hash without the usual shape, by slot. */
  readonly #odd = new Map<number, { time?: string; id?: string; hash?: string }>();
  /** question and gold of each slot, in chunks of 1024 so that a write touches a small array, not one of `keep` slots. */
  readonly #questions: string[][] = [];
  readonly #golds: string[][] = [];
  /** Distinct strings of the other text fields, and each one's index. */
  #strings: string[] = [];
  #index = new Map<string, number>();
  /** The last time string seen and its milliseconds: consecutive records share one. */
  #lastTime = "";
  #lastMs = 0;
  #lastTimeExact = false;

  constructor(keep: number) {
    this.keep = keep;
  }

  /**
   * Room for rows up to `need`: allocated as records arrive rather than all `keep` at once, which cost
   * ~8 ms of every start-up (zeroing 12.8 MB for the default 100,000) and that much idle RSS.
   */
  #grow(need: number): void {
    const rows = Math.min(this.keep, Math.max(need, CHUNK, 2 * this.#rows));
    const buffer = new ArrayBuffer(rows * ROW);
    const u8 = new Uint8Array(buffer);
    u8.set(this.#u8);
    this.#u8 = u8;
    this.#f64 = new Float64Array(buffer);
    this.#i32 = new Int32Array(buffer);
    this.#u32 = new Uint32Array(buffer);
    this.#rows = rows;
    for (let c = this.#questions.length; c * CHUNK < rows; c++) {
      this.#questions.push(new Array<string>(CHUNK).fill(""));
      this.#golds.push(new Array<string>(CHUNK).fill(""));
    }
  }

  /**
   * Records put and not yet written into their rows. They are written BATCH at a time, or before any
   * read: in a server each put runs between stretches of everything else a request does, and writing
   * a batch back to back keeps this code and its tables warm (a put cost ~0.24 µs in a loop against
   * ~0.55 µs of the server's CPU profile; the synthetic 100,000 load under wrk went from 26.9 to 26.0
   * µs a request, GSM8K's was unchanged). The rows they need are allocated at once, so a put that
   * cannot have its row fails when it is called.
   */
  #pending: LedgerRecord[] = [];
  /** Per pending record, its hash's two words as put (-1, 0: not given). */
  #pendingWords: number[] = [];

  /**
   * Keeps `r`. `hashHigh` and `hashLow`, when given, are its response_hash's two 32-bit words
   * (hashWords), which the caller had at hand: the hash string is then not read again (two cold lines
   * a record, the string and its storage, when thousands of questions are in use).
   */
  put(r: LedgerRecord, hashHigh = -1, hashLow = 0): void {
    if (this.keep === 0) return;
    const slot = (r.seq - 1) % this.keep;
    if (slot >= this.#rows) this.#grow(slot + 1);
    this.#pendingWords.push(hashHigh, hashLow);
    if (this.#pending.push(r) >= BATCH) this.#flush();
  }

  /**
   * Writes the pending records into their rows, oldest first. The queue is taken first, and a record
   * that cannot be written does not stop the others: one bad record must not jam every later put.
   */
  #flush(): void {
    const pending = this.#pending;
    const words = this.#pendingWords;
    this.#pending = [];
    this.#pendingWords = [];
    let failure: unknown;
    for (let i = 0; i < pending.length; i++) {
      try {
        this.#write(pending[i]!, words[2 * i]!, words[2 * i + 1]!);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  #write(r: LedgerRecord, hashHigh: number, hashLow: number): void {
    const slot = (r.seq - 1) % this.keep;
    const row = slot * ROW;
    const u8 = this.#u8;
    // Not by the row's flags: that would read the row, written `keep` records ago and long out of cache.
    if (this.#odd.size !== 0) this.#odd.delete(slot);
    let odd: { time?: string; id?: string; hash?: string } | undefined;
    const f = this.#f64;
    const d = slot * F64_PER_ROW;
    f[d] = r.seq;
    if (r.time !== this.#lastTime) this.#readTime(r.time);
    if (this.#lastTimeExact) f[d + 1] = this.#lastMs;
    else (odd ??= {}).time = r.time;
    f[d + 2] = r.attempt;
    f[d + 3] = r.choice;
    f[d + 4] = r.latency_ms;
    f[d + 5] = r.worker ?? NaN;
    const i32 = this.#i32;
    const t = slot * I32_PER_ROW + TEXTS_AT;
    // question and gold are the dataset's strings, old and shared: kept by reference (no lookup in a table of
    // 100,000 questions); given and written are usually gold again.
    this.#questions[(slot / CHUNK) | 0]![slot % CHUNK] = r.question;
    this.#golds[(slot / CHUNK) | 0]![slot % CHUNK] = r.gold;
    // Field by field rather than a loop over TEXT_FIELDS: a read by a computed key is slower for the JIT.
    i32[t + DATASET] = this.#textIndex(DATASET, r.dataset);
    i32[t + GIVEN] = r.given === r.gold ? SAME_AS_GOLD : this.#givenIndex(t, r.given);
    i32[t + WRITTEN] = r.written === r.given ? SAME_AS_GIVEN : this.#textIndex(WRITTEN, r.written);
    i32[t + FORM] = this.#textIndex(FORM, r.form);
    i32[t + STYLE] = this.#textIndex(STYLE, r.style);
    i32[t + FORMAT] = this.#textIndex(FORMAT, r.format);
    u8[row + VERDICT_AT] = VERDICT_CODE[r.verdict];
    if (!this.#putId(row, r.id)) (odd ??= {}).id = r.id;
    if (hashHigh >= 0) this.#putHashWords(slot, hashHigh, hashLow);
    else if (!this.#putHash(slot, r.response_hash)) (odd ??= {}).hash = r.response_hash;
    let flags = 0;
    if (odd !== undefined) {
      flags = (odd.time !== undefined ? ODD_TIME : 0) | (odd.id !== undefined ? ODD_ID : 0) | (odd.hash !== undefined ? ODD_HASH : 0);
      this.#odd.set(slot, odd);
    }
    u8[row + FLAGS_AT] = flags;
    // Distinct strings pile up (wrong answers, many questions); keep the table to what rows still use.
    if (this.#strings.length > 2 * this.keep + 1024) this.#compact();
  }

  /** The record with this seq, which must be among the newest `keep` put. */
  get(seq: number): LedgerRecord {
    if (this.#pending.length > 0) this.#flush();
    const slot = (seq - 1) % this.keep;
    const row = slot * ROW;
    const f = this.#f64;
    const d = slot * F64_PER_ROW;
    const odd = this.#u8[row + FLAGS_AT] !== 0 ? this.#odd.get(slot) : undefined;
    const t = slot * I32_PER_ROW + TEXTS_AT;
    const question = this.#questions[(slot / CHUNK) | 0]![slot % CHUNK]!;
    const gold = this.#golds[(slot / CHUNK) | 0]![slot % CHUNK]!;
    const text = (k: number): string | null => {
      const i = this.#i32[t + k]!;
      if (i === SAME_AS_GOLD) return gold;
      if (i === SAME_AS_GIVEN) return text(GIVEN);
      if (i === GIVEN_INTEGER) return String(this.#i32[t + GIVEN_VALUE]!);
      return i === NULL_TEXT ? null : this.#strings[i]!;
    };
    const record: LedgerRecord = {
      seq: f[d]!,
      time: odd?.time ?? new Date(f[d + 1]!).toISOString(),
      id: odd?.id ?? this.#idText(row),
      dataset: text(0)!,
      question,
      attempt: f[d + 2]!,
      choice: f[d + 3]!,
      gold,
      given: text(3),
      written: text(4),
      form: text(5)!,
      style: text(6)!,
      format: text(7)!,
      verdict: VERDICTS[this.#u8[row + VERDICT_AT]!]!,
      latency_ms: f[d + 4]!,
      response_hash: odd?.hash ?? this.#hashText(slot),
    };
    const worker = f[d + 5]!;
    return Number.isNaN(worker) ? record : { ...record, worker };
  }

  /** Distinct strings held now (for tests of the compaction). */
  get distinctStrings(): number {
    if (this.#pending.length > 0) this.#flush();
    return this.#strings.length;
  }

  #readTime(time: string): void {
    this.#lastTime = time;
    const ms = Date.parse(time);
    // Kept as milliseconds only when they give the very same string back (toISOString's form, as records are written).
    this.#lastTimeExact = Number.isFinite(ms) && new Date(ms).toISOString() === time;
    this.#lastMs = ms;
  }

  /** Per text field, the last string put and its index. */
  readonly #lastText: (string | null | undefined)[] = new Array(TEXT_FIELDS.length).fill(undefined);
  readonly #lastTextIndex = new Int32Array(TEXT_FIELDS.length);

  /** The index of text field k's string; the same string as this field's last one (dataset, form, style, format nearly always) needs no lookup. */
  #textIndex(k: number, text: string | null): number {
    return text === this.#lastText[k] ? this.#lastTextIndex[k]! : this.#internFor(k, text);
  }

  /** GIVEN_INTEGER with the value in the row, or the string's index. */
  #givenIndex(t: number, given: string | null): number {
    const integer = int32Of(given);
    if (integer === undefined) return this.#textIndex(GIVEN, given);
    this.#i32[t + GIVEN_VALUE] = integer;
    return GIVEN_INTEGER;
  }

  #internFor(k: number, text: string | null): number {
    const i = this.#intern(text);
    this.#lastText[k] = text;
    this.#lastTextIndex[k] = i;
    return i;
  }

  #intern(text: string | null): number {
    if (text === null) return NULL_TEXT;
    let i = this.#index.get(text);
    if (i === undefined) {
      i = this.#strings.length;
      this.#strings.push(text);
      this.#index.set(text, i);
    }
    return i;
  }

  /** Only the strings that some row still uses, renumbered. */
  #compact(): void {
    const old = this.#strings;
    this.#strings = [];
    this.#index = new Map();
    this.#lastText.fill(undefined);
    const i32 = this.#i32;
    for (let slot = 0; slot < this.#rows; slot++) {
      const t = slot * I32_PER_ROW + TEXTS_AT;
      for (let k = 0; k < TEXT_FIELDS.length; k++) {
        const i = i32[t + k]!;
        if (k !== QUESTION && k !== GOLD && i >= 0) i32[t + k] = this.#intern(old[i]!);
      }
    }
  }

  #putId(row: number, id: string): boolean {
    const from = id.startsWith(ID_PREFIX) ? ID_PREFIX.length : 0;
    const length = id.length - from;
    if (length > ROW - ID_AT) return false;
    const u8 = this.#u8;
    const at = row + ID_AT - from;
    for (let j = from; j < id.length; j++) {
      const c = id.charCodeAt(j);
      if (c > 0x7f) return false;
      u8[at + j] = c;
    }
    u8[row + ID_LENGTH_AT] = length | (from > 0 ? ID_PREFIXED : 0);
    return true;
  }

  #idText(row: number): string {
    const stored = this.#u8[row + ID_LENGTH_AT]!;
    const bytes = this.#u8.subarray(row + ID_AT, row + ID_AT + (stored & ~ID_PREFIXED));
    return (stored & ID_PREFIXED ? ID_PREFIX : "") + String.fromCharCode(...bytes);
  }

  /** The 16 lower-case hex digits as two uint32 (hexWord); false for a hash of another form. */
  #putHash(slot: number, hash: string): boolean {
    if (hash.length !== 16) return false;
    const high = hexWord(hash, 0);
    const low = hexWord(hash, 8);
    if (high < 0 || low < 0) return false;
    this.#putHashWords(slot, high, low);
    return true;
  }

  #putHashWords(slot: number, high: number, low: number): void {
    const h = slot * I32_PER_ROW + HASH_AT;
    this.#u32[h] = high;
    this.#u32[h + 1] = low;
  }

  #hashText(slot: number): string {
    const h = slot * I32_PER_ROW + HASH_AT;
    return this.#u32[h]!.toString(16).padStart(8, "0") + this.#u32[h + 1]!.toString(16).padStart(8, "0");
  }
}

/**
 * A response_hash's two 32-bit words, as the ring keeps it: the first and last 8 hex digits; undefined
 * when it is not 16 lower-case hex digits (the ring then keeps the string as it is).
 */
export function hashWords(hash: string): readonly [number, number] | undefined {
  if (hash.length !== 16) return undefined;
  const high = hexWord(hash, 0);
  const low = hexWord(hash, 8);
  return high < 0 || low < 0 ? undefined : [high, low];
}

/** The 8 lower-case hex digits of `text` from `from` as a uint32, read digit by digit (no regexp test, no substrings); -1 if any is not one. */
function hexWord(text: string, from: number): number {
  let word = 0;
  for (let j = from; j < from + 8; j++) {
    const c = text.charCodeAt(j);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return -1;
    word = word * 16 + digit;
  }
  return word;
}

/** An integer as String() writes it (no "+", no leading zero, no "-0"), of at most 10 digits. */
const INTEGER_TEXT = /^(?:0|-?[1-9]\d{0,9})$/;

/** The int32 that `text` writes exactly as String() would, else undefined. */
function int32Of(text: string | null): number | undefined {
  if (text === null || !INTEGER_TEXT.test(text)) return undefined;
  const value = Number(text);
  return (value | 0) === value ? value : undefined;
}

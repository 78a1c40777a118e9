// The per-reply ledger (issue 7 §3): what the simulator meant by every scored reply, kept in memory
// for GET /sim/ledger and, with --ledger FILE, appended to a JSON Lines file that survives a crash.
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { RecordRing } from "./record-ring.ts";
import type { Verdict } from "./types.ts";

export type { Verdict } from "./types.ts";

export const VERDICTS: readonly Verdict[] = ["correct", "wrong", "no-answer", "error"];

export interface LedgerRecord {
  /** 1-based, assigned by the ledger; the paging cursor. */
  readonly seq: number;
  /** ISO 8601. */
  readonly time: string;
  /** Completion id (chatcmpl-...). */
  readonly id: string;
  readonly dataset: string;
  /** Question id. */
  readonly question: string;
  readonly attempt: number;
  /** Index among the request's n choices. */
  readonly choice: number;
  /** Gold answer as the client should grade it (multiple choice: the letter in THIS prompt). */
  readonly gold: string;
  /** The answer the reply meant; null when it gave none. */
  readonly given: string | null;
  /** The answer as written in the reply (varied forms such as "033"); null when none. */
  readonly written: string | null;
  /** Answer form ("canonical", "thousands", ...). */
  readonly form: string;
  /** Response style ("short", "reasoning", "think"). */
  readonly style: string;
  /** Answer format ("boxed", "answer-line", ...). */
  readonly format: string;
  readonly verdict: Verdict;
  readonly latency_ms: number;
  /** responseHash of the reply's content text. */
  readonly response_hash: string;
  /** With --threads-http > 1 only: the worker (0-based) that answered. */
  readonly worker?: number;
}

export type NewLedgerRecord = Omit<LedgerRecord, "seq" | "worker">;

/**
 * A record the ledger numbers in place: built with `seq: 0` as its first key, so the ledger sets
 * the seq (and a worker its number) without copying the record into a new object.
 */
export type LedgerDraft = NewLedgerRecord & { seq: number; worker?: number };

export interface LedgerPage {
  readonly records: LedgerRecord[];
  /** Cursor for the next page: the seq of the last record returned (when none: the newest seq, or `since`). */
  readonly next: number;
  /** True when records after `since` were evicted from memory before this page was read. */
  readonly dropped: boolean;
}

/**
 * A page as the JSON lines the records were written as (the owner thread's ring keeps lines, not
 * objects, with --threads-http > 1). pageJson gives the same text JSON.stringify gives a LedgerPage.
 */
export interface LedgerPageText {
  readonly lines: readonly string[];
  readonly next: number;
  readonly dropped: boolean;
}

export function pageJson(page: LedgerPage | LedgerPageText): string {
  if ("records" in page) return JSON.stringify(page);
  return `{"records":[${page.lines.join(",")}],"next":${page.next},"dropped":${page.dropped}}`;
}

/**
 * What the Oracle records into and GET /sim/ledger pages through: this process's Ledger, or a
 * worker's SharedLedger (decide/shared-ledger.ts), whose pages come from the owner thread.
 */
export interface LedgerLike {
  /** Seq of the newest record (0 before the first). */
  readonly lastSeq: number;
  append(record: NewLedgerRecord): LedgerRecord;
  /** append() without the copy: `draft` becomes the record. */
  /** `hashHigh`, `hashLow`: the draft's response_hash as two words (record-ring.ts's hashWords), when the caller has them. */
  appendDraft(draft: LedgerDraft, hashHigh?: number, hashLow?: number): LedgerRecord;
  page(since: number, limit: number): LedgerPage | Promise<LedgerPageText>;
  close(): void;
}

/**
 * Stable hex hash of the trimmed reply content; reconcile recomputes it from a harness's saved
 * `response` text. SHA-1 (not Bun.hash, whose algorithm may change) so files stay comparable across builds; 64 bits are
 * plenty to tell a run's replies apart.
 */
export function responseHash(content: string): string {
  return (Bun.SHA1.hash(content.trim(), "hex") as string).slice(0, 16);
}

export class Ledger implements LedgerLike {
  readonly #keep: number;
  /** Ring buffer: record with seq s lives at (s - 1) % keep while kept, in typed arrays (record-ring.ts). */
  readonly #ring: RecordRing;
  #lastSeq = 0;
  #fd: number | undefined;

  constructor(opts: { readonly keep: number; readonly file?: string }) {
    if (!Number.isInteger(opts.keep) || opts.keep < 0) throw new RangeError(`--ledger-keep must be a whole number >= 0 (got ${opts.keep})`);
    this.#keep = opts.keep;
    this.#ring = new RecordRing(opts.keep);
    if (opts.file !== undefined) this.#fd = openAppend(opts.file);
  }

  /** Seq of the newest record (0 before the first). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Assigns the next seq, writes the line to the file before returning (one synchronous write on
   * an O_APPEND descriptor: once this returns, a crash or SIGTERM cannot lose the record), and
   * keeps it in memory.
   */
  append(record: NewLedgerRecord): LedgerRecord {
    return this.appendDraft({ seq: 0, ...record });
  }

  appendDraft(draft: LedgerDraft, hashHigh?: number, hashLow?: number): LedgerRecord {
    draft.seq = this.#lastSeq + 1;
    // Into the ring first: it may have to grow (record-ring.ts), and a failure then leaves no seq taken and no line written.
    this.#ring.put(draft, hashHigh, hashLow);
    if (this.#fd !== undefined) writeLine(this.#fd, `${JSON.stringify(draft)}\n`);
    this.#lastSeq = draft.seq;
    return draft;
  }

  /** Up to `limit` records with seq > since, oldest first. */
  page(since: number, limit: number): LedgerPage {
    const firstKept = Math.max(1, this.#lastSeq - this.#keep + 1);
    const from = Math.max(since + 1, firstKept);
    const to = Math.min(this.#lastSeq, from + Math.max(0, limit) - 1);
    const records: LedgerRecord[] = [];
    for (let seq = from; seq <= to; seq++) records.push(this.#ring.get(seq));
    const dropped = since + 1 < firstKept && since < this.#lastSeq;
    // Nothing left to return: skip past evicted records so the next page does not report them again.
    return { records, next: records.length > 0 ? to : Math.max(since, this.#lastSeq), dropped };
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/**
 * Opens `file` with O_APPEND (creating it and its directory): every write(2) lands at the end as one
 * piece. A file whose last line was cut (a writer killed mid-line) first gets its line ended, so the
 * next record starts a line of its own instead of joining the torn one.
 */
export function openAppend(file: string): number {
  try {
    mkdirSync(dirname(file), { recursive: true });
    endLastLine(file);
    return openSync(file, "a");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`--ledger: cannot open "${file}" for appending: ${reason}`);
  }
}

/** Ends a file's cut last line with a newline; a file that cannot be read (write-only) is left as it is. */
function endLastLine(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, "r+");
  } catch {
    return; // missing (created by the append) or not readable
  }
  try {
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    if (size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) writeSync(fd, "\n", size);
  } finally {
    closeSync(fd);
  }
}

/**
 * One write(2) of the whole line (a string writes in half the time of a Buffer); a short write
 * (rare: signals, disk full) is finished from a Buffer so a line is never left cut.
 */
export function writeLine(fd: number, line: string): void {
  const written = writeSync(fd, line);
  const total = Buffer.byteLength(line);
  if (written >= total) return;
  const bytes = Buffer.from(line);
  let offset = written;
  while (offset < total) offset += writeSync(fd, bytes, offset, total - offset);
}

/**
 * Reads a ledger file. A line cut mid-record by a killed writer (the start of a record that does not
 * parse) is skipped and reported through `onTorn`; a last line without its newline is skipped if it
 * does not parse; any other bad line is an error naming the file and line.
 */
export function readLedgerFile(path: string, onTorn?: (line: number) => void): LedgerRecord[] {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const torn = !text.endsWith("\n");
  const records: LedgerRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const last = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (last && torn) break;
      // As the writer starts every record, or a piece of that start long enough not to be another
      // file's "{" line (a hand-edited line, with spaces, is an error).
      if (/^\{"seq":\d/.test(line) || (line.length >= 3 && '{"seq":'.startsWith(line))) {
        onTorn?.(i + 1);
        continue;
      }
      throw new Error(`${path}:${i + 1}: not a JSON line`);
    }
    if (!isLedgerRecord(value)) throw new Error(`${path}:${i + 1}: not a ledger record`);
    records.push(value);
  }
  return records;
}

/** What stats and reconcile say about a record `readLedgerFile` skipped as torn. */
export const tornRecordNotice = (path: string, line: number): string => `${path}:${line}: skipped a record cut short (its writer was killed mid-line)`;

/** Several ledger files (e.g. one per replica), concatenated in the order given. */
export function readLedgerFiles(paths: readonly string[], onTorn?: (path: string, line: number) => void): LedgerRecord[] {
  return paths.flatMap((path) => readLedgerFile(path, onTorn && ((line) => onTorn(path, line))));
}

function isLedgerRecord(value: unknown): value is LedgerRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.seq === "number" &&
    typeof r.dataset === "string" &&
    typeof r.question === "string" &&
    typeof r.gold === "string" &&
    (r.given === null || typeof r.given === "string") &&
    (r.written === null || typeof r.written === "string") &&
    typeof r.response_hash === "string" &&
    (VERDICTS as readonly unknown[]).includes(r.verdict)
  );
}

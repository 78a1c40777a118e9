// A --threads-http worker's ledger: seqs from one counter every worker shares, lines appended to the
// one --ledger file descriptor they share, and its own records kept in memory for GET /sim/ledger,
// whose pages the main thread gathers from every worker and merges (decide/ledger-merge.ts).
import { mergeParts, type LedgerPart } from "./ledger-merge.ts";
import { writeLine, type LedgerDraft, type LedgerLike, type LedgerPageText, type LedgerRecord, type NewLedgerRecord } from "./records.ts";

/** How a worker asks for a page: the main thread collects every worker's part of it and merges them. */
export type PageLink = (since: number, limit: number, upTo: number) => Promise<LedgerPageText>;

export interface SharedLedgerOptions {
  /** [0]: the last seq handed out, process-wide. */
  readonly seq: BigUint64Array;
  /** This worker's number, written into every record. */
  readonly worker: number;
  /** --ledger-keep: records the whole process keeps in memory (the newest seqs, whichever worker wrote them). */
  readonly keep: number;
  /** The --ledger file, opened with O_APPEND by the main thread; undefined without --ledger. */
  readonly fd?: number;
  /** Pages of the whole process; undefined in tests that read this worker's part alone. */
  readonly pages?: PageLink;
}

/**
 * Seqs: one Atomics.add on the shared counter per record, so they are unique and gapless across
 * workers. The file: each line is one write(2) on an O_APPEND descriptor, which Linux performs as
 * one append under the file's lock, so lines from different threads never interleave (the file is
 * in write order, which may differ from seq order by a few places: sort by seq).
 *
 * Memory: each worker keeps its own records, as one thread does, and drops those that fall out of
 * the process's window (seq <= newest seq - keep). Nothing crosses threads per request; a page
 * asks every worker for its records in the range and merges them.
 *
 * exact mode reserves a reply's seq inside the schedule's lock (reserve()), so that seq order is
 * schedule order; the record written next in this turn takes the oldest reservation. A reservation
 * no record claims by the end of the turn (the reply failed after its decision) is dropped: its seq
 * is never written, and pages skip it.
 */
export class SharedLedger implements LedgerLike {
  readonly #seq: BigUint64Array;
  readonly #worker: number;
  readonly #keep: number;
  #fd: number | undefined;
  readonly #pages: PageLink | undefined;
  #reserved: number[] = [];
  /** This worker's kept records, oldest first (its seqs only grow: reservations are claimed within the turn). */
  #kept: LedgerRecord[] = [];
  #head = 0;

  constructor(options: SharedLedgerOptions) {
    if (!Number.isInteger(options.keep) || options.keep < 0) throw new RangeError(`--ledger-keep must be a whole number >= 0 (got ${options.keep})`);
    this.#seq = options.seq;
    this.#worker = options.worker;
    this.#keep = options.keep;
    this.#fd = options.fd;
    this.#pages = options.pages;
  }

  /** The newest seq handed out by any worker. */
  get lastSeq(): number {
    return Number(Atomics.load(this.#seq, 0));
  }

  /** Takes the next seq now, for the next record this turn (exact mode's step; see above). */
  reserve(): void {
    if (this.#reserved.length === 0) queueMicrotask(this.#dropUnclaimed);
    this.#reserved.push(this.#take());
  }

  append(record: NewLedgerRecord): LedgerRecord {
    return this.appendDraft({ seq: 0, ...record });
  }

  appendDraft(draft: LedgerDraft): LedgerRecord {
    draft.seq = this.#reserved.length > 0 ? this.#reserved.shift()! : this.#take();
    draft.worker = this.#worker;
    const full: LedgerRecord = draft;
    if (this.#fd !== undefined) writeLine(this.#fd, `${JSON.stringify(full)}\n`);
    if (this.#keep > 0) {
      this.#kept.push(full);
      this.#evict(this.lastSeq);
    }
    return full;
  }

  /** A page of the whole process's records: every record numbered before this request came in. */
  page(since: number, limit: number): Promise<LedgerPageText> {
    const upTo = this.lastSeq;
    if (this.#pages === undefined) return Promise.resolve(this.#alone(since, limit, upTo));
    return this.#pages(since, limit, upTo);
  }

  /**
   * This worker's part of a page: its first `limit` kept records with since < seq <= upTo, as JSON
   * lines. Asked between two turns, so every seq this worker took up to `upTo` is written by now.
   */
  part(since: number, limit: number, upTo: number): LedgerPart {
    this.#evict(upTo);
    const seqs: number[] = [];
    const lines: string[] = [];
    for (let i = this.#head; i < this.#kept.length && seqs.length < limit; i++) {
      const record = this.#kept[i]!;
      if (record.seq <= since) continue;
      if (record.seq > upTo) break;
      seqs.push(record.seq);
      lines.push(JSON.stringify(record));
    }
    return { seqs, lines };
  }

  /** The descriptor belongs to the main thread, which closes it once every worker has stopped. */
  close(): void {
    this.#fd = undefined;
  }

  #take(): number {
    return Number(Atomics.add(this.#seq, 0, 1n)) + 1;
  }

  /** Drops kept records that are out of the process's window (seq <= newest - keep). */
  #evict(newest: number): void {
    const oldest = newest - this.#keep;
    const kept = this.#kept;
    while (this.#head < kept.length && kept[this.#head]!.seq <= oldest) kept[this.#head++] = undefined as unknown as LedgerRecord;
    // Compact now and then: amortised O(1) per record, as the slot queue does.
    if (this.#head > 1024 && this.#head * 2 > kept.length) {
      this.#kept = kept.slice(this.#head);
      this.#head = 0;
    }
  }

  #alone(since: number, limit: number, upTo: number): LedgerPageText {
    return mergeParts([this.part(since, limit, upTo)], since, limit, upTo, this.#keep);
  }

  readonly #dropUnclaimed = (): void => {
    this.#reserved = [];
  };
}

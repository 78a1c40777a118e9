import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { hashWords, RecordRing, RING_FIELDS } from "../../src/decide/record-ring.ts";
import { responseHash, type LedgerRecord } from "../../src/decide/records.ts";

const VERDICTS = ["correct", "wrong", "no-answer", "error"] as const;

/** Answers as replies give them: any text, integers (kept as numbers), and texts that only look like integers. */
const givenArb = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer().map(String),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.constantFrom("0", "-0", "007", "+5", "-", "1e3", " 1", "1.0", "2147483647", "-2147483648", "2147483648", "-2147483649", "99999999999", "١٢٣"),
);

/** Records as the oracle writes them, plus the shapes the ring keeps aside (odd times, ids and hashes). */
const recordArb = (seq: number) =>
  fc.record({
    time: fc.oneof(
      fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom("2026-11-30T05:40:46Z", "yesterday", ""),
    ),
    id: fc.oneof(
      fc.stringMatching(/^chatcmpl-[0-9A-Za-z]{32}$/),
      fc.string({ maxLength: 60 }),
      fc.constant("cmpl-ünïcode"),
      // Around the 32 bytes a row keeps: with and without the prefix the row stores as one bit.
      fc.constantFrom("chatcmpl-", "x".repeat(32), "x".repeat(33), `chatcmpl-${"y".repeat(33)}`, `chatcmpl-ü${"y".repeat(20)}`, "-"),
    ),
    dataset: fc.constantFrom("aime", "gsm8k", "gpqa", "owner/name"),
    question: fc.string({ maxLength: 12 }),
    attempt: fc.nat(),
    choice: fc.nat({ max: 8 }),
    gold: fc.string({ maxLength: 8 }),
    given: fc.option(givenArb),
    written: fc.option(fc.string({ maxLength: 8 })),
    form: fc.constantFrom("canonical", "thousands", "none"),
    style: fc.constantFrom("short", "reasoning", "think", "none"),
    format: fc.constantFrom("boxed", "answer-line", "none"),
    verdict: fc.constantFrom(...VERDICTS),
    latency_ms: fc.double({ min: 0, max: 1e7, noNaN: true }),
    response_hash: fc.oneof(fc.string({ maxLength: 20 }).map((s) => responseHash(s)), fc.constantFrom("", "not-hex-0123456z", "ABCDEF0123456789")),
    worker: fc.option(fc.nat({ max: 7 }), { nil: undefined }),
  }).map((r): LedgerRecord => {
    const { worker, ...rest } = r;
    // The oracle's key order; `worker` only when set (--threads-http), last.
    return worker === undefined ? { seq, ...rest } : { seq, ...rest, worker };
  });

/** A wrong reply's record, as the oracle writes it. */
const wrongRecord = (seq: number, given: string): LedgerRecord => ({
  seq,
  time: new Date(1_800_000_000_000 + seq).toISOString(),
  id: `chatcmpl-${String(seq).padStart(32, "0")}`,
  dataset: "gsm8k",
  question: `q${seq}`,
  attempt: 0,
  choice: 0,
  gold: String(seq),
  given,
  written: given,
  form: "canonical",
  style: "short",
  format: "boxed",
  verdict: "wrong",
  latency_ms: 1,
  response_hash: responseHash(given),
});

describe("RecordRing", () => {
  test("keeps every LedgerRecord field", () => {
    expect([...RING_FIELDS].map(String).sort()).toEqual(
      ["seq", "time", "id", "dataset", "question", "attempt", "choice", "gold", "given", "written", "form", "style", "format", "verdict", "latency_ms", "response_hash", "worker"].sort(),
    );
  });

  test("gives back the record put, same values and same key order (JSON text), whatever its fields hold", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 5 }), (seq, keep) =>
        fc.assert(
          fc.property(recordArb(seq), (record) => {
            const ring = new RecordRing(keep);
            ring.put(record);
            const back = ring.get(seq);
            expect(JSON.stringify(back)).toBe(JSON.stringify(record));
            expect(back).toStrictEqual(record);
          }),
          { numRuns: 20 },
        ),
      ),
      { numRuns: 50 },
    );
  });

  test("a record put with its hash's words reads back as when its hash string is read, and hashWords is the hash's two halves", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 1, max: 40 }), (seq, batch) =>
        fc.assert(
          fc.property(recordArb(seq), (record) => {
            const words = hashWords(record.response_hash);
            if (/^[0-9a-f]{16}$/.test(record.response_hash)) {
              expect(words).toBeDefined();
              const [high, low] = words!;
              expect(high.toString(16).padStart(8, "0") + low.toString(16).padStart(8, "0")).toBe(record.response_hash);
            } else expect(words).toBeUndefined();
            // The same record through both ways in, among others that fill a batch or not.
            const byString = new RecordRing(batch + 1);
            const byWords = new RecordRing(batch + 1);
            for (let i = 0; i < batch; i++) {
              const other = { ...record, seq: seq + 1 + i, response_hash: responseHash(String(i)) };
              byString.put(other);
              byWords.put(other, ...hashWords(other.response_hash)!);
            }
            byString.put({ ...record, seq: seq + batch + 1 });
            byWords.put({ ...record, seq: seq + batch + 1 }, ...(words ?? []));
            for (let s = seq + 1; s <= seq + batch + 1; s++) expect(JSON.stringify(byWords.get(s))).toBe(JSON.stringify(byString.get(s)));
          }),
          { numRuns: 10 },
        ),
      ),
      { numRuns: 40 },
    );
  });

  test("holds the newest `keep` records, each in its slot, and overwriting a slot forgets what was kept aside for it", () => {
    const keep = 7;
    const ring = new RecordRing(keep);
    const records: LedgerRecord[] = [];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 40, maxLength: 40 }), (seeds) => {
        records.length = 0;
        seeds.forEach((n, i) => {
          const seq = i + 1;
          const record = fc.sample(recordArb(seq), { seed: n, numRuns: 1 })[0]!;
          records.push(record);
          ring.put(record);
        });
        for (let seq = records.length - keep + 1; seq <= records.length; seq++) expect(ring.get(seq)).toStrictEqual(records[seq - 1]!);
      }),
      { numRuns: 30 },
    );
  });

  test("puts and reads in any order, with keep below, at and above the batch of pending records, read back the newest keep", () => {
    // Records are written into their rows in batches (or before a read): a keep smaller than a batch wraps within it.
    const samples = fc.sample(recordArb(0), { seed: 11, numRuns: 400 });
    fc.assert(
      fc.property(fc.constantFrom(1, 3, 31, 32, 33, 70), fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 12 }), (keep, bursts) => {
        const ring = new RecordRing(keep);
        const records: LedgerRecord[] = [];
        for (const burst of bursts) {
          for (let k = 0; k < burst && records.length < samples.length; k++) {
            const record = { ...samples[records.length]!, seq: records.length + 1 };
            records.push(record);
            ring.put(record);
          }
          // Read a few of the newest kept, then go on putting.
          for (let seq = Math.max(1, records.length - keep + 1); seq <= records.length; seq += Math.max(1, Math.floor(keep / 3))) {
            expect(ring.get(seq)).toStrictEqual(records[seq - 1]!);
          }
        }
        for (let seq = Math.max(1, records.length - keep + 1); seq <= records.length; seq++) expect(ring.get(seq)).toStrictEqual(records[seq - 1]!);
      }),
      { numRuns: 60 },
    );
  });

  test("a record that cannot be written fails once and does not jam the puts and reads after it", () => {
    const ring = new RecordRing(100);
    const samples = fc.sample(recordArb(0), { seed: 5, numRuns: 80 });
    const records = samples.map((r, i) => ({ ...r, seq: i + 1 }));
    // A record no caller can build (typed fields), standing in for any write that throws.
    (records[9] as { id: unknown }).id = undefined;
    let failures = 0;
    for (const record of records) {
      try {
        ring.put(record);
      } catch {
        failures++;
      }
    }
    // Its batch's flush threw, once; every other record reads back.
    expect(failures).toBe(1);
    for (const record of records) if (record.seq !== 10) expect(ring.get(record.seq)).toStrictEqual(record);
  });

  test("grows as records arrive (1,024 rows, then doubling up to keep): records put before a growth read back the same after it, and across the wrap", () => {
    // 5,000 rows: grown at 1,024, 2,048 and 4,096, then capped at 5,000, then wrapped twice over.
    const keep = 5000;
    const ring = new RecordRing(keep);
    const records: LedgerRecord[] = [];
    const check = (upTo: number) => {
      for (let seq = Math.max(1, upTo - keep + 1); seq <= upTo; seq += 97) expect(ring.get(seq)).toStrictEqual(records[seq - 1]!);
      expect(ring.get(upTo)).toStrictEqual(records[upTo - 1]!);
    };
    const samples = fc.sample(recordArb(0), { seed: 7, numRuns: 12_345 });
    for (let seq = 1; seq <= samples.length; seq++) {
      const record = { ...samples[seq - 1]!, seq };
      records.push(record);
      ring.put(record);
      if ([1, 1024, 1025, 2048, 2049, 4096, 4097, 5000, 5001, 10_000, 12_345].includes(seq)) check(seq);
    }
  });

  test("keeps its table of distinct strings bounded: strings no kept record uses are dropped", () => {
    const keep = 10;
    const ring = new RecordRing(keep);
    const make = (seq: number) => wrongRecord(seq, `x${seq + 1}`);
    for (let seq = 1; seq <= 5000; seq++) ring.put(make(seq));
    // Each record brings a new string; the table never holds much more than the kept rows use.
    expect(ring.distinctStrings).toBeLessThanOrEqual(2 * keep + 1024 + 3);
    for (let seq = 4991; seq <= 5000; seq++) expect(ring.get(seq)).toStrictEqual(make(seq));
  });

  test("an integer given (most wrong answers) is kept in the row, not in the table of distinct strings", () => {
    const ring = new RecordRing(1000);
    // 3,000 distinct wrong integers, the int32 extremes among them: no new string in the table.
    const givens = Array.from({ length: 3000 }, (_, i) => String(i % 3 === 0 ? -7 * i : i === 1 ? 2 ** 31 - 1 : i === 2 ? -(2 ** 31) : 13 * i));
    givens.forEach((given, i) => ring.put(wrongRecord(i + 1, given)));
    const tableBefore = ring.distinctStrings;
    expect(tableBefore).toBeLessThanOrEqual(6); // dataset, form, style, format and the like: never the answers
    for (let seq = 2001; seq <= 3000; seq++) expect(ring.get(seq)).toStrictEqual(wrongRecord(seq, givens[seq - 1]!));
    // Texts that only look like integers are kept as they are.
    const lookalikes = ["-0", "007", "+5", "2147483648", "1e3", " 1"];
    lookalikes.forEach((given, i) => ring.put(wrongRecord(3001 + i, given)));
    expect(ring.distinctStrings).toBe(tableBefore + lookalikes.length);
    lookalikes.forEach((given, i) => expect(ring.get(3001 + i).given).toBe(given));
  });

  test("keep 0 holds nothing and put is harmless", () => {
    const ring = new RecordRing(0);
    ring.put(fc.sample(recordArb(1), { seed: 1, numRuns: 1 })[0]!);
    expect(ring.keep).toBe(0);
  });
});

import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Ledger, readLedgerFile, readLedgerFiles, responseHash, type LedgerRecord, type NewLedgerRecord } from "../../src/decide/records.ts";

const dir = mkdtempSync(join(tmpdir(), "llama-sim-records-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
const freshFile = () => join(dir, `ledger-${++fileCount}.jsonl`);

/** A deterministic record for index i (the child process below builds the same ones). */
function sample(i: number): NewLedgerRecord {
  return {
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(),
    id: `chatcmpl-${String(i).padStart(32, "0")}`,
    dataset: i % 3 === 0 ? "gsm8k" : "aime",
    question: String(i % 7),
    attempt: Math.floor(i / 7),
    choice: 0,
    gold: "33",
    given: i % 5 === 0 ? null : i % 2 === 0 ? "33" : "34",
    written: i % 5 === 0 ? null : i % 2 === 0 ? "033" : "34",
    form: "canonical",
    style: "short",
    format: "boxed",
    verdict: i % 5 === 0 ? "no-answer" : i % 2 === 0 ? "correct" : "wrong",
    latency_ms: 0.25,
    response_hash: responseHash(`The answer is \\boxed{${i}}.`),
  };
}

const lines = (path: string) => readFileSync(path, "utf8").split("\n");

describe("responseHash", () => {
  test("hex, stable across calls, ignores surrounding whitespace", () => {
    const h = responseHash("The answer is \\boxed{33}.");
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(responseHash("  The answer is \\boxed{33}.\n")).toBe(h);
    // Pinned: ledger files must stay comparable across builds.
    expect(responseHash("abc")).toBe("a9993e364706816a");
  });

  test("property: the first 16 hex digits of SHA-1 of the trimmed UTF-8 text, for any text (lone surrogates included)", () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: codeUnit, maxLength: 60 }), fc.string({ maxLength: 2000 })), (text) => {
        expect(responseHash(text)).toBe(new Bun.CryptoHasher("sha1").update(text.trim()).digest("hex").slice(0, 16));
      }),
      { numRuns: 2000 },
    );
  });

  test("property: different trimmed contents hash differently", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => a.trim() === b.trim() || responseHash(a) !== responseHash(b)),
      { numRuns: 2000 },
    );
  });
});

describe("Ledger in memory", () => {
  test("append assigns seq from 1 and keeps the fields", () => {
    const ledger = new Ledger({ keep: 10 });
    expect(ledger.lastSeq).toBe(0);
    const first = ledger.append(sample(0));
    const second = ledger.append(sample(1));
    expect(first).toEqual({ seq: 1, ...sample(0) });
    expect(second.seq).toBe(2);
    expect(ledger.lastSeq).toBe(2);
  });

  test("page returns records after the cursor, oldest first, with next", () => {
    const ledger = new Ledger({ keep: 100 });
    for (let i = 0; i < 25; i++) ledger.append(sample(i));
    const a = ledger.page(0, 10);
    expect(a.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(a.next).toBe(10);
    expect(a.dropped).toBe(false);
    const b = ledger.page(a.next, 10);
    expect(b.records.map((r) => r.seq)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const c = ledger.page(b.next, 10);
    expect(c.records.map((r) => r.seq)).toEqual([21, 22, 23, 24, 25]);
    expect(c.next).toBe(25);
    const d = ledger.page(c.next, 10);
    expect(d).toEqual({ records: [], next: 25, dropped: false });
  });

  test("ring eviction keeps the newest `keep` records and flags dropped ones", () => {
    const ledger = new Ledger({ keep: 4 });
    for (let i = 0; i < 10; i++) ledger.append(sample(i));
    const all = ledger.page(0, 100);
    expect(all.records.map((r) => r.seq)).toEqual([7, 8, 9, 10]);
    expect(all.records[0]).toEqual({ seq: 7, ...sample(6) });
    expect(all.dropped).toBe(true);
    // A cursor right before the oldest kept record lost nothing.
    expect(ledger.page(6, 100).dropped).toBe(false);
    expect(ledger.page(5, 100).dropped).toBe(true);
    expect(ledger.page(5, 2).records.map((r) => r.seq)).toEqual([7, 8]);
  });

  test("keep 0 keeps nothing in memory and says so", () => {
    const ledger = new Ledger({ keep: 0 });
    ledger.append(sample(0));
    expect(ledger.page(0, 10)).toEqual({ records: [], next: 1, dropped: true });
    expect(ledger.page(1, 10)).toEqual({ records: [], next: 1, dropped: false });
  });

  test("property: paging with any limits after any number of appends matches a full-history model", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 60 }),
        (keep, total, limits, start) => {
          const ledger = new Ledger({ keep });
          for (let i = 0; i < total; i++) ledger.append(sample(i));
          const since0 = Math.min(start, total);
          const firstKept = Math.max(1, total - keep + 1);
          let cursor = since0;
          const seen: number[] = [];
          for (const [n, limit] of limits.entries()) {
            const page = ledger.page(cursor, limit);
            const expectDropped = cursor + 1 < firstKept && cursor < total;
            if (page.dropped !== expectDropped) return false;
            // Only the first page can report a gap: later cursors come from `next`.
            if (n > 0 && page.dropped) return false;
            if (page.records.length > limit) return false;
            for (const r of page.records) {
              if (r.seq <= cursor || r.seq < firstKept) return false;
              if (JSON.stringify(r) !== JSON.stringify({ seq: r.seq, ...sample(r.seq - 1) })) return false;
              seen.push(r.seq);
            }
            cursor = page.next;
          }
          // No gaps, no repeats: consecutive seqs from the first available one.
          const from = Math.max(since0 + 1, firstKept);
          return seen.every((seq, i) => seq === from + i);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a negative or fractional keep is refused", () => {
    expect(() => new Ledger({ keep: -1 })).toThrow(/--ledger-keep/);
    expect(() => new Ledger({ keep: 1.5 })).toThrow(/--ledger-keep/);
  });
});

describe("Ledger file", () => {
  test("each append is one JSON line, written before append returns", () => {
    const file = freshFile();
    const ledger = new Ledger({ keep: 2, file });
    const written: LedgerRecord[] = [];
    for (let i = 0; i < 5; i++) {
      written.push(ledger.append(sample(i)));
      // Synchronous: the line is on disk now, not at close.
      expect(lines(file).length).toBe(i + 2);
    }
    ledger.close();
    const text = readFileSync(file, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.trimEnd().split("\n").map((l) => JSON.parse(l))).toEqual(written);
    // The file holds everything even though memory kept only 2.
    expect(readLedgerFile(file)).toEqual(written);
  });

  test("appending after a torn last line (a writer killed mid-line) starts a new line: only the torn one is lost", () => {
    const file = freshFile();
    const first = new Ledger({ keep: 4, file });
    const kept = first.append(sample(0));
    first.close();
    appendFileSync(file, '{"seq":2,"partial');
    const second = new Ledger({ keep: 4, file });
    const next = second.append(sample(1));
    second.close();
    const text = readFileSync(file, "utf8").split("\n");
    expect(text[1]).toBe('{"seq":2,"partial');
    expect(JSON.parse(text[2]!)).toEqual(next);
    // Readers (stats, reconcile) skip the torn record and say where it was.
    const torn: number[] = [];
    expect(readLedgerFile(file, (line) => torn.push(line))).toEqual([kept, next]);
    expect(torn).toEqual([2]);
  });

  test("a file that ends its last line is continued as it is (no blank line)", () => {
    const file = freshFile();
    for (let i = 0; i < 2; i++) {
      const ledger = new Ledger({ keep: 4, file });
      ledger.append(sample(i));
      ledger.close();
    }
    expect(readFileSync(file, "utf8").split("\n")).toHaveLength(3);
  });

  test("key order follows the record type, seq first", () => {
    const file = freshFile();
    const ledger = new Ledger({ keep: 1, file });
    ledger.append(sample(2));
    ledger.close();
    expect(Object.keys(JSON.parse(lines(file)[0]!))).toEqual([
      "seq", "time", "id", "dataset", "question", "attempt", "choice", "gold", "given", "written",
      "form", "style", "format", "verdict", "latency_ms", "response_hash",
    ]);
  });

  test("appends to an existing file and creates missing parent directories", () => {
    const file = join(dir, "nested", "deeper", "ledger.jsonl");
    const a = new Ledger({ keep: 1, file });
    a.append(sample(0));
    a.close();
    const b = new Ledger({ keep: 1, file });
    b.append(sample(1));
    b.close();
    expect(readLedgerFile(file).map((r) => r.id)).toEqual([sample(0).id, sample(1).id]);
  });

  test("an unopenable path is an Error naming --ledger", () => {
    const notADir = join(dir, "plain-file");
    writeFileSync(notADir, "x");
    expect(() => new Ledger({ keep: 1, file: join(notADir, "ledger.jsonl") })).toThrow(/^--ledger: cannot open ".*plain-file\/ledger.jsonl"/);
    expect(() => new Ledger({ keep: 1, file: dir })).toThrow(/--ledger/);
  });

  test("close is idempotent", () => {
    const ledger = new Ledger({ keep: 1, file: freshFile() });
    ledger.close();
    expect(() => ledger.close()).not.toThrow();
  });
});

describe("readLedgerFile", () => {
  test("skips a torn last line but not a bad line in the middle", () => {
    const file = freshFile();
    const ledger = new Ledger({ keep: 1, file });
    const a = ledger.append(sample(0));
    const b = ledger.append(sample(1));
    ledger.close();
    appendFileSync(file, JSON.stringify({ seq: 3, ...sample(2) }).slice(0, 40));
    expect(readLedgerFile(file)).toEqual([a, b]);

    // Torn within its first bytes: still a piece of a record's start, skipped.
    const early = freshFile();
    writeFileSync(early, `${JSON.stringify(a)}\n{"se\n${JSON.stringify(b)}\n`);
    expect(readLedgerFile(early)).toEqual([a, b]);

    const bad = freshFile();
    writeFileSync(bad, `${JSON.stringify(a)}\n{"seq": 2, oops\n${JSON.stringify(b)}\n`);
    expect(() => readLedgerFile(bad)).toThrow(/:2: not a JSON line/);
  });

  test("a JSON line that is not a record is an error with its line number", () => {
    const file = freshFile();
    writeFileSync(file, `${JSON.stringify({ seq: 1, ...sample(0) })}\n{"hello": "world"}\n`);
    expect(() => readLedgerFile(file)).toThrow(/:2: not a ledger record/);
  });

  test("readLedgerFiles concatenates files in order", () => {
    const [f1, f2] = [freshFile(), freshFile()];
    const l1 = new Ledger({ keep: 1, file: f1 });
    const l2 = new Ledger({ keep: 1, file: f2 });
    const r1 = l1.append(sample(0));
    const r2 = l2.append(sample(1));
    l1.close();
    l2.close();
    expect(readLedgerFiles([f1, f2])).toEqual([r1, r2]);
  });
});

// A separate process appends records and is killed: what it appended must be in the file, whole.
const CHILD = `
import { Ledger, responseHash } from ${JSON.stringify(resolve(import.meta.dir, "../../src/decide/records.ts"))};
const [file, countText, mode] = process.argv.slice(2);
const ledger = new Ledger({ keep: 8, file });
${sample.toString()}
const count = Number(countText);
if (mode === "stream") {
  // Acknowledge each record on stdout only after append returned.
  for (let i = 0; ; i++) {
    const r = ledger.append(sample(i));
    process.stdout.write(r.seq + "\\n");
    if (i % 64 === 63) await Bun.sleep(0);
  }
} else {
  for (let i = 0; i < count; i++) ledger.append(sample(i));
  process.stdout.write("ready\\n");
  setInterval(() => {}, 1000);
}
`;
const childScript = join(dir, "ledger-child.ts");
writeFileSync(childScript, CHILD);

async function readUntil(stream: ReadableStream<Uint8Array>, done: (text: string) => boolean): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!done(text)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

describe("Ledger file survives a killed process", () => {
  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    test(`${signal} after N appends: the file holds exactly those N records`, async () => {
      const file = freshFile();
      const n = 300;
      const child = Bun.spawn([process.execPath, childScript, file, String(n), "fixed"], { stdout: "pipe", stderr: "inherit" });
      const out = await readUntil(child.stdout, (t) => t.includes("ready\n"));
      expect(out).toBe("ready\n");
      child.kill(signal);
      expect(await child.exited).not.toBe(0);
      expect(child.signalCode).toBe(signal);
      const text = readFileSync(file, "utf8");
      const expected = Array.from({ length: n }, (_, i) => `${JSON.stringify({ seq: i + 1, ...sample(i) })}\n`).join("");
      expect(text).toBe(expected);
    });

    test(`${signal} mid-stream: every acknowledged record is in the file, each a whole line`, async () => {
      const file = freshFile();
      const child = Bun.spawn([process.execPath, childScript, file, "0", "stream"], { stdout: "pipe", stderr: "inherit" });
      const out = await readUntil(child.stdout, (t) => t.split("\n").length > 2000);
      child.kill(signal);
      await child.exited;
      expect(child.signalCode).toBe(signal);
      const acks = out.split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
      const lastAck = acks.at(-1)!;
      expect(lastAck).toBeGreaterThanOrEqual(2000);

      const raw = readFileSync(file, "utf8").split("\n");
      const tail = raw.pop()!; // "" when the file ends with a newline
      // Every complete line is a whole record, in order, from seq 1.
      raw.forEach((line, i) => expect(JSON.parse(line)).toEqual({ seq: i + 1, ...sample(i) }));
      expect(raw.length).toBeGreaterThanOrEqual(lastAck);
      // A torn tail can only be a record whose append never returned (so never acknowledged).
      if (tail !== "") expect(raw.length + 1).toBeGreaterThan(lastAck);
      expect(readLedgerFile(file).length).toBe(raw.length);
    });
  }
});

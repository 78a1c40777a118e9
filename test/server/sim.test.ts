import { newRecord } from "../fixtures/ledger-record.ts";
import { describe, expect, test } from "bun:test";
import { Ledger, responseHash, type LedgerRecord, type NewLedgerRecord } from "../../src/decide/records.ts";
import { Tally } from "../../src/decide/tally.ts";
import { HttpError } from "../../src/server/errors.ts";
import { LEDGER_PAGE_MAX, simLedgerBody, simStatsBody } from "../../src/server/sim.ts";

function sample(i: number): NewLedgerRecord {
  return newRecord({ id: `chatcmpl-${i}`, question: String(i % 9), verdict: i % 2 === 0 ? "correct" : "wrong", response_hash: responseHash(String(i)) });
}

function ledgerWith(count: number, keep = 100_000): Ledger {
  const ledger = new Ledger({ keep });
  for (let i = 0; i < count; i++) ledger.append(sample(i));
  return ledger;
}

const body = (ledger: Ledger, query: string) =>
  JSON.parse(simLedgerBody(ledger, new URLSearchParams(query))) as { records: LedgerRecord[]; next: number; dropped: boolean };

function httpError(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error("expected an HttpError");
}

describe("GET /sim/ledger", () => {
  test("defaults: from the start, up to 1000 records", () => {
    const page = body(ledgerWith(1500), "");
    expect(page.records.length).toBe(1000);
    expect(page.records[0]!.seq).toBe(1);
    expect(page.next).toBe(1000);
    expect(page.dropped).toBe(false);
    expect(Object.keys(page)).toEqual(["records", "next", "dropped"]);
  });

  test("pages on from the cursor to the end", () => {
    const ledger = ledgerWith(25);
    const seqs: number[] = [];
    let cursor = 0;
    for (let i = 0; i < 10; i++) {
      const page = body(ledger, `since=${cursor}&limit=7`);
      seqs.push(...page.records.map((r) => r.seq));
      if (page.records.length === 0) break;
      cursor = page.next;
    }
    expect(seqs).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(body(ledger, "since=25")).toEqual({ records: [], next: 25, dropped: false });
  });

  test("records come back exactly as appended", () => {
    const page = body(ledgerWith(3), "since=1&limit=1");
    expect(page.records).toEqual([{ seq: 2, ...sample(1) }]);
  });

  test("a limit above 10,000 is cut to 10,000", () => {
    const page = body(ledgerWith(LEDGER_PAGE_MAX + 50), "limit=20000");
    expect(page.records.length).toBe(LEDGER_PAGE_MAX);
    expect(page.next).toBe(LEDGER_PAGE_MAX);
  });

  test("evicted records are reported as dropped", () => {
    const page = body(ledgerWith(10, 4), "since=0");
    expect(page.dropped).toBe(true);
    expect(page.records.map((r) => r.seq)).toEqual([7, 8, 9, 10]);
  });

  test("bad cursors and limits are 400 invalid_request_error naming the parameter", () => {
    const ledger = ledgerWith(5);
    for (const [query, pattern] of [
      ["since=abc", /^since must be a whole number/],
      ["since=-1", /^since must be a whole number/],
      ["since=1.5", /^since must be a whole number/],
      ["since=1e3", /^since must be a whole number/],
      ["since=99999999999999999999", /^since must be a whole number/],
      ["limit=x", /^limit must be a whole number/],
      ["limit=0", /^limit must be at least 1/],
      ["since=6", /^cursor since=6 is ahead of the ledger \(last record 5\)/],
    ] as const) {
      const error = httpError(() => simLedgerBody(ledger, new URLSearchParams(query)));
      expect(error.status).toBe(400);
      expect(error.type).toBe("invalid_request_error");
      expect(error.message).toMatch(pattern);
    }
  });

  test("an empty parameter means the default", () => {
    expect(body(ledgerWith(2), "since=&limit=").records.length).toBe(2);
  });
});

describe("GET /sim/stats", () => {
  test("is the tally's statistics as JSON", () => {
    const tally = new Tally();
    for (let i = 0; i < 6; i++) tally.add(sample(i));
    tally.onUnmatched();
    const options = { configuredRate: 0.5, mode: "exact" };
    const parsed = JSON.parse(simStatsBody(tally, options));
    expect(parsed).toEqual(JSON.parse(JSON.stringify(tally.stats(options))));
    expect(parsed.totals.correct).toBe(3);
    expect(parsed.unmatched_requests).toBe(1);
    expect(parsed.mode).toBe("exact");
  });
});

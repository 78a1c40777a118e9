// Bodies of the /sim routes (issue 7 §3) as pure functions; app.ts routes to them.
import { pageJson, type Ledger, type LedgerLike } from "../decide/records.ts";
import type { LiveTally, StatsOptions } from "../decide/tally.ts";
import { invalidRequest } from "./errors.ts";

export const LEDGER_PAGE_DEFAULT = 1000;
export const LEDGER_PAGE_MAX = 10_000;

const WHOLE_NUMBER = /^\d{1,15}$/;

/**
 * GET /sim/ledger?since=CURSOR&limit=N -> `{"records":[...],"next":CURSOR,"dropped":bool}`.
 * `since` defaults to 0 (from the start); `limit` to 1000, and above 10,000 is cut to 10,000 (the
 * client pages on with `next`). A cursor that is not a whole number, or is ahead of the ledger
 * (e.g. from a previous server process), is a 400.
 */
export function simLedgerBody(ledger: Ledger, query: URLSearchParams): string;
export function simLedgerBody(ledger: Pick<LedgerLike, "lastSeq" | "page">, query: URLSearchParams): string | Promise<string>;
export function simLedgerBody(ledger: Pick<LedgerLike, "lastSeq" | "page">, query: URLSearchParams): string | Promise<string> {
  const since = wholeParam(query, "since", 0);
  const limit = Math.min(wholeParam(query, "limit", LEDGER_PAGE_DEFAULT), LEDGER_PAGE_MAX);
  if (limit < 1) throw invalidRequest(`limit must be at least 1 (got ${limit})`);
  if (since > ledger.lastSeq) {
    throw invalidRequest(`cursor since=${since} is ahead of the ledger (last record ${ledger.lastSeq}); start again from since=0`);
  }
  // With --threads-http > 1 the page comes from the owner thread's ring (decide/shared-ledger.ts).
  const page = ledger.page(since, limit);
  return page instanceof Promise ? page.then(pageJson) : pageJson(page);
}

/** GET /sim/stats. */
export function simStatsBody(tally: LiveTally, options: StatsOptions): string {
  return JSON.stringify(tally.stats(options));
}

function wholeParam(query: URLSearchParams, name: string, fallback: number): number {
  const text = query.get(name);
  if (text === null || text === "") return fallback;
  if (!WHOLE_NUMBER.test(text)) throw invalidRequest(`${name} must be a whole number (got ${JSON.stringify(text.slice(0, 40))})`);
  return Number(text);
}

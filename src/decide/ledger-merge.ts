// GET /sim/ledger with --threads-http > 1: every worker keeps its own records (decide/shared-ledger.ts);
// a page is their parts merged by seq, with the one-thread Ledger's cursor and eviction rules.
import type { LedgerPageText } from "./records.ts";

/** One worker's records for a page: seqs ascending, each with its JSON line. */
export interface LedgerPart {
  readonly seqs: readonly number[];
  readonly lines: readonly string[];
}

/**
 * The page of up to `limit` records with seq > since, oldest first, from the workers' parts; `upTo`
 * is the newest seq handed out when the page was asked for (the ledger's last seq). The process
 * keeps the newest `keep` seqs: `dropped` says records after `since` fell out of that window, and
 * `next` is the last returned seq (when none: the newest seq, or `since`) — as Ledger.page. Seqs
 * that were taken but never written (a reply that failed after its decision) are simply absent.
 */
export function mergeParts(parts: readonly LedgerPart[], since: number, limit: number, upTo: number, keep: number): LedgerPageText {
  const firstKept = Math.max(1, upTo - keep + 1);
  const records: { readonly seq: number; readonly line: string }[] = [];
  for (const part of parts) {
    part.seqs.forEach((seq, i) => {
      if (seq > since && seq >= firstKept && seq <= upTo) records.push({ seq, line: part.lines[i]! });
    });
  }
  // A few thousand records at most (each part holds up to `limit`): sorting is simpler than a k-way merge and as quick.
  const page = records.sort((a, b) => a.seq - b.seq).slice(0, Math.max(0, limit));
  const next = page.length > 0 ? page[page.length - 1]!.seq : Math.max(since, upTo);
  const dropped = since + 1 < firstKept && since < upTo;
  return { lines: page.map((r) => r.line), next, dropped };
}

import { responseHash } from "../decide/records.ts";

/**
 * Per recent short reply text, its JSON string literal and its ledger hash, each made once.
 * Short replies repeat (a question's correct reply, its few plausible wrong ones, in each answer
 * format), and escaping (JSON.stringify) and hashing (SHA-1) cost more than a Map lookup. Long
 * replies (reasoning) rarely repeat and are not kept. Each map is emptied when full: small, so that
 * it stays in cache and costs little where replies do not repeat (100,000 questions).
 */
const MAX_TEXT = 512;
const MAX_ENTRIES = 2048;

/** `make` remembered per text (short texts only; the table, of at most `maxEntries`, is emptied when full). */
export function memoByText<T>(make: (text: string) => T, maxEntries = MAX_ENTRIES): (text: string) => T {
  const known = new Map<string, T>();
  return (text) => {
    if (text.length > MAX_TEXT) return make(text);
    let value = known.get(text);
    if (value === undefined) {
      if (known.size >= maxEntries) known.clear();
      value = make(text);
      known.set(text, value);
    }
    return value;
  };
}

/** JSON.stringify(text): the text as a JSON string literal. */
export const jsonText: (text: string) => string = memoByText((text) => JSON.stringify(text));

/** responseHash(text) (decide/records.ts): the hash the ledger records for a reply's content. */
export const replyHash: (text: string) => string = memoByText(responseHash);

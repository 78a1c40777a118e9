import { responseHash } from "../decide/records.ts";
import { hashWords } from "../decide/record-ring.ts";
import { estimateTokens } from "./tokens.ts";

/**
 * Per recent short reply text, its JSON string literal and its ledger hash, made once.
 * Correct short replies repeat (a question's, in each answer format), and escaping (JSON.stringify)
 * and hashing (SHA-1) cost more than a Map lookup. Long replies (reasoning) rarely repeat and are not
 * kept; nor are wrong ones (compose.ts's shortBody).
 */
const MAX_TEXT = 512;
/**
 * Entries per generation. 4,096 hold the correct replies of a few thousand questions in use at once;
 * two generations of short replies are a few MB at most.
 */
const MAX_ENTRIES = 4096;

/**
 * `make` remembered per text (short texts only), in two generations of at most `maxEntries` each: when
 * the young one fills it becomes the old one and the oldest is dropped, and an old entry used again
 * moves back to the young one. Recently used texts survive a turnover, where emptying one table
 * would forget them all at once (with 2,000 questions in use, a cliff of misses every 2,048 texts).
 */
export function memoByText<T>(make: (text: string) => T, maxEntries = MAX_ENTRIES): (text: string) => T {
  let young = new Map<string, T>();
  let old = new Map<string, T>();
  return (text) => {
    if (text.length > MAX_TEXT) return make(text);
    let value = young.get(text);
    if (value !== undefined) return value;
    value = old.get(text) ?? make(text);
    if (young.size >= maxEntries) {
      old = young;
      young = new Map();
    }
    young.set(text, value);
    return value;
  };
}

/**
 * A short reply text's JSON string literal and ledger hash, made together: each reply asks for both.
 * Every facts object has the same nine fields in the same order, whoever makes it (this table, the
 * short replies and a question's note in compose.ts, all through factsObject): with one shape, the code that reads them stays
 * compiled, where three shapes made it leave its compiled code and be compiled again while a server
 * warms up.
 */
export interface TextFacts {
  readonly json: string;
  readonly hash: string;
  /** `hash` as the ledger's ring keeps it (decide/record-ring.ts's hashWords): its string need not be read again. */
  readonly hashHigh: number;
  readonly hashLow: number;
  /** The text itself. */
  readonly body: string;
  /** estimateTokens(body): a reply's token count without reading its text again (a cold line a request). */
  readonly tokens: number;
  /** What a short reply was made from (compose.ts's note); undefined otherwise. */
  readonly format: string | undefined;
  readonly written: string | undefined;
  /** The reply JSON around the literal that does not change per request (server/chat-json.ts), made on first use. */
  head: string | undefined;
}

/** The one place a facts object is built: every one gets its fields in this order, so all share one shape. */
const factsObject = (facts: Omit<TextFacts, "format" | "written" | "head">, format: string | undefined, written: string | undefined): TextFacts => ({
  json: facts.json,
  hash: facts.hash,
  hashHigh: facts.hashHigh,
  hashLow: facts.hashLow,
  body: facts.body,
  tokens: facts.tokens,
  format,
  written,
  head: undefined,
});

/** `text`'s facts, made now. */
export function textFacts(text: string): TextFacts {
  const hash = responseHash(text);
  // A hash always has the ring's form (responseHash: 16 lower-case hex digits).
  const [hashHigh, hashLow] = hashWords(hash)!;
  return factsObject({ json: JSON.stringify(text), hash, hashHigh, hashLow, body: text, tokens: estimateTokens(text) }, undefined, undefined);
}

/** A short reply's facts as a question's note of it (compose.ts): what it was made from, with the same shape, nothing worked out again. */
export const noteFacts = (facts: TextFacts, format: string, written: string): TextFacts => factsObject(facts, format, written);

const factsOf = memoByText(textFacts);
/**
 * The last text asked about and its facts: the ledger asks for a reply's hash, then the JSON body for
 * its literal, so the second ask costs a comparison (the same string, usually the same object) instead
 * of a second table lookup.
 */
let lastText: string | undefined;
let lastFacts: TextFacts | undefined;

/**
 * `facts` are `text`'s (textFacts), kept by whoever wrote the text: they become the last asked about, so
 * the reply's ledger hash and JSON literal skip the table (a cold lookup when thousands of questions are
 * in use).
 */
export function primeFacts(text: string, facts: TextFacts): void {
  lastText = text;
  lastFacts = facts;
}

/**
 * `text`'s facts: the last asked about (or primed), else from the table; undefined for a long text,
 * which is not kept. The ledger reads a reply's hash and its two words here.
 */
export function replyFacts(text: string): TextFacts | undefined {
  if (text === lastText) return lastFacts;
  if (text.length > MAX_TEXT) return undefined;
  lastFacts = factsOf(text);
  lastText = text;
  return lastFacts;
}

/**
 * `make(JSON.stringify(text))`, remembered with the text's facts: the caller's one fixed piece of JSON
 * around a reply text (server/chat-json.ts's reply head), made once per kept text rather than per request.
 * `make` must be the same function for every call: only one head is kept per text.
 */
export function jsonHead(text: string, make: (json: string) => string): string {
  const f = replyFacts(text);
  if (f === undefined) return make(JSON.stringify(text));
  return (f.head ??= make(f.json));
}

/** JSON.stringify(text): the text as a JSON string literal. */
export function jsonText(text: string): string {
  return replyFacts(text)?.json ?? JSON.stringify(text);
}

/** responseHash(text) (decide/records.ts): the hash the ledger records for a reply's content. */
export function replyHash(text: string): string {
  return replyFacts(text)?.hash ?? responseHash(text);
}

/**
 * Text normalisation and tokenisation shared by the question index and the request scanner.
 *
 * A text becomes a sequence of tokens; two texts "say the same thing" for the matcher when their token
 * sequences are equal. The pipeline, applied identically to questions and requests:
 *
 * 1. Drop Unicode format characters (`\p{Cf}`: zero-width spaces/joiners, soft hyphens, BOM, bidi marks),
 *    which harnesses and copy-paste insert invisibly. They are removed outright, so they never split a word.
 * 2. Unicode NFKC (full-width forms, ligatures, non-breaking and other exotic spaces, `…` -> `...`).
 * 3. Case: lower, upper, lower again, then NFKC again — an approximation of full case folding such that
 *    upper- or lower-casing a prompt (`ß` -> `SS`, `ẞ` -> `ß`, `ς` -> `Σ`) normalises to the same thing
 *    as the original, and normalising twice changes nothing (checked over every code point).
 * 4. Typographic quotes to ASCII: `‘ ’ ‚ ‛` -> `'` and `“ ” „ ‟` -> `"` (NFKC leaves them alone, but
 *    pipelines "smarten" or "straighten" them; GSM8K itself mixes `’` and `'`); and final sigma `ς` to
 *    `σ`, as case folding does, because lower-casing picks between them by context.
 * 5. Tokens ({@link TOKEN_PATTERN}): maximal runs of letters, digits and combining marks, and every other
 *    character on its own (punctuation and LaTeX symbols are one token each). Whitespace and control
 *    characters separate tokens and are dropped, so `Find  $P(0)$\n+Q(0).` and `find $ p ( 0 ) $ + q(0) .`
 *    are the same sequence. Whitespace still matters between two letters/digits: `2 x` is not `2x`.
 *
 * Nothing looser is done on purpose (no stemming, no LaTeX stripping, no dash or digit unification):
 * a match must mean the question itself is present.
 *
 * The tokeniser is a hand-written single pass over the characters ({@link TokenCursor}), equivalent to
 * {@link TOKEN_PATTERN} (the tests check this) but without allocating a string per token. For ASCII text
 * steps 1–4 reduce to lower-casing A–Z, so the request scanner (./index.ts) tokenises ASCII messages
 * with its own copy of the grammar, from the bytes {@link asciiBytes} writes, folding case as it goes
 * (the tests check that both paths give the same tokens).
 */

/**
 * Message separator. {@link requestText} joins message texts with it; the tokeniser makes it a token of
 * its own that no question contains, so no match can span two messages. (U+FFFF is a Unicode
 * noncharacter; inside a question text it is ignored.)
 */
export const BOUNDARY = "\uFFFF";
export const BOUNDARY_CODE = 0xffff;

/** The token grammar, as a regular expression (the specification {@link TokenCursor} implements). */
export const TOKEN_PATTERN = /[\p{L}\p{N}\p{M}]+|[^\s\p{Cc}]/gu;

const IGNORABLE = /\p{Cf}/gu;
const HAS_IGNORABLE = /\p{Cf}/u;
const NON_ASCII = /[^\x00-\x7f]/;
/** Final mappings: typographic quotes to ASCII, final sigma to sigma. */
const FOLD = /[\u2018\u2019\u201A\u201B\u201C\u201D\u201E\u201F\u03C2]/g;
function fold(ch: string): string {
  return ch === "\u03C2" ? "\u03C3" : ch <= "\u201B" ? "'" : '"';
}

/** Steps 1–4 of the pipeline: the canonical string whose tokens are then taken. */
export function normalizeText(text: string): string {
  if (!NON_ASCII.test(text)) return text.toLowerCase(); // ASCII: NFKC and the other steps are no-ops.
  let s = text;
  if (HAS_IGNORABLE.test(s)) s = s.replace(IGNORABLE, "");
  s = s.normalize("NFKC").toLowerCase().toUpperCase().toLowerCase().normalize("NFKC");
  return s.replace(FOLD, fold);
}

const utf8 = new TextEncoder();

/**
 * Writes to `bytes` an ASCII text that normalises exactly as `text` does, one byte per character of
 * `text`, and returns true; or returns false when there is none to be had this way (or `bytes` is too
 * short). That is when `text` is ASCII — then normalising is only lower-casing — or ASCII apart from
 * characters whose normalisation is one fixed ASCII character whatever surrounds them: the typographic
 * quotes (step 4; NFKC and case mapping leave them alone) and the no-break space (NFKC makes it a
 * space), none of which composes with a neighbour or has a case mapping. GSM8K writes `Janet’s ducks`.
 */
export function asciiBytes(text: string, bytes: Uint8Array): boolean {
  const n = text.length;
  if (n > bytes.length) return false;
  // Native and fast; ASCII exactly when every character went in, one byte each.
  const { read, written } = utf8.encodeInto(text, bytes);
  if (read === n && written === n) return true;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes[i] = c;
    else if (c === 0xa0) bytes[i] = 0x20;
    else if (c >= 0x2018 && c <= 0x201b) bytes[i] = 0x27; // '
    else if (c >= 0x201c && c <= 0x201f) bytes[i] = 0x22; // "
    else return false;
  }
  return true;
}

/**
 * Character classes of the token grammar: whitespace and controls; letters, digits and marks (runs of
 * them form one token); anything else (a token on its own).
 */
export const SEPARATOR = 1;
export const WORD = 2;
export const SINGLE = 3;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
const SEPARATOR_CHAR = /[\s\p{Cc}]/u;

/** Class per code point, filled lazily (0 = not yet computed); 1.1 MB, allocated on first non-ASCII text. */
let classes: Uint8Array | undefined;
/** Class of each ASCII character. */
export const ASCII_CLASSES = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_CLASSES[c] = classify(c);

function classify(cp: number): number {
  const ch = String.fromCodePoint(cp);
  return WORD_CHAR.test(ch) ? WORD : SEPARATOR_CHAR.test(ch) ? SEPARATOR : SINGLE;
}

function classOf(cp: number): number {
  if (cp < 128) return ASCII_CLASSES[cp]!;
  classes ??= new Uint8Array(0x110000);
  let k = classes[cp]!;
  if (k === 0) classes[cp] = k = classify(cp);
  return k;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

/** The hash {@link TokenCursor} computes for the token `s.slice(a, b)`. */
export function tokenHash(s: string, a: number, b: number): number {
  let h = FNV_OFFSET;
  for (let i = a; i < b; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return finishHash(h);
}

/**
 * Walks the tokens of an already normalised string, left to right, in one pass and without allocating:
 * after `next()` returns true, the token is `text.slice(start, end)` (UTF-16 offsets) and `hash` is its
 * {@link tokenHash}. Implements {@link TOKEN_PATTERN} (the tests check they agree).
 */
export class TokenCursor {
  start = 0;
  end = 0;
  hash = 0;
  private i = 0;

  constructor(readonly text: string) {}

  next(): boolean {
    const s = this.text;
    const n = s.length;
    let i = this.i;
    let a = -1;
    let h = FNV_OFFSET;
    while (i < n) {
      const c = s.charCodeAt(i);
      let k: number;
      let lo = 0;
      let width = 1;
      if (c < 128) k = ASCII_CLASSES[c]!;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (lo = s.charCodeAt(i + 1)) >= 0xdc00 && lo <= 0xdfff) {
        k = classOf(0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00));
        width = 2;
      } else k = classOf(c);
      if (k === SEPARATOR) {
        if (a >= 0) break;
        i += width;
        continue;
      }
      if (k === WORD) {
        if (a < 0) a = i;
      } else if (a >= 0) break; // a single-character token ends the word before it
      else a = i;
      h = Math.imul(h ^ c, FNV_PRIME);
      if (width === 2) h = Math.imul(h ^ lo, FNV_PRIME);
      i += width;
      if (k === SINGLE) break;
    }
    this.i = i;
    if (a < 0) return false;
    this.start = a;
    this.end = i;
    this.hash = finishHash(h);
    return true;
  }
}

/**
 * The token sequence of `text` (steps 1–5). A {@link BOUNDARY} character yields the token `BOUNDARY`.
 * Match offsets returned by the index count positions in exactly this sequence.
 */
export function tokenize(text: string): string[] {
  const s = normalizeText(text);
  const out: string[] = [];
  const cursor = new TokenCursor(s);
  while (cursor.next()) out.push(s.slice(cursor.start, cursor.end));
  return out;
}

/**
 * Join the texts of a request's messages (system, few-shot turns, user, ...) so that no match can span
 * two of them. Join the text parts of ONE message's `content` array yourself with `"\n"` (or `""`
 * when the parts are known to carry their own whitespace): they form one message, and a question may be
 * split across them.
 */
export function requestText(parts: readonly string[]): string {
  return parts.join(BOUNDARY);
}

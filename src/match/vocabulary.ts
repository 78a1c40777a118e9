// The vocabulary of the question index: every distinct token of the questions, with an id, looked up
// straight from a request's text (the general path) or from its bytes (the ASCII fast path).
import { ASCII_CLASSES, BOUNDARY_CODE, SEPARATOR, SINGLE, TokenCursor, WORD, asciiBytes, tokenHash } from "./normalize.ts";
import { denseTableSize, tableSize } from "./tables.ts";

/** Token ids in a scanned request, besides vocabulary ids: a token no question contains; a message boundary. */
export const UNKNOWN_ID = -1;
export const BOUNDARY_ID = -2;

// Scratch buffer for the ASCII tokeniser, shared by all vocabularies (a scan runs to completion before
// the next). Allocated once and never replaced: the JIT then treats it as a constant, which makes the
// tokeniser's loop markedly faster (about 20%). A message too long for it takes the general path.
const SCRATCH_BYTES = new Uint8Array(1 << 16);

/**
 * Words of an ASCII scan waiting for their lookup, five integers each: slot offset, key low, key high,
 * start << 16 | length, and the index of their id in the output. Looked up in batches of 64, after
 * the bytes around them are scanned: with many questions most of a prompt's words are cache misses in
 * the word table, and a loop of lookups alone lets the CPU have several in flight at once. Shared by
 * all vocabularies, as SCRATCH_BYTES is: a scan runs to completion before the next.
 */
const PENDING_WORDS = 64;
const PENDING = new Int32Array(5 * PENDING_WORDS);

/** Byte classes for {@link Vocabulary.asciiIds}: the ASCII classes, plus the end sentinel and non-ASCII bytes. */
const END = 0;
const NON_ASCII = 4;
/** Never in UTF-8 output, so it can mark the end. */
const END_BYTE = 0xff;
const BYTE_CLASSES = new Uint8Array(256).fill(NON_ASCII);
BYTE_CLASSES.set(ASCII_CLASSES);
BYTE_CLASSES[END_BYTE] = END;

const NOT_ASCII = /[^\x00-\x7f]/;
/**
 * Marks the key of a word longer than eight characters, so that it never equals the key of the
 * eight-character word it ends with (key bytes are ASCII, so their top bit is free).
 */
const LONG_WORD = 1 << 31;
/** Integers per slot of the word table (key low, key high, id + 1, padding): 16 bytes, never across a cache line. */
const WORD_SLOT = 4;

/**
 * Slot of the ASCII word `bytes[a .. a + len)` (folded to lower case) in the word table, from its key
 * (`low`, `high`: see Vocabulary) and, past eight characters, the characters before the key.
 */
function wordHash(low: number, high: number, bytes: Uint8Array, a: number, len: number): number {
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  for (let i = a; i < a + len - 8; i++) h = Math.imul(h ^ (bytes[i]! | 0x20), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}

/**
 * Token string -> id, looked up straight from a slice of the request text (no substring allocated).
 * All token strings are concatenated in one string; an open-addressing table holds id + 1 per slot.
 * ASCII words have a second table for {@link asciiIds}, by exact key.
 */
export class Vocabulary {
  readonly size: number;
  private readonly chars: string;
  private readonly start: Int32Array;
  private readonly hash: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Id of each one-character ASCII token by its character code, else -1. */
  private readonly oneChar: Int32Array;
  /**
   * The ASCII words of two or more characters, by {@link wordHash}: per slot, four integers — the
   * word's key (its last eight characters packed big-endian, four to an integer, {@link LONG_WORD} set
   * in the high half past eight characters), its id + 1 (0: an empty slot), and padding. Key and id
   * side by side: a lookup reads one cache line, not three arrays (GSM8K's 12,000 words under load:
   * ~2% less CPU a request, co-scheduled A/B; a hot loop, where all three stay cached, shows no gain).
   * Filled to at most 3/4 rather than 1/2: GSM8K's table is 256 KB instead of 512 KB, which an L2 cache
   * holds better under load (~2% less CPU a request again, co-scheduled A/B).
   */
  private readonly words: Int32Array;
  private readonly wordMask: number;

  constructor(tokens: readonly string[]) {
    this.size = tokens.length;
    this.chars = tokens.join("");
    this.start = new Int32Array(this.size + 1);
    this.hash = new Int32Array(this.size);
    const tableSizeV = tableSize(this.size);
    this.mask = tableSizeV - 1;
    this.slots = new Int32Array(tableSizeV);
    let offset = 0;
    for (let id = 0; id < this.size; id++) {
      this.start[id] = offset;
      const end = offset + tokens[id]!.length;
      const h = tokenHash(this.chars, offset, end);
      this.hash[id] = h;
      let slot = h & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = id + 1;
      offset = end;
    }
    this.start[this.size] = offset;

    this.oneChar = new Int32Array(128).fill(UNKNOWN_ID);
    const keyed: { id: number; low: number; high: number }[] = [];
    for (let id = 0; id < this.size; id++) {
      const t = tokens[id]!;
      if (NOT_ASCII.test(t)) continue; // never equal to an ASCII request token
      if (t.length === 1) {
        this.oneChar[t.charCodeAt(0)] = id;
        continue;
      }
      let low = 0;
      let high = 0;
      for (let k = 0; k < t.length; k++) {
        high = (high << 8) | (low >>> 24);
        low = (low << 8) | t.charCodeAt(k);
      }
      keyed.push({ id, low, high: t.length > 8 ? high | LONG_WORD : high });
    }
    this.wordMask = denseTableSize(keyed.length) - 1;
    this.words = new Int32Array(WORD_SLOT * (this.wordMask + 1));
    for (const { id, low, high } of keyed) {
      const t = tokens[id]!;
      const bytes = Uint8Array.from(t, (ch) => ch.charCodeAt(0));
      let slot = wordHash(low, high, bytes, 0, t.length) & this.wordMask;
      while (this.words[WORD_SLOT * slot + 2] !== 0) slot = (slot + 1) & this.wordMask;
      this.words.set([low, high, id + 1], WORD_SLOT * slot);
    }
  }

  /**
   * Token ids of a text already normalised (see normalizeText), written from `ids[from]` on; returns
   * the index after the last. A BOUNDARY character in the text yields {@link BOUNDARY_ID}. `ids` must
   * have room for one id per character.
   */
  textIds(text: string, ids: Int32Array, from: number): number {
    const cursor = new TokenCursor(text);
    let t = from;
    while (cursor.next()) {
      const a = cursor.start;
      const isBoundary = cursor.end - a === 1 && text.charCodeAt(a) === BOUNDARY_CODE;
      ids[t++] = isBoundary ? BOUNDARY_ID : this.id(text, a, cursor.end, cursor.hash);
    }
    return t;
  }

  /**
   * {@link textIds} of `normalizeText(text)` for a text that is ASCII (or ASCII apart from characters
   * that normalise to ASCII on their own, see asciiBytes), or -1 for any other text, or one too long
   * for the scratch buffer (the caller then takes the general path).
   *
   * For ASCII, normalisation is only lower-casing A–Z, so the text's bytes are tokenised directly, in
   * one pass, case folded on the fly (typed-array reads rather than charCodeAt, no normalised copy, a
   * sentinel byte rather than bounds tests). One-character tokens (half of a math prompt's) come from
   * a direct table. A longer word is looked up by its last eight characters packed into two integers,
   * an exact key, so only words longer than eight characters need comparing character by character.
   */
  asciiIds(text: string, ids: Int32Array, from: number): number {
    const n = text.length;
    const bytes = SCRATCH_BYTES;
    // One byte is kept for the end sentinel.
    if (n >= bytes.length || !asciiBytes(text, bytes)) return -1;
    bytes[n] = END_BYTE;
    const oneChar = this.oneChar;
    const mask = this.wordMask;
    const pending = PENDING;
    let p = 0;
    let i = 0;
    let t = from;
    for (;;) {
      let c = bytes[i]!;
      let k = BYTE_CLASSES[c]!;
      while (k === SEPARATOR) k = BYTE_CLASSES[(c = bytes[++i]!)]!;
      if (k === SINGLE) {
        ids[t++] = oneChar[c]!;
        i++;
        continue;
      }
      if (k !== WORD) {
        if (k !== END) return -1; // a byte of a non-ASCII character
        this.lookUpPending(ids, p);
        return t;
      }
      // A word. c | 0x20 lower-cases A–Z and leaves a–z and 0–9 as they are.
      const a = i;
      let low = c | 0x20;
      let high = 0;
      c = bytes[++i]!;
      if (BYTE_CLASSES[c] !== WORD) {
        ids[t++] = oneChar[low]!;
        continue;
      }
      do {
        high = (high << 8) | (low >>> 24);
        low = (low << 8) | (c | 0x20);
        c = bytes[++i]!;
      } while (BYTE_CLASSES[c] === WORD);
      const len = i - a;
      if (len > 8) high |= LONG_WORD;
      pending[p] = WORD_SLOT * (wordHash(low, high, bytes, a, len) & mask);
      pending[p + 1] = low;
      pending[p + 2] = high;
      pending[p + 3] = (a << 16) | len;
      pending[p + 4] = t++; // its id is written when the batch is looked up
      p += 5;
      if (p === pending.length) {
        this.lookUpPending(ids, p);
        p = 0;
      }
    }
  }

  /** Looks up the first `count` integers' worth of PENDING words and writes their ids (UNKNOWN_ID when no question has them). */
  private lookUpPending(ids: Int32Array, count: number): void {
    const pending = PENDING;
    const words = this.words;
    const wrap = words.length - 1; // slots are a power of two: the next slot's offset, wrapped
    for (let p = 0; p < count; p += 5) {
      let at = pending[p]!;
      const low = pending[p + 1]!;
      const high = pending[p + 2]!;
      let tok = UNKNOWN_ID;
      for (;;) {
        const e = words[at + 2]!;
        if (e === 0) break;
        if (words[at] === low && words[at + 1] === high) {
          const len = pending[p + 3]! & 0xffff;
          if (len <= 8 || this.headEquals(e - 1, len, SCRATCH_BYTES, pending[p + 3]! >>> 16)) {
            tok = e - 1;
            break;
          }
        }
        at = (at + WORD_SLOT) & wrap;
      }
      ids[pending[p + 4]!] = tok;
    }
  }

  /** Whether token `id` has length `len` and starts with the `len - 8` characters at `bytes[a..]`. */
  private headEquals(id: number, len: number, bytes: Uint8Array, a: number): boolean {
    const st = this.start[id]!;
    if (this.start[id + 1]! - st !== len) return false;
    for (let j = 0; j < len - 8; j++) if (this.chars.charCodeAt(st + j) !== (bytes[a + j]! | 0x20)) return false;
    return true;
  }

  /** Id of the token `s.slice(a, b)` whose {@link tokenHash} is `h`, or -1 when no question contains it. */
  id(s: string, a: number, b: number, h: number): number {
    const len = b - a;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const e = this.slots[slot]!;
      if (e === 0) return -1;
      const id = e - 1;
      if (this.hash[id] === h) {
        const st = this.start[id]!;
        if (this.start[id + 1]! - st === len) {
          let i = 0;
          while (i < len && this.chars.charCodeAt(st + i) === s.charCodeAt(a + i)) i++;
          if (i === len) return id;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Bytes held: the typed arrays plus the token characters (2 bytes each). */
  get bytes(): number {
    return (
      this.start.byteLength + this.hash.byteLength + this.slots.byteLength + 2 * this.chars.length +
      this.oneChar.byteLength + this.words.byteLength
    );
  }
}

/** Assigns token ids while the questions are tokenised (ids in order of first appearance). */
export class VocabularyBuilder {
  readonly tokens: string[] = [];
  private hashes: number[] = [];
  private slots = new Int32Array(1024);
  private mask = 1023;

  /** Id of the token `s.slice(a, b)` whose {@link tokenHash} is `h`, added if new. */
  intern(s: string, a: number, b: number, h: number): number {
    const len = b - a;
    let slot = h & this.mask;
    for (;;) {
      const e = this.slots[slot]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.hashes[id] === h) {
        const t = this.tokens[id]!;
        if (t.length === len) {
          let i = 0;
          while (i < len && t.charCodeAt(i) === s.charCodeAt(a + i)) i++;
          if (i === len) return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    const id = this.tokens.length;
    this.tokens.push(s.slice(a, b));
    this.hashes.push(h);
    this.slots[slot] = id + 1;
    if (2 * this.tokens.length > this.slots.length) this.grow();
    return id;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.tokens.length; id++) {
      let slot = this.hashes[id]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * The question texts the template path may answer, found from a span of a message without cutting it out.
 *
 * A Map keyed by the middle of a message needs the middle as a string of its own: JSC copies the
 * substring out and hashes all of it (~350 characters on GSM8K) before the lookup, every request. Here
 * the key is a hash of the span's length and 32 of its characters spread across it, read in place; a
 * candidate is then compared with the span character for character (`startsWith` at the span's start),
 * so a lookup is as exact as the Map's, whatever collides.
 */

/** Characters read for a span's hash, spread evenly across it. */
const SAMPLES = 32;

/** A hash of `text[from, from + length)` from its length and SAMPLES characters across it. */
export function spanHash(text: string, from: number, length: number): number {
  let h = Math.imul(length, 0x9e3779b1);
  // An empty span has no characters to read (past its end is the rest of the string).
  for (let i = 0; i < SAMPLES && length > 0; i++) {
    // Position i/SAMPLES of the way along: every character of a span shorter than SAMPLES, some twice.
    h = Math.imul(h ^ text.charCodeAt(from + Math.floor((i * length) / SAMPLES)), 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Texts by index into a list, each with a value: open addressing, linear probing. A slot's hash and
 * value sit side by side in one typed array, its text in an array by slot: both are found from the
 * slot number at once, so a lookup waits for one cold line and then the text, not for a line that
 * names the text and then the text.
 */
export class TextTable {
  /** Per slot: the text's hash, its value. */
  readonly #slots: Int32Array;
  /** Per slot: the text, undefined for an empty slot. */
  readonly #texts: (string | undefined)[];
  readonly #mask: number;
  /** Length of the longest text held. */
  longest = 0;
  size = 0;

  /** Room for `capacity` texts, at most half the slots full. */
  constructor(capacity: number) {
    let slots = 16;
    while (slots < 2 * capacity) slots *= 2;
    this.#slots = new Int32Array(slots * 2);
    this.#texts = new Array<string | undefined>(slots).fill(undefined);
    this.#mask = slots - 1;
  }

  /** Holds `text` with `value`; false (and nothing changed) when the same text is held already, or the table is full. */
  add(text: string, value: number): boolean {
    if (this.find(text, 0, text.length) >= 0 || 2 * (this.size + 1) > this.#mask + 1) return false;
    const h = spanHash(text, 0, text.length);
    let s = h & this.#mask;
    while (this.#texts[s] !== undefined) s = (s + 1) & this.#mask;
    this.#slots[2 * s] = h;
    this.#slots[2 * s + 1] = value;
    this.#texts[s] = text;
    this.longest = Math.max(this.longest, text.length);
    this.size++;
    return true;
  }

  /** The value of the text held that is exactly `text[from, from + length)`, or -1. */
  find(text: string, from: number, length: number): number {
    const slots = this.#slots;
    const texts = this.#texts;
    const h = spanHash(text, from, length);
    for (let s = h & this.#mask; ; s = (s + 1) & this.#mask) {
      const candidate = texts[s];
      if (candidate === undefined) return -1;
      if (slots[2 * s] === h && candidate.length === length && text.startsWith(candidate, from)) return slots[2 * s + 1]!;
    }
  }
}

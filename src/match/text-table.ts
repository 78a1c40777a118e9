/**
 * The question texts the template path may answer, found from a span of a message without cutting it out.
 *
 * A Map keyed by the middle of a message needs the middle as a string of its own: JSC copies the
 * substring out and hashes all of it (~350 characters on GSM8K) before the lookup, every request. Here
 * the key is a hash of the span's length and 32 of its characters spread across it, read in place (more
 * of them in a table whose texts collide on 32); a candidate is then compared with the span character
 * for character (`startsWith` at the span's start), so a lookup is as exact as the Map's.
 */

/** log2 of the characters a table first reads for a hash (32), spread evenly across the span. */
const FIRST_SHIFT = 5;
/** The next step when texts collide on 32 (512); past it, every character. */
const MORE_SHIFT = 9;
/** Every character. */
const ALL = 31;
/**
 * Distinct texts with one hash that make a table read more characters. Texts that differ only where the
 * hash does not look (a long shared preamble and a number at the end, a numbered template) would
 * otherwise share one probe run: each lookup would compare them all, and building the table would be
 * quadratic.
 */
const MAX_SAME_HASH = 8;

/**
 * A hash of `text[from, from + length)` from its length and 2^shift characters across it (all of them
 * when the span is no longer). A power of two, so that a position is a shift, not a division.
 */
export function spanHash(text: string, from: number, length: number, shift = FIRST_SHIFT): number {
  let h = Math.imul(length, 0x9e3779b1);
  const samples = 1 << shift;
  if (shift < ALL && samples < length) {
    // Position i/samples of the way along (any span a table holds is far below 2^32 / samples characters).
    for (let i = 0; i < samples; i++) {
      h = Math.imul(h ^ text.charCodeAt(from + ((i * length) >>> shift)), 0x85ebca6b);
      h ^= h >>> 13;
    }
  } else {
    for (let i = from; i < from + length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 0x85ebca6b);
      h ^= h >>> 13;
    }
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Texts held for exact lookup by span: a table of every text, and before it the texts found lately
 * (RecentTexts). Both are Slots.
 */
export class TextTable {
  #table: Slots;
  /** log2 of the characters each hash reads: 32, more once texts collide (MAX_SAME_HASH). */
  #shift = FIRST_SHIFT;
  #longest = 0;
  readonly #recent: RecentTexts;

  /**
   * Room for `capacity` texts, at most half the slots full. `copy(text, value)` is what the table keeps
   * of a text found among the recent ones (see RecentTexts); by default the text itself.
   */
  constructor(capacity: number, copy: (text: string, value: number) => string = (text) => text) {
    this.#recent = new RecentTexts(copy);
    let slots = 16;
    while (slots < 2 * capacity) slots *= 2;
    this.#table = new Slots(slots);
  }

  /** Length of the longest text held. */
  get longest(): number {
    return this.#longest;
  }

  /** Texts held. */
  get size(): number {
    return this.#table.size;
  }

  /** Characters each hash reads now, at most (for tests). */
  get samples(): number {
    return this.#shift === ALL ? Infinity : 1 << this.#shift;
  }

  /** Holds `text` with `value` (≥ 0); false (and nothing changed) when the same text is held already, or the table is full. */
  add(text: string, value: number): boolean {
    if (!(value >= 0)) throw new RangeError(`a text's value must be >= 0, got ${value}`);
    if (2 * (this.#table.size + 1) > this.#table.slots) return false;
    for (;;) {
      const h = spanHash(text, 0, text.length, this.#shift);
      const table = this.#table;
      let same = 0;
      for (let s = table.first(h); table.textAt(s) !== undefined; s = table.next(s)) {
        if (table.hashAt(s) !== h) continue;
        if (table.textAt(s) === text) return false;
        same++;
      }
      if (same >= MAX_SAME_HASH && this.#shift !== ALL) {
        this.#rehash(this.#shift < MORE_SHIFT ? MORE_SHIFT : ALL);
        continue;
      }
      table.put(h, text, value);
      this.#longest = Math.max(this.#longest, text.length);
      return true;
    }
  }

  /** The value of the text held that is exactly `text[from, from + length)`, or -1 (values are never negative). */
  find(text: string, from: number, length: number): number {
    const h = spanHash(text, from, length, this.#shift);
    const recent = this.#recent.find(text, from, length, h);
    if (recent >= 0) return recent;
    const table = this.#table;
    const s = table.find(text, from, length, h);
    if (s < 0) return -1;
    const value = table.valueAt(s);
    this.#recent.add(h, table.textAt(s)!, value);
    return value;
  }

  /** Every text held again, hashed from 2^shift characters. */
  #rehash(shift: number): void {
    const old = this.#table;
    this.#shift = shift;
    this.#recent.clear();
    this.#table = new Slots(old.slots);
    for (let s = 0; s < old.slots; s++) {
      const text = old.textAt(s);
      if (text !== undefined) this.#table.put(spanHash(text, 0, text.length, shift), text, old.valueAt(s));
    }
  }
}

/** Texts a generation of the recent ones holds. */
const RECENT = 4096;

/**
 * The texts found lately, looked up before the whole table, each copied when first found: a few
 * thousand questions in use out of 100,000 would otherwise each be read from its own page of the big
 * table and of the heap (a TLB miss and a page walk each, ~0.2 µs in a VM); a generation's tables are
 * 128 KB and copies made one after another sit together on a few pages. Two generations, as
 * text-memo.ts's: when the young one fills it becomes the old one, and a text found in the old one
 * moves back, so up to 8,192 texts in rotation keep being found here.
 */
class RecentTexts {
  readonly #copy: (text: string, value: number) => string;
  #young = new Slots(2 * RECENT);
  #old = new Slots(2 * RECENT);

  constructor(copy: (text: string, value: number) => string) {
    this.#copy = copy;
  }

  find(text: string, from: number, length: number, h: number): number {
    const young = this.#young.find(text, from, length, h);
    if (young >= 0) return this.#young.valueAt(young);
    const old = this.#old.find(text, from, length, h);
    if (old < 0) return -1;
    const value = this.#old.valueAt(old);
    this.#keep(h, this.#old.textAt(old)!, value);
    return value;
  }

  /** A text the whole table found: its copy becomes recent. */
  add(h: number, text: string, value: number): void {
    this.#keep(h, this.#copy(text, value), value);
  }

  clear(): void {
    this.#young = new Slots(2 * RECENT);
    this.#old = new Slots(2 * RECENT);
  }

  #keep(h: number, copy: string, value: number): void {
    if (this.#young.size === RECENT) {
      this.#old = this.#young;
      this.#young = new Slots(2 * RECENT);
    }
    this.#young.put(h, copy, value);
  }
}

/**
 * Texts, each with a hash and a value: open addressing, linear probing, a power of two of slots (the
 * caller keeps at most half of them full). A slot's hash and value sit side by side in one typed array,
 * its text in an array by slot: both are found from the slot number at once, so a lookup waits for one
 * cold line and then the text, not for a line that names the text and then the text.
 */
class Slots {
  /** Per slot: the text's hash, its value. */
  readonly #hv: Int32Array;
  /** Per slot: the text, undefined for an empty slot. */
  readonly #texts: (string | undefined)[];
  readonly #mask: number;
  size = 0;

  constructor(readonly slots: number) {
    this.#hv = new Int32Array(2 * slots);
    this.#texts = new Array<string | undefined>(slots).fill(undefined);
    this.#mask = slots - 1;
  }

  /** The slot a hash's probe run starts at, and the one after `s`. */
  first(h: number): number {
    return h & this.#mask;
  }

  next(s: number): number {
    return (s + 1) & this.#mask;
  }

  /** The slot holding exactly `text[from, from + length)` under hash `h`, or -1. */
  find(text: string, from: number, length: number, h: number): number {
    const hv = this.#hv;
    const texts = this.#texts;
    for (let s = h & this.#mask; ; s = (s + 1) & this.#mask) {
      const candidate = texts[s];
      if (candidate === undefined) return -1;
      if (hv[2 * s] === h && candidate.length === length && text.startsWith(candidate, from)) return s;
    }
  }

  hashAt(s: number): number {
    return this.#hv[2 * s]!;
  }

  valueAt(s: number): number {
    return this.#hv[2 * s + 1]!;
  }

  textAt(s: number): string | undefined {
    return this.#texts[s];
  }

  /** Holds `text` in the first empty slot of `h`'s run (a text already held is the caller's to rule out). */
  put(h: number, text: string, value: number): void {
    let s = h & this.#mask;
    while (this.#texts[s] !== undefined) s = (s + 1) & this.#mask;
    this.#hv[2 * s] = h;
    this.#hv[2 * s + 1] = value;
    this.#texts[s] = text;
    this.size++;
  }
}

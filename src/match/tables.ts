// Typed-array building blocks of the question index: power-of-two tables, integer hashes, bitsets
// with popcount, and an int -> int map. No objects per entry, so a 100,000-question index stays
// a few dozen typed arrays.

/** Smallest power of two ≥ 2·n (load factor ≤ 1/2), at least 2. */
export function tableSize(n: number): number {
  let size = 2;
  while (size < 2 * n) size *= 2;
  return size;
}

/** Smallest power of two ≥ 4·n/3 (load factor ≤ 3/4), at least 2: for tables read at random under load, where size is cache misses. */
export function denseTableSize(n: number): number {
  let size = 2;
  while (3 * size < 4 * n) size *= 2;
  return size;
}

export function hashPair(a: number, b: number): number {
  let h = Math.imul(a ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}

export function hashOne(a: number): number {
  let h = Math.imul(a, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export const bitWords = (nodes: number) => (nodes + 31) >>> 5;

/** Int -> int map over typed arrays (open addressing, linear probing); keys must be ≥ 1. */
export class IntMap {
  size = 0;
  private keys: Int32Array;
  private values: Int32Array;
  private mask: number;

  constructor(expected: number) {
    const size = tableSize(expected);
    this.keys = new Int32Array(size);
    this.values = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The value for `key`, or -1. */
  get(key: number): number {
    const mask = this.mask;
    let h = hashOne(key) & mask;
    for (;;) {
      const k = this.keys[h]!;
      if (k === key) return this.values[h]!;
      if (k === 0) return -1;
      h = (h + 1) & mask;
    }
  }

  set(key: number, value: number): void {
    let h = hashOne(key) & this.mask;
    for (;;) {
      const k = this.keys[h]!;
      if (k === key) {
        this.values[h] = value;
        return;
      }
      if (k === 0) break;
      h = (h + 1) & this.mask;
    }
    this.keys[h] = key;
    this.values[h] = value;
    this.size++;
    if (2 * this.size > this.keys.length) this.grow();
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Int32Array(keys.length * 2);
    this.values = new Int32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i]!, values[i]!);
  }

  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }
}

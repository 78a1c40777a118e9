/**
 * TextTable finds a text from a span of a longer string by a hash of some of its characters, then
 * compares the whole span: it must answer exactly as a Map keyed by the span's text would, also when
 * texts differ only where the hash does not look (same length, one character apart).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { spanHash, TextTable } from "../../src/match/text-table.ts";

/** `base` with the character at each position in `at` replaced by "#", one text per position. */
const oneApart = (base: string, at: readonly number[]) => at.map((i) => base.slice(0, i % base.length) + "#" + base.slice((i % base.length) + 1));

describe("TextTable", () => {
  test("property: find(span) is the value a Map of the texts gives for the span's text", () => {
    // Long bases with many one-apart variants collide on the sampled characters: the table rehashes,
    // in ~110 of 3,000 runs (3.7%); at most 20 is ~9 standard deviations below that (p < 1e-9).
    let rehashed = 0;
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ minLength: 1, maxLength: 120 }), fc.string({ minLength: 100, maxLength: 300 })),
        fc.array(fc.nat(), { maxLength: 24 }),
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 6 }),
        fc.string({ maxLength: 8 }),
        fc.string({ maxLength: 8 }),
        (base, positions, others, before, after) => {
          const texts = [base, ...oneApart(base, positions), ...others];
          const table = new TextTable(texts.length);
          const map = new Map<string, number>();
          texts.forEach((text, i) => {
            const added = table.add(text, 1000 + i);
            expect(added).toBe(!map.has(text));
            if (!map.has(text)) map.set(text, 1000 + i);
          });
          expect(table.size).toBe(map.size);
          // Every text, and a few that are not held, inside a longer string.
          for (const text of [...texts, `${base}x`, base.slice(1), "#"]) {
            const line = before + text + after;
            expect(table.find(line, before.length, text.length)).toBe(map.get(text) ?? -1);
          }
          if (table.samples > 32) rehashed++;
        },
      ),
      { numRuns: 3000 },
    );
    expect(rehashed).toBeGreaterThan(20);
  });

  test("texts that differ only between the sampled characters hash alike, and are still told apart", () => {
    const base = "x".repeat(400);
    // 400 / 32: positions 0, 12, 25, ... are sampled; 1 is not.
    const [a, b] = oneApart(base, [1, 2]) as [string, string];
    expect(spanHash(a, 0, a.length)).toBe(spanHash(b, 0, b.length));
    const table = new TextTable(3);
    expect([table.add(a, 10), table.add(b, 11)]).toEqual([true, true]);
    expect(table.find(`>${b}<`, 1, b.length)).toBe(11);
    expect(table.find(`>${a}<`, 1, a.length)).toBe(10);
    expect(table.find(base, 0, base.length)).toBe(-1);
    expect(table.longest).toBe(400);
  });

  test("texts that collide on the sampled characters make the table read more of them, and lookups stay exact", () => {
    // A long shared preamble and a number at the end that 32 samples never read: one hash for all.
    const preamble = "Read the passage and answer the question that follows it. ".repeat(7);
    const texts = Array.from({ length: 2000 }, (_, i) => `${preamble}Value ${String(i).padStart(6, "0")}`);
    expect(new Set(texts.map((t) => spanHash(t, 0, t.length))).size).toBe(1);
    const table = new TextTable(texts.length);
    texts.forEach((text, i) => expect(table.add(text, i)).toBe(true));
    expect(table.samples).toBeGreaterThan(32);
    expect(table.size).toBe(2000);
    texts.forEach((text, i) => expect(table.find(`Q: ${text}?`, 3, text.length)).toBe(i));
    const absent = `${preamble}Value 999999`;
    expect(table.find(absent, 0, absent.length)).toBe(-1);
    expect(table.add(texts[7]!, 0)).toBe(false);
  });

  test("the first of equal texts keeps its value; a full table takes no more", () => {
    const texts = ["alpha", "alpha", ...Array.from({ length: 20 }, (_, i) => `text ${i}`)];
    const table = new TextTable(2);
    expect(table.add(texts[0]!, 7)).toBe(true);
    expect(table.add(texts[1]!, 8)).toBe(false);
    expect(table.find("alpha", 0, 5)).toBe(7);
    let added = 0;
    for (let i = 2; i < texts.length; i++) if (table.add(texts[i]!, i)) added++;
    // Room for 16 slots, at most half of them full.
    expect(table.size).toBe(8);
    expect(added).toBe(7);
    for (let i = 2; i < texts.length; i++) expect(table.find(texts[i]!, 0, texts[i]!.length)).toBe(i < 9 ? i : -1);
  });

  test("property: texts found again (from the recent ones) give the values a Map gives, in any order", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 120 }),
        fc.string({ maxLength: 6 }),
        (texts, order, before) => {
          const table = new TextTable(texts.length);
          texts.forEach((text, i) => table.add(text, i));
          for (const k of order) {
            // Held texts in any order and repeated, and a text one character longer that is not held.
            const text = texts[k % texts.length]!;
            expect(table.find(before + text + "!", before.length, text.length)).toBe(k % texts.length);
            if (!texts.includes(`${text}!`)) expect(table.find(before + text + "!", before.length, text.length + 1)).toBe(-1);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a text found is copied once, with its value; more texts than the recent table holds stay exact as it starts again", () => {
    const texts = Array.from({ length: 10_000 }, (_, i) => `Question number ${i}: how many apples are left?`);
    const copied: [string, number][] = [];
    const table = new TextTable(texts.length, (text, value) => {
      copied.push([text, value]);
      return `${text}`;
    });
    texts.forEach((text, i) => table.add(text, 5 * i));
    const find = (i: number) => table.find(`>${texts[i]}`, 1, texts[i]!.length);
    for (let round = 0; round < 3; round++) for (let i = 0; i < 100; i++) expect(find(i)).toBe(5 * i);
    expect(copied).toEqual(Array.from({ length: 100 }, (_, i) => [texts[i]!, 5 * i]));
    // 10,000 texts through a recent table of 4,096 in a scrambled order, twice: it starts again, values stay exact.
    for (let round = 0; round < 2; round++) for (let j = 0; j < texts.length; j++) expect(find((j * 7919) % texts.length)).toBe(5 * ((j * 7919) % texts.length));
    expect(copied.length).toBeGreaterThan(10_000);
    for (const [text, value] of copied) expect(texts[value / 5]).toBe(text);
  });

  test("5,000 texts in rotation mostly stay among the recent ones (two generations of 4,096)", () => {
    const texts = Array.from({ length: 5000 }, (_, i) => `How many marbles does player ${i} keep?`);
    let copies = 0;
    const table = new TextTable(texts.length, (text) => {
      copies++;
      return `${text}`;
    });
    texts.forEach((text, i) => table.add(text, i));
    for (let round = 0; round < 4; round++) texts.forEach((text, i) => expect(table.find(text, 0, text.length)).toBe(i));
    // A single table of 4,096 emptied when full would copy every text again each round (20,000 copies);
    // two generations copy each once, then the ~900 a round that fall out of the older one (7,709).
    expect(copies).toBeLessThan(9000);
    expect(copies).toBeGreaterThanOrEqual(5000);
  });

  test("a negative value is refused (finds answer -1 for a text not held)", () => {
    expect(() => new TextTable(4).add("text", -1)).toThrow(RangeError);
  });

  test("after the table reads more characters for its hashes (a rehash), texts found before are found again", () => {
    const preamble = "Read the passage and answer the question that follows it. ".repeat(7);
    const texts = Array.from({ length: 40 }, (_, i) => `${preamble}Value ${String(i).padStart(6, "0")}`);
    const table = new TextTable(texts.length);
    // Found while only the first 8 are held (no rehash yet), then again after the rest made it rehash.
    texts.slice(0, 8).forEach((text, i) => table.add(text, i));
    texts.slice(0, 8).forEach((text, i) => expect(table.find(text, 0, text.length)).toBe(i));
    expect(table.samples).toBe(32);
    texts.slice(8).forEach((text, i) => table.add(text, i + 8));
    expect(table.samples).toBeGreaterThan(32);
    texts.forEach((text, i) => expect(table.find(text, 0, text.length)).toBe(i));
  });
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { applyStop } from "../../src/respond/stop.ts";

describe("applyStop", () => {
  test("cuts before the stop string, which is not returned", () => {
    expect(applyStop("Let me think.\n\nThe answer is 4.", ["\n\n"])).toEqual({ text: "Let me think.", stopped: true, word: "\n\n" });
    expect(applyStop("abc</s>def", ["</s>"])).toEqual({ text: "abc", stopped: true, word: "</s>" });
  });

  test("the earliest occurrence of any stop string wins, whatever the list order", () => {
    expect(applyStop("one two three", ["three", "two"])).toEqual({ text: "one ", stopped: true, word: "two" });
    expect(applyStop("one two three", ["two", "three"])).toEqual({ text: "one ", stopped: true, word: "two" });
  });

  test("two stop strings starting at the same place: the first listed is reported", () => {
    expect(applyStop("x\n\ny", ["\n", "\n\n"])).toEqual({ text: "x", stopped: true, word: "\n" });
    expect(applyStop("x\n\ny", ["\n\n", "\n"])).toEqual({ text: "x", stopped: true, word: "\n\n" });
  });

  test("no match, no stops, or only empty stops: the text unchanged", () => {
    expect(applyStop("hello", ["bye"])).toEqual({ text: "hello", stopped: false });
    expect(applyStop("hello", [])).toEqual({ text: "hello", stopped: false });
    expect(applyStop("hello", [""])).toEqual({ text: "hello", stopped: false });
  });

  test("a stop at the very start leaves nothing", () => {
    expect(applyStop("Answer: 3", ["Answer"])).toEqual({ text: "", stopped: true, word: "Answer" });
  });

  test("property: the result is a prefix free of every stop, and a stop starts right after it", () => {
    const alphabet = fc.constantFrom("a", "b", "c", " ", "\n");
    const text = fc.string({ unit: alphabet, maxLength: 60 });
    const stop = fc.string({ unit: alphabet, minLength: 0, maxLength: 4 });
    fc.assert(
      fc.property(text, fc.array(stop, { maxLength: 4 }), (t, stops) => {
        const r = applyStop(t, stops);
        expect(t.startsWith(r.text)).toBe(true);
        const real = stops.filter((s) => s !== "");
        // No stop string begins inside the kept text.
        for (const s of real) expect(t.indexOf(s) === -1 || t.indexOf(s) >= r.text.length).toBe(true);
        if (r.stopped) {
          expect(real).toContain(r.word!);
          expect(t.startsWith(r.word!, r.text.length)).toBe(true);
        } else {
          expect(r.text).toBe(t);
          for (const s of real) expect(t.includes(s)).toBe(false);
        }
      }),
    );
  });
});

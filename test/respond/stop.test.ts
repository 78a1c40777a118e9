import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { applyStop, layoutForStops, statementKept } from "../../src/respond/stop.ts";

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

describe("statementKept", () => {
  const whole = "Work: 3 + 4 = 7.\n\nThe answer is 7.";
  test("an uncut reply keeps it", () => expect(statementKept(whole, whole, "The answer is 7.")).toBe(true));
  test("a cut after the statement's end keeps it; one inside or before it loses it", () => {
    expect(statementKept(whole + " Done.", whole, "The answer is 7.")).toBe(true);
    expect(statementKept(whole, whole.slice(0, -1), "The answer is 7.")).toBe(false);
    expect(statementKept(whole, "Work: 3 + 4 = 7.", "The answer is 7.")).toBe(false);
  });
  test("the statement's last occurrence counts (an earlier mention is not the answer)", () => {
    const twice = "The answer is 7. Checking again.\n\nThe answer is 7.";
    expect(statementKept(twice, twice.slice(0, 20), "The answer is 7.")).toBe(false);
  });
});

describe("layoutForStops", () => {
  const reply = { thoughts: undefined, body: "Let me think.\n\nThe answer is 7." };
  const fitsWith = (stops: string[]) => (r: { thoughts: string | undefined; body: string }) => {
    const cut = applyStop(r.body, stops).text;
    return statementKept(r.body, cut, "The answer is 7.");
  };
  test("no stop strings, or none in the way: unchanged (the same object)", () => {
    expect(layoutForStops(reply, "The answer is 7.", [], fitsWith([]))).toBe(reply);
    expect(layoutForStops(reply, "The answer is 7.", ["Q:"], fitsWith(["Q:"]))).toBe(reply);
  });
  test("whitespace stops are joined into spaces, other whitespace kept", () => {
    const r = { thoughts: "a\n\nb\nc", body: "x \n\n y\n\nThe answer is 7." };
    expect(layoutForStops(r, "The answer is 7.", ["\n\n"], fitsWith(["\n\n"]))).toEqual({ thoughts: "a b\nc", body: "x y The answer is 7." });
  });
  test("a word stop before the statement: the statement alone", () => {
    expect(layoutForStops(reply, "The answer is 7.", ["think"], fitsWith(["think"]))).toEqual({ thoughts: undefined, body: "The answer is 7." });
  });
  test("a stop inside the statement: left as it was (the cut then loses the answer)", () => {
    expect(layoutForStops(reply, "The answer is 7.", ["answer"], fitsWith(["answer"]))).toBe(reply);
  });
});

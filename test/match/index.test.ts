import { describe, expect, test } from "bun:test";
import { BOUNDARY, DEFAULT_MIN_TOKENS, QuestionIndex, requestText, tokenize } from "../../src/match/index.ts";

describe("QuestionIndex.find", () => {
  test("finds a question anywhere in the text and reports token offsets", () => {
    const index = new QuestionIndex(["How many apples are left?", "What is 6 times 7?"]);
    expect(index.find("How many apples are left?")).toEqual({ question: 0, start: 0, end: 6 });
    const text = "Please answer: what is 6 times 7? Thanks.";
    const m = index.find(text)!;
    expect(m.question).toBe(1);
    expect(tokenize(text).slice(m.start, m.end)).toEqual(tokenize("What is 6 times 7?"));
  });

  test("the match ending latest wins (few-shot examples come first)", () => {
    const index = new QuestionIndex(["alpha beta gamma", "delta epsilon zeta", "eta theta iota"]);
    expect(index.find("eta theta iota. answer 1. alpha beta gamma. answer 2. delta epsilon zeta")?.question).toBe(1);
    expect(index.find(["delta epsilon zeta", "answer", "eta theta iota", "answer", "alpha beta gamma"])?.question).toBe(0);
  });

  test("a question that is a suffix of another: the longer wins when both end together", () => {
    const index = new QuestionIndex(["b c d", "a b c d"]);
    expect(index.find("a b c d")).toEqual({ question: 1, start: 0, end: 4 });
    expect(index.find("x b c d")).toEqual({ question: 0, start: 1, end: 4 });
    const reversed = new QuestionIndex(["a b c d", "b c d"]);
    expect(reversed.find("a b c d")?.question).toBe(0);
    expect(reversed.find("z b c d y")?.question).toBe(1);
  });

  test("a question inside another is reported through output links, the outer one when present", () => {
    const index = new QuestionIndex(["a b c d e", "b c d"]);
    expect(index.find("a b c d e")?.question).toBe(0);
    expect(index.find("a b c d x")).toEqual({ question: 1, start: 1, end: 4 });
    // The automaton fails over from deep in question 0 into question 1.
    expect(index.find("a b c d b c d")).toEqual({ question: 1, start: 4, end: 7 });
  });

  test("failure links recover a match that starts inside a partial match", () => {
    const index = new QuestionIndex(["a a b", "a b a c"]);
    expect(index.find("a a a a b")).toEqual({ question: 0, start: 2, end: 5 });
    expect(index.find("a b a b a c")).toEqual({ question: 1, start: 2, end: 6 });
  });

  test("tokens absent from every question reset the scan", () => {
    const index = new QuestionIndex(["one two three"]);
    expect(index.find("one two UNKNOWN three")).toBeUndefined();
    expect(index.find("UNKNOWN one two three UNKNOWN")?.question).toBe(0);
  });

  test("never across message boundaries", () => {
    const index = new QuestionIndex(["one two three four"]);
    expect(index.find(["one two", "three four"])).toBeUndefined();
    expect(index.find(requestText(["one two", "three four"]))).toBeUndefined();
    expect(index.find(["one two", "one two three four"])).toEqual({ question: 0, start: 3, end: 7 });
  });

  test("a BOUNDARY character inside a question text is ignored there", () => {
    const index = new QuestionIndex([`one two${BOUNDARY} three`]);
    expect(index.find("one two three")?.question).toBe(0);
  });

  test("matching is on whole tokens, not substrings", () => {
    const index = new QuestionIndex(["cat sat on 5 mats"]);
    expect(index.find("The cat sat on 5 mats")?.question).toBe(0);
    expect(index.find("Thecat sat on 5 mats")).toBeUndefined();
    expect(index.find("cat sat on 50 mats")).toBeUndefined();
    expect(index.find("cat sat on 5 matsx")).toBeUndefined();
  });

  test("an index with no questions, or only blank ones, matches nothing", () => {
    for (const qs of [[], ["", "  \n"]]) {
      const index = new QuestionIndex(qs);
      expect(index.find("anything at all")).toBeUndefined();
      expect(index.find("")).toBeUndefined();
      expect(index.stats.nodes).toBe(1);
    }
    expect(new QuestionIndex(["", " ", "a b c"]).stats.empty).toBe(2);
  });
});

describe("duplicates", () => {
  test("questions with the same token sequence map to the first index", () => {
    const index = new QuestionIndex(["p q r", "x y z", "X  Y\nZ", "x y z", "p q r s"]);
    expect(index.duplicates).toBe(2);
    expect(index.stats.duplicates).toBe(2);
    expect(index.stats.indexed).toBe(3);
    expect(index.find("x y z")?.question).toBe(1);
    expect(index.find("X Y Z")?.question).toBe(1);
    expect(index.find("p q r")?.question).toBe(0);
    expect(index.find("p q r s")?.question).toBe(4);
    expect(index.questionTokens(2)).toBe(3);
  });
});

describe("short questions", () => {
  test(`fewer than ${DEFAULT_MIN_TOKENS} tokens: found only as a whole message`, () => {
    const index = new QuestionIndex(["hi", "two words", "what is 2 + 2?"]);
    expect(index.stats.short).toBe(2);
    expect(index.find("hi")?.question).toBe(0);
    expect(index.find("  Hi \n")?.question).toBe(0);
    expect(index.find(["You are helpful.", "hi"])?.question).toBe(0);
    expect(index.find(["hi", "You are helpful."])?.question).toBe(0);
    expect(index.find("hi there")).toBeUndefined();
    expect(index.find("say hi")).toBeUndefined();
    expect(index.find("two words and more")).toBeUndefined();
    expect(index.find("Two Words")?.question).toBe(1);
    // Long enough questions match inside a template.
    expect(index.find("Question: what is 2 + 2? Answer:")?.question).toBe(2);
    // A later long match beats an earlier whole-message short one, and vice versa.
    expect(index.find(["hi", "what is 2+2?"])?.question).toBe(2);
    expect(index.find(["what is 2+2?", "hi"])?.question).toBe(0);
  });

  test("a short question inside a longer one does not override it", () => {
    const index = new QuestionIndex(["b c", "a b c"]);
    expect(index.find("a b c")?.question).toBe(1);
    expect(index.find("b c")?.question).toBe(0);
    expect(index.find("x b c")).toBeUndefined();
  });

  test("minTokens: 1 disables the rule; bad values are refused", () => {
    const index = new QuestionIndex(["hi"], { minTokens: 1 });
    expect(index.find("say hi there")?.question).toBe(0);
    expect(() => new QuestionIndex([], { minTokens: 0 })).toThrow(RangeError);
    expect(() => new QuestionIndex([], { minTokens: 1.5 })).toThrow(RangeError);
  });
});

describe("stats", () => {
  test("counts and sizes are consistent", () => {
    const index = QuestionIndex.build(["a b c", "a b d", "e f g h", "a b c"]);
    const s = index.stats;
    expect(s.questions).toBe(4);
    expect(s.indexed).toBe(3);
    expect(s.duplicates).toBe(1);
    expect(s.tokens).toBe(10);
    expect(s.vocabulary).toBe(8);
    // root, a, b, c, d, e, f, g, h
    expect(s.nodes).toBe(9);
    expect(s.extraEdges).toBe(2); // d under "a b", e under the root
    expect(s.outputNodes).toBe(3);
    expect(s.indexBytes).toBeGreaterThan(0);
    expect(s.bytes).toBe(s.indexBytes + s.vocabularyBytes);
    expect(s.buildMs).toBeGreaterThanOrEqual(0);
  });
});

describe("scan", () => {
  test("reports tokens (boundaries included) and steps within 3 per token", () => {
    const index = new QuestionIndex(["a b c"]);
    const r = index.scan(["x a b", "a b c"]);
    expect(r.match).toEqual({ question: 0, start: 4, end: 7 });
    expect(r.tokens).toBe(7);
    expect(r.steps).toBeLessThanOrEqual(3 * r.tokens);
    expect(index.scan("").tokens).toBe(0);
  });
});

/**
 * Hostile 1 MB prompts. No wall-clock assertions (performance belongs in benchmarks): linearity is
 * checked through the automaton's step counter, which is at most 3 per token by construction.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { QuestionIndex, type ScanResult, tokenize } from "../../src/match/index.ts";
import { TEMPLATES, haveDatasets, loadQuestions, rng } from "./fixtures.ts";

const MB = 1 << 20;
/** Repeat `unit` until the text is at least `bytes` long. */
const fill = (unit: string, bytes = MB) => unit.repeat(Math.ceil(bytes / unit.length));

function expectLinear(r: ScanResult): void {
  expect(r.tokens).toBeGreaterThan(0);
  expect(r.steps).toBeLessThanOrEqual(3 * r.tokens);
}

describe.skipIf(!haveDatasets)("1 MB prompts against real datasets", () => {
  let aime: string[] = [];
  let aimeIndex: QuestionIndex;
  let gsm: string[] = [];
  let gsmIndex: QuestionIndex;
  beforeAll(() => {
    aime = loadQuestions("aimo-validation-aime/train.jsonl", "problem");
    aimeIndex = new QuestionIndex(aime);
    gsm = loadQuestions("gsm8k/main/train.jsonl", "question");
    gsmIndex = new QuestionIndex(gsm);
  });

  test("repetitions of a question's prefix: no match; the full question after them is found", () => {
    for (const [index, q] of [
      [aimeIndex, aime[0]!],
      [gsmIndex, gsm[0]!],
    ] as const) {
      const tokens = tokenize(q);
      for (const keep of [1, 2, tokens.length >> 1, tokens.length - 1]) {
        const junk = fill(`${tokens.slice(0, keep).join(" ")} `);
        const r = index.scan(junk);
        expect(r.match).toBeUndefined();
        expectLinear(r);
        const found = index.scan(junk + TEMPLATES.gsm8k!(q));
        expect(found.match?.question).toBe(0);
        expectLinear(found);
      }
    }
  });

  test("the most common question tokens in random order", () => {
    const counts = new Map<string, number>();
    for (const q of gsm) for (const t of tokenize(q)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const common = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([t]) => t);
    const rand = rng(1);
    const parts: string[] = [];
    let size = 0;
    while (size < MB) {
      const t = common[Math.floor(rand() * common.length)]!;
      parts.push(t);
      size += t.length + 1;
    }
    const r = gsmIndex.scan(parts.join(" "));
    expect(r.match).toBeUndefined();
    expectLinear(r);
  });

  test("random tokens from the vocabulary", () => {
    const vocab = [...new Set(gsm.flatMap((q) => tokenize(q)))];
    const rand = rng(2);
    const parts: string[] = [];
    let size = 0;
    while (size < MB) {
      const t = vocab[Math.floor(rand() * vocab.length)]!;
      parts.push(t);
      size += t.length + 1;
    }
    const r = gsmIndex.scan(parts.join(" "));
    expect(r.match).toBeUndefined();
    expectLinear(r);
  });

  test("1 MB of one repeated character, word-like or not", () => {
    for (const unit of ["a", "9", "(", "$", "\\", " ", "\n", "é", "𝑥", "😀", "\u200b", "\u0301"]) {
      const r = gsmIndex.scan(fill(unit));
      expect(r.match).toBeUndefined();
      if (r.tokens > 0) expectLinear(r);
    }
  });

  test("1 MB of ( and ) nesting, LaTeX-like", () => {
    const r = aimeIndex.scan(fill("\\frac{\\frac{(") + fill(")}}"));
    expect(r.match).toBeUndefined();
    expectLinear(r);
  });
});

describe("worst cases for the automaton itself", () => {
  test("long failure chains: questions a…a b against a run of a", () => {
    const questions = Array.from({ length: 50 }, (_, k) => `${"a ".repeat(k + 1)}b`);
    const index = new QuestionIndex(questions);
    const r = index.scan(fill("a "));
    expect(r.match).toBeUndefined();
    expectLinear(r);
    const hit = index.scan(`${fill("a ")}b`);
    expect(hit.match?.question).toBe(49);
    expectLinear(hit);
  });

  test("many nested outputs at every position: a, a a, a a a, …", () => {
    const questions = Array.from({ length: 60 }, (_, k) => "a ".repeat(k + 1).trim());
    const index = new QuestionIndex(questions, { minTokens: 1 });
    const r = index.scan(fill("a "));
    // Only the longest output at each position is looked at.
    expect(r.match).toEqual({ question: 59, start: r.tokens - 60, end: r.tokens });
    expectLinear(r);
  });

  test("periodic questions against a periodic text", () => {
    const questions = ["x y x y x y x z", "y x y x y z", "x y x y x y x y x y"];
    const index = new QuestionIndex(questions);
    const r = index.scan(fill("x y "));
    expect(r.match?.question).toBe(2);
    expectLinear(r);
  });

  test("many questions sharing a long prefix, text hammering the branch point", () => {
    const prefix = "the quick brown fox jumps over the lazy dog and then";
    const questions = Array.from({ length: 2000 }, (_, k) => `${prefix} w${k} stops`);
    const index = new QuestionIndex(questions);
    const rand = rng(3);
    const parts: string[] = [];
    let size = 0;
    while (size < MB) {
      const p = `${prefix} w${Math.floor(rand() * 2000)} `;
      parts.push(p);
      size += p.length;
    }
    const r = index.scan(parts.join(""));
    expect(r.match).toBeUndefined();
    expectLinear(r);
    expect(index.stats.extraEdges).toBe(1999);
  });
});

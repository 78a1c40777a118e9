/** Every question of every stored benchmark is found, as itself, under the templates and rewrites harnesses use. */
import { beforeAll, describe, expect, test } from "bun:test";
import { QuestionIndex, requestText, tokenize } from "../../src/match/index.ts";
import { DATASETS, REWRITES, TEMPLATES, haveDatasets, loadQuestions, splitAtWhitespace } from "./fixtures.ts";

/** Indices `i` for which `find(prompt(i))` is not question `i`, with what was found instead. */
function misses(index: QuestionIndex, n: number, prompt: (i: number) => string | readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const m = index.find(prompt(i));
    if (m?.question !== i) out.push(`#${i} -> ${m === undefined ? "no match" : `#${m.question}`}`);
  }
  return out;
}

const fewShotAnswers = ["33", "4", "1000"];

for (const ds of DATASETS) {
  describe.skipIf(!haveDatasets)(`${ds.name} (${ds.rows} questions)`, () => {
    let questions: string[] = [];
    let index: QuestionIndex;
    beforeAll(() => {
      questions = loadQuestions(ds.file, ds.field);
      index = new QuestionIndex(questions);
    });
    const n = () => questions.length;
    const q = (i: number) => questions[i]!;

    test("loads and compiles every question, no duplicates", () => {
      expect(questions.length).toBe(ds.rows);
      expect(index.stats.questions).toBe(ds.rows);
      expect(index.stats.indexed).toBe(ds.rows);
      expect(index.duplicates).toBe(0);
      expect(index.stats.empty).toBe(0);
      expect(index.stats.short).toBe(0);
      expect(index.stats.nodes).toBeLessThanOrEqual(index.stats.tokens + 1);
    });

    test("bare question: found with token offsets covering it exactly", () => {
      const bad: string[] = [];
      for (let i = 0; i < n(); i++) {
        const m = index.find(q(i));
        const len = tokenize(q(i)).length;
        if (m?.question !== i || m.start !== 0 || m.end !== len) bad.push(`#${i}: ${JSON.stringify(m)}`);
      }
      expect(bad).toEqual([]);
    });

    for (const [name, template] of Object.entries(TEMPLATES)) {
      test(`template: ${name}`, () => {
        expect(misses(index, n(), (i) => template(q(i)))).toEqual([]);
      });
    }

    for (const [name, rewrite] of Object.entries(REWRITES)) {
      test(`rewrite: ${name} (llama-eval aime and gsm8k templates)`, () => {
        expect(misses(index, n(), (i) => rewrite(TEMPLATES["llama-eval aime"]!(q(i))))).toEqual([]);
        expect(misses(index, n(), (i) => rewrite(TEMPLATES.gsm8k!(q(i))))).toEqual([]);
      });
    }

    test("content array: prompt split at whitespace into parts, joined with \\n as the server does", () => {
      expect(misses(index, n(), (i) => splitAtWhitespace(TEMPLATES["llama-eval aime"]!(q(i)), 5).join("\n"))).toEqual([]);
      expect(misses(index, n(), (i) => splitAtWhitespace(q(i), 3).join("\n"))).toEqual([]);
    });

    test("system message before the user message (as separate messages and inline)", () => {
      const system = "You are a helpful assistant. Think carefully.";
      expect(misses(index, n(), (i) => [system, TEMPLATES.gsm8k!(q(i))])).toEqual([]);
      expect(misses(index, n(), (i) => requestText([system, TEMPLATES["old aime"]!(q(i))]))).toEqual([]);
    });

    test("few-shot: three other questions with answers before the target return the target", () => {
      const shots = (i: number) =>
        [1, 2, 3].map((k, j) => {
          const other = (i + k * 7) % n();
          return { q: q(other), a: `The answer is \\boxed{${fewShotAnswers[j]}}.` };
        });
      // Inline in one user message.
      expect(
        misses(index, n(), (i) =>
          shots(i).map((s) => `Problem:\n${s.q}\nSolution: ${s.a}\n\n`).join("") + TEMPLATES["llama-eval aime"]!(q(i)),
        ),
      ).toEqual([]);
      // As chat turns.
      expect(misses(index, n(), (i) => [...shots(i).flatMap((s) => [s.q, s.a]), TEMPLATES.gsm8k!(q(i))])).toEqual([]);
    });
  });
}

describe.skipIf(!haveDatasets)("all stored benchmarks in one index", () => {
  test("each question is found as its own position", () => {
    const all = DATASETS.flatMap((ds) => loadQuestions(ds.file, ds.field));
    const index = new QuestionIndex(all);
    // Some benchmarks overlap (e.g. AIME 2024 appears in two sets): a repeat maps to its first position.
    const first = new Map<string, number>();
    const expected = all.map((_, i) => {
      const key = tokenize(all[i]!).join("\u0001");
      if (!first.has(key)) first.set(key, i);
      return first.get(key)!;
    });
    expect(index.duplicates).toBe(all.length - first.size);
    const bad: string[] = [];
    for (let i = 0; i < all.length; i++) {
      const m = index.find(TEMPLATES["llama-eval aime"]!(all[i]!));
      if (m?.question !== expected[i]) bad.push(`#${i} -> ${JSON.stringify(m)}`);
    }
    expect(bad).toEqual([]);
  });
});

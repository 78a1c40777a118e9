/**
 * 100,000 synthetic questions: correctness at the size a later benchmark loads, with a vocabulary past
 * 65,536 tokens (so the automaton stores 32-bit edge labels). Speed is for benchmarks; the step counter
 * shows the per-request work does not grow with the number of questions.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { QuestionIndex, tokenize } from "../../src/match/index.ts";
import { TEMPLATES, rng } from "./fixtures.ts";

const N = 100_000;

describe(`${N} synthetic questions`, () => {
  const rand = rng(42);
  const words = Array.from({ length: 4000 }, (_, i) => `w${i.toString(36)}`);
  const questions: string[] = [];
  let index: QuestionIndex;
  beforeAll(() => {
    for (let i = 0; i < N; i++) {
      const parts = [`Item`, `${i}:`];
      const n = 12 + Math.floor(rand() * 12);
      for (let k = 0; k < n; k++) parts.push(rand() < 0.2 ? String(Math.floor(rand() * 1000)) : words[Math.floor(rand() * words.length)]!);
      questions.push(`${parts.join(" ")}?`);
    }
    index = new QuestionIndex(questions);
  });

  test("compiles all of them", () => {
    expect(index.stats.questions).toBe(N);
    expect(index.stats.indexed).toBe(N);
    expect(index.stats.vocabulary).toBeGreaterThan(65_536);
    expect(index.stats.nodes).toBeLessThanOrEqual(index.stats.tokens + 1);
  });

  test("finds sampled questions under templates, with per-request steps bounded by the request length", () => {
    const bad: string[] = [];
    for (let s = 0; s < 3000; s++) {
      const i = Math.floor(rand() * N);
      const template = s % 2 ? TEMPLATES["llama-eval aime"]! : TEMPLATES.gsm8k!;
      const r = index.scan(template(questions[i]!));
      if (r.match?.question !== i || r.steps > 3 * r.tokens) bad.push(`#${i}: ${JSON.stringify(r)}`);
    }
    expect(bad).toEqual([]);
  });

  test("rejects sampled questions missing their last token, and unrelated prompts", () => {
    const found: string[] = [];
    for (let s = 0; s < 1000; s++) {
      const i = Math.floor(rand() * N);
      const m = index.find(TEMPLATES.gsm8k!(tokenize(questions[i]!).slice(0, -1).join(" ")));
      if (m !== undefined) found.push(`#${i} -> #${m.question}`);
    }
    expect(found).toEqual([]);
    expect(index.find("What is the capital of France?")).toBeUndefined();
  });
});

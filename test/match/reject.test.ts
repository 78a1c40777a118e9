/** Prompts that do not carry a whole dataset question are rejected, never guessed at. */
import { beforeAll, describe, expect, test } from "bun:test";
import { QuestionIndex, requestText, tokenize } from "../../src/match/index.ts";
import { DATASETS, JUDGE_SYSTEM, TEMPLATES, haveDatasets, judgeUser, judgeVariant, loadQuestions } from "./fixtures.ts";

describe.skipIf(!haveDatasets)("rejection", () => {
  let aime: string[] = [];
  let aimeIndex: QuestionIndex;
  let all: string[] = [];
  let allIndex: QuestionIndex;
  beforeAll(() => {
    aime = loadQuestions("aimo-validation-aime/train.jsonl", "problem");
    aimeIndex = new QuestionIndex(aime);
    all = DATASETS.flatMap((ds) => loadQuestions(ds.file, ds.field));
    allIndex = new QuestionIndex(all);
  });
  const both = (prompt: string | readonly string[]) => [aimeIndex.find(prompt), allIndex.find(prompt)];

  test("an unrelated question", () => {
    expect(both("What is the capital of France?")).toEqual([undefined, undefined]);
    expect(both(TEMPLATES["llama-eval aime"]!("What is the capital of France?"))).toEqual([undefined, undefined]);
    expect(both(["You are a helpful assistant.", "Hello! Who are you?"])).toEqual([undefined, undefined]);
  });

  test("the LLM-judge grading prompt, as messages and inline", () => {
    const user = judgeUser("The answer is \\boxed{33}.");
    expect(both([JUDGE_SYSTEM, user])).toEqual([undefined, undefined]);
    expect(both(`${JUDGE_SYSTEM}\n\n${user}`)).toEqual([undefined, undefined]);
    const long = judgeUser(
      "We set R(x) = P(x) + Q(x), which is linear since the quadratic terms cancel. From the two points, R(16) = 108 and R(20) = 106, so R(0) = 116.\n\nThe answer is \\boxed{116}.",
    );
    expect(both([JUDGE_SYSTEM, long])).toEqual([undefined, undefined]);
  });

  test("the variant judge prompt", () => {
    expect(both(judgeVariant("The answer is \\boxed{33}.", "33"))).toEqual([undefined, undefined]);
    expect(both([judgeVariant("I think it is 204.", "204")])).toEqual([undefined, undefined]);
  });

  test("empty and blank prompts", () => {
    for (const p of ["", " ", "\n\n\t", [], [""], ["", " "]] as const) expect(both(p)).toEqual([undefined, undefined]);
  });

  test("every AIME question with one word changed", () => {
    const found: string[] = [];
    for (let i = 0; i < aime.length; i++) {
      const words = aime[i]!.split(/(\s+)/);
      // The middle word made only of letters (so the change is a real word change, not LaTeX).
      const candidates = words.map((w, k) => (/^[A-Za-z]{3,}$/.test(w) ? k : -1)).filter((k) => k >= 0);
      const k = candidates[Math.floor(candidates.length / 2)]!;
      words[k] = words[k] === "apple" ? "pear" : "apple";
      const changed = words.join("");
      for (const p of [changed, TEMPLATES["llama-eval aime"]!(changed)]) {
        const m = aimeIndex.find(p);
        if (m !== undefined) found.push(`#${i} -> #${m.question}`);
      }
    }
    expect(found).toEqual([]);
  });

  test("every AIME question truncated by its last token, or missing its first", () => {
    const found: string[] = [];
    for (let i = 0; i < aime.length; i++) {
      const tokens = tokenize(aime[i]!);
      for (const part of [tokens.slice(0, -1), tokens.slice(1)]) {
        const m = aimeIndex.find(TEMPLATES["llama-eval aime"]!(part.join(" ")));
        if (m !== undefined) found.push(`#${i} -> #${m.question}`);
      }
    }
    expect(found).toEqual([]);
  });

  test("question fragments stitched together: first half of A + second half of B", () => {
    const found: string[] = [];
    for (let i = 0; i < all.length; i += 7) {
      const a = tokenize(all[i]!);
      const b = tokenize(all[(i + 1) % all.length]!);
      const stitched = [...a.slice(0, a.length >> 1), ...b.slice(b.length >> 1)].join(" ");
      const m = allIndex.find(TEMPLATES.gsm8k!(stitched));
      if (m !== undefined) found.push(`#${i} -> #${m.question}`);
    }
    expect(found).toEqual([]);
  });

  test("a question split across two messages is not found", () => {
    const found: string[] = [];
    for (let i = 0; i < aime.length; i++) {
      const t = aime[i]!;
      const cut = t.indexOf(" ", t.length >> 1);
      const m = aimeIndex.find([t.slice(0, cut), t.slice(cut)]);
      if (m !== undefined) found.push(`#${i} -> #${m.question}`);
      if (aimeIndex.find(requestText([t.slice(0, cut), t.slice(cut)])) !== undefined) found.push(`#${i} (joined)`);
    }
    expect(found).toEqual([]);
  });
});

import { describe, expect, test } from "bun:test";
import { csvToRows } from "../../src/dataset/csv.ts";
import { letterOf, shownOptions } from "../../src/respond/choices.ts";
import { rng } from "../fixtures/random.ts";

// GPQA diamond is read from ../shared at run time and never copied into the repository.
const CSV = new URL("../../../shared/datasets/gpqa/gpqa_diamond.csv", import.meta.url).pathname;
const LETTERS = ["A", "B", "C", "D"];

interface Item {
  readonly question: string;
  readonly correct: string;
  readonly incorrect: readonly string[];
}

async function items(): Promise<Item[]> {
  const rows = csvToRows(await Bun.file(CSV).text());
  return rows.map((r) => ({
    question: r["Question"]!,
    correct: r["Correct Answer"]!,
    incorrect: [r["Incorrect Answer 1"]!, r["Incorrect Answer 2"]!, r["Incorrect Answer 3"]!],
  }));
}

function shuffled<T>(values: readonly T[], random: () => number): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// lm-evaluation-harness gpqa utils.preprocess, applied to every option before showing it.
function lmEvalPreprocess(text: string): string {
  return text.trim().replace(/ \[title\]/g, ". ").replace(/\[.*?\]/g, "").replace(/ {2}/g, " ");
}

describe("GPQA diamond, shuffled as the clients shuffle it", () => {
  test("llama-eval and simple-evals prompts ('A) x' lines, raw option texts): every correct letter found", async () => {
    const all = await items();
    expect(all.length).toBe(198);
    const random = rng(20260101);
    for (const [index, item] of all.entries()) {
      for (let round = 0; round < 4; round++) {
        const order = shuffled([item.correct, ...item.incorrect], random);
        const options = order.map((text, i) => `${LETTERS[i]}) ${text}`).join("\n");
        const prompt =
          round % 2 === 0
            ? `Answer the following multiple choice question. The last line of your response should be in the following format: 'Answer: A/B/C/D' (e.g. 'Answer: A').\n\n${item.question}\n\n${options}\n`
            : `Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.\n\n${item.question}\n\n${options}`;
        const shown = shownOptions([prompt]);
        expect({ index, letters: shown.map((o) => o.letter) }).toEqual({ index, letters: LETTERS });
        // The loader may keep or trim the surrounding whitespace of the answer: both are found.
        const want = LETTERS[order.indexOf(item.correct)];
        expect({ index, letter: letterOf(shown, item.correct) }).toEqual({ index, letter: want });
        expect({ index, letter: letterOf(shown, item.correct.trim()) }).toEqual({ index, letter: want });
      }
    }
  });

  test("lm-eval prompts ('(A) x' lines, preprocessed option texts, then 'Answer:'): lm-eval's own gold letter found", async () => {
    const all = await items();
    const random = rng(7);
    for (const [index, item] of all.entries()) {
      for (let round = 0; round < 4; round++) {
        const order = shuffled([...item.incorrect, item.correct].map(lmEvalPreprocess), random);
        // lm-eval: answer = the first shown option equal to the preprocessed correct one.
        const want = LETTERS[order.indexOf(lmEvalPreprocess(item.correct))];
        const prompt = `What is the correct answer to this question:${item.question}\nChoices:\n${order.map((t, i) => `(${LETTERS[i]}) ${t}`).join("\n")}\nAnswer:`;
        const shown = shownOptions([prompt]);
        expect({ index, letters: shown.map((o) => o.letter) }).toEqual({ index, letters: LETTERS });
        expect({ index, letter: letterOf(shown, item.correct) }).toEqual({ index, letter: want });
      }
    }
  });
});

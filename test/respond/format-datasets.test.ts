import { describe, expect, test } from "bun:test";
import { csvToRows } from "../../src/dataset/csv.ts";
import { detectAnswerFormat } from "../../src/respond/format.ts";

// The bundled datasets are read from ../shared at run time; nothing is copied into the repository.
const shared = (path: string) => new URL(`../../../shared/datasets/${path}`, import.meta.url).pathname;

async function jsonl(path: string, field: string): Promise<string[]> {
  const text = await Bun.file(shared(path)).text();
  return text.trim().split("\n").map((line) => String((JSON.parse(line) as Record<string, unknown>)[field]));
}

describe("detectAnswerFormat over every real question in the clients' templates", () => {
  // A question's own text (LaTeX, lettered lists, "answer" in prose) must never override the template's instruction.
  test("math: llama-eval asks for \\boxed{}, simple-evals for 'Answer:'", async () => {
    const problems = [
      ...(await jsonl("aimo-validation-aime/train.jsonl", "problem")),
      ...(await jsonl("MATH-500/test.jsonl", "problem")),
      ...(await jsonl("AIME2025/AIME2025-I/test.jsonl", "question")),
    ];
    expect(problems.length).toBe(605);
    for (const problem of problems) {
      const llamaEval = `Solve the following math problem step by step. Put your answer inside \\boxed{}.\n\n${problem}\n\nRemember to put your answer inside \\boxed{}.\n`;
      const simpleEvals = `Solve the following math problem step by step. The last line of your response should be of the form Answer: $ANSWER (without quotes) where $ANSWER is the answer to the problem.\n\n${problem}\n\nRemember to put your answer on its own line after "Answer:", and you do not need to use a \\boxed command.`;
      expect({ problem, format: detectAnswerFormat([llamaEval]) }).toEqual({ problem, format: "boxed" });
      expect({ problem, format: detectAnswerFormat([simpleEvals]) }).toEqual({ problem, format: "answer-line" });
    }
  });

  test("GSM8K: llama-eval asks for \\boxed{}", async () => {
    for (const question of await jsonl("gsm8k/main/test.jsonl", "question")) {
      const prompt = `${question}\nPlease reason step by step, and put your final numeric answer within \\boxed{} without any extra characters.\n`;
      expect({ question, format: detectAnswerFormat([prompt]) }).toEqual({ question, format: "boxed" });
    }
  });

  test("GPQA diamond: llama-eval and simple-evals ask for 'Answer: <letter>', with the question and options last", async () => {
    const rows = csvToRows(await Bun.file(shared("gpqa/gpqa_diamond.csv")).text());
    expect(rows.length).toBe(198);
    for (const row of rows) {
      const options = ["Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"].map((c, i) => `${"ABCD"[i]}) ${row[c]}`).join("\n");
      const question = row["Question"]!;
      const llamaEval = `Answer the following multiple choice question. The last line of your response should be in the following format: 'Answer: A/B/C/D' (e.g. 'Answer: A').\n\n${question}\n\n${options}\n`;
      const simpleEvals = `Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.\n\n${question}\n\n${options}`;
      expect({ question, format: detectAnswerFormat([llamaEval]) }).toEqual({ question, format: "answer-line" });
      expect({ question, format: detectAnswerFormat([simpleEvals]) }).toEqual({ question, format: "answer-line" });
    }
  });
});

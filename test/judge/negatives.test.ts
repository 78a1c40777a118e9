/**
 * Specificity: no benchmark question, in any template a harness wraps it in, is taken for a judge
 * request. Every question of every stored dataset is read from ../shared/datasets at run time (GPQA
 * included: read, never copied into the repository).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { detectJudge } from "../../src/judge/detect.ts";
import type { ChatMessage } from "../../src/judge/types.ts";
import { DATASETS, DATASETS_DIR, TEMPLATES, haveDatasets, loadQuestions } from "../match/fixtures.ts";

const AIME_2026 = { name: "aime_2026", file: "aime_2026/train.jsonl", field: "problem", rows: 30 };
const GPQA_FILE = "gpqa/gpqa_diamond/train.jsonl";

/** GPQA rows as the harnesses format them: question and four options, from the file at run time. */
function gpqaRows(): { question: string; options: string[] }[] {
  const lines = readFileSync(resolve(DATASETS_DIR, GPQA_FILE), "utf8").split("\n").filter((l) => l.trim() !== "");
  return lines.map((line) => {
    const row = JSON.parse(line) as Record<string, string>;
    const options = ["Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"].map((k) => row[k] ?? "");
    return { question: row.Question ?? "", options };
  });
}

// Question templates of eval-clients.md and of simple-evals / HLE (query side, not judge side).
const MORE_TEMPLATES: Record<string, (q: string) => string> = {
  "simple-evals math": (q) =>
    `Solve the following math problem step by step. The last line of your response should be of the form ANSWER: $ANSWER (without quotes) where $ANSWER is the answer to the problem.\n\n${q}\n\nRemember to put your answer on its own line after "ANSWER:", and you do not need to use a \\boxed command.`,
  "HLE query": (q) =>
    `${q}\n\nYour response should be in the following format:\nExplanation: {your explanation for your final answer}\nExact Answer: {your succinct, final answer}\nConfidence: {your confidence score between 0% and 100% for your answer}`,
  "lm-eval CoT": (q) => `Q: ${q}\nA: Let's think step by step.`,
};

const MC_TEMPLATES: Record<string, (q: string, o: readonly string[]) => string> = {
  "llama-eval gpqa": (q, o) =>
    `Answer the following multiple choice question. The last line of your response should be in the following format: 'Answer: A/B/C/D' (e.g. 'Answer: A').\n\n${q}\n\nA) ${o[0]}\nB) ${o[1]}\nC) ${o[2]}\nD) ${o[3]}\n`,
  "simple-evals multichoice": (q, o) =>
    `Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.\n\n${q}\n\nA) ${o[0]}\nB) ${o[1]}\nC) ${o[2]}\nD) ${o[3]}`,
};

const SYSTEMS = ["", "You are a helpful assistant.", "You are a careful mathematician. Check that your final answer is correct before giving it."];

/** Message lists for one prompt: alone, after each system prompt, and after a few-shot exchange. */
function conversations(prompt: string, shot: string): ChatMessage[][] {
  const out: ChatMessage[][] = SYSTEMS.map((s) => (s === "" ? [] : [{ role: "system", text: s }]));
  for (const c of out) c.push({ role: "user", text: prompt });
  out.push([
    { role: "user", text: shot },
    { role: "assistant", text: "Let me work through this problem step by step.\n\nThe answer is \\boxed{33}." },
    { role: "user", text: prompt },
  ]);
  out.push([{ role: "user", text: `Question: ${shot}\nAnswer: 33\n\nQuestion: ${prompt}\nAnswer:` }]);
  return out;
}

/** Every prompt that fires, named (never the prompt itself: GPQA text must not reach the test log). */
function firing(name: string, prompts: readonly string[]): string[] {
  const hits: string[] = [];
  prompts.forEach((prompt, i) => {
    const shot = prompts[(i + 1) % prompts.length]!;
    for (const messages of conversations(prompt, shot)) {
      const request = detectJudge(messages);
      if (request !== undefined) hits.push(`${name} #${i} (${messages.length} messages) -> ${request.style}`);
    }
  });
  return hits;
}

describe.skipIf(!haveDatasets)("no benchmark question is taken for a judge request", () => {
  test("control: the same check does report a judge prompt", () => {
    const judge = `Extract the answer from the following response:\n\n"The answer is 5."\n\nPlease provide only the extracted answer, nothing else.`;
    expect(firing("control", [judge, judge])).toHaveLength(2 * conversations(judge, judge).length);
  });

  for (const ds of [...DATASETS, AIME_2026]) {
    test(`${ds.name}: ${ds.rows} questions under ${Object.keys(TEMPLATES).length + Object.keys(MORE_TEMPLATES).length} templates`, () => {
      const questions = loadQuestions(ds.file, ds.field);
      expect(questions.length).toBe(ds.rows);
      const hits: string[] = [];
      for (const [name, template] of Object.entries({ ...TEMPLATES, ...MORE_TEMPLATES })) {
        hits.push(...firing(`${ds.name} ${name}`, questions.map(template)));
      }
      expect(hits).toEqual([]);
    });
  }

  test("GPQA diamond: 198 questions under the multiple-choice and plain templates", () => {
    const rows = gpqaRows();
    expect(rows.length).toBe(198);
    const hits: string[] = [];
    for (const [name, template] of Object.entries(MC_TEMPLATES)) hits.push(...firing(`gpqa ${name}`, rows.map((r) => template(r.question, r.options))));
    for (const [name, template] of Object.entries({ ...TEMPLATES, ...MORE_TEMPLATES })) hits.push(...firing(`gpqa ${name}`, rows.map((r) => template(r.question))));
    // Reported by index only, never by content.
    expect(hits).toEqual([]);
  });

  test("gold solutions are not judge requests either (GSM8K worked answers end in '#### N')", () => {
    const solutions = loadQuestions("gsm8k/main/test.jsonl", "answer");
    expect(firing("gsm8k solutions", solutions)).toEqual([]);
    const math = loadQuestions("MATH-500/test.jsonl", "solution");
    expect(firing("MATH-500 solutions", math)).toEqual([]);
  });
});

/** Shared helpers for the matcher tests: dataset loading (from ../shared/datasets, never copied) and prompt templates. */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { TokenCursor } from "../../src/match/normalize.ts";
export { rng } from "../fixtures/random.ts";

export const DATASETS_DIR = resolve(import.meta.dir, "../../../shared/datasets");
export const haveDatasets = existsSync(DATASETS_DIR);
if (!haveDatasets) console.warn(`test/match: ${DATASETS_DIR} not found; dataset tests are skipped`);

/** The `field` of every row of a JSONL file under DATASETS_DIR. */
export function loadQuestions(file: string, field: string): string[] {
  const lines = readFileSync(resolve(DATASETS_DIR, file), "utf8").split("\n").filter((l) => l.trim() !== "");
  return lines.map((line, i) => {
    const value = (JSON.parse(line) as Record<string, unknown>)[field];
    if (typeof value !== "string") throw new Error(`${file}:${i + 1}: field ${field} is not a string`);
    return value;
  });
}

export const DATASETS = [
  { name: "aimo-validation-aime", file: "aimo-validation-aime/train.jsonl", field: "problem", rows: 90 },
  { name: "AIME2025-I", file: "AIME2025/AIME2025-I/test.jsonl", field: "question", rows: 15 },
  { name: "AIME2025-II", file: "AIME2025/AIME2025-II/test.jsonl", field: "question", rows: 15 },
  { name: "AIME_2024", file: "AIME_2024/train.jsonl", field: "Problem", rows: 30 },
  { name: "MATH-500", file: "MATH-500/test.jsonl", field: "problem", rows: 500 },
  { name: "gsm8k test", file: "gsm8k/main/test.jsonl", field: "question", rows: 1319 },
  { name: "gsm8k train", file: "gsm8k/main/train.jsonl", field: "question", rows: 7473 },
] as const;

/** Templates eval clients wrap a question in (see ../shared/reference/eval-clients.md). */
export const TEMPLATES: Record<string, (q: string) => string> = {
  bare: (q) => q,
  "llama-eval aime": (q) =>
    `Solve the following math problem step by step. Put your answer inside \\boxed{}.\n\n${q}\n\nRemember to put your answer inside \\boxed{}.\n`,
  "old aime": (q) => `${q}\nPlease reason step by step, and put your final answer within \\boxed{}.`,
  gsm8k: (q) => `${q}\nPlease reason step by step, and put your final numeric answer within \\boxed{} without any extra characters.\n`,
  "lm-eval style": (q) => `Question: ${q}\nAnswer:`,
};

/** Whole-prompt rewrites a harness or transport may apply. */
export const REWRITES: Record<string, (prompt: string) => string> = {
  "whitespace collapsed": (p) => p.replace(/\s+/g, " ").trim(),
  "whitespace expanded": (p) => p.replace(/\s+/g, (ws) => ` \t${ws}\n  `),
  "newlines to spaces": (p) => p.replace(/\n/g, " "),
  "upper-cased": (p) => p.toUpperCase(),
  "lower-cased": (p) => p.toLowerCase(),
  "CRLF line ends": (p) => p.replace(/\n/g, "\r\n"),
};

/** Split a prompt at whitespace into about `n` parts (each keeps its whitespace), as a content array would carry it. */
export function splitAtWhitespace(prompt: string, n: number): string[] {
  const cuts: number[] = [];
  for (let k = 1; k < n; k++) {
    const target = Math.floor((prompt.length * k) / n);
    const at = prompt.slice(target).search(/\s/);
    if (at >= 0) cuts.push(target + at);
  }
  const parts: string[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    parts.push(prompt.slice(from, cut));
    from = cut;
  }
  parts.push(prompt.slice(from));
  return parts;
}

/** The judge prompts of eval-clients.md. */
export const JUDGE_SYSTEM =
  "You are an answer extraction system. Your task is to extract the answer from the model's response.\n\nHere are some examples of extracted answers to demonstrate what you are supposed to output:\n\nExample 1: 42\nExample 2: -123\nExample 3: 999\n\nWhen extracting the answer, provide only the extracted answer itself, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.";
export const judgeUser = (response: string) =>
  `Extract the answer from the following response:\n\n"${response}"\n\nPlease provide only the extracted answer, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.`;
export const judgeVariant = (pred: string, gold: string) =>
  `Extract the answer from this response:\n\nResponse: ${pred}\n\nExpected answer: ${gold}\n\nPlease provide only the extracted answer, nothing else.`;


/** Tokens of an already normalised string, straight from the cursor. */
export function cursorTokens(s: string): string[] {
  const out: string[] = [];
  const c = new TokenCursor(s);
  while (c.next()) out.push(s.slice(c.start, c.end));
  return out;
}

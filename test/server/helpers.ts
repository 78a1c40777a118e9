// Shared fixtures for the server tests: a tiny hand-built dataset and a real ServerContext.
import { QuestionsInUse } from "../../src/dataset/in-use.ts";
import type { Dataset, Question } from "../../src/dataset/types.ts";
import type { ReplyOptions } from "../../src/config.ts";
import { Decider, type DeciderOptions } from "../../src/decide/decide.ts";
import { answerPool } from "../../src/respond/wrong.ts";
import type { ServerContext } from "../../src/server/context.ts";
import { FINGERPRINT } from "../../src/version.ts";

const TEXTS_AND_ANSWERS: readonly (readonly [string, string])[] = [
  ["Find the number of ordered pairs (a, b) of positive integers with a + b = 34.", "33"],
  ["How many positive divisors does 2^3 * 3^3 * 5 have, times the smallest odd prime, minus 4?", "116"],
  ["What is the remainder when 1000 is divided by 8?", "0"],
  ["What is the largest three-digit integer?", "999"],
  ["Compute the mean of 3, 4 and 7 as a fraction in lowest terms.", "\\frac{14}{3}"],
];

export const QUESTIONS: readonly Question[] = TEXTS_AND_ANSWERS.map(([text, answer], index) => ({
  index,
  id: `q${index}`,
  text,
  answer,
}));

export const DATASET: Dataset = {
  name: "tiny",
  config: "default",
  split: "train",
  origin: "file",
  partial: false,
  parts: [{ name: "tiny", config: "default", split: "train", origin: "file", count: QUESTIONS.length, partial: false }],
  questions: QUESTIONS,
};

/** A simple exact lookup: the first message text that equals a question's text (trimmed). */
export function findQuestion(texts: readonly string[]): number | undefined {
  for (const text of texts) {
    const found = QUESTIONS.findIndex((q) => q.text === text.trim());
    if (found !== -1) return found;
  }
  return undefined;
}

export interface TestContext extends ServerContext {
  readonly lines: string[];
}

/** The reply options of a default run (`--response-style short`, canonical forms, plausible wrong answers). */
export const DEFAULT_REPLY: ReplyOptions = {
  style: "short",
  reasoningTokens: 400,
  reasoningFormat: "auto",
  answerForms: "canonical",
  wrongStyle: "plausible",
  onUnmatched: "error",
};

export function makeContext(
  options: { rate?: number; seed?: number; alias?: string; maxBodyBytes?: number; readTimeoutSeconds?: number; quiet?: boolean; reply?: Partial<ReplyOptions>; decider?: Partial<DeciderOptions> } = {},
): TestContext {
  const lines: string[] = [];
  const pool = answerPool(QUESTIONS.map((q) => q.answer));
  // As the server does: copies of the questions answered, which keep their short replies' notes.
  const inUse = new QuestionsInUse(QUESTIONS);
  return {
    dataset: DATASET,
    findQuestion,
    question: (index) => inUse.at(index),
    decider: new Decider({ mode: "random", successRate: options.rate ?? 0.8, seed: options.seed ?? 1234, questionCount: QUESTIONS.length, ...options.decider }),
    poolFor: () => pool,
    reply: { ...DEFAULT_REPLY, ...options.reply },
    alias: options.alias ?? "sim-model",
    fingerprint: FINGERPRINT,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    readTimeoutSeconds: options.readTimeoutSeconds ?? 10,
    log: options.quiet ? undefined : (line: string) => void lines.push(line),
    lines,
  };
}

/** The request body llama-eval sends for a case. */
export function chatBody(question: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "llama", messages: [{ role: "user", content: QUESTIONS[question]!.text }], n_predict: -1, ...extra };
}

/** The answer inside the reply's final `\boxed{...}.` */
export function boxedAnswer(content: string): string | undefined {
  return /\\boxed\{(.*)\}\.$/s.exec(content)?.[1];
}

export interface SseEvents {
  readonly chunks: Record<string, any>[];
  readonly done: boolean;
  readonly raw: string;
}

/** Parses an SSE body the way llama.cpp's tests/utils.py does, checking the framing strictly. */
export function parseSse(raw: string): SseEvents {
  if (!raw.endsWith("\n\n")) throw new Error(`SSE body does not end with a blank line: ${JSON.stringify(raw.slice(-40))}`);
  const events = raw.slice(0, -2).split("\n\n");
  const chunks: Record<string, any>[] = [];
  let done = false;
  for (const event of events) {
    if (done) throw new Error("event after [DONE]");
    if (!event.startsWith("data: ") || event.includes("\n")) throw new Error(`bad SSE event: ${JSON.stringify(event)}`);
    const data = event.slice("data: ".length);
    if (data === "[DONE]") done = true;
    else chunks.push(JSON.parse(data));
  }
  return { chunks, done, raw };
}

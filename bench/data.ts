// Benchmark inputs: the offline datasets, llama-eval's prompt templates, request bodies, and a
// seeded synthetic dataset of any size. Shared by bench/run.ts and bench/matcher.bench.ts.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { rng } from "../test/fixtures/random.ts";

export { rng };

export const DATASETS_DIR = resolve(import.meta.dir, "../../shared/datasets");
export const AIME_FILE = resolve(DATASETS_DIR, "aimo-validation-aime/train.jsonl");
export const GSM8K_TRAIN_FILE = resolve(DATASETS_DIR, "gsm8k/main/train.jsonl");
/** Questions that are in none of the indexed sets: realistic misses. */
export const MATH500_FILE = resolve(DATASETS_DIR, "MATH-500/test.jsonl");

/** llama-eval's templates (../shared/reference/eval-clients.md); `\boxed{}` is literal, each ends with "\n". */
export const TEMPLATES = {
  aime: (q: string) =>
    `Solve the following math problem step by step. Put your answer inside \\boxed{}.\n\n${q}\n\nRemember to put your answer inside \\boxed{}.\n`,
  gsm8k: (q: string) =>
    `${q}\nPlease reason step by step, and put your final numeric answer within \\boxed{} without any extra characters.\n`,
} as const;
export type TemplateName = keyof typeof TEMPLATES;

/** Reads one text field of every row of a JSONL file. */
export function readQuestions(file: string, field: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const row = JSON.parse(line) as Record<string, unknown>;
    const value = row[field];
    if (typeof value !== "string") throw new Error(`${file}: row without a string "${field}"`);
    out.push(value);
  }
  return out;
}

/** The request body llama-eval sends (eval-clients.md), optionally with "stream": true. */
export function chatBody(prompt: string, stream = false): string {
  const body: Record<string, unknown> = { model: "llama", messages: [{ role: "user", content: prompt }], n_predict: -1 };
  if (stream) body.stream = true;
  return JSON.stringify(body);
}


/** Up to `n` distinct items, a seeded random sample (all of them, shuffled, when n ≥ length). */
export function sample<T>(items: readonly T[], n: number, seed = 1): T[] {
  const copy = [...new Set(items)];
  const random = rng(seed);
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, Math.min(n, copy.length));
}

// ---------------------------------------------------------------------------------------------------
// Synthetic GSM8K-like word problems: a few sentences from patterns with random names, objects,
// places and numbers, then a question. Lengths are close to GSM8K's (about 150–450 characters), the
// first words repeat across questions as in real benchmarks (shared trie prefixes), and every question
// is distinct. Answers are integers.

const NAMES = "Natalia Weng Betty Julie James Albert Ken Alexis Tina Randy Joy Mark Janet Carla Maria Tobias Olivia Noah Emma Liam Ava Ethan Sophia Mason Isabella Lucas Mia Logan Amelia Elijah Harper Aiden Evelyn Jackson Abigail Sebastian Emily Mateo Ella Jack Scarlett Owen Grace Levi Chloe Wyatt Zoey Henry Lily Samuel Hannah Daniel Nora Leo Riley Jayden Aria Gabriel Layla".split(" ");
const ITEMS = "apples,oranges,pencils,marbles,stickers,cookies,cupcakes,books,toy cars,seashells,stamps,bracelets,candles,flowers,tomatoes,eggs,muffins,balloons,comic books,trading cards,notebooks,crayons,buttons,beads,baseball cards,jars of honey,bottles of water,boxes of cereal,loaves of bread,bags of rice,pairs of socks,tickets,packs of gum,puzzles,plants,bananas,lemons,peaches,carrots,potatoes,bricks,tiles,chairs,shirts,hats,postcards,coins,pebbles".split(",");
const PLACES = "the market,the bakery,the library,school,the park,the farm,the zoo,the mall,the fair,the beach,the garden center,the hardware store,the bookstore,the post office,the museum,the gym,the toy store,the grocery store".split(",");
const DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(" ");
const MONTHS = "January February March April May June July August September October November December".split(" ");
const JOBS = "babysitting,mowing lawns,walking dogs,tutoring,washing cars,selling lemonade,delivering newspapers,painting fences,raking leaves,shoveling snow".split(",");

type Pick = () => string;
const SENTENCES: ((p: { name: Pick; item: Pick; place: Pick; day: Pick; month: Pick; job: Pick; n: (lo: number, hi: number) => number }) => string)[] = [
  (p) => `${p.name()} has ${p.n(2, 90)} ${p.item()}.`,
  (p) => `${p.name()} sold ${p.n(2, 60)} ${p.item()} to friends in ${p.month()}, and then sold half as many in ${p.month()}.`,
  (p) => `On ${p.day()}, ${p.name()} bought ${p.n(2, 40)} ${p.item()} at ${p.place()} for $${p.n(1, 25)} each.`,
  (p) => `${p.name()} earns $${p.n(5, 40)} an hour for ${p.job()} and worked ${p.n(2, 12)} hours last week.`,
  (p) => `${p.name()} gives ${p.n(2, 20)} ${p.item()} to ${p.name()} and loses ${p.n(1, 9)} on the way home.`,
  (p) => `There are ${p.n(3, 30)} boxes with ${p.n(4, 24)} ${p.item()} in each box at ${p.place()}.`,
  (p) => `${p.name()} is ${p.n(2, 9)} times as old as ${p.name()}, who is ${p.n(3, 15)} years old.`,
  (p) => `A bag of ${p.item()} costs $${p.n(2, 30)}, which is $${p.n(1, 9)} more than a bag of ${p.item()}.`,
  (p) => `${p.name()} reads ${p.n(5, 60)} pages of a ${p.n(120, 900)}-page book every day.`,
  (p) => `${p.name()} wants to save $${p.n(50, 900)} for a trip to ${p.place()} and already has $${p.n(10, 200)}.`,
  (p) => `Each week ${p.name()} spends ${p.n(10, 90)} percent of the money on ${p.item()}.`,
  (p) => `${p.name()} walks ${p.n(2, 15)} miles to ${p.place()} and rides a bike ${p.n(2, 30)} miles back.`,
  (p) => `A class of ${p.n(12, 40)} students collected ${p.n(50, 800)} ${p.item()} for ${p.place()}.`,
  (p) => `${p.name()} plants ${p.n(3, 20)} rows of ${p.item()} with ${p.n(4, 30)} in each row.`,
  (p) => `The price of ${p.item()} went up by ${p.n(5, 50)} percent in ${p.month()}.`,
  (p) => `${p.name()} and ${p.name()} share ${p.n(20, 300)} ${p.item()} in the ratio ${p.n(1, 9)} to ${p.n(1, 9)}.`,
];
const QUESTIONS: ((p: { name: Pick; item: Pick; place: Pick }) => string)[] = [
  (p) => `How many ${p.item()} does ${p.name()} have left?`,
  (p) => `How much money did ${p.name()} spend altogether?`,
  (p) => `How many ${p.item()} are there in total?`,
  (p) => `How many more dollars does ${p.name()} need?`,
  (p) => `How many days will it take ${p.name()} to finish?`,
  (p) => `How old will ${p.name()} be in five years?`,
  (p) => `What is the total cost of the trip to ${p.place()}?`,
  (p) => `How many ${p.item()} did ${p.name()} get?`,
];

export interface SyntheticRow {
  readonly question: string;
  readonly answer: number;
}

/** `count` distinct synthetic questions, the same for the same seed. */
export function syntheticRows(count: number, seed = 20240101): SyntheticRow[] {
  const random = rng(seed);
  const from = (list: readonly string[]) => () => list[Math.floor(random() * list.length)]!;
  const p = {
    name: from(NAMES),
    item: from(ITEMS),
    place: from(PLACES),
    day: from(DAYS),
    month: from(MONTHS),
    job: from(JOBS),
    n: (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1)),
  };
  const seen = new Set<string>();
  const rows: SyntheticRow[] = [];
  while (rows.length < count) {
    const sentences = 2 + Math.floor(random() * 3);
    const parts: string[] = [];
    for (let s = 0; s < sentences; s++) parts.push(SENTENCES[Math.floor(random() * SENTENCES.length)]!(p));
    parts.push(QUESTIONS[Math.floor(random() * QUESTIONS.length)]!(p));
    const question = parts.join(" ");
    const key = question.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ question, answer: p.n(0, 99999) });
  }
  return rows;
}

/** Writes `rows` as JSONL (`{"question": …, "answer": …}` per line) and returns the file. */
export function writeSyntheticJsonl(file: string, rows: readonly SyntheticRow[]): string {
  writeFileSync(file, rows.map((r) => JSON.stringify({ question: r.question, answer: r.answer })).join("\n") + "\n");
  return file;
}

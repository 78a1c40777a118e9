// What eval clients send and how they grade, written from their sources (../shared/reference/eval-clients.md,
// llama.cpp llama-eval, lm-evaluation-harness, openai/simple-evals), independently of src/: the e2e tests
// (eval-matrix, judge, styles) use these to play each client against the compiled binary.
// GPQA rows are read from ../shared at run time and never copied; every few-shot example here is invented.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bareAnswer } from "../../src/judge/normalize.ts";
import { rng } from "../fixtures/random.ts";
import { SHARED, postJson } from "./harness.ts";

// ---------------------------------------------------------------------------------------------------------
// Types

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string;
}

/** How a client family grades: AIME-style integers, GSM8K numbers, MATH LaTeX, or GPQA letters. */
export type Family = "aime" | "gsm8k" | "math" | "gpqa";

/** The answer format a prompt asks for; "unspecified" prompts ask for none (llama-sim then boxes). */
export type AskedFormat = "boxed" | "answer-line" | "the-answer-is" | "hashes" | "unspecified";

/** A GPQA row's options, the correct one apart. */
export interface McOptions {
  readonly correct: string;
  readonly incorrect: readonly [string, string, string];
}

/** One dataset question as a client loads it. */
export interface EvalItem {
  readonly preset: string;
  readonly family: Family;
  /** The id llama-sim serves it under (row id, `config/position`, or position). */
  readonly id: string;
  readonly question: string;
  /** The client's gold (GPQA: the correct option's text; the letter depends on the shuffle). */
  readonly gold: string;
  readonly mc?: McOptions;
}

/** One case: an item with its options shuffled (GPQA) and the resulting gold. */
export interface EvalCase {
  readonly item: EvalItem;
  /** The gold this case is graded against: the letter after the shuffle for GPQA, else item.gold. */
  readonly gold: string;
  /** GPQA: the options in shown order (A, B, C, D). */
  readonly options?: readonly string[];
}

export interface Template {
  readonly name: string;
  /** The messages the client sends for this case. */
  messages(c: EvalCase): ChatMessage[];
  /** The answer format this template's prompt asks for, for the item's family. */
  asks(family: Family): AskedFormat;
  /** The client's own gold when it differs from the case's (lm-eval: the first shown option equal to the correct one). */
  gold?(c: EvalCase): string;
}

/** The case as `template` grades it: its gold replaced by the template's own, when it has one. */
export function asGradedBy(template: Template, c: EvalCase): EvalCase {
  const gold = template.gold?.(c);
  return gold === undefined ? c : { ...c, gold };
}

export interface Graded {
  /** What the grader read out of the reply; undefined when it found nothing. */
  readonly extracted: string | undefined;
  readonly correct: boolean;
}

export interface Grader {
  readonly name: string;
  /** Grades a reply's content (never reasoning_content, as every client does). */
  grade(content: string, c: EvalCase): Promise<Graded>;
  /**
   * Why this grader cannot see a correct answer as correct for this case by design (a documented
   * exclusion), or undefined when it must. Only correct replies are excluded: a wrong one is never graded correct.
   */
  cannot(c: EvalCase, asked: AskedFormat): string | undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Datasets as the clients load them (from ../shared/datasets; see SOURCES.md there)

const DATASETS = join(SHARED, "datasets");

function jsonl(rel: string): Record<string, unknown>[] {
  return readFileSync(join(DATASETS, rel), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** llama-eval's normalize_number: the leading digits as an int ("033" -> "33", "336^\circ" -> "336"). */
export function leadingInteger(answer: unknown): string {
  const text = String(answer);
  const m = /^\d+/.exec(text);
  return m === null ? text : String(Number.parseInt(m[0], 10));
}

/** GSM8K's gold as llama-eval reads it: the text after the last `####`, stripped (commas kept: "2,125"). */
export function gsm8kGold(solution: string): string {
  return solution.slice(solution.lastIndexOf("####") + 4).trim();
}

export const PRESET_NAMES = ["aime", "aime2024", "aime2025", "aime2026", "gsm8k", "math500", "gpqa"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const loaded = new Map<string, EvalItem[]>();

/** Every question of a preset, with the id llama-sim gives it and the client's gold. */
export function loadPreset(preset: PresetName): EvalItem[] {
  const cached = loaded.get(preset);
  if (cached) return cached;
  let items: EvalItem[];
  switch (preset) {
    case "aime":
      items = jsonl("aimo-validation-aime/train.jsonl").map((r) => ({ preset, family: "aime", id: String(r.id), question: String(r.problem), gold: leadingInteger(r.answer) }));
      break;
    case "aime2024":
      items = jsonl("AIME_2024/train.jsonl").map((r) => ({ preset, family: "aime", id: String(r.ID), question: String(r.Problem), gold: leadingInteger(r.Answer) }));
      break;
    case "aime2025":
      items = ["AIME2025-I", "AIME2025-II"].flatMap((config) =>
        jsonl(`AIME2025/${config}/test.jsonl`).map((r, i): EvalItem => ({ preset, family: "aime", id: `${config}/${i}`, question: String(r.question), gold: leadingInteger(r.answer) })),
      );
      break;
    case "aime2026":
      items = jsonl("aime_2026/train.jsonl").map((r, i) => ({ preset, family: "aime", id: String(i), question: String(r.problem), gold: String(r.answer) }));
      break;
    case "gsm8k":
      items = jsonl("gsm8k/main/test.jsonl").map((r, i) => ({ preset, family: "gsm8k", id: String(i), question: String(r.question), gold: gsm8kGold(String(r.answer)) }));
      break;
    case "math500":
      items = jsonl("MATH-500/test.jsonl").map((r) => ({ preset, family: "math", id: String(r.unique_id), question: String(r.problem), gold: String(r.answer) }));
      break;
    case "gpqa":
      items = jsonl("gpqa/gpqa_diamond/train.jsonl").map((r) => ({
        preset,
        family: "gpqa",
        id: String(r["Record ID"]),
        question: String(r.Question),
        gold: String(r["Correct Answer"]),
        mc: { correct: String(r["Correct Answer"]), incorrect: [String(r["Incorrect Answer 1"]), String(r["Incorrect Answer 2"]), String(r["Incorrect Answer 3"])] },
      }));
      break;
  }
  loaded.set(preset, items);
  return items;
}

/** `n` distinct items chosen by a seeded shuffle (the same on every run). */
export function sample<T>(items: readonly T[], n: number, seed: number): T[] {
  return seededShuffle(items, seed).slice(0, n);
}

/** Fisher–Yates with mulberry32: the same order for the same seed. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const next = rng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export const LETTERS = ["A", "B", "C", "D"] as const;

/** A case of `item`: GPQA options shuffled by `seed` (as clients shuffle with their own seed), the gold letter following. */
export function makeCase(item: EvalItem, seed: number): EvalCase {
  if (item.mc === undefined) return { item, gold: item.gold };
  const options = seededShuffle([item.mc.correct, ...item.mc.incorrect], seed);
  return { item, gold: LETTERS[options.indexOf(item.mc.correct)]!, options };
}

// ---------------------------------------------------------------------------------------------------------
// Client templates

function shownOptions(c: EvalCase): readonly string[] {
  if (c.options === undefined) throw new Error(`${c.item.preset}/${c.item.id} has no options`);
  return c.options;
}

/** llama-eval's templates, verbatim from eval-clients.md (aime family and MATH-500 take the AIME one). */
export const LLAMA_EVAL: Template = {
  name: "llama-eval",
  messages(c) {
    const q = c.item.question;
    if (c.item.family === "gpqa") {
      const [a, b, cc, d] = shownOptions(c);
      return [
        {
          role: "user",
          content: `Answer the following multiple choice question. The last line of your response should be in the following format: 'Answer: A/B/C/D' (e.g. 'Answer: A').\n\n${q}\n\nA) ${a}\nB) ${b}\nC) ${cc}\nD) ${d}\n`,
        },
      ];
    }
    if (c.item.family === "gsm8k") {
      return [{ role: "user", content: `${q}\nPlease reason step by step, and put your final numeric answer within \\boxed{} without any extra characters.\n` }];
    }
    return [{ role: "user", content: `Solve the following math problem step by step. Put your answer inside \\boxed{}.\n\n${q}\n\nRemember to put your answer inside \\boxed{}.\n` }];
  },
  asks: (family) => (family === "gpqa" ? "answer-line" : "boxed"),
};

// lm-eval GSM8K-style few-shot targets (invented problems): "Question: ...\nAnswer: <working>\n#### N".
const LM_EVAL_SHOTS: readonly (readonly [string, string])[] = [
  [
    "A farmer plants 6 rows of beans with 14 plants in each row. Rabbits eat 9 of the plants. How many bean plants are left?",
    "The farmer plants 6 * 14 = <<6*14=84>>84 plants.\nAfter the rabbits, 84 - 9 = <<84-9=75>>75 plants are left.\n#### 75",
  ],
  [
    "A library lends out 35 books on Monday and twice as many on Tuesday. How many books does it lend out on the two days together?",
    "On Tuesday it lends out 35 * 2 = <<35*2=70>>70 books.\nTogether that is 35 + 70 = <<35+70=105>>105 books.\n#### 105",
  ],
  [
    "Mia buys 4 notebooks at $3 each and a pen for $2. She pays with a $20 bill. How much change does she get?",
    "The notebooks cost 4 * 3 = <<4*3=12>>12 dollars.\nWith the pen she spends 12 + 2 = <<12+2=14>>14 dollars.\nHer change is 20 - 14 = <<20-14=6>>6 dollars.\n#### 6",
  ],
];

/** lm-eval's GPQA option preprocessing (tasks/gpqa utils.py `preprocess`): " [title]" -> ". ", bracketed text dropped. */
export function lmEvalPreprocess(text: string): string {
  return text.trim().replaceAll(" [title]", ". ").replace(/\[.*?\]/g, "").replaceAll("  ", " ");
}

/**
 * lm-eval-harness: GSM8K few-shot ("Question: ...\nAnswer: ... #### N", three invented shots, then
 * "Question: {q}\nAnswer:") for every math dataset; GPQA zero-shot ("What is the correct answer to this
 * question:{Question}\nChoices:\n(A) ...\nAnswer:") with the options preprocessed as lm-eval does.
 */
export const LM_EVAL: Template = {
  name: "lm-eval",
  messages(c) {
    const q = c.item.question;
    if (c.item.family === "gpqa") {
      const [a, b, cc, d] = shownOptions(c).map(lmEvalPreprocess);
      return [{ role: "user", content: `What is the correct answer to this question:${q}\nChoices:\n(A) ${a}\n(B) ${b}\n(C) ${cc}\n(D) ${d}\nAnswer:` }];
    }
    const shots = LM_EVAL_SHOTS.map(([sq, sa]) => `Question: ${sq}\nAnswer: ${sa}`).join("\n\n");
    return [{ role: "user", content: `${shots}\n\nQuestion: ${q}\nAnswer:` }];
  },
  // GPQA: no format asked, options labelled "(A)": llama-sim answers "The answer is (X).", as lm-eval's GPQA filters read.
  asks: (family) => (family === "gpqa" ? "the-answer-is" : "hashes"),
  // lm-eval's gold is choices.index(preprocess(correct)): the FIRST shown option equal to it after preprocessing,
  // which is not the shuffled position when preprocessing makes options equal (one GPQA diamond row: "ln(2) = [...]").
  gold(c) {
    if (c.item.mc === undefined) return c.gold;
    return LETTERS[shownOptions(c).map(lmEvalPreprocess).indexOf(lmEvalPreprocess(c.item.mc.correct))]!;
  },
};

/** openai/simple-evals: math_eval.py QUERY_TEMPLATE and gpqa_eval.py (common.QUERY_TEMPLATE_MULTICHOICE). */
export const SIMPLE_EVALS: Template = {
  name: "simple-evals",
  messages(c) {
    const q = c.item.question;
    if (c.item.family === "gpqa") {
      const [a, b, cc, d] = shownOptions(c);
      return [
        {
          role: "user",
          content: `Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.\n\n${q}\n\nA) ${a}\nB) ${b}\nC) ${cc}\nD) ${d}`,
        },
      ];
    }
    return [
      {
        role: "user",
        content: `Solve the following math problem step by step. The last line of your response should be of the form Answer: $ANSWER (without quotes) where $ANSWER is the answer to the problem.\n\n${q}\n\nRemember to put your answer on its own line after "Answer:", and you do not need to use a \\boxed command.`,
      },
    ];
  },
  asks: () => "answer-line",
};

// Few-shot chat turns (invented): math answers end "The answer is N."; multiple choice ends "Answer: X".
const CHAT_MATH_SHOTS: readonly (readonly [string, string])[] = [
  ["A baker fills 12 trays with 8 rolls each and sells all but 15 rolls. How many rolls does she sell?", "She bakes 12 × 8 = 96 rolls and sells 96 − 15 = 81 of them.\n\nThe answer is 81."],
  ["What is the remainder when 200 is divided by 9?", "200 = 22 × 9 + 2, so the remainder is 2.\n\nThe answer is 2."],
];
const CHAT_MC_SHOTS: readonly (readonly [string, string])[] = [
  ["Which gas makes up most of the air we breathe?\n\nA) Oxygen\nB) Nitrogen\nC) Argon\nD) Carbon dioxide", "Dry air is about 78% nitrogen and 21% oxygen.\n\nAnswer: B"],
  ["Which planet is closest to the Sun?\n\nA) Venus\nB) Earth\nC) Mars\nD) Mercury", "Mercury orbits closest to the Sun.\n\nAnswer: D"],
];

/** A few-shot chat: a system prompt, earlier user/assistant turns with invented questions, then the real question. */
export const FEW_SHOT_CHAT: Template = {
  name: "few-shot-chat",
  messages(c) {
    const mc = c.item.family === "gpqa";
    const shots = mc ? CHAT_MC_SHOTS : CHAT_MATH_SHOTS;
    const system = mc ? "You are an expert tutor. Think briefly, then give the letter of the correct option." : "You are a careful mathematician. Show brief working for each problem.";
    const turns = shots.flatMap(([q, a]): ChatMessage[] => [
      { role: "user", content: q },
      { role: "assistant", content: a },
    ]);
    let last = c.item.question;
    if (mc) {
      const [a, b, cc, d] = shownOptions(c);
      last = `${c.item.question}\n\nA) ${a}\nB) ${b}\nC) ${cc}\nD) ${d}`;
    }
    return [{ role: "system", content: system }, ...turns, { role: "user", content: last }];
  },
  asks: (family) => (family === "gpqa" ? "answer-line" : "the-answer-is"),
};

export const TEMPLATES: readonly Template[] = [LLAMA_EVAL, LM_EVAL, SIMPLE_EVALS, FEW_SHOT_CHAT];

// ---------------------------------------------------------------------------------------------------------
// Graders

/** The last 10 lines: all llama-eval's text graders read. */
export function lastLines(content: string, n = 10): string {
  return content.split("\n").slice(-n).join("\n");
}

const lastMatch = (text: string, re: RegExp): RegExpMatchArray | undefined => [...text.matchAll(re)].at(-1);
const INTEGER = /^-?\d+$/;
const DEGREES = /(?:\^\s*\\circ|\^\s*\{\s*\\circ\s*\}|°)\s*$/;

/**
 * llama-eval's regex grader: the last 10 lines of content; aime (and MATH-500): the last `\boxed{...}`
 * (a `[^}]*` body, so nested braces cut it short), else the last integer; gsm8k: the last integer;
 * gpqa: the letter of the last `Answer: X`. Exact string equality after strip.
 */
export function llamaEvalRegexExtract(content: string, family: Family): string | undefined {
  const tail = lastLines(content);
  if (family === "gpqa") return lastMatch(tail, /answer\s*:\s*\**\s*\(?([A-D])\b/gi)?.[1]?.toUpperCase();
  if (family !== "gsm8k") {
    const boxed = lastMatch(tail, /\\boxed\{([^}]*)\}/g);
    if (boxed !== undefined) return boxed[1]!.trim();
  }
  return lastMatch(tail, /-?\d+/g)?.[0];
}

export const LLAMA_EVAL_REGEX: Grader = {
  name: "llama-eval-regex",
  async grade(content, c) {
    const extracted = llamaEvalRegexExtract(content, c.item.family);
    return { extracted, correct: extracted !== undefined && extracted.trim() === c.gold.trim() };
  },
  cannot(c, asked) {
    const { family } = c.item;
    if (family === "gpqa") return asked === "answer-line" ? undefined : "gpqa: reads only `Answer: X`, and this prompt asks for another format";
    // GSM8K golds such as "2,125" (14 of 1319 in test): the last integer read is "125" or "2125", never "2,125".
    if (family === "gsm8k") return c.gold.includes(",") ? "gsm8k gold with thousands commas (14 of 1319)" : undefined;
    if (INTEGER.test(c.gold)) return undefined;
    // MATH-500 degree golds (14 of 500, e.g. "90^\circ"): llama-sim serves them as the bare number, as llama-eval
    // normalises AIME 2025's "336^\circ" to 336 (src/dataset/answer.ts); a strict string compare then fails.
    if (DEGREES.test(c.gold)) return "degree gold: llama-sim answers the bare number, the strict compare wants ^\\circ";
    // MATH-500: 311 of 500 golds are plain integers; 103 hold braces (\frac{..}{..}, \sqrt{..}, \text{..}).
    if (asked === "boxed" || asked === "unspecified") return c.gold.includes("}") ? "LaTeX gold with braces: `\\boxed{([^}]*)}` stops at the first }" : undefined;
    return "non-integer gold outside \\boxed{}: the last-integer fallback cannot read it";
  },
};

/** The content of the last `\boxed{...}` with balanced braces, or undefined. */
export function lastBoxedBalanced(text: string): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(/\\boxed\s*\{/g)) {
    let depth = 0;
    for (let i = m.index + m[0].length - 1; i < text.length; i++) {
      const ch = text[i];
      if (ch === "\\") i++;
      else if (ch === "{") depth++;
      else if (ch === "}" && --depth === 0) {
        found = text.slice(m.index + m[0].length, i);
        break;
      }
    }
  }
  return found;
}

/**
 * Light normalisation both sides go through before an equality check: spaces, `$`, `\left`/`\right`, `^\circ`,
 * `\dfrac`, `\text{}` wrappers, a trailing period, thousands commas in plain numbers, option brackets.
 */
export function lightNormalise(answer: string): string {
  let s = answer.trim().replace(/^\$+|\$+$/g, "");
  s = s.replace(/\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}/g, "$1");
  // MATH's strip_string drops degree signs, so "90" and "90^\circ" are the same answer.
  s = s.replace(DEGREES, "");
  s = s.replace(/\\left|\\right/g, "").replace(/\\[dt]frac/g, "\\frac").replace(/\\[,;:! ]/g, "");
  s = s.replace(/\s+/g, "").replace(/\.$/, "");
  if (/^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(s)) s = s.replaceAll(",", "");
  const letter = /^\(?([A-D])\)?$/.exec(s);
  return letter ? letter[1]! : s;
}

/** A boxed grader: the last balanced `\boxed{}` in the last 10 lines, compared after light normalisation. */
export const BOXED: Grader = {
  name: "boxed",
  async grade(content, c) {
    const extracted = lastBoxedBalanced(lastLines(content));
    return { extracted, correct: extracted !== undefined && lightNormalise(extracted) === lightNormalise(c.gold) };
  },
  cannot: (_c, asked) => (asked === "boxed" || asked === "unspecified" ? undefined : `the prompt asks for ${asked}, so a faithful reply has no \\boxed{}`),
};

/**
 * simple-evals' "Answer:" grader: the FIRST match in the whole response (re.search), `(?i)Answer\s*:\s*([^\n]+)`
 * for math, `(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?` for multiple choice; compared after light normalisation
 * (simple-evals checks math equality with an LLM; light normalisation stands in for it).
 */
export function simpleEvalsExtract(content: string, family: Family): string | undefined {
  if (family === "gpqa") return /answer[ \t]*:[ \t]*\$?([A-D])\$?/i.exec(content)?.[1];
  return /answer\s*:\s*([^\n]+)/i.exec(content)?.[1]?.trim();
}

export const SIMPLE_EVALS_ANSWER: Grader = {
  name: "simple-evals",
  async grade(content, c) {
    const extracted = simpleEvalsExtract(content, c.item.family);
    return { extracted, correct: extracted !== undefined && lightNormalise(extracted) === lightNormalise(c.gold) };
  },
  cannot: (_c, asked) => (asked === "answer-line" ? undefined : `the prompt asks for ${asked}, so a faithful reply has no "Answer:" line`),
};

/**
 * lm-eval's GSM8K "strict-match": the first `#### (\-?[0-9\.\,]+)`, then exact match with its
 * regexes_to_ignore (",", "\$", "(?s).*#### ", "\.$") applied to both sides and case ignored.
 */
export function lmEvalStrictExtract(content: string): string | undefined {
  return /#### (-?[0-9.,]+)/.exec(content)?.[1];
}
const lmEvalIgnore = (s: string) => s.replace(/,/g, "").replace(/\$/g, "").replace(/^[\s\S]*#### /, "").replace(/\.$/, "").trim().toLowerCase();

export const LM_EVAL_STRICT: Grader = {
  name: "lm-eval-strict",
  async grade(content, c) {
    const extracted = lmEvalStrictExtract(content);
    return { extracted, correct: extracted !== undefined && lmEvalIgnore(extracted) === lmEvalIgnore(c.gold) };
  },
  cannot(c, asked) {
    if (asked !== "hashes") return `the prompt asks for ${asked}, so a faithful reply has no "#### N"`;
    return /^-?[\d.,]+$/.test(c.gold) ? undefined : "LaTeX gold: strict-match reads only digits, '.', ',' after ####";
  },
};

/**
 * lm-eval's GPQA filters (tasks/gpqa *_yaml): "strict-match" `(?<=The answer is )(.*)(?=.)`, first match;
 * else "flexible-extract", the last `\([A-Z]\)`; exact_match with ignore_case and ignore_punctuation, so
 * "(C)" and "C" are the same answer. Either filter passing counts (lm-eval reports both).
 */
export function lmEvalGpqaExtract(content: string): string | undefined {
  const strict = /(?<=The answer is )(.*)(?=.)/.exec(content)?.[1];
  const flexible = [...content.matchAll(/\([A-Z]\)/g)].at(-1)?.[0];
  const unpunct = (s: string | undefined) => s?.replace(/[^\p{L}\p{N}\s]/gu, "").trim().toUpperCase();
  return unpunct(strict) || unpunct(flexible);
}

export const LM_EVAL_GPQA: Grader = {
  name: "lm-eval-gpqa",
  async grade(content, c) {
    const extracted = lmEvalGpqaExtract(content);
    return { extracted, correct: extracted !== undefined && extracted === c.gold.replace(/[()]/g, "").toUpperCase() };
  },
  cannot(c, asked) {
    if (c.item.family !== "gpqa") return "lm-eval's GPQA filters grade multiple choice only";
    return asked === "the-answer-is" ? undefined : `the prompt asks for ${asked}, not lm-eval's "The answer is (X)."`;
  },
};

// ---------------------------------------------------------------------------------------------------------
// llama-eval's LLM judge, sent to the SAME server (eval-clients.md, "Grading", verbatim)

export const JUDGE_SYSTEM =
  "You are an answer extraction system. Your task is to extract the answer from the model's response.\n\nHere are some examples of extracted answers to demonstrate what you are supposed to output:\n\nExample 1: 42\nExample 2: -123\nExample 3: 999\n\nWhen extracting the answer, provide only the extracted answer itself, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.";

export const judgeUser = (response: string): string =>
  `Extract the answer from the following response:\n\n"${response}"\n\nPlease provide only the extracted answer, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.`;

export const judgeExpectedUser = (pred: string, gold: string): string =>
  `Extract the answer from this response:\n\nResponse: ${pred}\n\nExpected answer: ${gold}\n\nPlease provide only the extracted answer, nothing else.`;

export interface JudgeCall {
  readonly status: number;
  /** The judge's reply content (or the error body). */
  readonly text: string;
  readonly finishReason?: string;
}

/** One judge request as llama-eval sends it (temperature 0); `expected` selects the variant prompt. */
export async function askJudge(url: string, response: string, expected?: string): Promise<JudgeCall> {
  const messages: ChatMessage[] =
    expected === undefined
      ? [
          { role: "system", content: JUDGE_SYSTEM },
          { role: "user", content: judgeUser(response) },
        ]
      : [{ role: "user", content: judgeExpectedUser(response, expected) }];
  const res = await postJson(`${url}/v1/chat/completions`, { model: "llama", messages, temperature: 0 });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, text };
  const body = JSON.parse(text) as { choices: { message: { content: string }; finish_reason: string }[] };
  return { status: 200, text: body.choices[0]!.message.content, finishReason: body.choices[0]!.finish_reason };
}

/**
 * The simulated judge writes an answer in its bare form (src/judge/normalize.ts `bareAnswer`: no `\text{}`,
 * `^\circ`, `\$`, thousands separators, `x=`; integers canonical), as a judge told to give "only the
 * answer" does; llama-eval compares that with the raw gold as a string, so a gold that is not bare cannot
 * be equal by design (MATH-500: 34 of 500 golds; GSM8K: the 14 with thousands commas).
 */
function notBare(gold: string): string | undefined {
  return bareAnswer(gold) === gold ? undefined : "gold not in bare form (\\text{}, ^\\circ, \\$, 1,000, x=): the judge writes the bare answer, llama-eval compares the raw gold";
}

/** llama-eval's default grader: the judge's reply, stripped, equals the gold ignoring case. */
export function judgeGrader(url: string): Grader {
  return {
    name: "judge",
    async grade(content, c) {
      const reply = await askJudge(url, content);
      if (reply.status !== 200) throw new Error(`judge request failed: ${reply.status} ${reply.text}`);
      const extracted = reply.text.trim();
      return { extracted, correct: extracted.toLowerCase() === c.gold.trim().toLowerCase() };
    },
    cannot: (c) => notBare(c.gold),
  };
}

/** The variant judge prompt with "Expected answer:": a judge that finds the expected answer writes it as given. */
export function judgeExpectedGrader(url: string): Grader {
  return {
    name: "judge-expected",
    async grade(content, c) {
      const reply = await askJudge(url, content, c.gold);
      if (reply.status !== 200) throw new Error(`judge request failed: ${reply.status} ${reply.text}`);
      const extracted = reply.text.trim();
      return { extracted, correct: extracted.toLowerCase() === c.gold.trim().toLowerCase() };
    },
    cannot: () => undefined,
  };
}

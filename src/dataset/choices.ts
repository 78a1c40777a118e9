// Multiple-choice rows in the two shapes eval datasets use, turned into one form: `choices` with the correct
// option first (clients shuffle them anyway) and `answer` = the correct option's text.
import type { Row } from "./rows.ts";

/** How a split states its options; detected once per split from its field names. */
export type ChoiceShape =
  /** GPQA (HF Idavidrein/gpqa, simple-evals' gpqa_diamond.csv): the correct text and three wrong ones, by column. */
  | { readonly kind: "columns"; readonly correct: string; readonly incorrect: readonly string[] }
  /** lm-eval / MMLU / ARC style: an options array (or ARC's {text, label}) and an answer naming one of them. */
  | { readonly kind: "list"; readonly field: string };

export const GPQA_CORRECT = "Correct Answer";
const GPQA_INCORRECT = ["Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"] as const;
const LIST_FIELDS = ["choices", "options"] as const;
/** Answer fields of list-shaped datasets, tried in order when --answer-field is not given. */
export const LIST_ANSWER_FIELDS = ["answer", "answerKey", "answer_index", "label"] as const;

const findField = (available: readonly string[], want: string) =>
  available.find((f) => f === want) ?? available.find((f) => f.toLowerCase() === want.toLowerCase());

/**
 * The split's multiple-choice shape, or undefined for free-answer rows. The column shape applies unless
 * --answer-field names some other column; any split with a `choices`/`options` field may be list-shaped
 * (rowsToQuestions drops the shape again if no row's answer names one of its options).
 */
export function detectChoiceShape(available: readonly string[], requestedAnswer: string | undefined): ChoiceShape | undefined {
  const correct = findField(available, GPQA_CORRECT);
  const incorrect = GPQA_INCORRECT.map((name) => findField(available, name));
  const answerIsCorrectColumn = requestedAnswer === undefined || requestedAnswer.toLowerCase() === GPQA_CORRECT.toLowerCase();
  if (correct !== undefined && incorrect.every((f) => f !== undefined) && answerIsCorrectColumn) {
    return { kind: "columns", correct, incorrect: incorrect as string[] };
  }
  for (const name of LIST_FIELDS) {
    const field = findField(available, name);
    if (field !== undefined) return { kind: "list", field };
  }
  return undefined;
}

/** A row's options with the correct one first; undefined when the row's answer names none of its options. */
export interface RowChoices {
  readonly answer: string;
  readonly choices: string[];
}

/** GPQA columns: every text trimmed; empty wrong options are left out; an empty correct text gives undefined. */
export function columnChoices(row: Row, shape: Extract<ChoiceShape, { kind: "columns" }>): RowChoices | undefined {
  const correct = cellText(row[shape.correct]).trim();
  if (correct === "") return undefined;
  const wrong = shape.incorrect.map((f) => cellText(row[f]).trim()).filter((t) => t !== "");
  return { answer: correct, choices: [correct, ...wrong] };
}

/** An options list and the answer naming one: a letter (`C`, `(C)`, `C.`), a 0-based index, a label or the option's text. */
export function listChoices(row: Row, field: string, answer: unknown): RowChoices | undefined {
  const options = optionsOf(row[field]);
  if (options === undefined || options.texts.length < 2) return undefined;
  const k = correctIndex(answer, options.texts, options.labels);
  if (k === undefined || options.texts[k] === "") return undefined;
  const correct = options.texts[k]!;
  return { answer: correct, choices: [correct, ...options.texts.filter((_, i) => i !== k)] };
}

interface Options {
  readonly texts: string[];
  /** ARC's own labels ("A".."E" or "1".."4"), when given. */
  readonly labels?: string[];
}

function optionsOf(value: unknown): Options | undefined {
  if (Array.isArray(value)) return { texts: value.map((v) => cellText(v).trim()) };
  if (typeof value === "object" && value !== null) {
    const { text, label } = value as { text?: unknown; label?: unknown };
    if (Array.isArray(text)) {
      const labels = Array.isArray(label) && label.length === text.length ? label.map((l) => cellText(l).trim()) : undefined;
      return labels ? { texts: text.map((v) => cellText(v).trim()), labels } : { texts: text.map((v) => cellText(v).trim()) };
    }
  }
  return undefined;
}

function correctIndex(answer: unknown, texts: readonly string[], labels: readonly string[] | undefined): number | undefined {
  const inRange = (k: number) => (Number.isInteger(k) && k >= 0 && k < texts.length ? k : undefined);
  if (typeof answer === "number") return inRange(answer);
  if (typeof answer !== "string") return undefined;
  const text = answer.trim();
  if (labels !== undefined && labels.includes(text)) return labels.indexOf(text);
  // "C", "(C)", "C.", "C)": a letter counted from A.
  const letter = /^\(?([A-Za-z])[).]?$/.exec(text)?.[1];
  if (letter !== undefined) return inRange(letter.toUpperCase().charCodeAt(0) - 65);
  const byText = texts.indexOf(text);
  if (byText !== -1) return byText;
  return /^\d+$/.test(text) ? inRange(Number(text)) : undefined;
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
}

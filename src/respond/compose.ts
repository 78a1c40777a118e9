import type { ReplyOptions } from "../config.ts";
import type { QuestionInUse } from "../dataset/in-use.ts";
import type { Question } from "../dataset/types.ts";
import { below } from "../decide/random.ts";
import { letterOf, parenthesisedLetters, shownOptions, type ShownOption } from "./choices.ts";
import { answerLine, askedAnswerFormat, noAnswerLine, type AnswerFormat } from "./format.ts";
import { variedForm } from "./forms.ts";
import { reasoningText } from "./reasoning.ts";
import { memoByText, noteFacts, primeFacts, textFacts, type TextFacts } from "./text-memo.ts";
import { wrongFor, type AnswerPool, type WrongStyle } from "./wrong.ts";

export type Style = "short" | "reasoning" | "think";

/** What the reply meant and how it wrote it: the ledger and the judge tests read this. */
export interface ReplyPlan {
  readonly verdict: "correct" | "wrong" | "no-answer";
  /** The gold answer as this prompt's grader sees it: the letter shown for the correct option in multiple choice. */
  readonly gold: string;
  /** The answer the reply means (gold when correct); null when it gives none. */
  readonly given: string | null;
  /** `given` as written in the reply (an equivalent form under --answer-forms varied). */
  readonly written: string | null;
  readonly form: string;
  readonly style: Style;
  readonly format: AnswerFormat;
}

export interface ComposedReply extends ReplyPlan {
  /** Thoughts, kept apart from the content: the caller puts them in reasoning_content or inline. */
  readonly thoughts: string | undefined;
  /** Whether thoughts belong inside `<think>` in content whatever the reasoning format (the think style). */
  readonly thinkInline: boolean;
  /** The visible answer text, without thoughts. */
  readonly body: string;
  /** estimateTokens(body) when it came with the text's facts (short replies), so the text need not be read again; else undefined. */
  readonly bodyTokens: number | undefined;
}

export interface ComposeInput {
  /** The question; one with a `note` slot (a server's copy, dataset/in-use.ts) keeps its last short correct reply there. */
  readonly question: Question | QuestionInUse;
  /** Every message text of the prompt, in order: read for the answer format and the options shown. */
  readonly texts: readonly string[];
  /** The decided outcome; "no-answer" forces a reply with nothing to extract. */
  readonly outcome: "correct" | "wrong" | "no-answer";
  readonly seed: number;
  /** The decision's keys: the same keys give the same text. */
  readonly keys: readonly number[];
  readonly pool: AnswerPool;
  readonly options: ReplyOptions;
}

// Streams of keyed randomness for each choice made here, apart from the decider's.
const STYLE_KEY = 0x57e1;
const WRONG_STYLE_KEY = 0x3a06;
const FORM_KEY = 0xf0a3;
const THOUGHT_KEY = 0x7409;
const SUMMARY_KEY = 0x5a33;
const GIVE_UP_KEY = 0x61fe;

const STYLES: readonly Style[] = ["short", "reasoning", "think"];
const WRONG_STYLES: readonly WrongStyle[] = ["plausible", "off-by-one", "no-answer"];

/** The opening sentence of a short reply; the first is the one replies have always had. */
const OPENINGS = ["Let me work through this problem step by step."];

/** A short reply's text, with its JSON literal and ledger hash (textFacts). */
const shortFacts = (format: AnswerFormat, written: string): TextFacts => textFacts(`${OPENINGS[0]}\n\n${answerLine(format, written)}`);
/**
 * A correct short reply's facts per (format, answer), made once: the reply's body and ledger record then
 * take them from here (primeFacts) rather than from a second table.
 */
const shortBodyIn = (format: AnswerFormat) => memoByText((written) => shortFacts(format, written));
const SHORT_BODIES: Record<AnswerFormat, (written: string) => TextFacts> = {
  boxed: shortBodyIn("boxed"),
  "answer-line": shortBodyIn("answer-line"),
  minerva: shortBodyIn("minerva"),
  "the-answer-is": shortBodyIn("the-answer-is"),
  hashes: shortBodyIn("hashes"),
};

/**
 * The short reply that writes `written` in `format`. A question in use notes its correct one: read with
 * the question, it spares reading the answer's text for its hash and the table's lookup (two or three cold
 * lines with thousands of questions in use, ~0.4 µs). A wrong one's facts are made and dropped: kept in the
 * table, one-off wrong texts (most of them, when answers are large numbers) outlived the young generation
 * and piled up in the old one until a full collection (heap 150 → 470 MB in 10 s of the synthetic load),
 * which cost ~1.1–1.4 µs a request on GSM8K and synthetic (make bench's bodies, 20% wrong).
 */
function shortBody(question: Question | QuestionInUse, format: AnswerFormat, written: string, correct: boolean): TextFacts {
  const note = "note" in question ? (question.note as TextFacts | undefined) : undefined;
  if (note !== undefined && note.format === format && note.written === written) {
    primeFacts(note.body, note);
    return note;
  }
  const reply = correct ? SHORT_BODIES[format](written) : shortFacts(format, written);
  primeFacts(reply.body, reply);
  if (correct && "note" in question) question.note = noteFacts(reply, format, written);
  return reply;
}

/** Decides how a reply states its answer and writes it; pure in (question, prompt, outcome, seed, keys, options). */
export function composeReply(input: ComposeInput): ComposedReply {
  const { question, texts, seed, keys, options } = input;
  const asked = askedAnswerFormat(texts);
  let format = asked ?? "boxed";
  const style = options.style === "mixed" ? STYLES[below(STYLES.length, seed, [...keys, STYLE_KEY])]! : options.style;
  const shown = question.choices ? shownOptions(texts) : [];
  const goldLetter = question.choices ? letterOf(shown, question.answer) : undefined;
  const gold = goldLetter ?? question.answer;
  // Letters in parentheses when the prompt writes them so ("The answer is (B)."), or labels its options "(A)" and asks for no other format.
  const parens = goldLetter === undefined ? undefined : parenthesisedLetters(texts);
  const letterInParens = parens === "asked" || (parens === "labels" && (asked === undefined || asked === "the-answer-is"));
  if (letterInParens && asked === undefined) format = "the-answer-is";

  let verdict = input.outcome;
  let given: string | null = null;
  let written: string | null = null;
  let form = "canonical";
  if (verdict === "correct") {
    given = gold;
    if (options.answerForms === "varied") {
      const kind = goldLetter !== undefined ? "letter" : /^-?[\d.,]+$|\\frac|\\dfrac/.test(gold) ? "number" : "text";
      const shape = variedForm(gold, kind, seed, [...keys, FORM_KEY]);
      written = shape.written;
      form = shape.form;
    } else written = gold;
  } else if (verdict === "wrong") {
    const wrongStyle = options.wrongStyle === "mixed" ? WRONG_STYLES[below(WRONG_STYLES.length, seed, [...keys, WRONG_STYLE_KEY])]! : options.wrongStyle;
    const mc = goldLetter !== undefined ? { letters: shown.map((o) => o.letter), goldLetter } : undefined;
    const wrong = wrongFor(wrongStyle, gold, input.pool, seed, keys, mc);
    if (wrong === undefined) verdict = "no-answer";
    else given = written = wrong;
  }
  if (verdict === "no-answer") form = "none";
  if (letterInParens && written !== null && /^[A-J]$/.test(written)) written = `(${written})`;

  if (style === "short") {
    if (written === null) return { verdict, gold, given, written, form, style, format, thoughts: undefined, thinkInline: false, body: `${OPENINGS[0]}\n\n${noAnswerLine(seed, keys)}`, bodyTokens: undefined };
    const facts = shortBody(question, format, written, verdict === "correct");
    return { verdict, gold, given, written, form, style, format, thoughts: undefined, thinkInline: false, body: facts.body, bodyTokens: facts.tokens };
  }
  const closing = written !== null ? answerLine(format, written) : noAnswerLine(seed, keys);
  const choices = shown.length > 0 ? shown.map((o: ShownOption) => ({ letter: o.letter, text: o.text })) : undefined;
  const thoughts = reasoningText({ problem: question.text, answer: given ?? undefined, targetTokens: options.reasoningTokens, seed, keys: [...keys, THOUGHT_KEY], choices });
  if (written === null) {
    // Nothing a grader could read as an answer in the last lines of content: no summary restating the
    // problem's numbers, and thoughts ending in paragraphs of giving up, without digits (they are shown
    // inline in the think style, and in any style under reasoning_format none, a prefill or /completion).
    return { verdict, gold, given, written, form, style, format, thoughts: withoutAnswersAtEnd(thoughts, seed, keys), thinkInline: style === "think", body: closing, bodyTokens: undefined };
  }
  // The visible part of a reasoning model's reply: a short worked summary, then the answer.
  const summary = reasoningText({ problem: question.text, answer: given ?? undefined, targetTokens: 60, seed, keys: [...keys, SUMMARY_KEY], choices });
  const body = summary === "" ? closing : `${summary}\n\n${closing}`;
  return { verdict, gold, given, written, form, style, format, thoughts, thinkInline: style === "think", body, bodyTokens: undefined };
}

/** Graders read the last 10 lines of content: the paragraphs of inline thoughts that fall among them. */
const GRADED_PARAGRAPHS = 4;
/** Paragraphs of a model giving up: no digit, no answer cue, no one-letter word (option letters, "I", "a"). */
const GIVING_UP = [
  "Hmm, something here does not add up.",
  "Let me step back and look at the setup again.",
  "None of these intermediate values feels reliable.",
  "This keeps going around in circles.",
  "Maybe the question means something else.",
  "No final value can be pinned down with confidence.",
];

/** What a grader could read as an answer: a digit, or a one-letter word (an option letter; "a" and "I" under a case-blind regex). */
const READABLE = /\d|\b[A-Za-z]\b/;

/** `thoughts` ending in paragraphs with nothing readable as an answer, as many as a grader reads after `</think>` and one closing line. */
function withoutAnswersAtEnd(thoughts: string, seed: number, keys: readonly number[]): string {
  const paragraphs = thoughts === "" ? [] : thoughts.split("\n\n");
  let clean = 0;
  while (clean < paragraphs.length && clean < GRADED_PARAGRAPHS && !READABLE.test(paragraphs[paragraphs.length - 1 - clean]!)) clean++;
  const start = below(GIVING_UP.length, seed, [...keys, GIVE_UP_KEY]);
  for (let i = clean; i < GRADED_PARAGRAPHS; i++) paragraphs.push(GIVING_UP[(start + i) % GIVING_UP.length]!);
  return paragraphs.join("\n\n");
}

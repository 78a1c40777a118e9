import type { Question } from "./types.ts";

/** A question in use: the dataset's, copied, with a slot the reply path keeps its note about it in. */
export interface QuestionInUse extends Question {
  /**
   * What the reply path remembers of this question (respond/compose.ts: its last short correct reply).
   * On the copy, it is read with the question rather than from a table of its own.
   */
  note: unknown;
}

/**
 * The questions a server answers, each copied the first time it is asked for.
 *
 * With 100,000 questions loaded and a few thousand in use, each question's object and strings sit on a
 * page of their own among the ones loaded with them, so every request reads several cold pages: in a VM
 * each is a TLB miss and a nested page walk (~0.2 µs). Copies made one after another as questions come
 * into use sit together on a few pages: with the question index's recent texts, 29.7 -> 27.0 µs a
 * request on the synthetic 100,000 under wrk.
 *
 * Copies are kept for the life of the process (each --threads-http worker has its own): a full pass
 * over a dataset holds its question texts twice.
 */
export class QuestionsInUse {
  readonly #questions: readonly Question[];
  /**
   * The copies by question index, in a Map rather than an array as long as the dataset: a few thousand
   * questions in use out of 100,000 keep a table of tens of KB that stays in cache, where an
   * 800 KB array read at random costs a cold line and a TLB miss a request.
   */
  readonly #copies = new Map<number, QuestionInUse>();

  constructor(questions: readonly Question[]) {
    this.#questions = questions;
  }

  /** Question `index` (as in the dataset): the same content, from the copy. */
  at(index: number): QuestionInUse {
    return this.#copies.get(index) ?? this.#copy(index);
  }

  /**
   * The copy of `text` as question `index`'s text when it is that, else a copy of its own: the question
   * index keeps the texts it found lately, and one copy read by the match and the answer stays warm.
   */
  textCopy(text: string, index: number): string {
    const question = this.#questions[index];
    return question !== undefined && question.text === text ? this.at(index).text : freshCopy(text);
  }

  #copy(index: number): QuestionInUse {
    const q = this.#questions[index]!;
    const choices = q.choices?.map(freshCopy);
    const copy: QuestionInUse = { ...q, id: freshCopy(q.id), text: freshCopy(q.text), answer: freshCopy(q.answer), ...(choices ? { choices } : {}), note: undefined };
    this.#copies.set(index, copy);
    return copy;
  }
}

const BEYOND_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * `text` again, in storage allocated now: JSC's own copies (slice, concatenation) share or point into
 * the original's storage, which is what the copy is to get away from.
 */
export function freshCopy(text: string): string {
  // Latin-1 text stays 8-bit (half the bytes, and compared with 8-bit prompts byte for byte).
  return BEYOND_LATIN1.test(text) ? Buffer.from(text, "utf16le").toString("utf16le") : Buffer.from(text, "latin1").toString("latin1");
}

/**
 * The text harnesses wrap around every question: a template's prefix and suffix, learned from requests.
 *
 * An eval sends every question of a run in the same template (llama-eval's "Solve the following math
 * problem…" before it and "Remember to put your answer…" after it). Once the automaton has found a
 * question inside a message, the text before and after it is kept as a template; a later message that
 * starts with that prefix and ends with that suffix has its middle looked up whole, in a hash map of the
 * questions' texts, instead of being tokenised and run through the automaton (./index.ts says when
 * that gives the automaton's own answer). The store is small and fixed: a harness uses one template per
 * dataset, and text seen once (a judge prompt, a client sending anything else) only replaces the
 * template least recently used.
 */
import { ASCII_CLASSES, WORD } from "./normalize.ts";

export interface Template {
  readonly prefix: string;
  readonly suffix: string;
  /** The suffix's token ids, as the request scanner makes them. */
  readonly suffixIds: Int32Array;
  /**
   * No question lies wholly within `suffixIds[i..]` for i ≥ quietFrom: the end of the last question
   * found scanning the suffix alone, 0 when there is none.
   */
  readonly quietFrom: number;
}

/** Templates kept at once: one per dataset served, with room to spare. */
export const MAX_TEMPLATES = 8;

export class Templates {
  readonly #list: Template[] = [];
  /** Per template, when it last answered a request or was learned: the least recent is replaced. */
  readonly #used: number[] = [];
  #clock = 0;

  get size(): number {
    return this.#list.length;
  }

  /** The k-th template, for k < size. */
  at(k: number): Template {
    return this.#list[k]!;
  }

  /** Template k answered a request: it outlives one-off texts (an LLM judge's prompts between the questions). */
  used(k: number): void {
    this.#used[k] = ++this.#clock;
  }

  has(prefix: string, suffix: string): boolean {
    for (const t of this.#list) if (t.prefix === prefix && t.suffix === suffix) return true;
    return false;
  }

  add(template: Template): void {
    let k = this.#list.length;
    if (k === MAX_TEMPLATES) {
      k = 0;
      for (let j = 1; j < MAX_TEMPLATES; j++) if (this.#used[j]! < this.#used[k]!) k = j;
    }
    this.#list[k] = template;
    this.used(k);
  }
}

/**
 * The middle of `text` when it is written in `template` (the prefix, 1 to `longest` characters, the
 * suffix), else undefined. `longest` (the longest question) spares hashing a long text that cannot be one.
 */
export function middleOf(text: string, template: Template, longest: number): string | undefined {
  const { prefix, suffix } = template;
  const length = text.length - prefix.length - suffix.length;
  if (length < 1 || length > longest || !text.startsWith(prefix) || !text.endsWith(suffix)) return undefined;
  return text.slice(prefix.length, text.length - suffix.length);
}

/**
 * Whether `left` followed by `right` tokenises as the tokens of each, end to end, whatever else either
 * holds: true when either is empty, or when the two characters that meet are ASCII (no Unicode
 * normalisation step composes, reorders or case-maps across an ASCII character) and not both letters
 * or digits (which would make one word of two).
 */
export function meetsCleanly(left: string, right: string): boolean {
  if (left === "" || right === "") return true;
  const a = left.charCodeAt(left.length - 1);
  const b = right.charCodeAt(0);
  return a < 128 && b < 128 && !(ASCII_CLASSES[a] === WORD && ASCII_CLASSES[b] === WORD);
}

/**
 * The text harnesses wrap around every question: a template's prefix and suffix, learned from requests.
 *
 * An eval sends every question of a run in the same template (llama-eval's "Solve the following math
 * problem…" before it and "Remember to put your answer…" after it). Once the automaton has found a
 * question inside a message, the text before and after it is kept as a template; a later message that
 * starts with that prefix and ends with that suffix has its middle looked up whole, in a hash table of the
 * questions' texts (./text-table.ts), instead of being tokenised and run through the automaton (./index.ts says when
 * that gives the automaton's own answer). The store is small and fixed: a harness uses one template per
 * dataset, and text seen once (a judge prompt, a client sending anything else) only replaces the
 * template least recently used.
 */
import { ASCII_CLASSES, WORD } from "./normalize.ts";
import { TextTable } from "./text-table.ts";

/** What the template path needs of the question index's automaton. */
export interface Automaton {
  /**
   * Runs `ids` through the automaton from `state`, calling `onOutput(i)` at each token i that reaches
   * an output: false stops the walk (returned). Stops early, true, once back at the root at or past
   * `quietFrom` (nothing further can be found).
   */
  walk(state: number, ids: Int32Array, quietFrom: number, onOutput: (i: number) => boolean): boolean;
  /** The token ids of one message's text, as the scan makes them. */
  messageIds(text: string): Int32Array;
}

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
  /**
   * No question ends inside the suffix, whatever precedes it: none lies within it (quietFrom 0), and
   * its first token is in no question after that question's first token, so none begun before the
   * suffix runs into it. Then the walk from Q's node cannot reach an output, and is skipped: it reads
   * cold automaton memory for each question, ~0.6 µs a request on GSM8K train.
   */
  readonly clear: boolean;
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

/** A walk's output handler that stops it at the first output. */
const stopAtOutput = () => false;

/**
 * The template path of QuestionIndex.question (./index.ts, whose doc comment gives the argument that
 * its answers are the scan's): learned templates, and the questions they may answer by text.
 */
export class TemplatePath {
  readonly #texts: readonly string[];
  /** Question text → its question, for the questions with a node (build.ts's templateNodes). */
  readonly #byText: TextTable;
  readonly #nodes: Int32Array;
  readonly #automaton: Automaton;
  readonly #inner: Int32Array;
  readonly #templates = new Templates();
  /** Requests answered from a template. */
  hits = 0;
  /** Suffix walks run (templates that are not `clear`), for tests and the bench. */
  walks = 0;

  /**
   * `texts`, the questions; `canonical[i]`, the first question with text i's tokens (-1 for none);
   * `nodes[q]`, the node question q's tokens end at when the path may answer it, else -1; `inner`,
   * the tokens that occur in a question after its first (build.ts's innerTokens); `copyText`, as
   * QuestionIndexOptions'.
   */
  constructor(texts: readonly string[], canonical: Int32Array, nodes: Int32Array, inner: Int32Array, automaton: Automaton, copyText?: (text: string, question: number) => string) {
    this.#texts = texts;
    this.#inner = inner;
    this.#nodes = nodes;
    this.#automaton = automaton;
    this.#byText = new TextTable(texts.length, copyText);
    for (let i = 0; i < texts.length; i++) {
      const q = canonical[i]!;
      if (q >= 0 && nodes[q]! >= 0) this.#byText.add(texts[i]!, q);
    }
  }

  /** The question a message carries by a learned template, or -1 (then only a scan can tell). */
  answer(text: string): number {
    const templates = this.#templates;
    for (let k = 0; k < templates.size; k++) {
      const template = templates.at(k);
      const from = template.prefix.length;
      const length = text.length - from - template.suffix.length;
      // The longest question spares hashing a long text that cannot be one.
      if (length < 1 || length > this.#byText.longest || !text.startsWith(template.prefix) || !text.endsWith(template.suffix)) continue;
      const q = this.#byText.find(text, from, length);
      if (q < 0 || !splitsCleanly(text, from) || !splitsCleanly(text, from + length)) continue;
      // No output running the suffix on from Q's node: no question ends after Q.
      if (template.clear || this.#walk(q, template)) {
        templates.used(k);
        this.hits++;
        return q;
      }
    }
    return -1;
  }

  #walk(q: number, template: Template): boolean {
    this.walks++;
    return this.#automaton.walk(this.#nodes[q]!, template.suffixIds, template.quietFrom, stopAtOutput);
  }

  /** Keeps the text around question `q` in a message as a template, when it is there verbatim and new. */
  learn(text: string, q: number): void {
    const question = this.#texts[q]!;
    const at = text.indexOf(question);
    if (at < 0) return;
    const prefix = text.slice(0, at);
    const suffix = text.slice(at + question.length);
    if (this.#templates.has(prefix, suffix)) return;
    const suffixIds = this.#automaton.messageIds(suffix);
    let quietFrom = 0;
    this.#automaton.walk(0, suffixIds, suffixIds.length, (i) => {
      quietFrom = i + 1;
      return true;
    });
    const first = suffixIds.length === 0 ? -1 : suffixIds[0]!;
    const clear = quietFrom === 0 && (first < 0 || (this.#inner[first >>> 5]! & (1 << (first & 31))) === 0);
    this.#templates.add({ prefix, suffix, suffixIds, quietFrom, clear });
  }
}

/**
 * Whether `text` cut at `at` tokenises as the tokens of its two parts, end to end, whatever else either
 * holds: true when either part is empty, or when the two characters that meet are ASCII (no Unicode
 * normalisation step composes, reorders or case-maps across an ASCII character) and not both letters
 * or digits (which would make one word of two).
 */
export function splitsCleanly(text: string, at: number): boolean {
  if (at === 0 || at === text.length) return true;
  const a = text.charCodeAt(at - 1);
  const b = text.charCodeAt(at);
  return a < 128 && b < 128 && !(ASCII_CLASSES[a] === WORD && ASCII_CLASSES[b] === WORD);
}

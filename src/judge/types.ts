/** The shapes of the judge module's inputs and outputs (re-exported by ./detect.ts). */

/** One chat message reduced to what the judge reads. */
export interface ChatMessage {
  readonly role: string;
  readonly text: string;
}

/** The form of answer a judge prompt asks for: option letters, numbers, or anything. */
export type AnswerShape = "letter" | "number" | "any";

/** The words a grading prompt wants back, spelled as the prompt spells them. */
export interface Verdicts {
  readonly correct: string;
  readonly incorrect: string;
}

/** Field names of a judge that answers in labelled lines (HLE / BrowseComp style), as the prompt spells them. */
export interface VerdictFields {
  /** e.g. `extracted_final_answer` */
  readonly answer: string;
  /** e.g. `reasoning` */
  readonly reasoning?: string;
  /** e.g. `correct` (simple-evals reads `correct: (yes|no)`) or `Judgement` (NeMo-Skills) */
  readonly verdict: string;
  /** e.g. `confidence` */
  readonly confidence?: string;
}

export interface JudgeRequest {
  readonly kind: "extract" | "grade";
  /** The quoted model response, unquoted. */
  readonly response: string;
  /** The reference / expected answer, when the prompt gives one. */
  readonly reference?: string;
  /** "grade": the words to answer with, as the prompt spells them (CORRECT/INCORRECT, Yes/No, A/B, ...). */
  readonly verdicts?: Verdicts;
  /** The form the prompt asks for (examples of integers -> number; options/letters -> letter). */
  readonly shape: AnswerShape;
  /** "grade": the response is already a bare answer to compare (simple-evals' equality check), not a reply to read. */
  readonly bare?: boolean;
  /** "grade": the prompt wants labelled lines (HLE / BrowseComp), not a single word. */
  readonly fields?: VerdictFields;
  /** "extract": what to say when there is no answer, as the prompt spells it (default `no answer`). */
  readonly noAnswer?: string;
  /** Which recogniser matched (for logs and tests), e.g. "llama-eval", "hle", "generic-grade". */
  readonly style?: string;
}

/** The judge's reply. */
export interface JudgeReply {
  /** The whole reply text. */
  readonly text: string;
  /** The answer read from the response, in bare form; undefined when it has none. */
  readonly extracted: string | undefined;
  /** "grade" only: whether the response was judged correct. */
  readonly correct?: boolean;
}

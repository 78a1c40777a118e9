/**
 * Recognising an LLM judge's request. Eval harnesses (llama-eval by default) send their grading prompt
 * to the same server as the questions, so this runs before question matching: the quoted response may
 * itself contain the question's text. It must never fire on a benchmark question (test/judge checks
 * every question of every stored dataset under the usual templates).
 */
import { llamaEval } from "./prompts-llama-eval.ts";
import { genericExtract, genericGrade } from "./prompts-generic.ts";
import { hle, openCompass, simpleEvalsEquality, simpleQa } from "./prompts-known.ts";
import type { ChatMessage, JudgeRequest } from "./types.ts";

export type { AnswerShape, ChatMessage, JudgeReply, JudgeRequest, VerdictFields, Verdicts } from "./types.ts";

/** What recognisers read: the system (and developer) messages joined, and the last user message. */
export interface PromptParts {
  readonly system: string;
  readonly user: string;
}

/** Most specific first: the known templates are cut at their own markers, the generic readers guess more. */
const RECOGNISERS: readonly ((parts: PromptParts) => JudgeRequest | undefined)[] = [
  llamaEval,
  simpleEvalsEquality,
  hle,
  simpleQa,
  openCompass,
  genericGrade,
  genericExtract,
];

// Every recogniser needs one of these words; most requests are dismissed by this one scan.
// The non-capturing group halves the scan's cost (JSC's regexp JIT: 0.34 µs vs 0.61 µs on an AIME prompt).
const CUE = /(?:extract|judg|grad|equivalen|evaluat|assess|verif|correct|compar)/i;

/**
 * `question`: the text of a dataset question the prompt carries, if any. A cue word inside it (a
 * question may well say "correct" or "compare") is no sign of a judge, and the scan skips it: the
 * judge's own instructions are outside the question it quotes.
 */
export function detectJudge(messages: readonly ChatMessage[], question?: string): JudgeRequest | undefined {
  // One user message (most eval requests) with no cue outside the question: dismissed without building the parts.
  if (messages.length === 1 && messages[0]!.role === "user" && !cueAround(messages[0]!.text, question)) return undefined;
  let user: string | undefined;
  const system: string[] = [];
  for (const m of messages) {
    if (m.role === "user") user = m.text;
    else if (m.role === "system" || m.role === "developer") system.push(m.text);
  }
  if (user === undefined) return undefined;
  const parts: PromptParts = { system: system.join("\n\n"), user };
  if (!CUE.test(parts.user) && !CUE.test(parts.system)) return undefined;
  for (const recognise of RECOGNISERS) {
    const request = recognise(parts);
    if (request !== undefined) return request;
  }
  return undefined;
}

/** Whether `text` has a cue outside the first verbatim copy of `question` (anywhere, when it holds none). */
function cueAround(text: string, question: string | undefined): boolean {
  // Most templates put the question first or after a short instruction: a comparison at 0 settles the
  // first case without a search (indexOf hashes the whole question first, ~0.15 µs on GSM8K).
  const at = question === undefined || question === "" ? -1 : text.startsWith(question) ? 0 : text.indexOf(question);
  if (at < 0) return CUE.test(text);
  // Two scans of the template around the question instead of one of the whole prompt (~0.2–0.5 µs less a request).
  return BEFORE.hasCue(text.slice(0, at)) || AFTER.hasCue(text.slice(at + question!.length));
}

/**
 * CUE.test with the last text and its answer remembered: a template's instructions before and after
 * its questions are the same text from request to request, and comparing them costs less than the scan.
 */
class CueMemo {
  #text = "";
  #cue = false;

  hasCue(text: string): boolean {
    if (text !== this.#text) {
      this.#cue = CUE.test(text);
      this.#text = text;
    }
    return this.#cue;
  }
}

const BEFORE = new CueMemo();
const AFTER = new CueMemo();

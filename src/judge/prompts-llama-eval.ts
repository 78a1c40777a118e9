/**
 * llama.cpp's llama-eval LLM judge (examples/llama-eval/llama-eval.py, `Grader._grade_llm`), in its three
 * known forms (see ../shared/reference/eval-clients.md, "Grading"):
 *  1. system "You are an answer extraction system. ... Example 1: 42 ..." + user
 *     `Extract the answer from the following response:\n\n"{pred}"\n\nPlease provide only the extracted answer, ...`
 *  2. user `Extract the answer from this response:\n\nResponse: {pred}\n\nExpected answer: {gold}\n\nPlease provide only ...`
 *  3. user `Extract the answer from the following response. Here are some extracted answers ...:\n\n{examples}\n\n===\n\nResponse: {pred}\n\n===\n\nPlease provide only ...`
 * The response may itself contain quotes, blank lines and "===" lines, so each part is cut at the
 * last marker before the trailing instruction, never the first after the lead-in.
 */
import { examplesShape, namedShape, noAnswerPhrase, shapeOf } from "./sections.ts";
import type { JudgeRequest } from "./types.ts";
import type { PromptParts } from "./detect.ts";

const LEAD = /^\s*extract[ \t]+the[ \t]+(?:final[ \t]+)?answer[ \t]+from[ \t]+(?:the[ \t]+following|this)[ \t]+(?:model[ \t]+)?response\b[ \t]*[:.]?/i;
const TRAILER = /\n[ \t]*\n[ \t]*please[ \t]+provide[ \t]+only[ \t]+the[ \t]+extracted[ \t]+answer/gi;

/** The index of the last trailing instruction paragraph, or -1. */
function trailerAt(text: string): number {
  let at = -1;
  for (const m of text.matchAll(TRAILER)) at = m.index;
  return at;
}

/** Form 3: the examples before the first `===`, the response between it and the last `===`. */
function separated(body: string): { examples: string; response: string } | undefined {
  const open = /\n[ \t]*===[ \t]*\n\s*Response:[ \t]*/.exec(body);
  if (open === null) return undefined;
  const rest = body.slice(open.index + open[0].length);
  const close = rest.lastIndexOf("===");
  const response = close === -1 ? rest : rest.slice(0, close).replace(/\n[ \t]*\n?[ \t]*$/, "");
  return { examples: body.slice(0, open.index), response };
}

export function llamaEval(parts: PromptParts): JudgeRequest | undefined {
  const user = parts.user;
  const lead = LEAD.exec(user);
  if (lead === null) return undefined;
  const end = trailerAt(user);
  if (end < lead[0].length) return undefined;
  const body = user.slice(lead[0].length, end);
  const instructions = `${parts.system}\n${user.slice(0, lead[0].length)}\n${user.slice(end)}`;
  const noAnswer = noAnswerPhrase(instructions);
  const common = { kind: "extract" as const, ...(noAnswer === undefined ? {} : { noAnswer }) };

  // Form 2: "Response: {pred}\n\nExpected answer: {gold}".
  const expected = [...body.matchAll(/\n[ \t]*Expected[ \t]+answer[ \t]*:[ \t]*/gi)].at(-1);
  if (expected !== undefined) {
    const reference = body.slice(expected.index + expected[0].length).trim();
    const response = body.slice(0, expected.index).replace(/^\s*Response:[ \t]*/i, "").trim();
    const shape = examplesShape(parts.system) ?? shapeOf(reference);
    return { ...common, response, reference, shape, style: "llama-eval-expected" };
  }
  const third = separated(body);
  if (third !== undefined) {
    const shape = examplesShape(third.examples) ?? namedShape(instructions) ?? "any";
    return { ...common, response: third.response, shape, style: "llama-eval-inline" };
  }
  const shape = examplesShape(parts.system) ?? namedShape(instructions) ?? "any";
  // Form 1: the quoted response, from the first quote to the last.
  const trimmed = body.trim();
  const quoted = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"');
  const response = quoted ? trimmed.slice(1, -1) : trimmed.replace(/^Response:[ \t]*/i, "");
  return { ...common, response, shape, style: "llama-eval" };
}

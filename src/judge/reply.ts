/** The judge's reply: the extracted answer, or the verdict in the words (or labelled lines) the prompt asked for. */
import { equivalentAnswers, extractAnswer } from "./extract.ts";
import { bareAnswer, lastBoxed } from "./normalize.ts";
import type { JudgeReply, JudgeRequest, VerdictFields } from "./types.ts";

/** The gold answer a reference states: after a GSM8K "####", inside a \boxed{}, else the whole text. */
function referenceAnswer(reference: string | undefined): string | undefined {
  if (reference === undefined) return undefined;
  const hashes = reference.lastIndexOf("####");
  const stated = hashes !== -1 ? reference.slice(hashes + 4) : (lastBoxed(reference) ?? reference);
  return bareAnswer(stated);
}

/** HLE-style labelled lines, in the prompt's order: answer, reasoning, verdict, confidence. */
function fieldsText(fields: VerdictFields, extracted: string | undefined, reference: string | undefined, word: string, correct: boolean, response: string): string {
  const reason =
    extracted === undefined
      ? "The response gives no final answer, so it cannot match the correct answer."
      : correct
        ? `The extracted answer ${extracted} is equivalent to the correct answer ${reference}.`
        : `The extracted answer ${extracted} does not match the correct answer ${reference ?? "(none given)"}.`;
  const stated = /confidence[ \t*]*[:：][ \t*]*(\d{1,3})[ \t]*%/i.exec(response)?.[1];
  const lines = [`${fields.answer}: ${extracted ?? "None"}`];
  if (fields.reasoning !== undefined) lines.push(`${fields.reasoning}: ${reason}`);
  lines.push(`${fields.verdict}: ${word}`);
  if (fields.confidence !== undefined) lines.push(`${fields.confidence}: ${stated !== undefined && Number(stated) <= 100 ? stated : "100"}`);
  return lines.join("\n\n");
}

/** The judge's whole reply text: the extracted answer (or "no answer"), or the verdict word for "grade". */
export function judgeReply(request: JudgeRequest): JudgeReply {
  if (request.kind === "extract") {
    const extracted = extractAnswer(request.response, request.shape);
    if (extracted === undefined) return { text: request.noAnswer ?? "no answer", extracted };
    // Shown the expected answer, a careful judge that finds it writes it the way it was given ("2,125").
    const reference = request.reference?.trim();
    const text = reference !== undefined && reference !== "" && equivalentAnswers(extracted, reference) ? reference : extracted;
    return { text, extracted };
  }
  const extracted = request.bare
    ? (() => {
        const bare = bareAnswer(request.response, request.shape);
        return bare === undefined || /^none$/i.test(bare) ? undefined : bare;
      })()
    : extractAnswer(request.response, request.shape);
  const reference = referenceAnswer(request.reference);
  const correct = extracted !== undefined && reference !== undefined && equivalentAnswers(extracted, reference);
  const verdicts = request.verdicts ?? { correct: "CORRECT", incorrect: "INCORRECT" };
  const word = correct ? verdicts.correct : verdicts.incorrect;
  const text = request.fields === undefined ? word : fieldsText(request.fields, extracted, reference, word, correct, request.response);
  return { text, extracted, correct };
}

/**
 * Grading prompts of popular harnesses, recognised by their own wording and cut at their own markers
 * (the last marker before the template's fixed tail, so that a response quoting a marker cannot move
 * the cut). Sources:
 *  - openai/simple-evals common.py / math_eval.py EQUALITY_TEMPLATE ("Expression 1: ... Expression 2: ..." -> Yes/No)
 *  - HLE run_judge_results.py, reused by simple-evals browsecomp_eval.py GRADER_TEMPLATE and NeMo-Skills
 *    judge/hle.yaml ("[response]: ... [correct_answer]: ..." -> labelled lines, `correct: yes|no`)
 *  - openai/simple-evals simpleqa_eval.py GRADER_TEMPLATE (gold target / predicted answer -> "A"/"B"/"C")
 *  - OpenCompass GenericLLMEvaluator GRADER_TEMPLATE ("<Gold Target Begin>" / "<Predicted Answer Begin>" -> "A"/"B")
 */
import { findVerdicts, shapeOf } from "./sections.ts";
import type { JudgeRequest, VerdictFields } from "./types.ts";
import type { PromptParts } from "./detect.ts";

function lastIndexOfI(text: string, pattern: RegExp): { index: number; end: number } | undefined {
  let found: { index: number; end: number } | undefined;
  for (const m of text.matchAll(pattern)) found = { index: m.index, end: m.index + m[0].length };
  return found;
}

/** simple-evals' equality checker: both expressions are bare answers, Expression 1 the gold one. */
export function simpleEvalsEquality(parts: PromptParts): JudgeRequest | undefined {
  const text = parts.user;
  if (!/judge[ \t]+whether[ \t]+they[ \t]+are[ \t]+equivalent/i.test(text)) return undefined;
  const first = lastIndexOfI(text, /^[ \t]*Expression[ \t]*1[ \t]*:[ \t]*/gm);
  const second = lastIndexOfI(text, /^[ \t]*Expression[ \t]*2[ \t]*:[ \t]*/gm);
  if (first === undefined || second === undefined || second.index < first.end) return undefined;
  const reference = text.slice(first.end, second.index).trim();
  const response = text.slice(second.end).trim();
  const verdicts = findVerdicts(text.slice(0, first.index)) ?? { correct: "Yes", incorrect: "No" };
  return { kind: "grade", response, reference, verdicts, shape: shapeOf(reference), bare: true, style: "simple-evals-equality" };
}

const FIELD = (names: string) => new RegExp(String.raw`^[ \t]*(${names})[ \t]*:`, "im");

/** HLE's judge (and BrowseComp's, NeMo-Skills'): answers in labelled lines, the verdict in `correct:` or `Judgement:`. */
export function hle(parts: PromptParts): JudgeRequest | undefined {
  const text = parts.user;
  if (!/judge[ \t]+whether[ \t]+the[ \t]+following[ \t]+\[response\]/i.test(text)) return undefined;
  const tail = lastIndexOfI(text, /\n[ \t]*Your[ \t]+judge?ment[ \t]+must[ \t]+be[ \t]+in[ \t]+the[ \t]+format/gi);
  if (tail === undefined) return undefined;
  const open = lastIndexOfI(text.slice(0, tail.index), /\[response\][ \t]*:[ \t]*/gi);
  const gold = lastIndexOfI(text, /\[correct_answer\][ \t]*:[ \t]*/gi);
  if (open === undefined || gold === undefined || gold.index < tail.end) return undefined;
  const response = text.slice(open.end, tail.index).trim();
  const afterGold = text.slice(gold.end);
  const goldEnd = /\n[ \t]*\n[ \t]*[A-Za-z_]+[ \t]*:/.exec(afterGold);
  const reference = (goldEnd === null ? afterGold : afterGold.slice(0, goldEnd.index)).trim();
  const instructions = text.slice(tail.index);
  const answer = FIELD("extracted_final_answer").exec(instructions)?.[1];
  const verdict = FIELD("correct|judge?ment").exec(instructions.slice(gold.end - tail.index))?.[1];
  if (answer === undefined || verdict === undefined) return undefined;
  const reasoning = FIELD("reasoning").exec(instructions)?.[1];
  const confidence = FIELD("confidence").exec(instructions)?.[1];
  const fields: VerdictFields = { answer, verdict, ...(reasoning && { reasoning }), ...(confidence && { confidence }) };
  const verdicts = findVerdicts(instructions) ?? { correct: "yes", incorrect: "no" };
  return { kind: "grade", response, reference, verdicts, shape: shapeOf(reference), fields, style: "hle" };
}

/** simple-evals' SimpleQA grader: the new example is the last `Gold target:` / `Predicted answer:` pair. */
export function simpleQa(parts: PromptParts): JudgeRequest | undefined {
  const text = parts.user;
  if (!/look[ \t]+at[ \t]+a[ \t]+question,[ \t]+a[ \t]+gold[ \t]+target,[ \t]+and[ \t]+a[ \t]+predicted[ \t]+answer/i.test(text)) return undefined;
  const tail = lastIndexOfI(text, /\n[ \t]*Grade[ \t]+the[ \t]+predicted[ \t]+answer[ \t]+of[ \t]+this[ \t]+new[ \t]+question/gi);
  if (tail === undefined) return undefined;
  const head = text.slice(0, tail.index);
  const predicted = lastIndexOfI(head, /^[ \t]*Predicted[ \t]+answer[ \t]*:[ \t]*/gim);
  const gold = predicted && lastIndexOfI(head.slice(0, predicted.index), /^[ \t]*Gold[ \t]+target[ \t]*:[ \t]*/gim);
  if (predicted === undefined || gold === undefined) return undefined;
  const fence = head.lastIndexOf("```");
  const response = head.slice(predicted.end, fence > predicted.end ? fence : undefined).trim();
  const reference = head.slice(gold.end, predicted.index).trim();
  const verdicts = findVerdicts(text.slice(tail.index)) ?? { correct: "A", incorrect: "B" };
  return { kind: "grade", response, reference, verdicts, shape: shapeOf(reference), style: "simpleqa" };
}

/** OpenCompass' GenericLLMEvaluator: gold and prediction between `<... Begin>:` and `<... End>` markers. */
export function openCompass(parts: PromptParts): JudgeRequest | undefined {
  const text = parts.user;
  const open = lastIndexOfI(text, /<Predicted[ \t]+Answer[ \t]+Begin>[ \t]*:?/gi);
  const close = lastIndexOfI(text, /<Predicted[ \t]+(?:Answer[ \t]+)?End>/gi);
  const goldOpen = lastIndexOfI(text, /<Gold[ \t]+Target[ \t]+Begin>[ \t]*:?/gi);
  const goldClose = lastIndexOfI(text, /<Gold[ \t]+Target[ \t]+End>/gi);
  if (open === undefined || close === undefined || goldOpen === undefined || goldClose === undefined) return undefined;
  if (close.index < open.end || goldClose.index < goldOpen.end) return undefined;
  const response = text.slice(open.end, close.index).trim();
  const reference = text.slice(goldOpen.end, goldClose.index).trim();
  const instructions = text.slice(0, Math.min(open.index, goldOpen.index)) + text.slice(close.end);
  const verdicts = findVerdicts(instructions) ?? { correct: "A", incorrect: "B" };
  return { kind: "grade", response, reference, verdicts, shape: shapeOf(reference), style: "opencompass" };
}

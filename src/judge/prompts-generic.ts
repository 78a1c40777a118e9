/**
 * Judge prompts in other words. Each needs an unmistakable instruction AND the parts that instruction
 * works on, so that no benchmark question (which may mention "correct answer" or "extract") is taken
 * for one:
 *  - grading: verdict words to answer with, a grading verb, a reference part and a response part;
 *  - extraction: "extract the (final) answer" plus the response, delimited ("...", """...""", ``` fences,
 *    <response> tags, a "Response:" label) or, when the instruction is the system prompt, the whole user message.
 */
import {
  type Section,
  delimitedSections,
  examplesShape,
  findVerdicts,
  labelledSections,
  namedShape,
  noAnswerPhrase,
  shapeOf,
  trimSection,
} from "./sections.ts";
import type { JudgeRequest } from "./types.ts";
import type { PromptParts } from "./detect.ts";

const GRADING_VERB = /\b(?:judge|grade|grading|evaluat(?:e|ion)|assess|determine|decide|verify|compare|correct(?:ly|ness)?|equivalent|match(?:es)?)\b/i;

/** The last section of each role, delimited sections first. */
function lastOfRole(sections: readonly Section[], role: Section["role"]): Section | undefined {
  return sections.filter((s) => s.role === role).at(-1);
}

export function genericGrade(parts: PromptParts): JudgeRequest | undefined {
  const text = parts.user;
  const sections = [...delimitedSections(text)];
  const labelled = labelledSections(text);
  const response = lastOfRole(sections, "response") ?? lastOfRole(labelled, "response");
  const reference = lastOfRole(sections, "reference") ?? lastOfRole(labelled, "reference");
  if (response === undefined || reference === undefined) return undefined;
  const responseText = trimSection(text.slice(response.start, response.end));
  const referenceText = trimSection(text.slice(reference.start, reference.end)).split("\n")[0]!.trim();
  if (responseText === "" || referenceText === "") return undefined;
  // The instructions are everything but the response, which may itself say "yes or no".
  const at = text.indexOf(responseText, response.start);
  const [cutFrom, cutTo] = at === -1 ? [response.start, response.end] : [at, at + responseText.length];
  const instructions = `${parts.system}\n${text.slice(0, cutFrom)}\n${text.slice(cutTo)}`;
  if (!GRADING_VERB.test(instructions)) return undefined;
  const verdicts = findVerdicts(instructions);
  if (verdicts === undefined) return undefined;
  return { kind: "grade", response: responseText, reference: referenceText, verdicts, shape: shapeOf(referenceText), style: "generic-grade" };
}

// Each optional word brings its own following spaces, so no run of spaces can be split two ways.
const EXTRACT_INTENT = /\bextract(?:s|ing)?[ \t]+(?:only[ \t]+)?(?:(?:the|a|an)[ \t]+)?(?:(?:final|exact|numeric(?:al)?|model's|correct)[ \t]+)?(?:answer|option[ \t]+letter)\b|\banswer[ \t-]+extract(?:ion|or)\b/i;
const TAG_OPEN = /<(response|model_response|model_output|output|completion|text|solution|reply)>/i;

interface Delimited {
  readonly text: string;
  /** Where the delimiter opens and where the closing one ends. */
  readonly at: number;
  readonly end: number;
}

/** The response a user message carries in explicit delimiters, if any. */
function delimited(user: string): Delimited | undefined {
  const tag = TAG_OPEN.exec(user);
  if (tag !== null) {
    const closing = `</${tag[1]!.toLowerCase()}>`;
    const close = user.toLowerCase().lastIndexOf(closing);
    if (close > tag.index) return { text: user.slice(tag.index + tag[0].length, close).trim(), at: tag.index, end: close + closing.length };
  }
  for (const mark of ['"""', "'''", "```"]) {
    const a = user.indexOf(mark);
    const b = user.lastIndexOf(mark);
    // A fence's first line may name a language ("```text").
    if (a !== -1 && b > a) return { text: user.slice(a + mark.length, b).replace(/^\w*[ \t]*\n/, "").trim(), at: a, end: b + mark.length };
  }
  const label = lastOfRole(labelledSections(user), "response");
  if (label !== undefined) return { text: trimSection(user.slice(label.start, label.end)), at: label.at, end: user.length };
  // A paragraph that opens with a quote: the response runs to the last quote.
  const open = /(?:^|\n)[ \t]*"/.exec(user);
  const close = user.lastIndexOf('"');
  if (open !== null && close > open.index + open[0].length) {
    return { text: user.slice(open.index + open[0].length, close).trim(), at: open.index, end: close + 1 };
  }
  return undefined;
}

/**
 * With the instruction in the system prompt the user message is the response, unless it is a short
 * lead-in ("Here is the response:") and a delimited response, or nothing but a delimited response. A
 * response that merely contains a code block or a quotation stays whole.
 */
function userMessageResponse(user: string, found: Delimited | undefined): string {
  if (found === undefined) return user.trim();
  const prefix = user.slice(0, found.at).trim();
  const leadIn = prefix.length <= 300 && /\b(?:response|answer|output|extract|text|solution|completion|following|below)\b/i.test(prefix);
  const alone = prefix === "" && user.slice(found.end).trim() === "";
  return leadIn || alone ? found.text : user.trim();
}

export function genericExtract(parts: PromptParts): JudgeRequest | undefined {
  const { system, user } = parts;
  const inSystem = EXTRACT_INTENT.exec(system);
  const inUser = inSystem === null ? EXTRACT_INTENT.exec(user) : null;
  if (inSystem === null && inUser === null) return undefined;
  const found = delimited(user);
  let response: string;
  if (inSystem !== null) response = userMessageResponse(user, found);
  else if (found !== undefined && found.at >= inUser!.index) response = found.text;
  else {
    // "Extract the final answer from the response below.\n\n<response>": the paragraphs after the instruction's.
    const split = user.slice(inUser!.index).search(/\n[ \t]*\n/);
    if (split === -1) return undefined;
    response = trimSection(user.slice(inUser!.index + split));
  }
  if (response === "") return undefined;
  const instructions = `${system}\n${user.replace(response, "")}`;
  const shape = examplesShape(instructions) ?? namedShape(instructions) ?? "any";
  const noAnswer = noAnswerPhrase(instructions);
  return { kind: "extract", response, shape, ...(noAnswer === undefined ? {} : { noAnswer }), style: "generic-extract" };
}

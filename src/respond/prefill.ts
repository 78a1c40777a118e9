/**
 * Assistant prefill: a trailing assistant message is the start of the reply, and llama-server
 * returns only what the model generates after it. `continueFrom` turns the reply the simulator
 * would have written into such a continuation. The rules, in order:
 *
 * 1. An open `\boxed{` at the end of the prefill is finished with the answer (what is already
 *    typed inside it is not repeated) and closed: `33}.` (plus `$` when a math span is open).
 * 2. An answer cue at the end of the prefill ("The answer is", "Answer:", "####", with an optional
 *    "(") is followed by the answer: ` 33.`, ` C).`.
 * 3. An open `<think>` in the prefill: the reply's own leading `<think>` is dropped, and when the
 *    reply never closes the thoughts, they are closed (`\n</think>\n\n`) and the reply's last line
 *    (its answer line) is repeated after them.
 * 4. A prefill that is the beginning of the reply gets the rest of the reply; one whose end
 *    overlaps the reply's beginning (from a word boundary) gets the reply after the overlap.
 * 5. Otherwise the whole reply follows, after a space, or a blank line when the prefill ends a
 *    sentence (nothing when it ends in whitespace).
 *
 * A code fence the prefill opened (```json) is closed after the continuation. The answer for
 * rules 1 and 2 is `answer` when given, else read off the reply (last \boxed{}, "Answer:",
 * "The answer is", "####"); without one those rules are skipped.
 */
export function continueFrom(prefill: string, reply: string, answer?: string): string {
  if (prefill === "") return reply;
  const stated = answer ?? extractAnswer(reply);
  let continuation = finishAnswer(prefill, stated) ?? continueThoughts(prefill, reply) ?? continueText(prefill, reply);
  if (countFences(prefill) % 2 === 1 && countFences(prefill + continuation) % 2 === 1) continuation += "\n```";
  return continuation;
}

const countFences = (text: string) => text.split("```").length - 1;

/** Rules 1 and 2: the prefill stops where the answer goes. */
function finishAnswer(prefill: string, answer: string | undefined): string | undefined {
  if (answer === undefined) return undefined;
  const box = openBox(prefill);
  if (box !== undefined) {
    const rest = answer.startsWith(box) ? answer.slice(box.length) : box === "" ? answer : "";
    return `${rest}}${openMath(prefill) ? "$" : ""}.`;
  }
  const cue = /(?:\bthe\s+(?:final\s+)?answer\s+is|\banswer\s*:|####)(\s*)(\(?)(\s*)$/i.exec(prefill);
  if (cue === null) return undefined;
  const space = prefill.endsWith(" ") || prefill.endsWith("\n") || cue[2] === "(" ? "" : " ";
  if (cue[2] === "(") return `${answer})${/answer\s+is/i.test(cue[0]) ? "." : ""}`;
  return /answer\s+is/i.test(cue[0]) ? `${space}${answer}.` : `${space}${answer}`;
}

/** What is already typed inside a `\boxed{` the prefill leaves open; undefined when none is open. */
function openBox(prefill: string): string | undefined {
  const at = prefill.lastIndexOf("\\boxed{");
  if (at === -1) return undefined;
  const inside = prefill.slice(at + "\\boxed{".length);
  let depth = 1;
  for (const ch of inside) {
    if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) return undefined;
  }
  return depth === 1 ? inside : undefined;
}

/** An odd number of unescaped `$`: a math span is open. */
function openMath(prefill: string): boolean {
  return (prefill.replace(/\\\$/g, "").match(/\$/g)?.length ?? 0) % 2 === 1;
}

/** Rule 3. */
function continueThoughts(prefill: string, reply: string): string | undefined {
  const open = prefill.lastIndexOf("<think>");
  if (open === -1 || prefill.lastIndexOf("</think>") > open) return undefined;
  const thoughtsSoFar = prefill.slice(open + "<think>".length);
  const rest = reply.replace(/^\s*<think>\s*/, "");
  const body = continueText(thoughtsSoFar === "" ? "\n" : thoughtsSoFar, rest);
  if (rest.includes("</think>")) return body;
  const lines = rest.split("\n").filter((l) => l.trim() !== "");
  return `${body}\n</think>\n\n${lines[lines.length - 1] ?? ""}`;
}

/** Rules 4 and 5. */
function continueText(prefill: string, reply: string): string {
  if (reply.startsWith(prefill)) return reply.slice(prefill.length);
  const overlap = overlapLength(prefill, reply);
  if (overlap > 0) return reply.slice(overlap);
  if (/\s$/.test(prefill)) return reply.trimStart();
  return (/[.!?:]$/.test(prefill) ? "\n\n" : " ") + reply.trimStart();
}

/** The longest end of `prefill`, starting at a word boundary, that `reply` begins with. */
function overlapLength(prefill: string, reply: string): number {
  const trimmed = reply.trimStart();
  const lead = reply.length - trimmed.length;
  for (let start = 0; start < prefill.length; start++) {
    if (start > 0 && !/[\s.,;:!?(]/.test(prefill[start - 1]!)) continue;
    const tail = prefill.slice(start);
    if (tail.trim() !== "" && trimmed.startsWith(tail)) return lead + tail.length;
  }
  return 0;
}

/** The answer a reply states: its last `\boxed{…}`, else an "Answer:", "The answer is" or "####" line. */
export function extractAnswer(reply: string): string | undefined {
  const at = reply.lastIndexOf("\\boxed{");
  if (at !== -1) {
    let depth = 1;
    const start = at + "\\boxed{".length;
    for (let i = start; i < reply.length; i++) {
      if (reply[i] === "{") depth++;
      else if (reply[i] === "}" && --depth === 0) return reply.slice(start, i);
    }
  }
  const patterns = [/^[ \t]*(?:final answer|answer)[ \t]*:[ \t]*(.+?)[ \t]*$/gim, /\bthe (?:final )?answer is[ \t]+(.+?)\.?[ \t]*$/gim, /^[ \t]*####[ \t]*(.+?)[ \t]*$/gm];
  for (const pattern of patterns) {
    const matches = [...reply.matchAll(pattern)];
    const last = matches[matches.length - 1];
    if (last?.[1] !== undefined) return last[1];
  }
  return undefined;
}

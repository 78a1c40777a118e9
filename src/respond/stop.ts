/**
 * Stop strings, as llama-server applies them: generation ends where the earliest stop string
 * begins, and neither the stop string nor anything after it is returned. Empty strings never
 * match (llama-server drops them). Apply it to the raw text the model generates, before any
 * reasoning is split out: llama-server matches stop strings on the token stream, thoughts included.
 */
export interface StopResult {
  /** The text up to (not including) the earliest stop string; all of it when none occurs. */
  readonly text: string;
  readonly stopped: boolean;
  /** The stop string that matched (the first listed among those starting at the same place). */
  readonly word?: string;
}

export function applyStop(text: string, stops: readonly string[]): StopResult {
  let at = -1;
  let word: string | undefined;
  for (const stop of stops) {
    if (stop === "") continue;
    const i = text.indexOf(stop);
    if (i !== -1 && (at === -1 || i < at)) {
      at = i;
      word = stop;
    }
  }
  if (word === undefined) return { text, stopped: false };
  return { text: text.slice(0, at), stopped: true, word };
}

/** What a reply says before it is cut: its thoughts (when kept apart from the text) and its text. */
export interface ReplyText {
  readonly thoughts: string | undefined;
  readonly body: string;
}

/**
 * Whether a reply cut to `content` still holds its answer `statement` whole, where `whole` is the
 * text before the cut (content is a prefix of it): the statement's last occurrence must end within
 * the content.
 */
export function statementKept(whole: string, content: string, statement: string): boolean {
  if (content.length >= whole.length) return true;
  const at = whole.lastIndexOf(statement);
  return at >= 0 && content.length >= at + statement.length;
}

/** `text` with every whitespace run that holds a whitespace-only stop string turned into one space. */
function collapseStops(text: string, stops: readonly string[]): string {
  const blanks = stops.filter((s) => s.trim() === "" && text.includes(s));
  return blanks.length === 0 ? text : text.replace(/\s+/g, (run) => (blanks.some((s) => run.includes(s)) ? " " : run));
}

/**
 * The reply laid out so that the request's stop strings do not end it before its answer, as a model
 * that follows the prompt's conventions writes it. lm-eval stops at "\n\n" (its few-shot delimiter)
 * unless a task says otherwise, and a reply "Let me work through this…\n\nThe answer is 72." would
 * be cut before its answer: the paragraphs are then joined with a space; if a stop string still comes
 * first, the reply is the answer statement alone. A stop string inside the statement itself still
 * cuts it (the reply then gives no answer). `fits` says whether a layout keeps the statement.
 */
export function layoutForStops(reply: ReplyText, statement: string, stops: readonly string[], fits: (reply: ReplyText) => boolean): ReplyText {
  if (stops.length === 0 || fits(reply)) return reply;
  const joined = { thoughts: reply.thoughts === undefined ? undefined : collapseStops(reply.thoughts, stops), body: collapseStops(reply.body, stops) };
  if (fits(joined)) return joined;
  const bare = { thoughts: undefined, body: statement };
  return fits(bare) ? bare : reply;
}

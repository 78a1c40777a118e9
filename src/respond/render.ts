import { estimateTokens } from "./tokens.ts";

/**
 * The reply text. Graders read the last lines: regex graders take the last \boxed{} (or the
 * last integer), LLM judges the stated answer, so the answer closes the reply, boxed.
 */
export function renderReply(answer: string): string {
  return `Let me work through this problem step by step.\n\nThe answer is \\boxed{${answer}}.`;
}

export interface Completion {
  readonly content: string;
  readonly completionTokens: number;
  /** "length" when the request's token limit cut the reply short, as llama-server reports it. */
  readonly finishReason: "stop" | "length";
}

/** Applies the request's token limit (n_predict / max_tokens); a negative or absent limit means none. */
export function completeWithin(text: string, limit: number | undefined): Completion {
  const tokens = estimateTokens(text);
  if (limit === undefined || limit < 0 || tokens <= limit) {
    return { content: text, completionTokens: tokens, finishReason: "stop" };
  }
  let end = limit * 4;
  // Never cut a surrogate pair: clients could not decode half a character.
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1] ?? "")) end--;
  return { content: text.slice(0, end), completionTokens: limit, finishReason: "length" };
}

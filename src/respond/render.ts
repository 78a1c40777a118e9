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
  return { content: text.slice(0, limit * 4), completionTokens: limit, finishReason: "length" };
}

import { completeWithin, renderReply } from "../respond/render.ts";
import { estimateTokens } from "../respond/tokens.ts";
import { wrongAnswer } from "../respond/wrong.ts";
import type { ServerContext } from "./context.ts";
import { invalidRequest } from "./errors.ts";

/** One message of a prompt, reduced to what the simulator reads. */
export interface PromptMessage {
  readonly role: string;
  readonly text: string;
}

/** What any completion route (chat, /completion, /v1/completions) asks of the answer path. */
export interface AnswerRequest {
  readonly messages: readonly PromptMessage[];
  /** n_predict / max_tokens / max_completion_tokens, already resolved; undefined or negative = no limit. */
  readonly maxTokens: number | undefined;
}

/** What the request log and the ledger learn about a reply. */
export interface ChatOutcome {
  /** "question": a dataset question was answered; "judge": a judge request; "echo": an unmatched prompt echoed. */
  readonly kind: "question" | "judge" | "echo";
  readonly questionId: string;
  readonly correct: boolean;
}

/** The reply of one choice, before any route formats it. */
export interface Answer {
  readonly content: string;
  /** Thoughts split out of content (llama-server's reasoning_content), when the reasoning format asks for it. */
  readonly reasoningContent: string | undefined;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly finishReason: "stop" | "length";
  readonly outcome: ChatOutcome;
}

/** Chat template overhead per message in a typical Llama-3 template. */
const TOKENS_PER_MESSAGE = 4;

export function promptTokens(messages: readonly PromptMessage[]): number {
  return messages.reduce((sum, m) => sum + estimateTokens(m.text) + TOKENS_PER_MESSAGE, 0);
}

/** Finds the question a prompt carries, decides the outcome and writes the reply: shared by every completion route. */
export function answerPrompt(ctx: ServerContext, request: AnswerRequest): Answer {
  const texts = request.messages.map((m) => m.text);
  const index = ctx.findQuestion(texts);
  if (index === undefined) {
    throw invalidRequest(
      `no dataset question matched the request: the prompt must contain one of the ${ctx.dataset.questions.length} questions of ${ctx.dataset.name} in full`,
    );
  }
  const question = ctx.dataset.questions[index]!;
  const outcome = ctx.decider.decide(index);
  const answer = outcome.correct ? question.answer : wrongAnswer(question.answer, ctx.pool, ctx.decider.seed, outcome.keys);
  const completion = completeWithin(renderReply(answer), request.maxTokens);
  return {
    content: completion.content,
    reasoningContent: undefined,
    promptTokens: promptTokens(request.messages),
    completionTokens: completion.completionTokens,
    finishReason: completion.finishReason,
    outcome: { kind: "question", questionId: question.id, correct: outcome.correct },
  };
}

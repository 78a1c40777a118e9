import type { ReasoningFormat } from "../config.ts";
import type { Verdict } from "../decide/decide.ts";
import { detectJudge } from "../judge/detect.ts";
import { judgeReply } from "../judge/reply.ts";
import { composeReply, type ComposedReply, type ReplyPlan } from "../respond/compose.ts";
import { completeWithin } from "../respond/render.ts";
import { estimateTokens } from "../respond/tokens.ts";
import type { ServerContext } from "./context.ts";
import { HttpError, invalidRequest } from "./errors.ts";

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
  readonly temperature?: number;
  /** The request's `seed` field. */
  readonly seed?: number;
  /** The request's `reasoning_format`, else the server's --reasoning-format. */
  readonly reasoningFormat?: ReasoningFormat;
  /** Whether the reply is streamed (deepseek-legacy keeps thoughts inline only then). */
  readonly stream?: boolean;
  /** X-Sim-Outcome, passed only under --allow-override. */
  readonly override?: Verdict;
}

/** What the request log, the ledger and the metrics learn about a reply. */
export interface ChatOutcome {
  /** "question": a dataset question was answered; "judge": a judge request; "echo": an unmatched prompt echoed. */
  readonly kind: "question" | "judge" | "echo";
  readonly questionId: string;
  readonly correct: boolean;
  /** For questions: the dataset it came from, its attempt number and what the reply meant. */
  readonly dataset?: string;
  readonly attempt?: number;
  readonly plan?: ReplyPlan;
}

/** The reply of one choice, before any route formats it. */
export interface Answer {
  readonly content: string;
  /** Thoughts split out of content (llama-server's reasoning_content); undefined when there are none or they stay inline. */
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

const ECHO_REPLY =
  "Hello! I am llama-sim, a simulated model: I answer the questions of the benchmark I was started with. " +
  "This prompt carries none of them, so here is a short generic reply.";

/**
 * Finds what a prompt asks and writes the reply: shared by every completion route. A judge request
 * is recognised first (it quotes a reply, and may quote the question too) and never scored.
 */
export function answerPrompt(ctx: ServerContext, request: AnswerRequest): Answer {
  const tokensIn = promptTokens(request.messages);
  const judge = detectJudge(request.messages);
  if (judge !== undefined) {
    const reply = judgeReply(judge);
    return plain(reply.text, tokensIn, request.maxTokens, { kind: "judge", questionId: "-", correct: false });
  }
  const index = ctx.findQuestion(request.messages.map((m) => m.text));
  if (index === undefined) {
    if (ctx.reply.onUnmatched === "error") ctx.oracle?.onUnmatched();
    if (ctx.reply.onUnmatched === "echo") return plain(ECHO_REPLY, tokensIn, request.maxTokens, { kind: "echo", questionId: "-", correct: false });
    throw invalidRequest(
      `no dataset question matched the request: the prompt must contain one of the ${ctx.dataset.questions.length} questions of ${ctx.dataset.name} in full`,
    );
  }
  const question = ctx.dataset.questions[index]!;
  const decision = ctx.decider.decide(index, { temperature: request.temperature, requestSeed: request.seed, override: request.override });
  if (decision.forced === "error") {
    ctx.oracle?.onInjectedError(question.dataset ?? ctx.dataset.name, question.id, decision.attempt, question.answer);
    throw new HttpError(500, "server_error", "injected error (X-Sim-Outcome: error)");
  }
  const composed = composeReply({
    question,
    texts: request.messages.map((m) => m.text),
    outcome: decision.forced === "no-answer" ? "no-answer" : decision.correct ? "correct" : "wrong",
    seed: ctx.decider.seed,
    keys: decision.keys,
    pool: ctx.poolFor(question),
    options: ctx.reply,
  });
  const format = request.reasoningFormat ?? ctx.reply.reasoningFormat;
  const inline = composed.thinkInline || format === "none" || (format === "deepseek-legacy" && request.stream === true);
  const { plan, thoughts } = splitPlan(composed);
  const limited = limitReply(thoughts, composed.body, inline, request.maxTokens);
  return {
    ...limited,
    promptTokens: tokensIn,
    outcome: {
      kind: "question",
      questionId: question.id,
      correct: plan.verdict === "correct",
      dataset: question.dataset ?? ctx.dataset.name,
      attempt: decision.attempt,
      plan,
    },
  };
}

function splitPlan(composed: ComposedReply): { plan: ReplyPlan; thoughts: string | undefined } {
  const { thoughts, thinkInline: _inline, body: _body, ...plan } = composed;
  return { plan, thoughts };
}

function plain(text: string, tokensIn: number, maxTokens: number | undefined, outcome: ChatOutcome): Answer {
  const completion = completeWithin(text, maxTokens);
  return { content: completion.content, reasoningContent: undefined, promptTokens: tokensIn, completionTokens: completion.completionTokens, finishReason: completion.finishReason, outcome };
}

/**
 * Applies the token limit to thoughts and answer together, as a model generates them: a limit
 * reached inside the thoughts leaves no answer at all (finish_reason "length").
 */
function limitReply(
  thoughts: string | undefined,
  body: string,
  inline: boolean,
  limit: number | undefined,
): Pick<Answer, "content" | "reasoningContent" | "completionTokens" | "finishReason"> {
  if (thoughts === undefined || thoughts === "") {
    const c = completeWithin(body, limit);
    return { content: c.content, reasoningContent: undefined, completionTokens: c.completionTokens, finishReason: c.finishReason };
  }
  if (inline) {
    const c = completeWithin(`<think>\n${thoughts}\n</think>\n\n${body}`, limit);
    return { content: c.content, reasoningContent: undefined, completionTokens: c.completionTokens, finishReason: c.finishReason };
  }
  const t = completeWithin(thoughts, limit);
  if (t.finishReason === "length") return { content: "", reasoningContent: t.content, completionTokens: t.completionTokens, finishReason: "length" };
  const rest = limit === undefined || limit < 0 ? undefined : limit - t.completionTokens;
  const c = completeWithin(body, rest);
  return { content: c.content, reasoningContent: thoughts, completionTokens: t.completionTokens + c.completionTokens, finishReason: c.finishReason };
}

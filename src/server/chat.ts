import { completeWithin, renderReply, type Completion } from "../respond/render.ts";
import { timingsFor } from "../respond/timings.ts";
import { estimateTokens, splitIntoPieces } from "../respond/tokens.ts";
import { wrongAnswer } from "../respond/wrong.ts";
import type { ServerContext } from "./context.ts";
import { invalidRequest } from "./errors.ts";
import type { ChatRequest } from "./request.ts";

/** What the request log reports about a chat reply. */
export interface ChatOutcome {
  readonly questionId: string;
  readonly correct: boolean;
}

export interface ChatReply {
  readonly outcome: ChatOutcome;
  readonly body: string;
  readonly stream: boolean;
}

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** "chatcmpl-" + 32 random alphanumerics, as llama-server's gen_chatcmplid(). */
export function completionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let id = "chatcmpl-";
  // 256 % 62 != 0, so take bytes < 248 (= 4 * 62) to avoid bias; refill rarely needed.
  for (let i = 0; id.length < 41; i++) {
    if (i === bytes.length) {
      crypto.getRandomValues(bytes);
      i = 0;
    }
    const b = bytes[i]!;
    if (b < 248) id += ID_ALPHABET[b % 62];
  }
  return id;
}

/** Chat template overhead per message in a typical Llama-3 template. */
const TOKENS_PER_MESSAGE = 4;

export function answerChat(ctx: ServerContext, request: ChatRequest): ChatReply {
  const index = ctx.findQuestion(request.texts);
  if (index === undefined) {
    throw invalidRequest(
      `no dataset question matched the request: the prompt must contain one of the ${ctx.dataset.questions.length} questions of ${ctx.dataset.name} in full`,
    );
  }
  const question = ctx.dataset.questions[index]!;
  const outcome = ctx.decider.decide(index);
  const answer = outcome.correct ? question.answer : wrongAnswer(question.answer, ctx.pool, ctx.decider.seed, outcome.keys);
  const completion = completeWithin(renderReply(answer), request.maxTokens);
  const promptTokens = request.texts.reduce((sum, text) => sum + estimateTokens(text) + TOKENS_PER_MESSAGE, 0);
  const body = request.stream
    ? streamBody(ctx, completion, promptTokens, request.includeUsage)
    : JSON.stringify(completionObject(ctx, completion, promptTokens));
  return { outcome: { questionId: question.id, correct: outcome.correct }, body, stream: request.stream };
}

function usage(promptTokens: number, completionTokens: number) {
  return {
    completion_tokens: completionTokens,
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
  };
}

/** Keys in llama-server's order (it writes nlohmann ordered_json). */
function completionObject(ctx: ServerContext, completion: Completion, promptTokens: number) {
  return {
    choices: [{ finish_reason: completion.finishReason, index: 0, message: { role: "assistant", content: completion.content } }],
    created: Math.floor(Date.now() / 1000),
    model: ctx.alias,
    system_fingerprint: ctx.fingerprint,
    object: "chat.completion",
    usage: usage(promptTokens, completion.completionTokens),
    id: completionId(),
    timings: timingsFor(promptTokens, completion.completionTokens),
  };
}

/**
 * The whole SSE stream as llama-server sends it: a role chunk with `content: null`, one chunk
 * per piece of text, a finish chunk with an empty delta, the usage chunk if asked, then [DONE].
 * `timings` rides on the last chunk before [DONE].
 */
function streamBody(ctx: ServerContext, completion: Completion, promptTokens: number, includeUsage: boolean): string {
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra?: Record<string, unknown>) =>
    `data: ${JSON.stringify({ choices, created, id, model: ctx.alias, system_fingerprint: ctx.fingerprint, object: "chat.completion.chunk", ...extra })}\n\n`;
  const delta = (d: Record<string, unknown>) => [{ finish_reason: null, index: 0, delta: d }];
  const timings = timingsFor(promptTokens, completion.completionTokens);
  const events = [chunk(delta({ role: "assistant", content: null }))];
  for (const piece of splitIntoPieces(completion.content)) events.push(chunk(delta({ content: piece })));
  const finish = [{ finish_reason: completion.finishReason, index: 0, delta: {} }];
  if (includeUsage) {
    events.push(chunk(finish));
    events.push(chunk([], { usage: usage(promptTokens, completion.completionTokens), timings }));
  } else {
    events.push(chunk(finish, { timings }));
  }
  events.push("data: [DONE]\n\n");
  return events.join("");
}

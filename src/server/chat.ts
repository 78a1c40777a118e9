import { timingsFor } from "../respond/timings.ts";
import { chatLogprobs, streamLogprobs } from "../respond/logprobs.ts";
import { splitIntoPieces } from "../respond/tokens.ts";
import { toolCallDeltas } from "../respond/tools.ts";
import { answerPrompt, type Answer, type ChatOutcome } from "./answer.ts";
import type { Verdict } from "../decide/decide.ts";
import type { ServerContext } from "./context.ts";
import { settingsOf } from "./props.ts";
import { invalidRequest } from "./errors.ts";
import type { ChatRequest } from "./request.ts";

export type { ChatOutcome } from "./answer.ts";

export interface ChatReply {
  readonly outcome: ChatOutcome;
  /** The JSON body; "" for a stream. */
  readonly body: string;
  readonly stream: boolean;
  /** A stream's SSE events, sent one by one. */
  readonly events?: readonly string[];
}

const ID_PREFIX = "chatcmpl-";
const ID_ALPHABET = new TextEncoder().encode("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
const ID_LENGTH = 32;

/** Random bytes drawn from the system in bulk: one getRandomValues call per few hundred ids. */
const randomPool = new Uint8Array(16384);
let randomAt = randomPool.length;
/** The id is assembled as bytes and decoded once: 3x faster than joining 32 one-character strings. */
const idBytes = new Uint8Array(ID_PREFIX.length + ID_LENGTH);
idBytes.set(new TextEncoder().encode(ID_PREFIX));
const LATIN1 = new TextDecoder("latin1");

/** "chatcmpl-" + 32 random alphanumerics, as llama-server's gen_chatcmplid(). */
export function completionId(): string {
  let filled = ID_PREFIX.length;
  while (filled < idBytes.length) {
    if (randomAt === randomPool.length) {
      crypto.getRandomValues(randomPool);
      randomAt = 0;
    }
    const b = randomPool[randomAt++]!;
    // 256 is not a multiple of 62: bytes from 248 up would favour the first characters.
    if (b < 248) idBytes[filled++] = ID_ALPHABET[b % 62]!;
  }
  return LATIN1.decode(idBytes);
}

export function answerChat(ctx: ServerContext, request: ChatRequest, override?: Verdict): ChatReply {
  const slots = ctx.parallel ?? 4;
  if (request.n > slots) throw invalidRequest("n_cmpl cannot be greater than the number of slots, please increase -np");
  const asked = {
    messages: request.messages,
    // -n/--n-predict is the default when the request sets no limit, as llama-server's.
    maxTokens: request.maxTokens ?? settingsOf(ctx).nPredict,
    stream: request.stream,
    temperature: request.temperature,
    seed: request.seed,
    reasoningFormat: request.reasoningFormat,
    override,
    stop: request.stop,
    prefill: request.prefill,
    responseFormat: request.responseFormat,
    tools: request.tools,
    toolChoice: request.toolChoice,
  };
  // Each choice is decided on its own, as n independent samples of the same prompt.
  const answers = Array.from({ length: request.n }, () => answerPrompt(ctx, asked));
  const answer = answers[0]!;
  const id = completionId();
  ctx.oracle?.onAnswers(id, answers);
  const topN = request.topLogprobs;
  if (request.stream) return { outcome: answer.outcome, body: "", stream: true, events: streamEvents(ctx, id, answers, request.includeUsage, topN) };
  return { outcome: answer.outcome, body: completionJson(ctx, id, answers, topN), stream: false };
}

function usageJson(promptTokens: number, completionTokens: number): string {
  return `{"completion_tokens":${completionTokens},"prompt_tokens":${promptTokens},"total_tokens":${promptTokens + completionTokens},"prompt_tokens_details":{"cached_tokens":0}}`;
}

// Replies are assembled from string pieces rather than JSON.stringify of objects: it is the
// hottest code in the server, and only the reply text needs escaping. Keys follow
// llama-server's order (it writes nlohmann ordered_json).

function timingsJson(promptTokens: number, predictedTokens: number): string {
  const t = timingsFor(promptTokens, predictedTokens);
  return (
    `{"cache_n":${t.cache_n},"prompt_n":${t.prompt_n},"prompt_ms":${t.prompt_ms},"prompt_per_token_ms":${t.prompt_per_token_ms},` +
    `"prompt_per_second":${t.prompt_per_second},"predicted_n":${t.predicted_n},"predicted_ms":${t.predicted_ms},` +
    `"predicted_per_token_ms":${t.predicted_per_token_ms},"predicted_per_second":${t.predicted_per_second}}`
  );
}

/** `"model":…,"system_fingerprint":…` for a context, escaped once rather than per reply. */
const modelFields = new WeakMap<ServerContext, string>();
function modelJson(ctx: ServerContext): string {
  let fields = modelFields.get(ctx);
  if (fields === undefined) {
    fields = `"model":${JSON.stringify(ctx.alias)},"system_fingerprint":${JSON.stringify(ctx.fingerprint)}`;
    modelFields.set(ctx, fields);
  }
  return fields;
}

/** A choice's message: llama-server [A]'s key order, role, reasoning_content (when non-empty), content, tool_calls. */
function messageJson(answer: Answer): string {
  const reasoning = answer.reasoningContent ? `"reasoning_content":${JSON.stringify(answer.reasoningContent)},` : "";
  if (answer.toolCalls) {
    // [chat-old]: content is null when empty and there are tool calls.
    const content = answer.content === "" ? "null" : JSON.stringify(answer.content);
    return `{"role":"assistant",${reasoning}"content":${content},"tool_calls":${JSON.stringify(answer.toolCalls)}}`;
  }
  return `{"role":"assistant",${reasoning}"content":${JSON.stringify(answer.content)}}`;
}

/** `,"logprobs":{...}` after a choice's message when asked; absent otherwise (and with top_logprobs 0), as llama-server. */
function logprobsJson(answer: Answer, topN: number | undefined, seed: number): string {
  if (topN === undefined || topN === 0) return "";
  return `,"logprobs":${JSON.stringify({ content: chatLogprobs(splitIntoPieces(answer.content), topN, seed, answer.keys) })}`;
}

/** `usage` and `timings` come from the first choice only, as llama-server reports n > 1. */
function completionJson(ctx: ServerContext, id: string, answers: readonly Answer[], topN: number | undefined): string {
  const first = answers[0]!;
  const created = Math.floor(Date.now() / 1000);
  const timings = timingsJson(first.promptTokens, first.completionTokens);
  const seed = ctx.decider.seed;
  const choices = answers.map((a, i) => `{"finish_reason":"${a.finishReason}","index":${i},"message":${messageJson(a)}${logprobsJson(a, topN, seed)}}`).join(",");
  return (
    `{"choices":[${choices}],` +
    `"created":${created},${modelJson(ctx)},"object":"chat.completion",` +
    `"usage":${usageJson(first.promptTokens, first.completionTokens)},"id":"${id}","timings":${timings}}`
  );
}

/**
 * The SSE events as llama-server sends them: per choice a role chunk with `content: null`,
 * `reasoning_content` deltas, then `content` deltas, one per piece of text, and a finish chunk
 * with an empty delta; then the usage chunk if asked, then [DONE]. `timings` rides on the last
 * chunk before [DONE].
 */
export function streamEvents(ctx: ServerContext, id: string, answers: readonly Answer[], includeUsage: boolean, topN?: number): string[] {
  const first = answers[0]!;
  const created = Math.floor(Date.now() / 1000);
  const meta = `"created":${created},"id":"${id}",${modelJson(ctx)},"object":"chat.completion.chunk"`;
  const timings = timingsJson(first.promptTokens, first.completionTokens);
  const events: string[] = [];
  answers.forEach((answer, index) => {
    const deltaEvent = (delta: string, extra = "") => `data: {"choices":[{"finish_reason":null,"index":${index},"delta":${delta}${extra}}],${meta}}\n\n`;
    events.push(deltaEvent(`{"role":"assistant","content":null}`));
    if (answer.reasoningContent) {
      for (const piece of splitIntoPieces(answer.reasoningContent)) events.push(deltaEvent(`{"reasoning_content":${JSON.stringify(piece)}}`));
    }
    const seed = ctx.decider.seed;
    splitIntoPieces(answer.content).forEach((piece, position) => {
      const logprobs = topN ? `,"logprobs":${JSON.stringify(streamLogprobs(piece, position, topN, seed, answer.keys))}` : "";
      events.push(deltaEvent(`{"content":${JSON.stringify(piece)}}`, logprobs));
    });
    if (answer.toolCalls) for (const delta of toolCallDeltas(answer.toolCalls)) events.push(deltaEvent(JSON.stringify(delta)));
    const finish = `{"choices":[{"finish_reason":"${answer.finishReason}","index":${index},"delta":{}}],${meta}`;
    const last = index === answers.length - 1;
    if (!last || includeUsage) events.push(`data: ${finish}}\n\n`);
    else events.push(`data: ${finish},"timings":${timings}}\n\n`);
  });
  if (includeUsage) {
    events.push(`data: {"choices":[],${meta},"usage":${usageJson(first.promptTokens, first.completionTokens)},"timings":${timings}}\n\n`);
  }
  events.push("data: [DONE]\n\n");
  return events;
}

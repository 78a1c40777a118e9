import { timingsFor } from "../respond/timings.ts";
import { splitIntoPieces } from "../respond/tokens.ts";
import { answerPrompt, type Answer, type ChatOutcome } from "./answer.ts";
import type { ServerContext } from "./context.ts";
import type { ChatRequest } from "./request.ts";

export type { ChatOutcome } from "./answer.ts";

export interface ChatReply {
  readonly outcome: ChatOutcome;
  readonly body: string;
  readonly stream: boolean;
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

export function answerChat(ctx: ServerContext, request: ChatRequest): ChatReply {
  const answer = answerPrompt(ctx, { messages: request.messages, maxTokens: request.maxTokens });
  const body = request.stream ? streamBody(ctx, answer, request.includeUsage) : completionJson(ctx, answer);
  return { outcome: answer.outcome, body, stream: request.stream };
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

function completionJson(ctx: ServerContext, completion: Answer): string {
  const promptTokens = completion.promptTokens;
  const created = Math.floor(Date.now() / 1000);
  const timings = timingsJson(promptTokens, completion.completionTokens);
  return (
    `{"choices":[{"finish_reason":"${completion.finishReason}","index":0,"message":{"role":"assistant","content":${JSON.stringify(completion.content)}}}],` +
    `"created":${created},${modelJson(ctx)},"object":"chat.completion",` +
    `"usage":${usageJson(promptTokens, completion.completionTokens)},"id":"${completionId()}","timings":${timings}}`
  );
}

/**
 * The whole SSE stream as llama-server sends it: a role chunk with `content: null`, one chunk
 * per piece of text, a finish chunk with an empty delta, the usage chunk if asked, then [DONE].
 * `timings` rides on the last chunk before [DONE].
 */
function streamBody(ctx: ServerContext, completion: Answer, includeUsage: boolean): string {
  const promptTokens = completion.promptTokens;
  const created = Math.floor(Date.now() / 1000);
  const meta = `"created":${created},"id":"${completionId()}",${modelJson(ctx)},"object":"chat.completion.chunk"`;
  const deltaEvent = (delta: string) => `data: {"choices":[{"finish_reason":null,"index":0,"delta":${delta}}],${meta}}\n\n`;
  const timings = timingsJson(promptTokens, completion.completionTokens);
  const finish = `{"choices":[{"finish_reason":"${completion.finishReason}","index":0,"delta":{}}],${meta}`;
  let body = deltaEvent(`{"role":"assistant","content":null}`);
  for (const piece of splitIntoPieces(completion.content)) body += deltaEvent(`{"content":${JSON.stringify(piece)}}`);
  if (includeUsage) {
    body += `data: ${finish}}\n\n`;
    body += `data: {"choices":[],${meta},"usage":${usageJson(promptTokens, completion.completionTokens)},"timings":${timings}}\n\n`;
  } else {
    body += `data: ${finish},"timings":${timings}}\n\n`;
  }
  return `${body}data: [DONE]\n\n`;
}

// The JSON of a chat completion that is not streamed, and the fields every chat reply shares (model,
// usage). Replies are assembled from string pieces rather than JSON.stringify of objects: it is the
// hottest code in the server, and only the reply text needs escaping. Keys follow llama-server's order
// (it writes nlohmann ordered_json).
import { chatLogprobs } from "../respond/logprobs.ts";
import { jsonHead, jsonText } from "../respond/text-memo.ts";
import { splitIntoPieces } from "../respond/tokens.ts";
import { MEMO_SLOTS, tokenPairSlot } from "../respond/timings.ts";
import type { Answer } from "./answer.ts";
import type { ServerContext } from "./context.ts";

/** A reply's `usage`: llama-server's fields, in its order. */
export function usageJson(promptTokens: number, completionTokens: number): string {
  return `{"completion_tokens":${completionTokens},"prompt_tokens":${promptTokens},"total_tokens":${promptTokens + completionTokens},"prompt_tokens_details":{"cached_tokens":0}}`;
}

/** `"model":…,"system_fingerprint":…` for a context, escaped once rather than per reply. */
const modelFields = new WeakMap<ServerContext, string>();
/** The last context asked about: a server has one, so this skips the WeakMap lookup. */
let lastCtx: ServerContext | undefined;
let lastFields = "";
export function modelJson(ctx: ServerContext): string {
  if (ctx === lastCtx) return lastFields;
  let fields = modelFields.get(ctx);
  if (fields === undefined) {
    fields = `"model":${JSON.stringify(ctx.alias)},"system_fingerprint":${JSON.stringify(ctx.fingerprint)}`;
    modelFields.set(ctx, fields);
  }
  lastCtx = ctx;
  lastFields = fields;
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
  return `{"role":"assistant",${reasoning}"content":${jsonText(answer.content)}}`;
}

/** `,"logprobs":{...}` after a choice's message when asked; absent otherwise (and with top_logprobs 0), as llama-server. */
function logprobsJson(answer: Answer, topN: number | undefined, seed: number): string {
  if (topN === undefined || topN === 0) return "";
  return `,"logprobs":${JSON.stringify({ content: chatLogprobs(splitIntoPieces(answer.content), topN, seed, answer.keys) })}`;
}

/**
 * The reply in five pieces: the head (choices, up to `"created":`), the time, the middle (model,
 * usage, up to the id's opening quote), the id, the end (timings). Only the time and the id change
 * per request: the head of a lone plain choice is made once per reply text (text-memo.ts's jsonHead),
 * the middle and end once per token counts, which saves ~20 string pieces a reply (~0.6 KB allocated).
 * `usage` and `timings` come from the first choice only, as llama-server reports n > 1.
 */
export function completionJson(ctx: ServerContext, id: string, answers: readonly Answer[], topN: number | undefined, timings: string): string {
  const first = answers[0]!;
  const head = answers.length === 1 && isPlain(first, topN) ? jsonHead(first.content, plainHead) : choicesHead(ctx, answers, topN);
  const slot = tailSlot(modelJson(ctx), first.promptTokens, first.completionTokens, timings);
  return head + createdNow() + tailMiddles[slot] + id + tailEnds[slot];
}

/** A choice that stopped, with content only and no logprobs: its head depends on its text alone. */
const isPlain = (a: Answer, topN: number | undefined): boolean =>
  a.finishReason === "stop" && !a.reasoningContent && a.toolCalls === undefined && (topN === undefined || topN === 0);
const plainHead = (json: string): string => flat(`{"choices":[{"finish_reason":"stop","index":0,"message":{"role":"assistant","content":${json}}}],"created":`);

/**
 * `text` in one piece of memory: a kept piece made by concatenation is a rope, which every reply's body
 * would walk again, fiber by fiber (each a cold read), when it is written out. Reading a character makes
 * JavaScriptCore join the rope once.
 */
function flat(text: string): string {
  firstCode = text.charCodeAt(0); // kept, so that no compiler drops the read as unused
  return text;
}
let firstCode = 0;

function choicesHead(ctx: ServerContext, answers: readonly Answer[], topN: number | undefined): string {
  const seed = ctx.decider.seed;
  let choices = "";
  for (let i = 0; i < answers.length; i++) {
    const a = answers[i]!;
    choices += `${i > 0 ? "," : ""}{"finish_reason":"${a.finishReason}","index":${i},"message":${messageJson(a)}${logprobsJson(a, topN, seed)}}`;
  }
  return `{"choices":[${choices}],"created":`;
}

/** `created` (Unix seconds) as text, written once a second. */
let createdSecond = -1;
let createdText = "";
function createdNow(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== createdSecond) {
    createdSecond = second;
    createdText = String(second);
  }
  return createdText;
}

/**
 * The middles and ends of recent replies by token counts, in a direct-mapped table slotted as timings.ts's (tokenPairSlot):
 * a slot holds the pieces for one (model fields, prompt tokens, completion tokens, timings), the strings
 * compared by identity (the model fields and a simulated reply's timings are made once).
 */
const tailFields: (string | undefined)[] = new Array<string | undefined>(MEMO_SLOTS).fill(undefined);
const tailTimings: (string | undefined)[] = new Array<string | undefined>(MEMO_SLOTS).fill(undefined);
const tailPrompt = new Float64Array(MEMO_SLOTS).fill(-1);
const tailCompletion = new Float64Array(MEMO_SLOTS).fill(-1);
const tailMiddles: string[] = new Array<string>(MEMO_SLOTS).fill("");
const tailEnds: string[] = new Array<string>(MEMO_SLOTS).fill("");

function tailSlot(fields: string, promptTokens: number, completionTokens: number, timings: string): number {
  const slot = tokenPairSlot(promptTokens, completionTokens);
  if (tailFields[slot] !== fields || tailPrompt[slot] !== promptTokens || tailCompletion[slot] !== completionTokens) {
    tailFields[slot] = fields;
    tailPrompt[slot] = promptTokens;
    tailCompletion[slot] = completionTokens;
    tailMiddles[slot] = flat(`,${fields},"object":"chat.completion","usage":${usageJson(promptTokens, completionTokens)},"id":"`);
    tailTimings[slot] = undefined;
  }
  if (tailTimings[slot] !== timings) {
    tailTimings[slot] = timings;
    tailEnds[slot] = flat(`","timings":${timings}}`);
  }
  return slot;
}

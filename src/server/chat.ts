import { simulatedTimingsJson, timingsJson } from "../respond/timings.ts";
import { chatLogprobs, streamLogprobs } from "../respond/logprobs.ts";
import { jsonHead, jsonText, memoByText } from "../respond/text-memo.ts";
import { splitIntoPieces } from "../respond/tokens.ts";
import { toolCallDeltas } from "../respond/tools.ts";
import { answerPrompt, promptTokens, type Answer, type AnswerRequest, type ChatOutcome } from "./answer.ts";
import type { Verdict } from "../decide/decide.ts";
import type { ServerContext } from "./context.ts";
import { settingsOf, taskParams } from "./props.ts";
import { cutsOf, pieceOf, pieceOrdinal, type EventTable } from "./event-table.ts";
import { capped, checkChoices, checkContext, generate, generationLimit, type Made, type Served } from "./generation.ts";
import type { Pacer, Timeline } from "./pacing.ts";
import type { TaskInfo } from "./slot-pool.ts";
import { slotsOf } from "./slots.ts";
import { SplitEvents } from "./split-events.ts";
import { SSE_DONE } from "./sse.ts";
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

/** A chat request checked against the server's limits, ready to answer. */
interface PreparedChat {
  readonly request: ChatRequest;
  readonly asked: AnswerRequest;
  /** The effective token limit for /slots (-1 = unlimited). */
  readonly nPredict: number;
}

/**
 * Checks what llama-server checks before a chat completion starts: n against -np, the prompt
 * against the slot's context (400 exceed_context_size_error, before any stream starts); and
 * resolves the token limit: the request's (n_predict, max_completion_tokens, max_tokens), at most
 * a positive -n (launch_slot_with_task caps it), else -n — a request's -1 also means -n, as
 * llama-server's has_budget() reads it — and in any case no more than the slot's context leaves.
 */
function prepareChat(ctx: ServerContext, request: ChatRequest, override: Verdict | undefined): PreparedChat {
  const slots = slotsOf(ctx);
  const parallel = ctx.parallel ?? slots.total;
  checkChoices(request.n, parallel);
  const tokensIn = promptTokens(request.messages);
  checkContext(tokensIn, slots.nCtx);
  const serverLimit = settingsOf(ctx).nPredict;
  const requested = request.maxTokens === undefined || request.maxTokens < 0 ? serverLimit : capped(request.maxTokens, serverLimit);
  const asked: AnswerRequest = {
    messages: request.messages,
    maxTokens: generationLimit(requested, tokensIn, slots.nCtx).maxTokens,
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
  return { request, asked, nPredict: requested < 0 ? -1 : requested };
}

/** Answers every choice and lays the reply out: on `pacer`'s timeline when there is one. */
function makeChat(ctx: ServerContext, prepared: PreparedChat, pacer: Pacer | undefined): Made {
  const { request, asked } = prepared;
  // Each choice is decided on its own, as n independent samples of the same prompt.
  const answers: Answer[] = [];
  for (let i = 0; i < request.n; i++) answers.push(answerPrompt(ctx, asked));
  const first = answers[0]!;
  const id = completionId();
  let longest = 0;
  for (const a of answers) if (a.completionTokens > longest) longest = a.completionTokens;
  const timeline = pacer?.timeline(first.promptTokens, longest, pacer.replyKeys(first));
  ctx.oracle?.onAnswers(id, answers, timeline && timingsOn(timeline));
  const timings = timeline ? timingsJson(timeline.timings(first.promptTokens, first.completionTokens)) : simulatedTimingsJson(first.promptTokens, first.completionTokens);
  const outcome = first.outcome;
  const tokens = first.completionTokens;
  const hasNewLine = first.content.includes("\n");
  const topN = request.topLogprobs;
  // Object literals rather than a spread of a shared shape: a spread copies property by property at run time.
  if (!request.stream) return { outcome, timeline, longest, tokens, hasNewLine, body: completionBody(ctx, id, answers, topN, timings) };
  // timings_per_token: each token's chunk carries the timings so far, on the reply's timeline when it has one.
  const progress = !request.timingsPerToken ? undefined : timeline ? timingsJsonOn(timeline) : simulatedTimingsJson;
  if (timeline === undefined) return { outcome, timeline, longest, tokens, hasNewLine, events: new SplitEvents(streamEventParts(ctx, id, answers, request.includeUsage, topN, { timings, progress })) };
  // A stream generated at --tps sends one chunk per token.
  return { outcome, timeline, longest, tokens, hasNewLine, paced: pacedStreamTable(ctx, id, answers, request.includeUsage, topN, timings, pacer!.config.tps > 0, progress) };
}

// The closures a reply needs, each made by a function of its own: a closure made inside makeChat would
// have every request allocate makeChat's captured variables on the heap, whichever branch it took.
const completionBody = (ctx: ServerContext, id: string, answers: readonly Answer[], topN: number | undefined, timings: string) => () =>
  completionJson(ctx, id, answers, topN, timings);
const timingsOn = (timeline: Timeline) => (a: Answer) => timeline.timings(a.promptTokens, a.completionTokens);
const producer = (ctx: ServerContext, prepared: PreparedChat) => (pacer: Pacer | undefined) => makeChat(ctx, prepared, pacer);
const timingsJsonOn = (timeline: Timeline) => (promptTokens: number, n: number) => timingsJson(timeline.timings(promptTokens, n));

/** A chat completion answered at once, without slots or pacing (as the reply the app sends with the defaults). */
export function answerChat(ctx: ServerContext, request: ChatRequest, override?: Verdict): ChatReply {
  const made = makeChat(ctx, prepareChat(ctx, request, override), undefined);
  if (made.events) return { outcome: made.outcome, body: "", stream: true, events: [...made.events] };
  return { outcome: made.outcome, body: made.body!(), stream: false };
}

export interface ServeOptions {
  readonly override?: Verdict;
  /** The request's signal, fetched when needed (generation.ts's Job): its client going away frees the slot or the queue place. */
  readonly signal?: () => AbortSignal | undefined;
  /** The request body, for /slots' params. */
  readonly body?: unknown;
}

/** A chat completion through the slots (-np) and on the simulated clock (--ttft-ms, --tps, ...). */
export function serveChat(ctx: ServerContext, request: ChatRequest, options: ServeOptions = {}): Served | Promise<Served> {
  const prepared = prepareChat(ctx, request, options.override);
  const body = isObject(options.body) ? options.body : undefined;
  return generate(ctx, { slots: request.n, task: new ChatTask(ctx, body, prepared), signal: options.signal }, producer(ctx, prepared));
}

/** What /slots shows of a chat completion: its parameters, worked out only when /slots is read. */
class ChatTask implements TaskInfo {
  readonly nPredict: number;
  constructor(
    readonly ctx: ServerContext,
    readonly body: Record<string, unknown> | undefined,
    readonly prepared: PreparedChat,
  ) {
    this.nPredict = prepared.nPredict;
  }

  params(): Record<string, unknown> {
    return taskParams(this.ctx, this.body, { nPredict: this.nPredict, stream: this.prepared.request.stream, full: false });
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function usageJson(promptTokens: number, completionTokens: number): string {
  return `{"completion_tokens":${completionTokens},"prompt_tokens":${promptTokens},"total_tokens":${promptTokens + completionTokens},"prompt_tokens_details":{"cached_tokens":0}}`;
}

// Replies are assembled from string pieces rather than JSON.stringify of objects: it is the
// hottest code in the server, and only the reply text needs escaping. Keys follow
// llama-server's order (it writes nlohmann ordered_json).

/** `"model":…,"system_fingerprint":…` for a context, escaped once rather than per reply. */
const modelFields = new WeakMap<ServerContext, string>();
/** The last context asked about: a server has one, so this skips the WeakMap lookup. */
let lastCtx: ServerContext | undefined;
let lastFields = "";
function modelJson(ctx: ServerContext): string {
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
function completionJson(ctx: ServerContext, id: string, answers: readonly Answer[], topN: number | undefined, timings: string): string {
  const first = answers[0]!;
  const head = answers.length === 1 && isPlain(first, topN) ? jsonHead(first.content, plainHead) : choicesHead(ctx, answers, topN);
  const slot = tailSlot(modelJson(ctx), first.promptTokens, first.completionTokens, timings);
  return head + createdNow() + tailMiddles[slot] + id + tailEnds[slot];
}

/** A choice that stopped, with content only and no logprobs: its head depends on its text alone. */
const isPlain = (a: Answer, topN: number | undefined): boolean =>
  a.finishReason === "stop" && !a.reasoningContent && a.toolCalls === undefined && (topN === undefined || topN === 0);
const plainHead = (json: string): string => `{"choices":[{"finish_reason":"stop","index":0,"message":{"role":"assistant","content":${json}}}],"created":`;

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
 * The middles and ends of recent replies by token counts, in a direct-mapped table (as timings.ts's):
 * a slot holds the pieces for one (model fields, prompt tokens, completion tokens, timings), the strings
 * compared by identity (the model fields and a simulated reply's timings are made once).
 */
const TAIL_SLOTS = 4096;
const tailFields: (string | undefined)[] = new Array<string | undefined>(TAIL_SLOTS).fill(undefined);
const tailTimings: (string | undefined)[] = new Array<string | undefined>(TAIL_SLOTS).fill(undefined);
const tailPrompt = new Float64Array(TAIL_SLOTS).fill(-1);
const tailCompletion = new Float64Array(TAIL_SLOTS).fill(-1);
const tailMiddles: string[] = new Array<string>(TAIL_SLOTS).fill("");
const tailEnds: string[] = new Array<string>(TAIL_SLOTS).fill("");

function tailSlot(fields: string, promptTokens: number, completionTokens: number, timings: string): number {
  const slot = (Math.imul(promptTokens | 0, 0x9e3779b1) ^ Math.imul(completionTokens | 0, 0x85ebca77)) >>> 20;
  if (tailFields[slot] !== fields || tailPrompt[slot] !== promptTokens || tailCompletion[slot] !== completionTokens) {
    tailFields[slot] = fields;
    tailPrompt[slot] = promptTokens;
    tailCompletion[slot] = completionTokens;
    tailMiddles[slot] = `,${fields},"object":"chat.completion","usage":${usageJson(promptTokens, completionTokens)},"id":"`;
    tailTimings[slot] = undefined;
  }
  if (tailTimings[slot] !== timings) {
    tailTimings[slot] = timings;
    tailEnds[slot] = `","timings":${timings}}`;
  }
  return slot;
}

/** How a stream is laid out: its final timings. */
export interface StreamLayout {
  /** The `timings` JSON; by default the simulated speeds' figures for the first choice. */
  readonly timings?: string;
  /**
   * timings_per_token: the timings JSON after `tokens` generated tokens of a choice, carried by every
   * token's chunk (never the role chunk); undefined = no per-token timings.
   */
  readonly progress?: (promptTokens: number, tokens: number) => string;
}

/** The chunks of one stream: llama-server's JSON for each kind of event, sharing the stream's meta fields. */
function chunkWriter(ctx: ServerContext, id: string, answers: readonly Answer[], topN: number | undefined, layout: StreamLayout) {
  const first = answers[0]!;
  const created = Math.floor(Date.now() / 1000);
  const meta = `"created":${created},"id":"${id}",${modelJson(ctx)},"object":"chat.completion.chunk"`;
  // Every delta event ends with the meta fields: one tail shared by the stream, written after each head (split-events.ts).
  const tail = `,${meta}}\n\n`;
  const timings = layout.timings ?? simulatedTimingsJson(first.promptTokens, first.completionTokens);
  const seed = ctx.decider.seed;
  const progress = layout.progress;
  return {
    tail,
    /** The tail of a token's chunk: the shared one, or with the timings once `tokens` of the choice are generated. */
    tokenTail: progress === undefined ? () => tail : (answer: Answer, tokens: number) => `,${meta},"timings":${progress(answer.promptTokens, tokens)}}\n\n`,
    // Each delta event's head (up to the shared tail); an event is its head + tail.
    heads: {
      role: (index: number) => (index === 0 ? ROLE_HEAD : deltaHead(index, ROLE_DELTA)),
      reasoning: (index: number, piece: string) => deltaHead(index, `{"reasoning_content":${JSON.stringify(piece)}}`),
      content: (index: number, answer: Answer, piece: string, position: number) =>
        deltaHead(index, `${contentDelta(piece)}${topN ? `,"logprobs":${JSON.stringify(streamLogprobs(piece, position, topN, seed, answer.keys))}` : ""}`),
      tool: (index: number, body: unknown) => deltaHead(index, JSON.stringify(body)),
    },
    /** The finish chunk; the last one before [DONE] carries `timings`. */
    finish: (index: number, answer: Answer, withTimings: boolean) =>
      `data: {"choices":[{"finish_reason":"${answer.finishReason}","index":${index},"delta":{}}],${meta}${withTimings ? `,"timings":${timings}` : ""}}\n\n`,
    usage: () => `data: {"choices":[],${meta},"usage":${usageJson(first.promptTokens, first.completionTokens)},"timings":${timings}}\n\n`,
  };
}

/** An event's opening, up to the stream's shared tail: one choice's delta. */
const deltaHead = (index: number, delta: string): string => `data: {"choices":[{"finish_reason":null,"index":${index},"delta":${delta}}]`;
const ROLE_DELTA = `{"role":"assistant","content":null}`;
const ROLE_HEAD = deltaHead(0, ROLE_DELTA);
const contentDelta = (piece: string): string => `{"content":${JSON.stringify(piece)}}`;

/**
 * A reply text's content events for choice 0 up to the shared tail, split as splitIntoPieces splits it:
 * made once per text (short replies repeat), which saves the split, the escaping and most of each
 * event's rope (a third of a 17-event stream's rendering).
 */
// 256 texts a generation (two kept): an entry holds an event per piece (up to ~12 KB for a 512-character text), so the table stays a few MB.
const contentHeads = memoByText((text) => splitIntoPieces(text).map((piece) => deltaHead(0, contentDelta(piece))), 256);

/**
 * The SSE events as llama-server sends them: per choice a role chunk with `content: null`,
 * `reasoning_content` deltas, then `content` deltas, one per piece of text, and a finish chunk
 * with an empty delta; then the usage chunk if asked, then [DONE]. `timings` rides on the last
 * chunk before [DONE]. As head/tail pairs (server/split-events.ts): a delta event's head and the
 * stream's shared tail, or a whole event and "".
 */
export function streamEventParts(ctx: ServerContext, id: string, answers: readonly Answer[], includeUsage: boolean, topN?: number, layout: StreamLayout = {}): string[] {
  const chunk = chunkWriter(ctx, id, answers, topN, layout);
  const { heads, tail, tokenTail } = chunk;
  const parts: string[] = [];
  answers.forEach((answer, index) => {
    parts.push(heads.role(index), tail);
    // Characters of this choice generated so far, for per-token timings (estimateTokens' four to a token).
    let text = 0;
    const token = (head: string, piece: number) => parts.push(head, tokenTail(answer, Math.max(1, Math.round((text += piece) / 4))));
    if (answer.reasoningContent) for (const piece of splitIntoPieces(answer.reasoningContent)) token(heads.reasoning(index, piece), piece.length);
    if (index === 0 && !topN && layout.progress === undefined) for (const head of contentHeads(answer.content)) parts.push(head, tail);
    else splitIntoPieces(answer.content).forEach((piece, position) => token(heads.content(index, answer, piece, position), piece.length));
    if (answer.toolCalls) for (const delta of toolCallDeltas(answer.toolCalls)) token(heads.tool(index, delta), delta.tool_calls[0].function.arguments.length);
    parts.push(chunk.finish(index, answer, !includeUsage && index === answers.length - 1), "");
  });
  if (includeUsage) parts.push(chunk.usage(), "");
  parts.push(SSE_DONE, "");
  return parts;
}

// A paced stream's events as a table (server/event-table.ts): one code and one piece number per event.
const ROLE = 0;
const REASONING = 1;
const CONTENT = 2;
const TOOL = 3;
const FINISH = 4;
const USAGE = 5;
const DONE = 6;

/**
 * The same events as streamEventParts (joined) for a paced stream, rendered only when each is sent, with each
 * event's token ordinal: a choice's pieces are spread over its tokens, its role chunk comes with
 * the first token and its finish chunk one step after the last; usage and [DONE] after the longest.
 */
export function pacedStreamTable(
  ctx: ServerContext,
  id: string,
  answers: readonly Answer[],
  includeUsage: boolean,
  topN: number | undefined,
  timings: string,
  tokenSized: boolean,
  progress?: StreamLayout["progress"],
): { readonly table: EventTable; readonly ordinals: Float64Array } {
  const chunk = chunkWriter(ctx, id, answers, topN, { timings, progress });
  const { heads, tail, tokenTail } = chunk;
  const choices = answers.map((answer) => ({
    answer,
    reasoning: cutsOf(answer.reasoningContent, tokenSized),
    content: cutsOf(answer.content, tokenSized),
    tools: answer.toolCalls ? toolCallDeltas(answer.toolCalls) : [],
  }));
  const total = choices.reduce((n, c) => n + 2 + c.reasoning.length + c.content.length + c.tools.length, 0) + (includeUsage ? 1 : 0) + 1;
  const codes = new Int32Array(total);
  const pieces = new Int32Array(total);
  const ordinals = new Float64Array(total);
  let e = 0;
  const put = (index: number, kind: number, piece: number, ordinal: number) => {
    codes[e] = (index << 3) | kind;
    pieces[e] = piece;
    ordinals[e++] = ordinal;
  };
  choices.forEach((c, index) => {
    const count = c.reasoning.length + c.content.length + c.tools.length;
    const tokens = c.answer.completionTokens;
    put(index, ROLE, 0, 1);
    let j = 0;
    for (let k = 0; k < c.reasoning.length; k++) put(index, REASONING, k, pieceOrdinal(j++, count, tokens));
    for (let k = 0; k < c.content.length; k++) put(index, CONTENT, k, pieceOrdinal(j++, count, tokens));
    for (let k = 0; k < c.tools.length; k++) put(index, TOOL, k, pieceOrdinal(j++, count, tokens));
    put(index, FINISH, 0, tokens + 1);
  });
  const longest = Math.max(...answers.map((a) => a.completionTokens));
  if (includeUsage) put(0, USAGE, 0, longest + 1);
  put(0, DONE, 0, longest + 1);
  // An event's token ordinal, as the count of tokens generated with it (per-token timings).
  const tokensAt = (i: number, answer: Answer) => Math.max(1, Math.min(answer.completionTokens, Math.floor(ordinals[i]!)));
  const render = (i: number): string => {
    const index = codes[i]! >> 3;
    const k = pieces[i]!;
    const c = choices[index]!;
    switch (codes[i]! & 7) {
      case ROLE:
        return heads.role(index) + tail;
      case REASONING:
        return heads.reasoning(index, pieceOf(c.answer.reasoningContent!, c.reasoning, k)) + tokenTail(c.answer, tokensAt(i, c.answer));
      case CONTENT:
        return heads.content(index, c.answer, pieceOf(c.answer.content, c.content, k), k) + tokenTail(c.answer, tokensAt(i, c.answer));
      case TOOL:
        return heads.tool(index, c.tools[k]) + tokenTail(c.answer, tokensAt(i, c.answer));
      case FINISH:
        return chunk.finish(index, c.answer, !includeUsage && index === answers.length - 1);
      case USAGE:
        return chunk.usage();
      default:
        return SSE_DONE;
    }
  };
  return { table: { length: total, render }, ordinals };
}

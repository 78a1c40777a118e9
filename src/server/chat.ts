// Chat completions: a request checked against the server's limits, answered choice by choice through
// the slots and the simulated clock, then laid out as one JSON body (chat-json.ts) or SSE events
// (chat-stream.ts).
import { simulatedTimingsJson, timingsJson } from "../respond/timings.ts";
import { answerPrompt, promptTokens, type Answer, type AnswerRequest, type ChatOutcome } from "./answer.ts";
import type { Verdict } from "../decide/decide.ts";
import { completionJson } from "./chat-json.ts";
import { pacedStreamTable, streamEventParts } from "./chat-stream.ts";
import type { ServerContext } from "./context.ts";
import { settingsOf, taskParams } from "./props.ts";
import { capped, checkChoices, checkContext, generate, generationLimit, type Made, type Served } from "./generation.ts";
import type { Pacer, Timeline } from "./pacing.ts";
import type { TaskInfo } from "./slot-pool.ts";
import { slotsOf } from "./slots.ts";
import { SplitEvents } from "./split-events.ts";
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
  // /slots reads it for has_new_line, rarely: scanning it here would read every reply's text again, cold.
  const text = first.content;
  const topN = request.topLogprobs;
  // Object literals rather than a spread of a shared shape: a spread copies property by property at run time.
  if (!request.stream) return { outcome, timeline, longest, tokens, text, body: completionBody(ctx, id, answers, topN, timings) };
  // timings_per_token: each token's chunk carries the timings so far, on the reply's timeline when it has one.
  const progress = !request.timingsPerToken ? undefined : timeline ? timingsJsonOn(timeline) : simulatedTimingsJson;
  if (timeline === undefined) return { outcome, timeline, longest, tokens, text, events: new SplitEvents(streamEventParts(ctx, id, answers, request.includeUsage, topN, { timings, progress })) };
  // A stream generated at --tps sends one chunk per token.
  return { outcome, timeline, longest, tokens, text, paced: pacedStreamTable(ctx, id, answers, request.includeUsage, topN, timings, pacer!.config.tps > 0, progress) };
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

import { timingsFor, type Timings } from "../respond/timings.ts";
import { detokenize, isValidToken, tokenize } from "../respond/tokenizer.ts";
import { chatLogprobs, tokenLogprob, type TokenLogprob, type TopLogprob } from "../respond/logprobs.ts";
import type { ResponseFormat } from "../respond/structured.ts";
import { estimateTokens, splitIntoPieces } from "../respond/tokens.ts";
import { answerPrompt, promptTokens, type Answer } from "./answer.ts";
import { completionId } from "./chat.ts";
import type { ServerContext } from "./context.ts";
import { invalidRequest } from "./errors.ts";
import { optionalBoolean, optionalNumber, parseResponseFormat, parseStop, tokenLimit } from "./request.ts";
import { cutsOf, pieceOf, pieceOrdinal } from "./event-table.ts";
import { capped, checkChoices, checkContext, generate, generationLimit, type Made, type Served } from "./generation.ts";
import { settingsOf, taskParams } from "./props.ts";
import { slotsOf } from "./slots.ts";
import { SSE_DONE, sseEvent } from "./sse.ts";
import { BOS_TOKEN } from "./template.ts";

// POST /completion, /completions (llama-server's native format) and /v1/completions (OpenAI text
// completions). Both read the native request fields; each prompt is answered by answerPrompt.

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** One prompt of a request, as text (token ids detokenized). */
interface Prompt {
  readonly text: string;
  /** Whether llama-server adds BOS: for a string, or a mixed array that starts with a string. */
  readonly bos: boolean;
}

export interface CompletionRequest {
  readonly prompts: readonly Prompt[];
  readonly stream: boolean;
  /** n_predict as llama-server's task parameters show it: the request's (-1 if negative), else -n. */
  readonly nPredict: number;
  /** The limit generation runs under: nPredict, or -n where the request says -1 (has_budget()); -1 = unlimited. */
  readonly limit: number;
  readonly returnTokens: boolean;
  /** Stop strings: a string or an array, as newer llama-server builds read them (older ones ignore a bare string). */
  readonly stop: readonly string[];
  readonly temperature: number | undefined;
  readonly seed: number | undefined;
  /** n_probs (or an integer `logprobs`): alternatives per token in the probabilities; 0 = none asked. */
  readonly nProbs: number;
  /** post_sampling_probs: probabilities (0..1) as prob/top_probs instead of logprob/top_logprobs. */
  readonly postSamplingProbs: boolean;
  /** timings_per_token: every streamed partial carries the timings so far. */
  readonly timingsPerToken: boolean;
  /** json_schema (or response_format): the text is JSON valid against it, as llama-server's grammar forces. */
  readonly responseFormat: ResponseFormat | undefined;
  readonly responseFields: readonly string[] | undefined;
  /** The whole body, for generation_settings. */
  readonly body: Json;
}

/** What a completion route hands back to the app: a JSON body or SSE events, and the log's outcome. */
export type CompletionReply = Served;

const PROMPT_SHAPES = "a string, a list of tokens, a JSON object containing a prompt string, or a list of mixed strings & tokens";

export function parseCompletionRequest(body: unknown, ctx: ServerContext): CompletionRequest {
  if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
  // llama-server's own message for a missing prompt: its data.at("prompt") throws.
  if (body.prompt === undefined) throw invalidRequest("[json.exception.out_of_range.403] key 'prompt' not found");
  const stream = optionalBoolean(body.stream, "stream") ?? false;
  const returnTokens = optionalBoolean(body.return_tokens, "return_tokens") ?? false;
  const fields = body.response_fields;
  if (fields !== undefined && fields !== null && !(Array.isArray(fields) && fields.every((f) => typeof f === "string"))) {
    throw invalidRequest("'response_fields' must be an array of strings");
  }
  const serverLimit = settingsOf(ctx).nPredict;
  const asked = tokenLimit(body);
  // Any negative limit is llama-server's -1 ("none of its own"); one above -n is capped to it (launch_slot_with_task).
  const nPredict = asked === undefined ? serverLimit : capped(Math.max(asked, -1), serverLimit);
  const n = completionsWanted(body, ctx);
  const prompts = parsePrompts(body.prompt);
  return {
    // n_cmpl ([B]+): each prompt answered n times, one result (or choice) each, in order.
    prompts: n === 1 ? prompts : prompts.flatMap((p) => Array.from({ length: n }, () => p)),
    stream,
    nPredict,
    limit: nPredict < 0 ? serverLimit : nPredict,
    returnTokens,
    stop: parseStop(body.stop),
    temperature: optionalNumber(body.temperature),
    seed: optionalNumber(body.seed),
    nProbs: probsAsked(body),
    postSamplingProbs: optionalBoolean(body.post_sampling_probs, "post_sampling_probs") ?? false,
    timingsPerToken: optionalBoolean(body.timings_per_token, "timings_per_token") ?? false,
    responseFormat: parseResponseFormat(body),
    responseFields: Array.isArray(fields) && fields.length > 0 ? (fields as string[]) : undefined,
    body,
  };
}

/** n_cmpl (alias n): how many completions of each prompt, at most -np as llama-server [B]+ checks. */
function completionsWanted(body: Json, ctx: ServerContext): number {
  const n = body.n_cmpl ?? body.n;
  if (n === undefined || n === null) return 1;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) throw invalidRequest("'n' must be an integer of at least 1");
  checkChoices(n, ctx.parallel ?? slotsOf(ctx).total);
  return n;
}

/** n_probs, else an integer `logprobs` (OpenAI's legacy field, read as n_probs); 0 when neither. */
function probsAsked(body: Json): number {
  const n = body.n_probs ?? (typeof body.logprobs === "number" ? body.logprobs : undefined);
  if (n === undefined || n === null) return 0;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw invalidRequest("'n_probs' must be a non-negative integer");
  return n;
}

/** Token probabilities in llama-server's shape (probs_vector_to_json): logprob/top_logprobs, or prob/top_probs after sampling. */
function probsJson(entries: readonly TokenLogprob[], post: boolean): readonly unknown[] {
  if (!post) return entries;
  const prob = (t: TopLogprob) => ({ id: t.id, token: t.token, bytes: t.bytes, prob: Math.exp(t.logprob) });
  return entries.map((e) => ({ ...prob(e), top_probs: e.top_logprobs.map(prob) }));
}

/** The probabilities of a whole reply, piece by piece as chat's logprobs are; undefined when none were asked. */
function replyProbs(ctx: ServerContext, request: CompletionRequest, answer: Answer): readonly unknown[] | undefined {
  if (request.nProbs === 0) return undefined;
  return probsJson(chatLogprobs(splitIntoPieces(answer.content), request.nProbs, ctx.decider.seed, answer.keys), request.postSamplingProbs);
}

/** The one-entry probabilities of a streamed piece at `position`, as JSON; "" when none were asked. */
function pieceProbs(ctx: ServerContext, request: CompletionRequest, answer: Answer, piece: string, position: number): string {
  if (request.nProbs === 0) return "";
  return JSON.stringify(probsJson([tokenLogprob(piece, position, request.nProbs, ctx.decider.seed, answer.keys)], request.postSamplingProbs));
}

function parsePrompts(prompt: unknown): Prompt[] {
  const single = onePrompt(prompt);
  if (single !== undefined) return [single];
  if (!Array.isArray(prompt)) throw invalidRequest(`"prompt" must be ${PROMPT_SHAPES}, or a list of prompts.`);
  return prompt.map((element) => {
    const one = onePrompt(element);
    if (one === undefined) throw invalidRequest(`element of "prompt" must be ${PROMPT_SHAPES}.`);
    return one;
  });
}

/** A string, an array holding a token id (tokens, or tokens mixed with strings), or {prompt_string}. */
function onePrompt(value: unknown): Prompt | undefined {
  if (typeof value === "string") return { text: value, bos: true };
  if (isObject(value) && "prompt_string" in value) {
    if (typeof value.prompt_string !== "string") throw invalidRequest('"prompt_string" must be a string');
    return { text: value.prompt_string, bos: true };
  }
  // An empty list is an empty token prompt (as a prompt, or one of several).
  if (Array.isArray(value) && value.length === 0) return { text: "", bos: false };
  if (!Array.isArray(value) || !value.some((part) => typeof part === "number")) return undefined;
  let text = "";
  let run: number[] = [];
  for (const part of value) {
    if (typeof part === "number") {
      if (!isValidToken(part)) throw invalidRequest("Prompt contains invalid tokens");
      run.push(part);
    } else if (typeof part === "string") {
      text += detokenize(run) + part;
      run = [];
    } else {
      throw invalidRequest(`element of "prompt" must be ${PROMPT_SHAPES}.`);
    }
  }
  return { text: text + detokenize(run), bos: typeof value[0] === "string" };
}

/** A prompt's answer, and whether the slot's context (rather than the token limit) cut it. */
interface Answered {
  readonly answer: Answer;
  readonly truncated: boolean;
}

const messagesOf = (prompt: Prompt) => [{ role: "user", text: prompt.text }];

/** Checks every prompt against the slot's context before anything is generated (400 exceed_context_size_error). */
function checkPrompts(ctx: ServerContext, request: CompletionRequest): number[] {
  const nCtx = slotsOf(ctx).nCtx;
  return request.prompts.map((prompt) => {
    const tokens = promptTokens(messagesOf(prompt));
    checkContext(tokens, nCtx);
    return tokens;
  });
}

/** Answers every prompt of a request through the shared answer path, before anything is sent. */
function answerAll(ctx: ServerContext, request: CompletionRequest, tokensIn: readonly number[]): Answered[] {
  const nCtx = slotsOf(ctx).nCtx;
  return request.prompts.map((prompt, i) => {
    const { maxTokens, byContext } = generationLimit(request.limit, tokensIn[i]!, nCtx);
    // A text completion has no separate reasoning channel: reasoning_format none keeps thoughts in the text.
    const answer = answerPrompt(ctx, {
      messages: messagesOf(prompt),
      maxTokens,
      reasoningFormat: "none",
      stop: request.stop,
      temperature: request.temperature,
      seed: request.seed,
      responseFormat: request.responseFormat,
    });
    return { answer, truncated: byContext && answer.finishReason === "length" };
  });
}

/** How a completion's reply is laid out: its timings, where its text is cut into chunks, and its slots. */
interface Layout {
  /** The timings once `tokens` of a reply are generated: a whole reply's, or its progress (timings_per_token). */
  readonly timings: (promptTokens: number, tokens: number) => Timings;
  /** Streamed pieces: token-sized when paced at --tps (one chunk per token), else splitIntoPieces' words. */
  readonly tokenSized: boolean;
  /** Whether the stream is paced: its events are then rendered as they are sent (server/event-table.ts). */
  readonly paced: boolean;
  /** The slot that served each prompt (id_slot); 0 without slots. */
  readonly slotOf: (index: number) => number;
}

type Laid = Pick<Made, "body" | "events" | "paced">;

/**
 * Runs a completion request through the slots (one per prompt) and on the simulated clock: `make`
 * lays the reply out once the prompts are answered.
 */
function serveCompletion(
  ctx: ServerContext,
  request: CompletionRequest,
  signal: (() => AbortSignal | undefined) | undefined,
  make: (answered: readonly Answered[], layout: Layout, id: string) => Laid,
): CompletionReply | Promise<CompletionReply> {
  const tokensIn = checkPrompts(ctx, request);
  const task = { nPredict: request.limit, params: () => taskParams(ctx, request.body, { nPredict: request.nPredict, stream: request.stream, full: false }) };
  return generate(ctx, { slots: request.prompts.length, task, signal }, (pacer, lease): Made => {
    const answered = answerAll(ctx, request, tokensIn);
    const first = answered[0]!.answer;
    const longest = Math.max(...answered.map((a) => a.answer.completionTokens));
    const timeline = pacer?.timeline(first.promptTokens, longest, pacer.replyKeys(first));
    // Recorded before anything is sent, as chat replies are: one ledger record per prompt (its choice index).
    const id = completionId();
    ctx.oracle?.onAnswers(id, answered.map((a) => a.answer), timeline && ((a) => timeline.timings(a.promptTokens, a.completionTokens)));
    const layout: Layout = {
      timings: timeline ? (promptTokens, tokens) => timeline.timings(promptTokens, tokens) : timingsFor,
      tokenSized: pacer !== undefined && pacer.config.tps > 0,
      paced: timeline !== undefined,
      slotOf: (index) => (lease ? lease.slots[index % lease.slots.length]! : 0),
    };
    return { ...make(answered, layout, id), timeline, longest, outcome: first.outcome, tokens: first.completionTokens, text: first.content };
  });
}

/** `,"timings":{…}` for a streamed partial once `tokens` are generated, when timings_per_token asks for it; else "". */
function progressField(request: CompletionRequest, layout: Layout, answer: Answer, tokens: number): string {
  return request.timingsPerToken ? `,"timings":${JSON.stringify(layout.timings(answer.promptTokens, tokens))}` : "";
}

/** The events of a completion stream: per prompt a partial event per piece and a final one, then an optional closing event. */
interface PieceEvents {
  /** The event of piece number `position` of a prompt's text, which ends at `end`. */
  partial(index: number, answer: Answer, piece: string, end: number, position: number): string;
  final(index: number): string;
  readonly done?: string;
}

/**
 * A completion stream's events: rendered at once without pacing; paced, as a table rendered when
 * each is sent, each prompt's pieces spread over its tokens and its final event one step after.
 */
function pieceStream(answered: readonly Answered[], layout: Layout, events: PieceEvents): Laid {
  const cuts = answered.map((a) => cutsOf(a.answer.content, layout.tokenSized));
  if (!layout.paced) {
    const out: string[] = [];
    answered.forEach(({ answer }, index) => {
      const c = cuts[index]!;
      for (let k = 0; k < c.length; k++) out.push(events.partial(index, answer, pieceOf(answer.content, c, k), c[k]!, k));
      out.push(events.final(index));
    });
    if (events.done !== undefined) out.push(events.done);
    return { events: out };
  }
  const total = cuts.reduce((n, c) => n + c.length + 1, 0) + (events.done !== undefined ? 1 : 0);
  const prompts = new Int32Array(total);
  const pieces = new Int32Array(total); // -1: the final event
  const ordinals = new Float64Array(total);
  let e = 0;
  answered.forEach(({ answer }, index) => {
    const c = cuts[index]!;
    for (let k = 0; k < c.length; k++, e++) [prompts[e], pieces[e], ordinals[e]] = [index, k, pieceOrdinal(k, c.length, answer.completionTokens)];
    [prompts[e], pieces[e], ordinals[e]] = [index, -1, answer.completionTokens + 1];
    e++;
  });
  if (events.done !== undefined) [prompts[e], pieces[e], ordinals[e]] = [-1, -1, Math.max(...answered.map((a) => a.answer.completionTokens)) + 1];
  const render = (i: number): string => {
    const index = prompts[i]!;
    const k = pieces[i]!;
    if (index < 0) return events.done!;
    if (k < 0) return events.final(index);
    const answer = answered[index]!.answer;
    const c = cuts[index]!;
    return events.partial(index, answer, pieceOf(answer.content, c, k), c[k]!, k);
  };
  return { paced: { table: { length: total, render }, ordinals } };
}

// ---------------------------------------------------------------------------------------------------------
// Native format (/completion, /completions).

/** The final result object (server_task_result_cmpl_final::to_json_non_oaicompat), [A]'s key order. */
function nativeFinal(ctx: ServerContext, request: CompletionRequest, answered: Answered, index: number, streamed: boolean, layout: Layout): Json {
  const answer = answered.answer;
  const prompt = request.prompts[index]!;
  const result: Json = {
    index,
    // A stream's final event carries no text: the partial events had it all.
    content: streamed ? "" : answer.content,
    tokens: streamed || !request.returnTokens ? [] : tokenize(answer.content, { parseSpecial: false }),
    id_slot: layout.slotOf(index),
    stop: true,
    model: ctx.alias,
    tokens_predicted: answer.completionTokens,
    tokens_evaluated: answer.promptTokens,
    generation_settings: taskParams(ctx, request.body, { nPredict: request.nPredict, stream: request.stream, full: true }),
    prompt: (prompt.bos ? BOS_TOKEN : "") + prompt.text,
    has_new_line: answer.content.includes("\n"),
    // The slot's context filled up before the reply ended.
    truncated: answered.truncated,
    stop_type: answer.finishReason === "length" ? "limit" : answer.stoppingWord !== undefined ? "word" : "eos",
    stopping_word: answer.stoppingWord ?? "",
    tokens_cached: answer.promptTokens + answer.completionTokens,
    timings: layout.timings(answer.promptTokens, answer.completionTokens),
  };
  // After timings, only in a whole (non-stream) result: a stream's partials carry their own.
  const probs = streamed ? undefined : replyProbs(ctx, request, answer);
  if (probs !== undefined) result.completion_probabilities = probs;
  return request.responseFields ? pickFields(result, request.responseFields) : result;
}

/** response_fields: only these fields; a path `a/b` is looked up nested and kept under that literal name. */
function pickFields(result: Json, fields: readonly string[]): Json {
  const picked: Json = {};
  for (const path of fields) {
    let value: unknown = result;
    for (const key of path.split("/")) value = isObject(value) ? value[key] : undefined;
    if (value !== undefined) picked[path] = value;
  }
  return picked;
}

/** POST /completion and /completions. Several prompts give an array of results. */
export function nativeCompletion(body: unknown, ctx: ServerContext, signal?: () => AbortSignal | undefined): CompletionReply | Promise<CompletionReply> {
  const request = parseCompletionRequest(body, ctx);
  return serveCompletion(ctx, request, signal, (answered, layout) => {
    if (request.stream) return nativeEvents(ctx, request, answered, layout);
    return {
      body: () => {
        const results = answered.map((a, i) => nativeFinal(ctx, request, a, i, false, layout));
        return JSON.stringify(results.length === 1 ? results[0] : results);
      },
    };
  });
}

/**
 * The native stream: per piece of text a partial event (`stop: false`, `id_slot: -1` as llama-server
 * leaves it in partials, the piece's token ids), then the final object with `stop: true` and empty
 * content. There is no [DONE]: the stream just ends.
 */
function nativeEvents(ctx: ServerContext, request: CompletionRequest, answered: readonly Answered[], layout: Layout): Laid {
  return pieceStream(answered, layout, {
    partial: (index, answer, piece, end, position) => {
      const probs = pieceProbs(ctx, request, answer, piece, position);
      const predicted = estimateTokens(answer.content.slice(0, end));
      // Optional keys in llama-server's order: timings (timings_per_token), then completion_probabilities (n_probs).
      const timings = progressField(request, layout, answer, predicted);
      return sseEvent(
        `{"index":${index},"content":${JSON.stringify(piece)},"tokens":${JSON.stringify(tokenize(piece, { parseSpecial: false }))},` +
          `"stop":false,"id_slot":-1,"tokens_predicted":${predicted},"tokens_evaluated":${answer.promptTokens}` +
          `${timings}${probs === "" ? "" : `,"completion_probabilities":${probs}`}}`,
      );
    },
    final: (index) => sseEvent(JSON.stringify(nativeFinal(ctx, request, answered[index]!, index, true, layout))),
  });
}

// ---------------------------------------------------------------------------------------------------------
// OpenAI text completions (/v1/completions).

function usage(answer: Answer): Json {
  return { completion_tokens: answer.completionTokens, prompt_tokens: answer.promptTokens, total_tokens: answer.promptTokens + answer.completionTokens };
}

/**
 * to_json_oaicompat: keys choices, created, model, system_fingerprint, object, usage, id, timings.
 * `probs`: the reply's probabilities, which llama-server puts in chat's shape `{content: [...]}`.
 */
function oaiFinal(ctx: ServerContext, answer: Answer, index: number, id: string, text: string, layout: Layout, probs?: readonly unknown[]): Json {
  return {
    choices: [{ text, index, logprobs: probs === undefined ? null : { content: probs }, finish_reason: answer.finishReason }],
    created: Math.floor(Date.now() / 1000),
    model: ctx.alias,
    system_fingerprint: ctx.fingerprint,
    object: "text_completion",
    usage: usage(answer),
    id,
    timings: layout.timings(answer.promptTokens, answer.completionTokens),
  };
}

/**
 * POST /v1/completions. The id is chatcmpl-… as llama-server makes it, shared by every result of the
 * request. Several prompts give one object whose `choices` are every result's, by index, with the
 * first result's usage and timings, as llama-server [B]+ re-formats them (OpenAI clients read `choices`;
 * [A]'s bare array of results breaks them).
 */
export function openaiCompletion(body: unknown, ctx: ServerContext, signal?: () => AbortSignal | undefined): CompletionReply | Promise<CompletionReply> {
  const request = parseCompletionRequest(body, ctx);
  return serveCompletion(ctx, request, signal, (answered, layout, id) => {
    if (request.stream) return openaiEvents(ctx, request, answered, id, layout);
    return {
      body: () => {
        const results = answered.map((a, i) => oaiFinal(ctx, a.answer, i, id, a.answer.content, layout, replyProbs(ctx, request, a.answer)));
        const first = results[0]!;
        first.choices = results.flatMap((r) => r.choices as Json[]);
        return JSON.stringify(first);
      },
    };
  });
}

/**
 * The OpenAI text stream: a chunk per piece (no usage), then a final chunk with empty text, the
 * finish_reason, usage (always, whatever stream_options says) and timings; then [DONE].
 */
function openaiEvents(ctx: ServerContext, request: CompletionRequest, answered: readonly Answered[], id: string, layout: Layout): Laid {
  const meta = `"model":${JSON.stringify(ctx.alias)},"system_fingerprint":${JSON.stringify(ctx.fingerprint)},"object":"text_completion"`;
  return pieceStream(answered, layout, {
    partial: (index, answer, piece, end, position) => {
      const created = Math.floor(Date.now() / 1000);
      const probs = pieceProbs(ctx, request, answer, piece, position);
      const logprobs = probs === "" ? "null" : `{"content":${probs}}`;
      const timings = progressField(request, layout, answer, estimateTokens(answer.content.slice(0, end)));
      return sseEvent(`{"choices":[{"text":${JSON.stringify(piece)},"index":${index},"logprobs":${logprobs},"finish_reason":null}],"created":${created},${meta},"id":"${id}"${timings}}`);
    },
    // The final chunk carries no text, so no probabilities.
    final: (index) => sseEvent(JSON.stringify(oaiFinal(ctx, answered[index]!.answer, index, id, "", layout))),
    done: SSE_DONE,
  });
}

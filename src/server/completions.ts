import { timingsFor } from "../respond/timings.ts";
import { detokenize, isValidToken, tokenize } from "../respond/tokenizer.ts";
import { estimateTokens, splitIntoPieces } from "../respond/tokens.ts";
import { answerPrompt, type Answer, type ChatOutcome } from "./answer.ts";
import { completionId } from "./chat.ts";
import type { ServerContext } from "./context.ts";
import { invalidRequest } from "./errors.ts";
import { settingsOf, taskParams } from "./props.ts";
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
  /** The resolved token limit: the request's, else -n; -1 = unlimited. */
  readonly nPredict: number;
  readonly returnTokens: boolean;
  readonly responseFields: readonly string[] | undefined;
  /** The whole body, for generation_settings. */
  readonly body: Json;
}

/** What a completion route hands back to the app: a JSON body or SSE events, and the log's outcome. */
export interface CompletionReply {
  readonly body?: string;
  readonly events?: Iterable<string>;
  readonly outcome: ChatOutcome;
}

const PROMPT_SHAPES = "a string, a list of tokens, a JSON object containing a prompt string, or a list of mixed strings & tokens";
const TOKEN_LIMIT_FIELDS = ["n_predict", "max_completion_tokens", "max_tokens"];

export function parseCompletionRequest(body: unknown, ctx: ServerContext): CompletionRequest {
  if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
  // llama-server's own message for a missing prompt: its data.at("prompt") throws.
  if (body.prompt === undefined) throw invalidRequest("[json.exception.out_of_range.403] key 'prompt' not found");
  const stream = optionalBoolean(body, "stream") ?? false;
  const returnTokens = optionalBoolean(body, "return_tokens") ?? false;
  const fields = body.response_fields;
  if (fields !== undefined && fields !== null && !(Array.isArray(fields) && fields.every((f) => typeof f === "string"))) {
    throw invalidRequest("'response_fields' must be an array of strings");
  }
  return {
    prompts: parsePrompts(body.prompt),
    stream,
    nPredict: tokenLimit(body) ?? settingsOf(ctx).nPredict,
    returnTokens,
    responseFields: Array.isArray(fields) && fields.length > 0 ? (fields as string[]) : undefined,
    body,
  };
}

function optionalBoolean(body: Json, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidRequest(`'${name}' must be a boolean`);
  return value;
}

/** n_predict, else max_completion_tokens, else max_tokens (newer llama-server's order; [A] knew only the first and last). */
function tokenLimit(body: Json): number | undefined {
  for (const field of TOKEN_LIMIT_FIELDS) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isInteger(value)) throw invalidRequest(`'${field}' must be an integer`);
    return value < 0 ? -1 : value;
  }
  return undefined;
}

/** llama-server's tokenize_input_prompts: one prompt, or an array of prompts. */
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

/** Answers every prompt of a request through the shared answer path, before anything is sent. */
function answerAll(ctx: ServerContext, request: CompletionRequest): Answer[] {
  const maxTokens = request.nPredict < 0 ? undefined : request.nPredict;
  return request.prompts.map((prompt) => {
    // A text completion has no separate reasoning channel: thoughts stay in the text.
    const answer = answerPrompt(ctx, { messages: [{ role: "user", text: prompt.text }], maxTokens, reasoningFormat: "none" });
    if (!answer.reasoningContent) return answer;
    return { ...answer, content: `<think>\n${answer.reasoningContent}\n</think>\n\n${answer.content}`, reasoningContent: undefined };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Native format (/completion, /completions).

/** The final result object (server_task_result_cmpl_final::to_json_non_oaicompat), [A]'s key order. */
function nativeFinal(ctx: ServerContext, request: CompletionRequest, answer: Answer, index: number, streamed: boolean): Json {
  const prompt = request.prompts[index]!;
  const result: Json = {
    index,
    // A stream's final event carries no text: the partial events had it all.
    content: streamed ? "" : answer.content,
    tokens: streamed || !request.returnTokens ? [] : tokenize(answer.content, { parseSpecial: false }),
    id_slot: 0,
    stop: true,
    model: ctx.alias,
    tokens_predicted: answer.completionTokens,
    tokens_evaluated: answer.promptTokens,
    generation_settings: taskParams(ctx, request.body, { nPredict: request.nPredict, stream: request.stream, full: true }),
    prompt: (prompt.bos ? BOS_TOKEN : "") + prompt.text,
    has_new_line: answer.content.includes("\n"),
    truncated: false,
    stop_type: answer.finishReason === "length" ? "limit" : "eos",
    stopping_word: "",
    tokens_cached: answer.promptTokens + answer.completionTokens,
    timings: timingsFor(answer.promptTokens, answer.completionTokens),
  };
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
export function nativeCompletion(body: unknown, ctx: ServerContext): CompletionReply {
  const request = parseCompletionRequest(body, ctx);
  const answers = answerAll(ctx, request);
  const outcome = answers[0]!.outcome;
  if (request.stream) return { events: nativeEvents(ctx, request, answers), outcome };
  const results = answers.map((answer, i) => nativeFinal(ctx, request, answer, i, false));
  return { body: JSON.stringify(results.length === 1 ? results[0] : results), outcome };
}

/**
 * The native stream: per piece of text a partial event (`stop: false`, `id_slot: -1` as llama-server
 * leaves it in partials, the piece's token ids), then the final object with `stop: true` and empty
 * content. There is no [DONE]: the stream just ends.
 */
function* nativeEvents(ctx: ServerContext, request: CompletionRequest, answers: readonly Answer[]): Generator<string> {
  for (const [index, answer] of answers.entries()) {
    let sent = "";
    for (const piece of splitIntoPieces(answer.content)) {
      sent += piece;
      yield sseEvent(
        `{"index":${index},"content":${JSON.stringify(piece)},"tokens":${JSON.stringify(tokenize(piece, { parseSpecial: false }))},` +
          `"stop":false,"id_slot":-1,"tokens_predicted":${estimateTokens(sent)},"tokens_evaluated":${answer.promptTokens}}`,
      );
    }
    yield sseEvent(JSON.stringify(nativeFinal(ctx, request, answer, index, true)));
  }
}

// ---------------------------------------------------------------------------------------------------------
// OpenAI text completions (/v1/completions).

function usage(answer: Answer): Json {
  return { completion_tokens: answer.completionTokens, prompt_tokens: answer.promptTokens, total_tokens: answer.promptTokens + answer.completionTokens };
}

/** to_json_oaicompat: keys choices, created, model, system_fingerprint, object, usage, id, timings. */
function oaiFinal(ctx: ServerContext, answer: Answer, index: number, id: string, text: string): Json {
  return {
    choices: [{ text, index, logprobs: null, finish_reason: answer.finishReason }],
    created: Math.floor(Date.now() / 1000),
    model: ctx.alias,
    system_fingerprint: ctx.fingerprint,
    object: "text_completion",
    usage: usage(answer),
    id,
    timings: timingsFor(answer.promptTokens, answer.completionTokens),
  };
}

/**
 * POST /v1/completions. The id is chatcmpl-… as llama-server makes it, shared by every result of the
 * request; several prompts give an array of results, as llama-server [A] returns them.
 */
export function openaiCompletion(body: unknown, ctx: ServerContext): CompletionReply {
  const request = parseCompletionRequest(body, ctx);
  const answers = answerAll(ctx, request);
  const outcome = answers[0]!.outcome;
  const id = completionId();
  if (request.stream) return { events: openaiEvents(ctx, answers, id), outcome };
  const results = answers.map((answer, i) => oaiFinal(ctx, answer, i, id, answer.content));
  return { body: JSON.stringify(results.length === 1 ? results[0] : results), outcome };
}

/**
 * The OpenAI text stream: a chunk per piece (no usage), then a final chunk with empty text, the
 * finish_reason, usage (always, whatever stream_options says) and timings; then [DONE].
 */
function* openaiEvents(ctx: ServerContext, answers: readonly Answer[], id: string): Generator<string> {
  const meta = `"model":${JSON.stringify(ctx.alias)},"system_fingerprint":${JSON.stringify(ctx.fingerprint)},"object":"text_completion"`;
  for (const [index, answer] of answers.entries()) {
    for (const piece of splitIntoPieces(answer.content)) {
      const created = Math.floor(Date.now() / 1000);
      yield sseEvent(`{"choices":[{"text":${JSON.stringify(piece)},"index":${index},"logprobs":null,"finish_reason":null}],"created":${created},${meta},"id":"${id}"}`);
    }
    yield sseEvent(JSON.stringify(oaiFinal(ctx, answer, index, id, "")));
  }
  yield SSE_DONE;
}

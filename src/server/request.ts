import { schemaError } from "../respond/schema.ts";
import type { JsonSchema, ResponseFormat } from "../respond/structured.ts";
import type { ToolChoice, ToolSpec } from "../respond/tools.ts";
import type { PromptMessage } from "./answer.ts";
import { invalidRequest } from "./errors.ts";

/** llama-server's reasoning formats (common_reasoning_format_from_name). */
export const REASONING_FORMATS = ["none", "auto", "deepseek", "deepseek-legacy"] as const;
export type ReasoningFormat = (typeof REASONING_FORMATS)[number];

/** What the simulator needs from a chat completion request, validated. */
export interface ChatRequest {
  /** Every message with text, in order, for the judge detector and the question matcher. */
  readonly messages: readonly PromptMessage[];
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** n_predict, else max_completion_tokens, else max_tokens (llama-server's order); undefined = no limit. */
  readonly maxTokens: number | undefined;
  /** Stop strings (`stop` as a string or an array), empty ones dropped as llama-server does; [] = none. */
  readonly stop: readonly string[];
  /** JSON output asked by `response_format` (json_object / json_schema) or the top-level `json_schema`; undefined = prose. */
  readonly responseFormat: ResponseFormat | undefined;
  /** Alternatives per token when `logprobs: true` (`top_logprobs`, default 20 as llama-server); undefined = no logprobs. */
  readonly topLogprobs: number | undefined;
  /** The request's function tools, in order; [] = none. */
  readonly tools: readonly ToolSpec[];
  /** "auto" unless the request says otherwise; a named function is checked to be among `tools`. */
  readonly toolChoice: ToolChoice;
  /** `parallel_tool_calls`, default false as in llama-server. */
  readonly parallelToolCalls: boolean;
  readonly temperature: number | undefined;
  readonly seed: number | undefined;
  /** Choices asked for (`n`), an integer >= 1; the caller applies any cap. */
  readonly n: number;
  /** A trailing assistant message's text: the reply continues it (llama-server's prefill); undefined = none. */
  readonly prefill: string | undefined;
  /** `reasoning_format` of this request; undefined = the server's default. */
  readonly reasoningFormat: ReasoningFormat | undefined;
  /** timings_per_token: every token's stream chunk carries the timings so far. */
  readonly timingsPerToken: boolean;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

const NUMERIC_FIELDS = ["temperature", "top_k", "top_p", "min_p", "typical_p", "presence_penalty", "frequency_penalty", "repeat_penalty", "seed"];
const TOKEN_LIMIT_FIELDS = ["n_predict", "max_completion_tokens", "max_tokens"];

export function parseChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
  const { messages, prefill } = parseMessages(body.messages);
  for (const field of NUMERIC_FIELDS) {
    const value = body[field];
    if (value !== undefined && value !== null && typeof value !== "number") throw invalidRequest(`'${field}' must be a number`);
  }
  const stream = optionalBoolean(body.stream, "stream") ?? false;
  const options = body.stream_options;
  if (options !== undefined && options !== null && !isObject(options)) throw invalidRequest("'stream_options' must be an object");
  const includeUsage = optionalBoolean(options?.include_usage, "stream_options.include_usage") ?? false;
  const tools = parseTools(body.tools);
  const topLogprobs = parseLogprobs(body);
  if (topLogprobs !== undefined && tools.length > 0 && stream) throw invalidRequest("logprobs is not supported with tools + stream");
  return {
    messages,
    stream,
    includeUsage,
    maxTokens: tokenLimit(body),
    stop: parseStop(body.stop),
    responseFormat: parseResponseFormat(body),
    topLogprobs,
    tools,
    toolChoice: parseToolChoice(body.tool_choice, tools),
    parallelToolCalls: optionalBoolean(body.parallel_tool_calls, "parallel_tool_calls") ?? false,
    temperature: optionalNumber(body.temperature),
    seed: optionalNumber(body.seed),
    n: parseN(body.n),
    prefill,
    reasoningFormat: parseReasoningFormat(body.reasoning_format),
    timingsPerToken: optionalBoolean(body.timings_per_token, "timings_per_token") ?? false,
  };
}

export const optionalNumber = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);

function parseN(n: unknown): number {
  if (n === undefined || n === null) return 1;
  if (typeof n !== "number") throw invalidRequest("'n' must be a number");
  if (!Number.isInteger(n) || n < 1) throw invalidRequest("'n' must be an integer of at least 1");
  return n;
}

/** What a request without stop strings or tools gets: one shared empty list rather than a new one each time. */
const NONE: readonly never[] = Object.freeze([]);

/** A string or an array of strings; llama-server drops empty ones. */
export function parseStop(stop: unknown): readonly string[] {
  if (stop === undefined || stop === null) return NONE;
  const words = typeof stop === "string" ? [stop] : stop;
  if (!Array.isArray(words) || !words.every((w) => typeof w === "string")) throw invalidRequest("'stop' must be a string or an array of strings");
  return words.filter((w) => w !== "");
}

const isSchema = (value: unknown): value is JsonSchema => typeof value === "boolean" || isObject(value);

/** A schema no grammar can be built from: llama-server's 400 from json_schema_to_grammar. */
function checkSchema(schema: unknown): void {
  const error = isSchema(schema) ? schemaError(schema) : undefined;
  if (error !== undefined) throw invalidRequest(`JSON schema conversion failed:\n${error}`);
}

/**
 * llama-server's oaicompat_chat_params_parse: the top-level `json_schema` (not with `grammar`),
 * overridden by `response_format` json_schema's inner `schema`, or json_object's `schema`.
 * An empty schema ({}) means any JSON, as for json_object.
 */
export function parseResponseFormat(body: Json): ResponseFormat | undefined {
  const format = responseFormatOf(body);
  checkSchema(format?.schema);
  return format;
}

function responseFormatOf(body: Json): ResponseFormat | undefined {
  const topLevel = body.json_schema;
  if (topLevel !== undefined && topLevel !== null && !isSchema(topLevel)) throw invalidRequest("'json_schema' must be an object");
  if (topLevel !== undefined && topLevel !== null && typeof body.grammar === "string" && body.grammar !== "") throw invalidRequest("Cannot use both json_schema and grammar");
  const format: ResponseFormat | undefined = topLevel === undefined || topLevel === null ? undefined : { type: "json_schema", schema: topLevel };
  const rf = body.response_format;
  if (rf === undefined || rf === null) return format;
  if (!isObject(rf)) throw invalidRequest("'response_format' must be an object");
  const type = rf.type ?? "";
  if (typeof type !== "string") throw invalidRequest("'response_format.type' must be a string");
  switch (type) {
    case "":
    case "text":
      return format;
    case "json_object": {
      const schema = rf.schema;
      if (schema !== undefined && schema !== null && !isSchema(schema)) throw invalidRequest("'response_format.schema' must be an object");
      return { type: "json_object", schema: schema ?? format?.schema };
    }
    case "json_schema": {
      const wrapper = rf.json_schema ?? {};
      if (!isObject(wrapper)) throw invalidRequest("'response_format.json_schema' must be an object");
      const schema = wrapper.schema;
      if (schema !== undefined && schema !== null && !isSchema(schema)) throw invalidRequest("'response_format.json_schema.schema' must be an object");
      if (wrapper.name !== undefined && wrapper.name !== null && typeof wrapper.name !== "string") throw invalidRequest("'response_format.json_schema.name' must be a string");
      const strict = optionalBoolean(wrapper.strict, "response_format.json_schema.strict");
      return { type: "json_schema", schema: schema ?? undefined, name: (wrapper.name as string | null | undefined) ?? undefined, strict };
    }
    default:
      throw invalidRequest(`response_format type must be one of "text" or "json_object", but got: ${type}`);
  }
}

/** n_probs for the reply: `top_logprobs` (0..20), 20 when absent, only with `logprobs: true`. */
function parseLogprobs(body: Json): number | undefined {
  const logprobs = optionalBoolean(body.logprobs, "logprobs") ?? false;
  const top = body.top_logprobs;
  if (top === undefined || top === null) return logprobs ? 20 : undefined;
  if (!logprobs) throw invalidRequest("top_logprobs requires logprobs to be set to true");
  if (typeof top !== "number" || !Number.isInteger(top) || top < 0 || top > 20) throw invalidRequest("'top_logprobs' must be an integer from 0 to 20");
  return top;
}

/** llama-server's common_chat_tools_parse_oaicompat, with its messages; description and parameters may be absent. */
function parseTools(tools: unknown): readonly ToolSpec[] {
  if (tools === undefined || tools === null) return NONE;
  const fail = (detail: string) => invalidRequest(`Failed to parse tools: ${detail}`);
  if (!Array.isArray(tools)) throw fail(`Expected 'tools' to be an array, got ${JSON.stringify(tools)}`);
  return tools.map((tool) => {
    const dump = JSON.stringify(tool);
    if (!isObject(tool) || tool.type === undefined) throw fail(`Missing tool type: ${dump}`);
    if (tool.type !== "function") throw fail(`Unsupported tool type: ${dump}`);
    const fn = tool.function;
    if (fn === undefined) throw fail(`Missing tool function: ${dump}`);
    if (!isObject(fn) || typeof fn.name !== "string" || fn.name === "") throw fail(`Missing tool function name: ${dump}`);
    if (fn.description !== undefined && fn.description !== null && typeof fn.description !== "string") throw fail(`Tool description must be a string: ${dump}`);
    if (fn.parameters !== undefined && fn.parameters !== null && !isSchema(fn.parameters)) throw fail(`Tool parameters must be a JSON schema object: ${dump}`);
    checkSchema(fn.parameters);
    return { name: fn.name, description: (fn.description as string | null | undefined) ?? undefined, parameters: (fn.parameters as JsonSchema | null | undefined) ?? undefined };
  });
}

/** "auto", "none", "required" (common_chat_tool_choice_parse_oaicompat), or `{type: "function", function: {name}}` naming one of the tools. */
function parseToolChoice(choice: unknown, tools: readonly ToolSpec[]): ToolChoice {
  if (choice === undefined || choice === null) return "auto";
  if (choice === "auto" || choice === "none" || choice === "required") return choice;
  if (typeof choice === "string") throw invalidRequest(`Invalid tool_choice: ${choice}`);
  if (!isObject(choice) || choice.type !== "function") throw invalidRequest(`Invalid tool_choice: ${JSON.stringify(choice)}`);
  const name = isObject(choice.function) ? choice.function.name : undefined;
  if (typeof name !== "string" || name === "") throw invalidRequest("named tool_choice must select a function name");
  if (!tools.some((t) => t.name === name)) throw invalidRequest("named tool_choice does not match any supplied tool");
  return { name };
}

function parseReasoningFormat(format: unknown): ReasoningFormat | undefined {
  if (format === undefined || format === null) return undefined;
  if (typeof format !== "string") throw invalidRequest("'reasoning_format' must be a string");
  if (!(REASONING_FORMATS as readonly string[]).includes(format)) throw invalidRequest(`Unknown reasoning format: ${format}`);
  return format as ReasoningFormat;
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidRequest(`'${name}' must be a boolean`);
  return value;
}

/** n_predict, else max_completion_tokens, else max_tokens (newer llama-server's order; [A] knew only the first and last). */
export function tokenLimit(body: Json): number | undefined {
  for (const field of TOKEN_LIMIT_FIELDS) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isInteger(value)) throw invalidRequest(`'${field}' must be an integer`);
    return value;
  }
  return undefined;
}

/** Every message's text, and the trailing assistant message's text when there is one (a prefill). */
function parseMessages(messages: unknown): { messages: PromptMessage[]; prefill: string | undefined } {
  if (messages === undefined || messages === null) throw invalidRequest("'messages' is required");
  if (!Array.isArray(messages)) throw invalidRequest("Expected 'messages' to be an array");
  if (messages.length === 0) throw invalidRequest("'messages' must not be empty");
  const texts: PromptMessage[] = [];
  let trailingAssistants = 0;
  let prefill: string | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isObject(message)) throw invalidRequest(`messages[${i}] must be an object`);
    const role = message.role;
    if (typeof role !== "string") throw invalidRequest(`messages[${i}].role must be a string`);
    trailingAssistants = role === "assistant" ? trailingAssistants + 1 : 0;
    const content = message.content;
    if (content === undefined && !(role === "assistant" && message.tool_calls !== undefined)) {
      throw invalidRequest(`messages[${i}] has no 'content'`);
    }
    if (role === "assistant" && message.tool_calls !== undefined && message.tool_calls !== null) checkToolCalls(message.tool_calls);
    const text = contentText(content, i);
    if (text !== "") texts.push({ role, text });
    prefill = role === "assistant" && content !== undefined && content !== null ? text : undefined;
  }
  if (trailingAssistants > 1) throw invalidRequest("Cannot have 2 or more assistant messages at the end of the list.");
  return { messages: texts, prefill };
}

/** An assistant message's earlier tool calls, checked as common_chat_msgs_parse_oaicompat checks them. */
function checkToolCalls(calls: unknown): void {
  const fail = (detail: string) => invalidRequest(`Failed to parse messages: ${detail}`);
  if (!Array.isArray(calls)) throw fail(`Expected 'tool_calls' to be an array, got ${JSON.stringify(calls)}`);
  for (const call of calls) {
    const dump = JSON.stringify(call);
    if (!isObject(call) || call.type === undefined) throw fail(`Missing tool call type: ${dump}`);
    if (call.type !== "function") throw fail(`Unsupported tool call type: ${dump}`);
    const fn = call.function;
    if (!isObject(fn) || typeof fn.name !== "string") throw fail(`Missing tool call name: ${dump}`);
    // arguments: a string, or an object llama-server dumps to one.
    if (fn.arguments !== undefined && typeof fn.arguments !== "string" && !isObject(fn.arguments)) throw fail(`Expected tool call arguments to be a string or an object: ${dump}`);
  }
}

/** A message's text; text parts are joined by newlines, as a chat template would lay them out. */
function contentText(content: unknown, i: number): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw invalidRequest(`messages[${i}].content must be a string, null or an array of parts`);
  const texts: string[] = [];
  content.forEach((part, j) => {
    if (!isObject(part) || typeof part.type !== "string") throw invalidRequest(`messages[${i}].content[${j}] must be an object with a string 'type'`);
    switch (part.type) {
      case "text":
        if (typeof part.text !== "string") throw invalidRequest(`messages[${i}].content[${j}].text must be a string`);
        texts.push(part.text);
        break;
      case "image_url":
      case "input_audio":
        break; // accepted as llama-server does; nothing to match in them
      default:
        throw invalidRequest(`messages[${i}].content[${j}] has unsupported type '${part.type}'`);
    }
  });
  return texts.join("\n");
}

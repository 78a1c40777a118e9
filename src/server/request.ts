import type { PromptMessage } from "./answer.ts";
import { invalidRequest } from "./errors.ts";

/** What the simulator needs from a chat completion request, validated. */
export interface ChatRequest {
  /** Every message with text, in order, for the judge detector and the question matcher. */
  readonly messages: readonly PromptMessage[];
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** n_predict, else max_completion_tokens, else max_tokens (llama-server's order); undefined = no limit. */
  readonly maxTokens: number | undefined;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

const NUMERIC_FIELDS = ["temperature", "top_k", "top_p", "min_p", "typical_p", "presence_penalty", "frequency_penalty", "repeat_penalty", "seed"];
const TOKEN_LIMIT_FIELDS = ["n_predict", "max_completion_tokens", "max_tokens"];

export function parseChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
  const messages = parseMessages(body.messages);
  for (const field of NUMERIC_FIELDS) {
    const value = body[field];
    if (value !== undefined && value !== null && typeof value !== "number") throw invalidRequest(`'${field}' must be a number`);
  }
  const stream = optionalBoolean(body.stream, "stream") ?? false;
  const options = body.stream_options;
  if (options !== undefined && options !== null && !isObject(options)) throw invalidRequest("'stream_options' must be an object");
  const includeUsage = optionalBoolean(options?.include_usage, "stream_options.include_usage") ?? false;
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw invalidRequest(typeof body.n === "number" ? "only one completion choice is supported (n must be 1)" : "'n' must be a number");
  }
  return { messages, stream, includeUsage, maxTokens: tokenLimit(body) };
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidRequest(`'${name}' must be a boolean`);
  return value;
}

function tokenLimit(body: Json): number | undefined {
  for (const field of TOKEN_LIMIT_FIELDS) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isInteger(value)) throw invalidRequest(`'${field}' must be an integer`);
    return value;
  }
  return undefined;
}

function parseMessages(messages: unknown): PromptMessage[] {
  if (messages === undefined || messages === null) throw invalidRequest("'messages' is required");
  if (!Array.isArray(messages)) throw invalidRequest("Expected 'messages' to be an array");
  if (messages.length === 0) throw invalidRequest("'messages' must not be empty");
  const texts: PromptMessage[] = [];
  let trailingAssistants = 0;
  messages.forEach((message, i) => {
    if (!isObject(message)) throw invalidRequest(`messages[${i}] must be an object`);
    const role = message.role;
    if (typeof role !== "string") throw invalidRequest(`messages[${i}].role must be a string`);
    trailingAssistants = role === "assistant" ? trailingAssistants + 1 : 0;
    const content = message.content;
    if (content === undefined && !(role === "assistant" && message.tool_calls !== undefined)) {
      throw invalidRequest(`messages[${i}] has no 'content'`);
    }
    const text = contentText(content, i);
    if (text !== "") texts.push({ role, text });
  });
  if (trailingAssistants > 1) throw invalidRequest("Cannot have 2 or more assistant messages at the end of the list.");
  return texts;
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

/**
 * Tool calls in llama-server's shape. Only a forced choice (`tool_choice: "required"` or a named
 * function) produces a call; "auto" and "none" leave the reply as prose, as a model that knows
 * the answer would. The call's arguments are an instance of the tool's parameters schema with the
 * answer in the field that plainly holds it (structured.ts). Ids and every other choice are
 * keyed by (seed, keys), so replies replay.
 */
import { below } from "../decide/random.ts";
import { isSchemaObject } from "./schema.ts";
import { instanceOf, isAnswerField, isReasoningField, type JsonSchema } from "./structured.ts";
import { splitIntoPieces } from "./tokens.ts";

export interface ToolSpec {
  readonly name: string;
  readonly description?: string | undefined;
  /** The function's JSON Schema; absent means it takes no arguments. */
  readonly parameters?: JsonSchema | undefined;
}

/** "auto" (the default), "none", "required", or one named function to call. */
export type ToolChoice = "none" | "auto" | "required" | { readonly name: string };

/** One call as llama-server writes it in `message.tool_calls` (key order type, function, id). */
export interface ToolCall {
  readonly type: "function";
  readonly function: { readonly name: string; readonly arguments: string };
  readonly id: string;
}

/** One `delta` of a stream that carries a tool-call fragment. */
export interface ToolCallDelta {
  readonly tool_calls: [
    {
      readonly index: number;
      readonly id?: string;
      readonly type?: "function";
      readonly function: { readonly name?: string; readonly arguments: string };
    },
  ];
}

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SALT = 0x7001ca11;

/** 32 alphanumerics, as llama-server's gen_tool_call_id(), drawn from (seed, keys, call index). */
export function toolCallId(seed: number, keys: readonly number[], index: number): string {
  let id = "";
  for (let i = 0; i < 32; i++) id += ID_ALPHABET[below(62, seed, [...keys, SALT, index, i])]!;
  return id;
}

/** The tool a forced choice calls: the named one, or for "required" the one whose parameters best hold an answer. */
export function chooseTool(tools: readonly ToolSpec[], choice: ToolChoice): ToolSpec | undefined {
  if (typeof choice === "object") return tools.find((t) => t.name === choice.name);
  if (choice !== "required" || tools.length === 0) return undefined;
  let best = tools[0]!;
  let bestScore = -1;
  for (const tool of tools) {
    const score = answerFit(tool.parameters);
    if (score > bestScore) {
      best = tool;
      bestScore = score;
    }
  }
  return best;
}

/** 2: an answer-named parameter; 1: a single non-reasoning parameter; 0: anything else. */
function answerFit(parameters: JsonSchema | undefined): number {
  const properties = isSchemaObject(parameters) && isSchemaObject(parameters.properties) ? Object.keys(parameters.properties) : [];
  if (properties.some(isAnswerField)) return 2;
  return properties.filter((p) => !isReasoningField(p)).length === 1 ? 1 : 0;
}

/** The arguments for `tool` as the JSON string llama-server sends (`{}` for a tool without parameters). */
export function toolArguments(tool: ToolSpec, answer: string | undefined, reasoning: string, seed: number, keys: readonly number[]): string {
  if (tool.parameters === undefined) return "{}";
  return JSON.stringify(instanceOf(tool.parameters, answer, reasoning, seed, [...keys, SALT]));
}

/**
 * `{tool_calls: [one call]}` when the choice forces a call (required, or a named function that is
 * among `tools`); undefined when the reply should be prose. One call even with
 * parallel_tool_calls: a model answering one question calls one tool. The caller sends it with
 * `finish_reason: "tool_calls"` and `content: null` (llama-server [A]; newer builds send "").
 */
export function toolCallReply(
  tools: readonly ToolSpec[],
  choice: ToolChoice,
  answer: string | undefined,
  reasoning: string,
  seed: number,
  keys: readonly number[],
): { tool_calls: ToolCall[] } | undefined {
  const tool = chooseTool(tools, choice);
  if (tool === undefined) return undefined;
  return { tool_calls: [{ type: "function", function: { name: tool.name, arguments: toolArguments(tool, answer, reasoning, seed, keys) }, id: toolCallId(seed, keys, 0) }] };
}

/**
 * The stream deltas for `calls`, in order, as llama-server sends them: for each call a header
 * `{index, id, type: "function", function: {name, arguments: ""}}`, then its arguments in
 * token-sized fragments `{index, function: {arguments}}`. Concatenated, the fragments are the
 * arguments string exactly. Each delta goes in its own chunk with `finish_reason: null`; the
 * finish chunk that follows has `finish_reason: "tool_calls"` and an empty delta.
 */
export function toolCallDeltas(calls: readonly ToolCall[]): ToolCallDelta[] {
  const deltas: ToolCallDelta[] = [];
  calls.forEach((call, index) => {
    deltas.push({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] });
    for (const fragment of splitIntoPieces(call.function.arguments)) deltas.push({ tool_calls: [{ index, function: { arguments: fragment } }] });
  });
  return deltas;
}

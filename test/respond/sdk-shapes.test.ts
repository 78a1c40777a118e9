// The shapes these modules produce, read by the `openai` SDK's own parse paths (chat.completions.parse,
// the streaming accumulator) through a tiny server that answers with them. zod is not installed (the
// SDK does not bring it), so the schemas are hand-written as zodResponseFormat would write them and
// wrapped as Standard Schemas whose validators are independent hand-written checks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { standardFunction, standardResponseFormat } from "openai/helpers/standard-schema";
import { chatLogprobs, streamLogprobs } from "../../src/respond/logprobs.ts";
import { jsonReply } from "../../src/respond/structured.ts";
import { splitIntoPieces } from "../../src/respond/tokens.ts";
import { toolCallDeltas, toolCallReply } from "../../src/respond/tools.ts";
import { parseChatRequest } from "../../src/server/request.ts";

const REASONING = "Start with 3 + 30.\nThat is 33.";
const ANSWER = "33";
const SEED = 99;

/** A Standard Schema (what zod objects are to the SDK) with a JSON Schema and a synchronous validator. */
function standard<T>(schema: Record<string, unknown>, check: (value: unknown) => value is T) {
  return {
    "~standard": {
      version: 1 as const,
      vendor: "llama-sim-test",
      // Type-level only, as zod declares it: lets the SDK infer `parsed` as T.
      types: undefined as { input: T; output: T } | undefined,
      validate: (value: unknown) => (check(value) ? { value } : { issues: [{ message: "does not match the hand-written check" }] }),
      jsonSchema: { input: () => schema },
    },
  };
}

interface MathAnswer {
  steps: { explanation: string; output: string }[];
  final_answer: number;
}
const isMathAnswer = (v: unknown): v is MathAnswer => {
  const o = v as MathAnswer;
  return (
    typeof o === "object" && o !== null && Object.keys(o).length === 2 && Number.isInteger(o.final_answer) && Array.isArray(o.steps) &&
    o.steps.every((s) => typeof s === "object" && s !== null && typeof s.explanation === "string" && typeof s.output === "string" && Object.keys(s).length === 2)
  );
};
// zodResponseFormat(z.object({ steps: z.array(Step), final_answer: z.number().int() }), "math_answer"), as zod-to-json-schema writes it.
const MATH_SCHEMA = {
  type: "object",
  properties: { steps: { type: "array", items: { $ref: "#/definitions/step" } }, final_answer: { type: "integer" } },
  required: ["steps", "final_answer"],
  additionalProperties: false,
  definitions: { step: { type: "object", properties: { explanation: { type: "string" }, output: { type: "string" } }, required: ["explanation", "output"], additionalProperties: false } },
  $schema: "http://json-schema.org/draft-07/schema#",
};

interface Submit {
  answer: string;
  confidence: number | null;
}
const isSubmit = (v: unknown): v is Submit => {
  const o = v as Submit;
  return typeof o === "object" && o !== null && typeof o.answer === "string" && (o.confidence === null || typeof o.confidence === "number");
};
const SUBMIT_SCHEMA = {
  type: "object",
  properties: { answer: { type: "string" }, confidence: { type: ["number", "null"] } },
  required: ["answer", "confidence"],
  additionalProperties: false,
};

const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
  `data: ${JSON.stringify({ choices: [{ finish_reason: finish, index: 0, delta, ...extra }], created: 1, id: "chatcmpl-x", model: "llama", system_fingerprint: "b1-x", object: "chat.completion.chunk" })}\n\n`;

/** A llama-server-shaped reply to `body`, built only from the modules under test. */
function answer(body: unknown): Response {
  const request = parseChatRequest(body);
  const keys = [1, 2];
  const calls = toolCallReply(request.tools, request.toolChoice, ANSWER, REASONING, SEED, keys)?.tool_calls;
  const content = request.responseFormat !== undefined ? jsonReply(request.responseFormat, ANSWER, REASONING, SEED, keys) : `${REASONING}\n\nThe answer is \\boxed{${ANSWER}}.`;
  const pieces = splitIntoPieces(content);
  if (request.stream) {
    let sse = chunk({ role: "assistant", content: null });
    if (calls !== undefined) for (const delta of toolCallDeltas(calls)) sse += chunk(delta);
    else pieces.forEach((piece, i) => (sse += chunk({ content: piece }, null, request.topLogprobs === undefined ? {} : { logprobs: streamLogprobs(piece, i, request.topLogprobs, SEED, keys) })));
    sse += chunk({}, calls !== undefined ? "tool_calls" : "stop");
    return new Response(`${sse}data: [DONE]\n\n`, { headers: { "content-type": "text/event-stream" } });
  }
  const message = calls !== undefined ? { role: "assistant", content: null, tool_calls: calls } : { role: "assistant", content };
  const logprobs = request.topLogprobs === undefined ? {} : { logprobs: { content: chatLogprobs(pieces, request.topLogprobs, SEED, keys) } };
  return Response.json({
    choices: [{ finish_reason: calls !== undefined ? "tool_calls" : "stop", index: 0, message, ...logprobs }],
    created: 1,
    model: "llama",
    system_fingerprint: "b1-x",
    object: "chat.completion",
    usage: { completion_tokens: 10, prompt_tokens: 10, total_tokens: 20 },
    id: "chatcmpl-x",
  });
}

let server: ReturnType<typeof Bun.serve>;
let client: OpenAI;
beforeAll(() => {
  server = Bun.serve({ port: 0, fetch: async (req) => answer(await req.json()) });
  client = new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: "x", maxRetries: 0 });
});
afterAll(() => server.stop(true));

const messages = [{ role: "user" as const, content: "What is 3 + 30?" }];

describe("the openai SDK parses what the modules produce", () => {
  test("chat.completions.parse with a zodResponseFormat-style schema: message.parsed holds the answer", async () => {
    const completion = await client.chat.completions.parse({ model: "llama", messages, response_format: standardResponseFormat(standard(MATH_SCHEMA, isMathAnswer), "math_answer") });
    const parsed = completion.choices[0]!.message.parsed!;
    expect(parsed.final_answer).toBe(33);
    expect(parsed.steps.map((s) => s.explanation)).toEqual(REASONING.split("\n"));
  });

  test("a strict function tool with tool_choice required: parsed_arguments, finish_reason tool_calls", async () => {
    const completion = await client.chat.completions.parse({
      model: "llama",
      messages,
      tools: [standardFunction({ name: "submit_answer", parameters: standard(SUBMIT_SCHEMA, isSubmit) })],
      tool_choice: "required",
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe("function");
    if (call.type !== "function") throw new Error("not a function call");
    expect(call.id).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(call.function.parsed_arguments).toEqual({ answer: "33", confidence: 0 });
  });

  test("streamed tool calls accumulate into the same call through the SDK's stream helper", async () => {
    const stream = client.chat.completions.stream({
      model: "llama",
      messages,
      tools: [standardFunction({ name: "submit_answer", parameters: standard(SUBMIT_SCHEMA, isSubmit) })],
      tool_choice: { type: "function", function: { name: "submit_answer" } },
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    if (call.type !== "function") throw new Error("not a function call");
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    expect(call.function.name).toBe("submit_answer");
    expect(call.function.parsed_arguments).toEqual({ answer: "33", confidence: 0 });
  });

  test("logprobs.content, whole and streamed, read the same through the SDK", async () => {
    const whole = await client.chat.completions.create({ model: "llama", messages, logprobs: true, top_logprobs: 3 });
    const content = whole.choices[0]!.logprobs!.content!;
    expect(content.map((c) => c.token).join("")).toBe(whole.choices[0]!.message.content!);
    expect(content.every((c) => c.logprob <= 0 && c.top_logprobs.length === 3)).toBe(true);
    const stream = client.chat.completions.stream({ model: "llama", messages, logprobs: true, top_logprobs: 3 });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.logprobs!.content).toEqual(content);
  });
});

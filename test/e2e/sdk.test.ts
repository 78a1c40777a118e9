// The request fields SDK users rely on, through the compiled binary and the `openai` package's own
// helpers: structured output parsed by chat.completions.parse with a zod schema, tool calls with
// zodFunction (plain and streamed), logprobs, stop strings and an assistant prefill.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { zodFunction, zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";
import { AIME_FILE_REL, aimePrompt, lastBoxed, loadAime, startSim, stopAll, type Sim } from "./harness.ts";

const aime = loadAime();
afterAll(stopAll);

let sim: Sim;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--success-rate", "1", "--seed", "11", "--quiet"] });
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: "x", maxRetries: 0, timeout: 10_000 });
});

const ask = (i: number) => [{ role: "user" as const, content: aimePrompt(aime[i]!.problem) }];

describe("structured output: chat.completions.parse with a zod schema", () => {
  test("the parsed object holds the gold answer as the schema's integer, and the working as text", async () => {
    const Solution = z.object({ reasoning: z.string(), final_answer: z.number().int() });
    for (const i of [0, 17, 55]) {
      const reply = await client.chat.completions.parse({ model: "llama", messages: ask(i), response_format: zodResponseFormat(Solution, "solution") });
      const parsed = reply.choices[0]!.message.parsed;
      expect(parsed).not.toBeNull();
      expect(parsed!.final_answer).toBe(Number(aime[i]!.gold));
      expect(parsed!.reasoning.length).toBeGreaterThan(0);
    }
  });

  test("json_object without a schema: valid JSON with the answer", async () => {
    const reply = await client.chat.completions.create({ model: "llama", messages: ask(3), response_format: { type: "json_object" } });
    const value = JSON.parse(reply.choices[0]!.message.content!) as { answer: unknown };
    expect(String(value.answer)).toBe(aime[3]!.gold);
  });
});

describe("tools: a required call carries the answer in schema-valid arguments", () => {
  const submit = zodFunction({ name: "submit_answer", parameters: z.object({ answer: z.string(), confidence: z.number().min(0).max(1) }) });

  test("non-streamed: finish_reason tool_calls, parsed_arguments from the SDK", async () => {
    const reply = await client.chat.completions.parse({ model: "llama", messages: ask(8), tools: [submit], tool_choice: "required" });
    const choice = reply.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe("function");
    if (call.type !== "function") throw new Error("not a function call");
    expect(call.function.name).toBe("submit_answer");
    expect(call.id).toMatch(/^[0-9A-Za-z]{32}$/);
    const args = call.function.parsed_arguments as { answer: string; confidence: number };
    expect(args.answer).toBe(aime[8]!.gold);
    expect(args.confidence).toBeGreaterThanOrEqual(0);
    expect(args.confidence).toBeLessThanOrEqual(1);
  });

  test("streamed: the fragments rebuild the same call, and the stream ends with tool_calls", async () => {
    const stream = await client.chat.completions.create({ model: "llama", messages: ask(8), tools: [submit], tool_choice: "required", stream: true });
    let name = "";
    let args = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      for (const call of choice.delta.tool_calls ?? []) {
        name += call.function?.name ?? "";
        args += call.function?.arguments ?? "";
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(name).toBe("submit_answer");
    expect((JSON.parse(args) as { answer: string }).answer).toBe(aime[8]!.gold);
    expect(finish).toBe("tool_calls");
  });
});

describe("logprobs, stop and prefill", () => {
  test("logprobs.content: one entry per streamed piece, tokens rebuild the content, alternatives sorted", async () => {
    const reply = await client.chat.completions.create({ model: "llama", messages: ask(2), logprobs: true, top_logprobs: 3 });
    const choice = reply.choices[0]!;
    const entries = choice.logprobs!.content!;
    expect(entries.map((e) => e.token).join("")).toBe(choice.message.content!);
    for (const entry of entries) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.top_logprobs).toHaveLength(3);
      const values = entry.top_logprobs.map((t) => t.logprob);
      expect(values).toEqual([...values].sort((a, b) => b - a));
      expect(entry.bytes).toEqual([...new TextEncoder().encode(entry.token)]);
    }
  });

  test("a stop string ends the reply before it: no boxed answer reaches the client", async () => {
    const reply = await client.chat.completions.create({ model: "llama", messages: ask(4), stop: ["\\boxed"] });
    const content = reply.choices[0]!.message.content!;
    expect(content).not.toContain("\\boxed");
    expect(content.length).toBeGreaterThan(0);
    expect(reply.choices[0]!.finish_reason).toBe("stop");
  });

  test("a trailing assistant message is continued, not repeated", async () => {
    const prefill = "Let me work through this problem step by step.\n\nThe answer is \\boxed{";
    const reply = await client.chat.completions.create({ model: "llama", messages: [...ask(6), { role: "assistant", content: prefill }] });
    const continuation = reply.choices[0]!.message.content!;
    expect(continuation.startsWith("Let me")).toBe(false);
    expect(lastBoxed(prefill + continuation)).toBe(aime[6]!.gold);
  });
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { HttpError } from "../../src/server/errors.ts";
import { parseJson as parseJsonBody } from "../../src/server/body.ts";
import { parseChatRequest, REASONING_FORMATS } from "../../src/server/request.ts";

function badRequest(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    const e = error as HttpError;
    expect(e.status).toBe(400);
    expect(e.type).toBe("invalid_request_error");
    expect(e.message.length).toBeGreaterThan(0);
    return e;
  }
  throw new Error("expected an HttpError 400");
}

const user = (content: unknown) => ({ role: "user", content });

describe("parseJsonBody", () => {
  test.each(["", "x", "{", '{"messages":', "{'a':1}", "[1,]", "undefined"])("%p is a 400", (text) => {
    expect(badRequest(() => parseJsonBody(text)).message).toContain("not valid JSON");
  });
  test("valid JSON of any kind is returned as parsed", () => {
    expect(parseJsonBody('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(parseJsonBody("null")).toBeNull();
    expect(parseJsonBody(" 3 ")).toBe(3);
  });
});

describe("parseChatRequest rejects what llama-server's tests reject", () => {
  const cases: [string, unknown][] = [
    ["messages missing", {}],
    ["messages null", { messages: null }],
    ['messages "string"', { messages: "string" }],
    ["messages [123]", { messages: [123] }],
    ["messages [{}]", { messages: [{}] }],
    ["messages empty", { messages: [] }],
    ["numeric role", { messages: [{ role: 123, content: "hi" }] }],
    ["numeric content", { messages: [{ role: "user", content: 123 }] }],
    ["object content", { messages: [{ role: "user", content: { text: "hi" } }] }],
    ["user without content", { messages: [{ role: "user" }] }],
    ["two trailing assistant messages", { messages: [user("q"), { role: "assistant", content: "a" }, { role: "assistant", content: "b" }] }],
    ["content part not an object", { messages: [user(["hi"])] }],
    ["content part without type", { messages: [user([{ text: "hi" }])] }],
    ["content part with unknown type", { messages: [user([{ type: "video", video: "x" }])] }],
    ["text part without text", { messages: [user([{ type: "text" }])] }],
    ["text part with numeric text", { messages: [user([{ type: "text", text: 5 }])] }],
    ["non-boolean stream", { messages: [user("q")], stream: "yes" }],
    ["numeric stream", { messages: [user("q")], stream: 1 }],
    ["non-object stream_options", { messages: [user("q")], stream: true, stream_options: "usage" }],
    ["array stream_options", { messages: [user("q")], stream: true, stream_options: [true] }],
    ["non-boolean include_usage", { messages: [user("q")], stream: true, stream_options: { include_usage: "true" } }],
    ['max_tokens "x"', { messages: [user("q")], max_tokens: "x" }],
    ["max_tokens 1.5", { messages: [user("q")], max_tokens: 1.5 }],
    ['n_predict "10"', { messages: [user("q")], n_predict: "10" }],
    ["max_completion_tokens true", { messages: [user("q")], max_completion_tokens: true }],
    ["n=0", { messages: [user("q")], n: 0 }],
    ["n=1.5", { messages: [user("q")], n: 1.5 }],
    ['n="1"', { messages: [user("q")], n: "1" }],
    ['temperature "hot"', { messages: [user("q")], temperature: "hot" }],
    ["body null", null],
    ["body an array", [user("q")]],
    ["body a string", "hello"],
  ];
  test.each(cases)("%s", (_name, body) => {
    badRequest(() => parseChatRequest(body));
  });

  test("the messages the upstream server uses", () => {
    expect(badRequest(() => parseChatRequest({})).message).toBe("'messages' is required");
    expect(badRequest(() => parseChatRequest({ messages: "string" })).message).toBe("Expected 'messages' to be an array");
  });

  test("messages name the offending index", () => {
    expect(badRequest(() => parseChatRequest({ messages: [user("ok"), { role: 5, content: "x" }] })).message).toContain("messages[1]");
    expect(badRequest(() => parseChatRequest({ messages: [user([{ type: "text", text: "a" }, { type: "x" }])] })).message).toContain("content[1]");
  });
});

describe("parseChatRequest accepts valid requests", () => {
  test("llama-eval's request", () => {
    expect(parseChatRequest({ model: "llama", messages: [user("What is 1+1?")], n_predict: -1, temperature: 0.6, top_k: 20, top_p: 0.95, min_p: 0 })).toEqual({
      messages: [{ role: "user", text: "What is 1+1?" }],
      stream: false,
      includeUsage: false,
      maxTokens: -1,
      stop: [],
      responseFormat: undefined,
      topLogprobs: undefined,
      tools: [],
      toolChoice: "auto",
      parallelToolCalls: false,
      temperature: 0.6,
      seed: undefined,
      n: 1,
      prefill: undefined,
      reasoningFormat: undefined,
      timingsPerToken: false,
    });
  });

  test("system + user keeps every text in order", () => {
    const r = parseChatRequest({ messages: [{ role: "system", content: "Be brief." }, user("Q?")] });
    expect(r.messages.map((m) => m.text)).toEqual(["Be brief.", "Q?"]);
  });

  test("content as an array of text parts is joined; images and audio are accepted and skipped", () => {
    const r = parseChatRequest({
      messages: [
        user([
          { type: "text", text: "line one" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          { type: "text", text: "line two" },
          { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
        ]),
      ],
    });
    expect(r.messages.map((m) => m.text)).toEqual(["line one\nline two"]);
  });

  test("null and empty content add no text; an assistant with tool_calls needs no content", () => {
    const r = parseChatRequest({
      messages: [
        { role: "system", content: null },
        user("Q"),
        { role: "assistant", tool_calls: [{ type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", content: "" },
        user("again"),
      ],
    });
    expect(r.messages.map((m) => m.text)).toEqual(["Q", "again"]);
  });

  test("one trailing assistant message (a prefill) is allowed", () => {
    const r = parseChatRequest({ messages: [user("Q"), { role: "assistant", content: "Let me" }] });
    expect(r.messages.map((m) => m.text)).toEqual(["Q", "Let me"]);
    expect(r.prefill).toBe("Let me");
  });

  test("unknown fields are ignored, as llama-server does", () => {
    expect(parseChatRequest({ messages: [user("Q")], reasoning_effort: "high", foo: { bar: 1 }, model: 5 }).messages.map((m) => m.text)).toEqual(["Q"]);
  });

  test("n above 1 is accepted here (the caller caps it)", () => {
    expect(parseChatRequest({ messages: [user("Q")], n: 3 }).n).toBe(3);
    expect(parseChatRequest({ messages: [user("Q")] }).n).toBe(1);
  });

  test("stream, include_usage, n=1 and nulls", () => {
    expect(parseChatRequest({ messages: [user("Q")], stream: true })).toMatchObject({ stream: true, includeUsage: false });
    expect(parseChatRequest({ messages: [user("Q")], stream: true, stream_options: { include_usage: true } })).toMatchObject({ stream: true, includeUsage: true });
    expect(parseChatRequest({ messages: [user("Q")], stream: false, stream_options: null, n: 1 })).toMatchObject({ stream: false, includeUsage: false });
    expect(parseChatRequest({ messages: [user("Q")], stream: null, n: null, temperature: null })).toMatchObject({ stream: false });
  });

  test("token limit precedence: n_predict, then max_completion_tokens, then max_tokens", () => {
    const m = [user("Q")];
    expect(parseChatRequest({ messages: m }).maxTokens).toBeUndefined();
    expect(parseChatRequest({ messages: m, max_tokens: 30 }).maxTokens).toBe(30);
    expect(parseChatRequest({ messages: m, max_tokens: 30, max_completion_tokens: 20 }).maxTokens).toBe(20);
    expect(parseChatRequest({ messages: m, max_tokens: 30, max_completion_tokens: 20, n_predict: 10 }).maxTokens).toBe(10);
    expect(parseChatRequest({ messages: m, max_tokens: 30, n_predict: -1 }).maxTokens).toBe(-1);
    expect(parseChatRequest({ messages: m, max_tokens: 30, n_predict: null }).maxTokens).toBe(30);
    expect(parseChatRequest({ messages: m, max_tokens: 0 }).maxTokens).toBe(0);
  });

  test("property: the texts are exactly the non-empty string contents, in order", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ role: fc.constantFrom("system", "user", "tool"), content: fc.string() }), { minLength: 1, maxLength: 6 }), (messages) => {
        expect(parseChatRequest({ messages }).messages.map((m) => m.text)).toEqual(messages.map((m) => m.content).filter((c) => c !== ""));
      }),
    );
  });
});

/** The message of the 400 a body gets. */
const refusal = (body: Record<string, unknown>) => badRequest(() => parseChatRequest({ messages: [user("Q")], ...body })).message;
const parsed = (body: Record<string, unknown>) => parseChatRequest({ messages: [user("Q")], ...body });

describe("stop", () => {
  test("a string or an array of strings; empty strings dropped as llama-server does", () => {
    expect(parsed({}).stop).toEqual([]);
    expect(parsed({ stop: null }).stop).toEqual([]);
    expect(parsed({ stop: "\n\n" }).stop).toEqual(["\n\n"]);
    expect(parsed({ stop: "" }).stop).toEqual([]);
    expect(parsed({ stop: ["a", "", "b"] }).stop).toEqual(["a", "b"]);
    // llama-server takes any number of stop strings (OpenAI's limit of 4 is not its own).
    expect(parsed({ stop: ["1", "2", "3", "4", "5", "6"] }).stop).toHaveLength(6);
  });

  test.each([[5], [true], [{ word: "x" }], [["a", 1]], [[null]]])("stop %p is a 400", (stop) => {
    expect(refusal({ stop })).toBe("'stop' must be a string or an array of strings");
  });
});

describe("response_format and json_schema", () => {
  const schema = { type: "object", properties: { answer: { type: "integer" } }, required: ["answer"] };

  test("text, an empty type and absence mean prose", () => {
    expect(parsed({}).responseFormat).toBeUndefined();
    expect(parsed({ response_format: { type: "text" } }).responseFormat).toBeUndefined();
    expect(parsed({ response_format: {} }).responseFormat).toBeUndefined();
    expect(parsed({ response_format: null }).responseFormat).toBeUndefined();
  });

  test("json_object, with or without a schema", () => {
    expect(parsed({ response_format: { type: "json_object" } }).responseFormat).toEqual({ type: "json_object", schema: undefined });
    expect(parsed({ response_format: { type: "json_object", schema } }).responseFormat).toEqual({ type: "json_object", schema });
  });

  test("json_schema reads the inner schema, name and strict (OpenAI's nesting)", () => {
    expect(parsed({ response_format: { type: "json_schema", json_schema: { name: "math", schema, strict: true } } }).responseFormat).toEqual({
      type: "json_schema",
      schema,
      name: "math",
      strict: true,
    });
    expect(parsed({ response_format: { type: "json_schema" } }).responseFormat).toMatchObject({ type: "json_schema", schema: undefined });
  });

  test("llama-server's own top-level json_schema; json_object without a schema keeps it", () => {
    expect(parsed({ json_schema: schema }).responseFormat).toEqual({ type: "json_schema", schema });
    expect(parsed({ json_schema: schema, response_format: { type: "json_object" } }).responseFormat).toEqual({ type: "json_object", schema });
    expect(parsed({ json_schema: schema, response_format: { type: "text" } }).responseFormat).toEqual({ type: "json_schema", schema });
  });

  test("an unknown type gets llama-server's message", () => {
    expect(refusal({ response_format: { type: "sound" } })).toBe('response_format type must be one of "text" or "json_object", but got: sound');
    expect(refusal({ response_format: { type: "json" } })).toBe('response_format type must be one of "text" or "json_object", but got: json');
  });

  test("json_schema together with grammar is refused with llama-server's message", () => {
    expect(refusal({ json_schema: schema, grammar: "root ::= \"a\"" })).toBe("Cannot use both json_schema and grammar");
  });

  test.each([
    [{ response_format: "json_object" }, "'response_format' must be an object"],
    [{ response_format: { type: 3 } }, "'response_format.type' must be a string"],
    [{ response_format: { type: "json_object", schema: "x" } }, "'response_format.schema' must be an object"],
    [{ response_format: { type: "json_schema", json_schema: [] } }, "'response_format.json_schema' must be an object"],
    [{ response_format: { type: "json_schema", json_schema: { schema: 5 } } }, "'response_format.json_schema.schema' must be an object"],
    [{ response_format: { type: "json_schema", json_schema: { name: 5, schema } } }, "'response_format.json_schema.name' must be a string"],
    [{ response_format: { type: "json_schema", json_schema: { schema, strict: "yes" } } }, "'response_format.json_schema.strict' must be a boolean"],
    [{ json_schema: "{}" }, "'json_schema' must be an object"],
  ])("%p is a 400", (body, message) => {
    expect(refusal(body as Record<string, unknown>)).toBe(message);
  });
});

describe("schemas no grammar can be built from: 400, as llama-server's json_schema_to_grammar refuses them", () => {
  const bad: Record<string, unknown>[] = [
    { type: "nonsense" },
    { type: ["string", "wat"] },
    { type: [] },
    { type: "object", properties: { a: { type: "wat" } }, required: ["a"] },
    { type: "array", items: { type: 7 } },
    { anyOf: [{ type: "string" }, { type: "bogus" }] },
    { $defs: { X: { type: "nope" } }, $ref: "#/$defs/X" },
    { enum: [] },
    { type: "object", required: "a" },
    { type: "string", pattern: "([a-z" },
    { type: "integer", minimum: 5, maximum: 3 },
  ];
  // Deeper than any client writes: walking it would exhaust the stack.
  let deep: Record<string, unknown> = { type: "integer" };
  for (let i = 0; i < 5000; i++) deep = { type: "object", properties: { a: deep } };
  bad.push(deep);
  test.each(bad.map((schema) => [JSON.stringify(schema).slice(0, 80), schema]))("%s", (_, schema) => {
    for (const body of [
      { response_format: { type: "json_schema", json_schema: { name: "x", schema } } },
      { response_format: { type: "json_object", schema } },
      { json_schema: schema },
      { tools: [{ type: "function", function: { name: "f", parameters: schema } }] },
    ]) {
      const e = badRequest(() => parseChatRequest({ messages: [user("hi")], ...body }));
      expect(e.message.startsWith("JSON schema conversion failed:\n")).toBe(true);
    }
  });
  test("valid schemas, booleans and unknown keywords pass", () => {
    const tuple = { type: "array", items: [{ type: "string" }, { type: "integer" }], additionalItems: false };
    for (const schema of [true, {}, { type: ["string", "null"] }, { type: "object", properties: { a: { type: "integer", "x-extra": 1 } }, additionalProperties: false }, tuple]) {
      expect(parseChatRequest({ messages: [user("hi")], json_schema: schema }).responseFormat).toEqual({ type: "json_schema", schema });
    }
  });
});

describe("logprobs and top_logprobs", () => {
  test("logprobs: true means 20 alternatives unless top_logprobs says otherwise", () => {
    expect(parsed({}).topLogprobs).toBeUndefined();
    expect(parsed({ logprobs: false }).topLogprobs).toBeUndefined();
    expect(parsed({ logprobs: true }).topLogprobs).toBe(20);
    expect(parsed({ logprobs: true, top_logprobs: 3 }).topLogprobs).toBe(3);
    expect(parsed({ logprobs: true, top_logprobs: 0 }).topLogprobs).toBe(0);
    expect(parsed({ logprobs: null, top_logprobs: null }).topLogprobs).toBeUndefined();
  });

  test("top_logprobs without logprobs gets llama-server's message", () => {
    expect(refusal({ top_logprobs: 5 })).toBe("top_logprobs requires logprobs to be set to true");
    expect(refusal({ logprobs: false, top_logprobs: 0 })).toBe("top_logprobs requires logprobs to be set to true");
  });

  test("logprobs with tools and stream gets llama-server's message", () => {
    const tools = [{ type: "function", function: { name: "f" } }];
    expect(refusal({ logprobs: true, tools, stream: true })).toBe("logprobs is not supported with tools + stream");
    expect(parsed({ logprobs: true, tools }).topLogprobs).toBe(20);
  });

  test.each([[{ logprobs: 1 }, "'logprobs' must be a boolean"], [{ logprobs: true, top_logprobs: 21 }, "'top_logprobs' must be an integer from 0 to 20"], [{ logprobs: true, top_logprobs: -1 }, "'top_logprobs' must be an integer from 0 to 20"], [{ logprobs: true, top_logprobs: 2.5 }, "'top_logprobs' must be an integer from 0 to 20"], [{ logprobs: true, top_logprobs: "5" }, "'top_logprobs' must be an integer from 0 to 20"]])(
    "%p is a 400",
    (body, message) => {
      expect(refusal(body)).toBe(message);
    },
  );
});

describe("tools, tool_choice and parallel_tool_calls", () => {
  const submit = { type: "function", function: { name: "submit_answer", description: "Submit", parameters: { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] } } };
  const bare = { type: "function", function: { name: "noop" } };

  test("tools are read in order; description and parameters may be absent", () => {
    const r = parsed({ tools: [submit, bare] });
    expect(r.tools).toEqual([
      { name: "submit_answer", description: "Submit", parameters: submit.function.parameters },
      { name: "noop", description: undefined, parameters: undefined },
    ]);
    expect(r.toolChoice).toBe("auto");
    expect(r.parallelToolCalls).toBe(false);
    expect(parsed({ tools: null }).tools).toEqual([]);
  });

  test("tool_choice: the three strings, and a named function among the tools", () => {
    for (const choice of ["auto", "none", "required"] as const) expect(parsed({ tools: [submit], tool_choice: choice }).toolChoice).toBe(choice);
    expect(parsed({ tools: [submit, bare], tool_choice: { type: "function", function: { name: "noop" } } }).toolChoice).toEqual({ name: "noop" });
    expect(parsed({ tools: [submit], parallel_tool_calls: true }).parallelToolCalls).toBe(true);
  });

  test.each([
    [{ tools: {} }, "Failed to parse tools: Expected 'tools' to be an array, got {}"],
    [{ tools: [{ function: { name: "f" } }] }, 'Failed to parse tools: Missing tool type: {"function":{"name":"f"}}'],
    [{ tools: [{ type: "retrieval" }] }, 'Failed to parse tools: Unsupported tool type: {"type":"retrieval"}'],
    [{ tools: [{ type: "function" }] }, 'Failed to parse tools: Missing tool function: {"type":"function"}'],
    [{ tools: [{ type: "function", function: { description: "d" } }] }, 'Failed to parse tools: Missing tool function name: {"type":"function","function":{"description":"d"}}'],
    [{ tools: [{ type: "function", function: { name: "f", parameters: "x" } }] }, 'Failed to parse tools: Tool parameters must be a JSON schema object: {"type":"function","function":{"name":"f","parameters":"x"}}'],
    [{ tools: [{ type: "function", function: { name: "f", description: 3 } }] }, 'Failed to parse tools: Tool description must be a string: {"type":"function","function":{"name":"f","description":3}}'],
    [{ tools: [submit], tool_choice: "always" }, "Invalid tool_choice: always"],
    [{ tools: [submit], tool_choice: 1 }, "Invalid tool_choice: 1"],
    [{ tools: [submit], tool_choice: { type: "function" } }, "named tool_choice must select a function name"],
    [{ tools: [submit], tool_choice: { type: "function", function: { name: "missing" } } }, "named tool_choice does not match any supplied tool"],
    [{ tools: [submit], tool_choice: { type: "custom", custom: { name: "x" } } }, 'Invalid tool_choice: {"type":"custom","custom":{"name":"x"}}'],
    [{ tools: [submit], parallel_tool_calls: "yes" }, "'parallel_tool_calls' must be a boolean"],
  ])("%p is a 400", (body, message) => {
    expect(refusal(body as Record<string, unknown>)).toBe(message);
  });
});

describe("temperature, seed, reasoning_format and the prefill", () => {
  test("temperature and seed are exposed as numbers", () => {
    expect(parsed({ temperature: 0, seed: 42 })).toMatchObject({ temperature: 0, seed: 42 });
    expect(parsed({})).toMatchObject({ temperature: undefined, seed: undefined });
  });

  test("reasoning_format takes llama-server's four names", () => {
    expect(REASONING_FORMATS).toEqual(["none", "auto", "deepseek", "deepseek-legacy"]);
    for (const f of REASONING_FORMATS) expect(parsed({ reasoning_format: f }).reasoningFormat).toBe(f);
    expect(refusal({ reasoning_format: "qwen" })).toBe("Unknown reasoning format: qwen");
    expect(refusal({ reasoning_format: 1 })).toBe("'reasoning_format' must be a string");
  });

  test("the prefill is the trailing assistant message only, its parts joined; tool-call-only assistants are none", () => {
    expect(parseChatRequest({ messages: [user("Q"), { role: "assistant", content: "A" }, user("Q2")] }).prefill).toBeUndefined();
    expect(parseChatRequest({ messages: [user("Q"), { role: "assistant", content: [{ type: "text", text: "The answer" }, { type: "text", text: "is" }] }] }).prefill).toBe("The answer\nis");
    expect(parseChatRequest({ messages: [user("Q"), { role: "assistant", content: "" }] }).prefill).toBe("");
    expect(parseChatRequest({ messages: [user("Q"), { role: "assistant", content: null, tool_calls: [] }] }).prefill).toBeUndefined();
  });
});

describe("an assistant message's earlier tool calls are checked as llama-server checks them", () => {
  const history = (calls: unknown) => ({
    messages: [user("What is 2+2?"), { role: "assistant", content: null, tool_calls: calls }, { role: "tool", tool_call_id: "abc", content: "4" }],
  });
  test("well formed (arguments a string or an object): accepted", () => {
    for (const args of ['{"x":1}', { x: 1 }]) expect(parseChatRequest(history([{ id: "abc", type: "function", function: { name: "calc", arguments: args } }])).messages.length).toBe(2);
  });
  test.each([
    [[{ id: "abc", function: { name: "calc", arguments: "{}" } }], "Missing tool call type"],
    [[{ id: "abc", type: "code", function: { name: "calc" } }], "Unsupported tool call type"],
    [[{ id: "abc", type: "function", function: { arguments: "{}" } }], "Missing tool call name"],
    [{ id: "abc" }, "Expected 'tool_calls' to be an array"],
  ])("%j: 400 %s", (calls, message) => {
    expect(badRequest(() => parseChatRequest(history(calls))).message).toStartWith(`Failed to parse messages: ${message}`);
  });
});

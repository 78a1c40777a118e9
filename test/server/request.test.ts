import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { HttpError } from "../../src/server/errors.ts";
import { parseJson as parseJsonBody } from "../../src/server/body.ts";
import { parseChatRequest } from "../../src/server/request.ts";

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
    ["n=2", { messages: [user("q")], n: 2 }],
    ["n=0", { messages: [user("q")], n: 0 }],
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
    expect(parseChatRequest({ messages: [user("Q"), { role: "assistant", content: "Let me" }] }).messages.map((m) => m.text)).toEqual(["Q", "Let me"]);
  });

  test("unknown fields are ignored, as llama-server does", () => {
    expect(parseChatRequest({ messages: [user("Q")], reasoning_effort: "high", foo: { bar: 1 }, model: 5 }).messages.map((m) => m.text)).toEqual(["Q"]);
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

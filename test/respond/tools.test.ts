import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { validateAgainstSchema } from "../../src/respond/structured.ts";
import { chooseTool, toolCallDeltas, toolCallId, toolCallReply, type ToolSpec } from "../../src/respond/tools.ts";

const REASONING = "Add the two numbers.\n3 + 30 = 33.";

const weather: ToolSpec = {
  name: "get_weather",
  description: "Weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } }, required: ["city", "unit"], additionalProperties: false },
};
const submit: ToolSpec = {
  name: "submit_answer",
  parameters: { type: "object", properties: { reasoning: { type: "string" }, answer: { type: "integer" } }, required: ["reasoning", "answer"], additionalProperties: false },
};
const noArgs: ToolSpec = { name: "give_up" };

describe("toolCallReply", () => {
  test("required: calls the tool that holds an answer, with schema-valid arguments holding it", () => {
    const reply = toolCallReply([weather, submit], "required", "33", REASONING, 1, [9]);
    expect(reply).toBeDefined();
    const [call] = reply!.tool_calls;
    expect(Object.keys(call!)).toEqual(["type", "function", "id"]);
    expect(call!.type).toBe("function");
    expect(call!.function.name).toBe("submit_answer");
    const args = JSON.parse(call!.function.arguments);
    expect(args).toEqual({ reasoning: REASONING, answer: 33 });
    expect(validateAgainstSchema(args, submit.parameters!)).toEqual([]);
  });

  test("a named function is called even when another fits better", () => {
    const [call] = toolCallReply([weather, submit], { name: "get_weather" }, "33", REASONING, 1, [9])!.tool_calls;
    expect(call!.function.name).toBe("get_weather");
    expect(validateAgainstSchema(JSON.parse(call!.function.arguments), weather.parameters!)).toEqual([]);
  });

  test("a tool without parameters gets {}", () => {
    expect(toolCallReply([noArgs], "required", "33", REASONING, 1, [])!.tool_calls[0]!.function.arguments).toBe("{}");
  });

  test("auto, none, no tools, or an unknown name: no call (the reply stays prose)", () => {
    expect(toolCallReply([submit], "auto", "33", REASONING, 1, [])).toBeUndefined();
    expect(toolCallReply([submit], "none", "33", REASONING, 1, [])).toBeUndefined();
    expect(toolCallReply([], "required", "33", REASONING, 1, [])).toBeUndefined();
    expect(toolCallReply([submit], { name: "other" }, "33", REASONING, 1, [])).toBeUndefined();
  });

  test("ids are 32 alphanumerics like llama-server's, replayed by (seed, keys)", () => {
    const id = toolCallId(5, [1, 2], 0);
    expect(id).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(toolCallId(5, [1, 2], 0)).toBe(id);
    expect(toolCallId(5, [1, 3], 0)).not.toBe(id);
    expect(toolCallId(5, [1, 2], 1)).not.toBe(id);
    expect(toolCallReply([submit], "required", "33", REASONING, 5, [1, 2])).toEqual(toolCallReply([submit], "required", "33", REASONING, 5, [1, 2]));
  });

  test("chooseTool for required: answer-named parameter, else a single parameter, else the first tool", () => {
    const single: ToolSpec = { name: "record", parameters: { type: "object", properties: { n: { type: "integer" } } } };
    expect(chooseTool([weather, single], "required")?.name).toBe("record");
    expect(chooseTool([weather, single, submit], "required")?.name).toBe("submit_answer");
    expect(chooseTool([weather, noArgs], "required")?.name).toBe("get_weather");
  });
});

describe("toolCallDeltas", () => {
  test("a header with id, type and name and empty arguments, then argument fragments only", () => {
    const calls = toolCallReply([submit], "required", "33", REASONING, 1, [9])!.tool_calls;
    const deltas = toolCallDeltas(calls);
    expect(deltas[0]).toEqual({ tool_calls: [{ index: 0, id: calls[0]!.id, type: "function", function: { name: "submit_answer", arguments: "" } }] });
    expect(Object.keys(deltas[0]!.tool_calls[0])).toEqual(["index", "id", "type", "function"]);
    expect(deltas.length).toBeGreaterThan(2);
    for (const d of deltas.slice(1)) {
      expect(Object.keys(d.tool_calls[0])).toEqual(["index", "function"]);
      expect(Object.keys(d.tool_calls[0].function)).toEqual(["arguments"]);
      expect(d.tool_calls[0].function.arguments).not.toBe("");
    }
    expect(deltas.map((d) => d.tool_calls[0].function.arguments).join("")).toBe(calls[0]!.function.arguments);
  });

  test("property: for several calls, each index's fragments rebuild its arguments", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 8 }), args: fc.json() }), { minLength: 1, maxLength: 3 }), (specs) => {
        const calls = specs.map((s, i) => ({ type: "function" as const, function: { name: s.name, arguments: s.args }, id: toolCallId(1, [], i) }));
        const deltas = toolCallDeltas(calls);
        calls.forEach((call, i) => {
          const mine = deltas.filter((d) => d.tool_calls[0].index === i);
          expect(mine[0]!.tool_calls[0].id).toBe(call.id);
          expect(mine.filter((d) => d.tool_calls[0].id !== undefined)).toHaveLength(1);
          expect(mine.map((d) => d.tool_calls[0].function.arguments).join("")).toBe(call.function.arguments);
        });
      }),
    );
  });
});

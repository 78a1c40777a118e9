import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { answerNumber, instanceOf, jsonReply, reasoningSteps, validateAgainstSchema, type JsonSchema } from "../../src/respond/structured.ts";

const SEED = 12345;
const KEYS = [7, 3];
const REASONING = "First, 3 + 4 = 7.\nThen 7 * 5 = 35.\nFinally 35 - 2 = 33.";

/** The reply parsed, after checking it is one valid JSON document that the schema accepts. */
function reply(schema: JsonSchema | undefined, answer: string | null = "33", type: "json_object" | "json_schema" = "json_schema"): any {
  const text = jsonReply({ type, schema }, answer ?? undefined, REASONING, SEED, KEYS);
  const value = JSON.parse(text);
  if (schema !== undefined) expect(validateAgainstSchema(value, schema)).toEqual([]);
  return value;
}

describe("jsonReply without a schema (json_object)", () => {
  test("reasoning then answer; a plain number is written as a number", () => {
    expect(reply(undefined, "33", "json_object")).toEqual({ reasoning: REASONING, answer: 33 });
    expect(Object.keys(reply(undefined, "33", "json_object"))).toEqual(["reasoning", "answer"]);
    expect(reply(undefined, "-2.5", "json_object").answer).toBe(-2.5);
  });

  test("any other answer stays text; a reply that gives up has a null answer", () => {
    expect(reply(undefined, "\\frac{1}{2}", "json_object").answer).toBe("\\frac{1}{2}");
    expect(reply(undefined, "033", "json_object").answer).toBe("033");
    expect(reply(undefined, "C", "json_object").answer).toBe("C");
    expect(reply(undefined, null, "json_object").answer).toBeNull();
  });

  test("an empty schema ({} or true) is the same as none", () => {
    expect(reply({}, "33")).toEqual({ reasoning: REASONING, answer: 33 });
    expect(reply(true, "33")).toEqual({ reasoning: REASONING, answer: 33 });
  });
});

describe("jsonReply with a schema puts the answer where it plainly belongs", () => {
  test("OpenAI's math-tutor schema: steps from the reasoning, final_answer the answer", () => {
    const schema = {
      type: "object",
      properties: {
        steps: { type: "array", items: { type: "object", properties: { explanation: { type: "string" }, output: { type: "string" } }, required: ["explanation", "output"], additionalProperties: false } },
        final_answer: { type: "string" },
      },
      required: ["steps", "final_answer"],
      additionalProperties: false,
    };
    const v = reply(schema);
    expect(v.final_answer).toBe("33");
    expect(v.steps.map((s: { explanation: string }) => s.explanation)).toEqual(REASONING.split("\n"));
  });

  test.each(["answer", "final_answer", "Result", "solution", "value", "finalAnswer", "final-answer"])("the field %p holds the answer", (field) => {
    expect(reply({ type: "object", properties: { note: { type: "string" }, [field]: { type: "string" } }, required: ["note", field] })[field]).toBe("33");
  });

  test("the answer is coerced to the field's type", () => {
    expect(reply({ type: "object", properties: { answer: { type: "integer" } }, required: ["answer"] }).answer).toBe(33);
    expect(reply({ type: "object", properties: { answer: { type: "number" } }, required: ["answer"] }, "1,234.5").answer).toBe(1234.5);
    expect(reply({ type: "object", properties: { answer: { type: "number" } }, required: ["answer"] }, "\\frac{3}{4}").answer).toBe(0.75);
    expect(reply({ type: "object", properties: { answer: { type: "integer" } }, required: ["answer"] }, "$18").answer).toBe(18);
    expect(reply({ type: "object", properties: { answer: { type: "string" } }, required: ["answer"] }).answer).toBe("33");
    expect(reply({ type: "object", properties: { answer: { type: "boolean" } }, required: ["answer"] }, "yes").answer).toBe(true);
    expect(reply({ type: "object", properties: { answer: { type: ["integer", "string"] } }, required: ["answer"] }).answer).toBe(33);
    expect(reply({ type: "object", properties: { answer: { type: ["integer", "string"] } }, required: ["answer"] }, "x+1").answer).toBe("x+1");
  });

  test("multiple choice: an enum letter field picks the answer's letter", () => {
    const schema = { type: "object", properties: { reasoning: { type: "string" }, letter: { type: "string", enum: ["A", "B", "C", "D"] } }, required: ["reasoning", "letter"] };
    expect(reply(schema, "C")).toEqual({ reasoning: REASONING, letter: "C" });
    expect(reply(schema, "(b)").letter).toBe("B");
    expect(reply({ type: "object", properties: { choice: { enum: [1, 2, 3] } }, required: ["choice"] }, "3").choice).toBe(3);
  });

  test("reasoning-named fields carry the working: a string whole, an array step by step", () => {
    expect(reply({ type: "object", properties: { explanation: { type: "string" }, answer: { type: "integer" } }, required: ["explanation", "answer"] })).toEqual({ explanation: REASONING, answer: 33 });
    expect(reply({ type: "object", properties: { thoughts: { type: "array", items: { type: "string" } }, answer: { type: "integer" } }, required: ["answer", "thoughts"] }).thoughts).toEqual(REASONING.split("\n"));
  });

  test("optional fields are left out unless they hold the answer or the reasoning", () => {
    const v = reply({ type: "object", properties: { answer: { type: "integer" }, reasoning: { type: "string" }, confidence: { type: "number" } } });
    expect(v).toEqual({ answer: 33, reasoning: REASONING });
  });

  test("a root that is a scalar is the answer; a lone field is the answer", () => {
    expect(reply({ type: "integer" })).toBe(33);
    expect(reply({ type: "string" })).toBe("33");
    expect(reply({ type: "object", properties: { number: { type: "integer" } }, required: ["number"] })).toEqual({ number: 33 });
  });

  test("bounds are respected even when the answer breaks them", () => {
    expect(reply({ type: "object", properties: { answer: { type: "integer", minimum: 0, maximum: 9 } }, required: ["answer"] }).answer).toBe(9);
    expect(reply({ type: "object", properties: { answer: { type: "integer", exclusiveMinimum: 40 } }, required: ["answer"] }).answer).toBe(41);
    expect(reply({ type: "object", properties: { answer: { type: "integer", multipleOf: 5 } }, required: ["answer"] }).answer).toBe(35);
    expect(reply({ type: "object", properties: { answer: { type: "string", maxLength: 1 } }, required: ["answer"] }).answer).toBe("3");
    expect(reply({ type: "object", properties: { answer: { type: "string", minLength: 4 } }, required: ["answer"] }).answer).toHaveLength(4);
    expect(reply({ type: "object", properties: { answer: { type: "array", items: { type: "integer" }, minItems: 2 } }, required: ["answer"] }).answer).toEqual([33, 33]);
  });

  test("a reply that gives up: null where null is allowed, something valid where not", () => {
    expect(reply({ type: "object", properties: { answer: { type: ["integer", "null"] } }, required: ["answer"] }, null).answer).toBeNull();
    expect(reply({ type: "object", properties: { answer: { anyOf: [{ type: "string" }, { type: "null" }] } }, required: ["answer"] }, null).answer).toBeNull();
    expect(reply({ type: "object", properties: { answer: { type: "integer" } }, required: ["answer"] }, null).answer).toBe(0);
  });

  test("other required fields get plausible values of their type and format", () => {
    const v = reply({
      type: "object",
      properties: {
        answer: { type: "integer" },
        unit: { type: "string" },
        when: { type: "string", format: "date" },
        id: { type: "string", format: "uuid" },
        code: { type: "string", pattern: "^[A-Z]+$" },
        count: { type: "integer", minimum: 2 },
        ok: { type: "boolean" },
        tags: { type: "array", items: { type: "string" }, uniqueItems: true, minItems: 3 },
        extra: { type: "null" },
      },
      required: ["answer", "unit", "when", "id", "code", "count", "ok", "tags", "extra"],
      additionalProperties: false,
    });
    expect(v).toMatchObject({ answer: 33, unit: "unit", when: "2024-01-01", count: 2, extra: null });
    expect(v.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(v.tags).size).toBe(3);
  });
});

describe("schemas as the SDK helpers write them", () => {
  test("zod-to-json-schema (openai zodResponseFormat, zod v3): definitions, $ref, nullable type arrays", () => {
    // What zodResponseFormat(z.object({ steps: z.array(Step), final_answer: z.number(), note: z.string().nullable() }), "math") produces.
    const schema = {
      type: "object",
      properties: {
        steps: { type: "array", items: { $ref: "#/definitions/math_step" } },
        final_answer: { type: "number" },
        note: { type: ["string", "null"] },
      },
      required: ["steps", "final_answer", "note"],
      additionalProperties: false,
      definitions: {
        math_step: { type: "object", properties: { explanation: { type: "string" }, output: { type: "string" } }, required: ["explanation", "output"], additionalProperties: false },
      },
      $schema: "http://json-schema.org/draft-07/schema#",
    };
    const v = reply(schema);
    expect(v.final_answer).toBe(33);
    expect(v.steps).toHaveLength(3);
    expect(v.note).toBe("note");
  });

  test("zod v4 toJSONSchema (draft-7) with openai's strict transform: anyOf-null, $defs, percent-encoded names", () => {
    const schema = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        solution: { $ref: "#/$defs/Final%20Answer" },
        reasoning: { anyOf: [{ type: "string" }, { type: "null" }] },
      },
      required: ["solution", "reasoning"],
      additionalProperties: false,
      $defs: { "Final Answer": { type: "object", properties: { value: { type: "integer" }, unit: { anyOf: [{ type: "string" }, { type: "null" }] } }, required: ["value", "unit"], additionalProperties: false } },
    };
    const v = reply(schema);
    expect(v.solution.value).toBe(33);
    expect(v.reasoning).toBe(REASONING);
  });

  test("a recursive schema ($ref to the root) ends, and validates", () => {
    const schema = { type: "object", properties: { answer: { type: "string" }, children: { type: "array", items: { $ref: "#" } } }, required: ["answer", "children"] };
    const v = reply(schema);
    expect(v.answer).toBe("33");
    let depth = 0;
    for (let node = v; node.children.length > 0; node = node.children[0]) depth++;
    expect(depth).toBeGreaterThan(0);
  });

  test("oneOf takes its first branch whose value matches exactly one branch; allOf merges", () => {
    expect(reply({ oneOf: [{ type: "object", properties: { answer: { type: "integer" } }, required: ["answer"] }, { type: "string" }] })).toEqual({ answer: 33 });
    expect(reply({ oneOf: [{ type: "integer", maximum: 10 }, { type: "string" }] })).toBe("33");
    expect(reply({ allOf: [{ type: "object", properties: { answer: { type: "integer" } } }, { required: ["answer", "units"] }] })).toEqual({ answer: 33, units: "units" });
  });
});

describe("validateAgainstSchema", () => {
  test.each([
    [{ type: "integer" }, 1.5, "expected integer"],
    [{ type: "object", required: ["a"] }, {}, "missing required property 'a'"],
    [{ type: "object", properties: { a: { type: "string" } }, additionalProperties: false }, { a: "x", b: 1 }, "no value is allowed here"],
    [{ enum: ["A", "B"] }, "C", "not one of the enum values"],
    [{ const: { a: [1] } }, { a: [2] }, "not the const value"],
    [{ type: "string", pattern: "^\\d+$" }, "12a", "does not match"],
    [{ type: "string", minLength: 2 }, "\u{1F600}", "shorter than 2"],
    [{ type: "array", maxItems: 1 }, [1, 2], "more than 1 items"],
    [{ type: "array", uniqueItems: true }, [{ a: 1, b: 2 }, { b: 2, a: 1 }], "not unique"],
    [{ type: "number", exclusiveMaximum: 3 }, 3, "above the maximum"],
    [{ type: "number", maximum: 3, exclusiveMaximum: true }, 3, "above the maximum"],
    [{ type: "number", multipleOf: 0.5 }, 1.25, "not a multiple"],
    [{ oneOf: [{ type: "number" }, { type: "integer" }] }, 2, "matches 2 of oneOf"],
    [{ anyOf: [{ type: "string" }, { type: "null" }] }, 1, "matches none of anyOf"],
    [{ not: { type: "null" } }, null, "matches a 'not' schema"],
    [{ $ref: "#/definitions/x", definitions: { x: { type: "boolean" } } }, "true", "expected boolean"],
    [{ type: "array", items: [{ type: "string" }], additionalItems: false }, ["a", "b"], "no value is allowed here"],
  ])("%p rejects %p", (schema, value, problem) => {
    const errors = validateAgainstSchema(value, schema as JsonSchema);
    expect(errors.join("\n")).toContain(problem);
  });

  test("valid values give no errors", () => {
    expect(validateAgainstSchema({ a: "x" }, { type: "object", properties: { a: { type: "string" } }, required: ["a"], additionalProperties: false })).toEqual([]);
    expect(validateAgainstSchema(3, { type: "number" })).toEqual([]);
    expect(validateAgainstSchema(null, { type: "string", nullable: true })).toEqual([]);
    expect(validateAgainstSchema("x", true)).toEqual([]);
    expect(validateAgainstSchema("x", false)).not.toEqual([]);
  });

  test("paths name the offending member", () => {
    expect(validateAgainstSchema({ list: [1, "x"] }, { properties: { list: { items: { type: "integer" } } } })).toEqual(["$.list[1]: expected integer, got string"]);
  });
});

describe("helpers", () => {
  test("answerNumber reads the numbers graders accept", () => {
    expect(answerNumber("33")).toBe(33);
    expect(answerNumber("-0.5")).toBe(-0.5);
    expect(answerNumber("1,000,000")).toBe(1000000);
    expect(answerNumber("\\$42")).toBe(42);
    expect(answerNumber("50\\%")).toBe(50);
    expect(answerNumber("-\\frac{2}{5}")).toBe(-0.4);
    expect(answerNumber("7/8")).toBe(0.875);
    expect(answerNumber("x = 12")).toBe(12);
    expect(answerNumber("C")).toBeUndefined();
    expect(answerNumber(undefined)).toBeUndefined();
  });

  test("reasoningSteps: lines, or sentences of a single paragraph", () => {
    expect(reasoningSteps("a\n\nb\n")).toEqual(["a", "b"]);
    expect(reasoningSteps("First add. Then 3 more. So 7.")).toEqual(["First add.", "Then 3 more.", "So 7."]);
    expect(reasoningSteps("")).toEqual([""]);
  });

  test("the same seed and keys give the same document; booleans and ids vary with the keys", () => {
    const schema = { type: "object", properties: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`flag${i}`, { type: "boolean" }])), required: Array.from({ length: 8 }, (_, i) => `flag${i}`) };
    const a = instanceOf(schema, "1", "", SEED, [1]);
    expect(instanceOf(schema, "1", "", SEED, [1])).toEqual(a);
    const others = Array.from({ length: 10 }, (_, k) => JSON.stringify(instanceOf(schema, "1", "", SEED, [2 + k])));
    // 8 keyed coin flips per document: all 10 other documents equal to this one has probability 2^-80.
    expect(others.some((o) => o !== JSON.stringify(a))).toBe(true);
  });
});

// ---- property: for random satisfiable schemas of the supported subset, the reply validates ----

const NAMES = ["answer", "final_answer", "reasoning", "steps", "value", "letter", "x", "y", "items", "note"];

const integerSchema = fc.record({ lo: fc.integer({ min: -50, max: 50 }), width: fc.integer({ min: 0, max: 40 }), step: fc.integer({ min: 1, max: 6 }), bounded: fc.boolean(), multiple: fc.boolean(), exclusive: fc.boolean() }).map(({ lo, width, step, bounded, multiple, exclusive }) => {
  const s: Record<string, unknown> = { type: "integer" };
  if (bounded) {
    const w = Math.max(width, multiple ? step : 0) + (exclusive ? 2 : 0);
    if (exclusive) Object.assign(s, { exclusiveMinimum: lo, exclusiveMaximum: lo + w });
    else Object.assign(s, { minimum: lo, maximum: lo + w });
  }
  if (multiple) s.multipleOf = step;
  return s;
});
const numberSchema = fc.record({ lo: fc.double({ min: -100, max: 100, noNaN: true }), width: fc.double({ min: 0.01, max: 100, noNaN: true }), exclusive: fc.boolean() }).map(({ lo, width, exclusive }) =>
  exclusive ? { type: "number", exclusiveMinimum: lo, exclusiveMaximum: lo + width } : { type: "number", minimum: lo, maximum: lo + width },
);
const stringSchema = fc.record({ min: fc.integer({ min: 0, max: 5 }), extra: fc.integer({ min: 0, max: 20 }), bounded: fc.boolean() }).map(({ min, extra, bounded }) => (bounded ? { type: "string", minLength: min, maxLength: min + extra } : { type: "string" }));
const jsonLiteral = fc.oneof(fc.string({ maxLength: 5 }), fc.integer({ min: -9, max: 9 }), fc.boolean(), fc.constant(null));
const leaf = fc.oneof(
  integerSchema,
  numberSchema,
  stringSchema,
  fc.constant({ type: "boolean" }),
  fc.constant({ type: "null" }),
  fc.constant({ type: ["string", "null"] }),
  fc.constant({ type: ["integer", "string"] }),
  jsonLiteral.map((v) => ({ const: v })),
  fc.uniqueArray(jsonLiteral, { minLength: 1, maxLength: 4, comparator: (a, b) => JSON.stringify(a) === JSON.stringify(b) }).map((values) => ({ enum: values })),
  fc.constant({}),
);

const { schema: randomSchema } = fc.letrec<{ schema: Record<string, unknown> }>((tie) => ({
  schema: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("object"), tie("array"), tie("anyOf"), tie("oneOf"), tie("allOf")) as fc.Arbitrary<Record<string, unknown>>,
  object: fc
    .record({ props: fc.uniqueArray(fc.tuple(fc.constantFrom(...NAMES), tie("schema")), { maxLength: 4, selector: ([n]) => n }), requiredMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), closed: fc.boolean() })
    .map(({ props, requiredMask, closed }) => ({
      type: "object",
      properties: Object.fromEntries(props),
      required: props.filter((_, i) => requiredMask[i]).map(([n]) => n),
      ...(closed ? { additionalProperties: false } : {}),
    })),
  array: fc.record({ items: tie("schema"), min: fc.integer({ min: 0, max: 3 }), extra: fc.integer({ min: 0, max: 3 }) }).map(({ items, min, extra }) => ({ type: "array", items, minItems: min, maxItems: min + extra })),
  anyOf: fc.array(tie("schema"), { minLength: 1, maxLength: 3 }).map((branches) => ({ anyOf: branches })),
  // oneOf branches of distinct basic types, so that some value matches exactly one.
  oneOf: fc.shuffledSubarray([stringSchema, integerSchema, fc.constant({ type: "boolean" }), fc.constant({ type: "null" }), tie("object"), tie("array")], { minLength: 1, maxLength: 3 }).chain((arbs) => fc.tuple(...arbs).map((branches) => ({ oneOf: branches }))),
  // allOf as clients use it: an object, and a part that adds requirements on its properties.
  allOf: fc.tuple(tie("object"), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 })).map(([a, mask]) => {
    const names = Object.keys((a as { properties: object }).properties);
    return { allOf: [a, { required: names.filter((_, i) => mask[i]) }] };
  }),
}));

/** The random schema, sometimes behind a $ref into $defs (or definitions), as zod writes it. */
const wrappedSchema = fc.tuple(randomSchema, fc.constantFrom("none", "$defs", "definitions")).map(([s, where]) =>
  where === "none" ? s : { type: "object", properties: { answer: { $ref: `#/${where}/The%20Thing` } }, required: ["answer"], [where]: { "The Thing": s } },
);

const answers = fc.oneof(fc.constantFrom("33", "-7", "2.5", "C", "\\frac{1}{2}", "yes", "1,000", ""), fc.constant(undefined), fc.string({ maxLength: 12 }));

describe("property", () => {
  test("for random schemas of the supported subset, the reply is one JSON document the schema accepts", () => {
    fc.assert(
      fc.property(wrappedSchema, answers, fc.string({ maxLength: 80 }), fc.nat(), (schema, answer, reasoning, seed) => {
        const text = jsonReply({ type: "json_schema", schema }, answer, reasoning, seed, [1]);
        const value = JSON.parse(text);
        expect(validateAgainstSchema(value, schema)).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("hostile schemas end quickly", () => {
  test("self-referential allOf and $ref cycles, and deeply nested unions, return without hanging", () => {
    const cycles: JsonSchema[] = [
      { $ref: "#/definitions/a", definitions: { a: { $ref: "#/definitions/a" } } },
      { allOf: [{ $ref: "#" }], type: "object" },
      { type: "object", properties: { answer: { $ref: "#" } }, required: ["answer"] },
    ];
    for (const schema of cycles) expect(() => JSON.parse(jsonReply({ type: "json_schema", schema }, "1", "", 1, []))).not.toThrow();
    // 30 nested levels of 3-way unions whose branches all fail: 3^30 paths without the budgets.
    let nested: JsonSchema = { type: "integer", minimum: 5, maximum: 4 };
    for (let i = 0; i < 30; i++) nested = { anyOf: [nested, nested, nested] };
    const started = performance.now();
    jsonReply({ type: "json_schema", schema: nested }, "1", "", 1, []);
    expect(validateAgainstSchema(1, nested)).not.toEqual([]);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("a client's schema cannot make one reply unbounded", () => {
  // minLength and minItems are the client's to choose; a reply is cut at the slot's context anyway.
  test("a huge minLength: the string is padded only up to the reply's size budget", () => {
    const value = instanceOf({ type: "object", properties: { answer: { type: "integer" }, pad: { type: "string", minLength: 1e9 } }, required: ["answer", "pad"] }, "33", "", 1, [1]);
    const pad = (value as { pad: string }).pad;
    expect(pad.length).toBeGreaterThan(1000);
    expect(pad.length).toBeLessThanOrEqual(1 << 21);
    expect((value as { answer: number }).answer).toBe(33);
  });

  test("minItems of long strings: the total size stays within the budget", () => {
    const schema = { type: "object", properties: { answer: { type: "integer" }, xs: { type: "array", items: { type: "string", minLength: 100000 }, minItems: 1000000 } }, required: ["answer", "xs"] };
    const text = JSON.stringify(instanceOf(schema, "33", "", 1, [1]));
    expect(text.length).toBeLessThanOrEqual((1 << 21) + 200_000);
  });

  test("minItems alone: the item count stops at the work budget, every item a valid one (no null at the end)", () => {
    const value = instanceOf({ type: "array", items: { type: "integer" }, minItems: 1e9 }, "33", "", 1, [1]) as unknown[];
    expect(value.length).toBeLessThanOrEqual(20_001);
    expect(value.every((x) => Number.isInteger(x))).toBe(true);
  });
});

// Strings for a schema's `pattern`, as a grammar-constrained model writes them.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { sampleFor } from "../../src/respond/regex-sample.ts";
import { instanceOf } from "../../src/respond/structured.ts";

describe("sampleFor", () => {
  test("patterns schemas carry (zod .regex(), formats written as patterns): a matching string", () => {
    for (const pattern of [
      "^[a-z]{3}-\\d+$",
      "^(yes|no)$",
      "^(?:A|B|C|D)$",
      "^[A-Z][a-z]+$",
      "\\d{4}-\\d{2}-\\d{2}",
      "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$",
      "^#[0-9a-fA-F]{6}$",
      "^\\+?[1-9]\\d{1,14}$",
      "^[A-Z]{2}\\d{2}[A-Z0-9]{1,30}$",
      "^(?<year>\\d{4})$",
      "^[\\w.-]+$",
      "^\\$?\\d+(\\.\\d{2})?$",
      "^[^,]*$",
      "^\\u0041+$",
    ]) {
      const sample = sampleFor(pattern);
      expect({ pattern, ok: sample !== undefined && new RegExp(pattern, "u").test(sample) }).toEqual({ pattern, ok: true });
    }
  });

  test("beyond the subset (back-references, lookaround), invalid, or unbounded: undefined", () => {
    for (const pattern of ["(\\w+)\\s\\1", "^(?=a)a$", "(?<!x)y", "[", "a{100000}", "(?:a{4096}){4096}", "(?:(?:a{4000}){4000}){4000}"]) expect(sampleFor(pattern)).toBeUndefined();
  });

  test("property: whatever the pattern, a sample is returned only if it matches", () => {
    const atom = fc.constantFrom("a", "b", "\\d", "\\w", "\\s", ".", "[a-c]", "[^a]", "[0-9_]", "\\.", "-", "x");
    const quant = fc.constantFrom("", "*", "+", "?", "{2}", "{1,3}", "{0,}");
    const piece = fc.tuple(atom, quant).map(([a, q]) => a + q);
    const seq = fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join(""));
    const pattern = fc.tuple(fc.boolean(), fc.array(seq, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([s, alts, e]) => `${s ? "^" : ""}(?:${alts.join("|")})${e ? "$" : ""}`);
    fc.assert(
      fc.property(pattern, (p) => {
        const sample = sampleFor(p);
        if (sample !== undefined) expect(new RegExp(p, "u").test(sample)).toBe(true);
        // This grammar is within the subset: a sample always exists.
        expect(sample).toBeDefined();
      }),
      { numRuns: 2000 },
    );
  });
});

describe("structured output honours pattern", () => {
  test("a string field with a pattern nothing else fits gets a matching string", () => {
    const schema = { type: "object", properties: { answer: { type: "integer" }, id: { type: "string", pattern: "^[a-z]{3}-\\d+$" }, flag: { type: "string", pattern: "^(yes|no)$" } }, required: ["answer", "id", "flag"] };
    const value = instanceOf(schema, "756", "", 1, [1]) as { answer: number; id: string; flag: string };
    expect(value.answer).toBe(756);
    expect(value.id).toMatch(/^[a-z]{3}-\d+$/);
    expect(value.flag).toMatch(/^(yes|no)$/);
  });

  test("the answer field keeps the answer when it fits the pattern", () => {
    const value = instanceOf({ type: "object", properties: { answer: { type: "string", pattern: "^\\d+$" } }, required: ["answer"] }, "756", "", 1, [1]) as { answer: string };
    expect(value.answer).toBe("756");
  });
});

describe("escapes and dialects", () => {
  test("\\u ranges inside a class (CJK, as zod writes them)", () => {
    const sample = sampleFor("^[\\u4e00-\\u9fff]{2}$");
    expect(sample).toBe("一一");
  });
  test("a pattern valid only without the u flag still gets a sample", () => {
    expect(sampleFor("^[\\w-.]+$")).toMatch(/^[\w\-.]+$/);
  });
});

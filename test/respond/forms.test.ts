import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { exactValue, variedForm } from "../../src/respond/forms.ts";

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const keysArb = fc.tuple(fc.nat({ max: 10_000 }), fc.nat({ max: 100 }));

/** This test's own exact reading of a number (independent of forms.ts): [numerator, denominator]. */
function value(text: string): [bigint, bigint] | undefined {
  let m = /^(-?)(\d+(?:,\d{3})*)(?:\.(\d+))?$/.exec(text);
  if (m) {
    const digits = BigInt(m[2]!.replaceAll(",", "") + (m[3] ?? ""));
    return [m[1] ? -digits : digits, 10n ** BigInt((m[3] ?? "").length)];
  }
  m = /^(-?)\\[dt]?frac\{(-?\d+)\}\{(-?\d+)\}$/.exec(text);
  if (m) return [(m[1] ? -1n : 1n) * BigInt(m[2]!), BigInt(m[3]!)];
  m = /^(-?\d+)\/(-?\d+)$/.exec(text);
  return m ? [BigInt(m[1]!), BigInt(m[2]!)] : undefined;
}
function sameNumber(a: string, b: string): boolean {
  const x = value(a);
  const y = value(b);
  return x !== undefined && y !== undefined && x[0] * y[1] === y[0] * x[1];
}

/** Every form variedForm gives `answer`, over many keys. */
function formsOf(answer: string, kind: "number" | "letter" | "text"): Map<string, string> {
  const seen = new Map<string, string>();
  for (let i = 0; i < 200; i++) {
    const { written, form } = variedForm(answer, kind, 3, [i]);
    seen.set(written, form);
  }
  return seen;
}

describe("variedForm: examples", () => {
  const cases: [string, "number" | "letter" | "text", Record<string, string>][] = [
    ["33", "number", { "33.0": "decimal-zero" }],
    ["1000", "number", { "1,000": "thousands", "1000.0": "decimal-zero" }],
    ["-1234567", "number", { "-1,234,567": "thousands", "-1234567.0": "decimal-zero" }],
    ["999", "number", { "999.0": "decimal-zero" }],
    ["0.5", "number", { "0.50": "trailing-zero", "\\frac{1}{2}": "decimal-to-fraction" }],
    ["-0.25", "number", { "-0.250": "trailing-zero", "-\\frac{1}{4}": "decimal-to-fraction" }],
    ["1234.5", "number", { "1,234.5": "thousands", "1234.50": "trailing-zero", "\\frac{2469}{2}": "decimal-to-fraction" }],
    ["33.0", "number", { "33": "integer" }],
    ["\\frac{1}{2}", "number", { "0.5": "fraction-to-decimal", "\\dfrac{1}{2}": "dfrac" }],
    ["\\dfrac{3}{40}", "number", { "0.075": "fraction-to-decimal", "\\frac{3}{40}": "frac" }],
    ["-\\frac{7}{4}", "number", { "-1.75": "fraction-to-decimal", "-\\dfrac{7}{4}": "dfrac" }],
    ["\\frac{1}{3}", "number", { "\\dfrac{1}{3}": "dfrac" }],
    ["\\frac{\\sqrt{3}}{2}", "number", { "\\dfrac{\\sqrt{3}}{2}": "dfrac" }],
    ["C", "letter", { "(C)": "parens-letter" }],
    ["(C)", "letter", { C: "bare-letter" }],
    ["\\frac{\\pi}{4}", "text", { "\\dfrac{\\pi}{4}": "dfrac" }],
  ];
  for (const [answer, kind, expected] of cases) {
    test(`${answer} (${kind})`, () => {
      expect(Object.fromEntries(formsOf(answer, kind))).toEqual(expected);
    });
  }

  test("no equivalent form: canonical, written as given", () => {
    for (const [answer, kind] of [
      ["\\sqrt{2}", "number"],
      ["x^2+1", "number"],
      ["007", "number"], // leading zeros: which value a grader reads is unclear, so left alone
      ["1000", "text"], // text is never reworded
      ["Paris", "text"],
      ["", "number"],
      ["CD", "letter"],
      ["c", "letter"],
    ] as const) {
      expect(variedForm(answer, kind, 1, [2])).toEqual({ written: answer, form: "canonical" });
    }
  });
});

describe("variedForm: properties", () => {
  const numberArb = fc.oneof(
    fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
    fc.integer({ min: 0, max: 999 }).map(String),
    fc.tuple(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.stringMatching(/^\d{1,12}$/)).map(
      ([whole, fraction]) => `${whole < 0n ? "-" : ""}${whole < 0n ? -whole : whole}.${fraction}`,
    ),
    fc.tuple(fc.boolean(), fc.constantFrom("frac", "dfrac", "tfrac"), fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** 9n })).map(
      ([minus, macro, a, b]) => `${minus ? "-" : ""}\\${macro}{${a}}{${b}}`,
    ),
    // Denominators made of 2s and 5s: these must become exact decimals.
    fc.tuple(fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }), fc.nat({ max: 20 }), fc.nat({ max: 20 })).map(
      ([a, twos, fives]) => `\\frac{${a}}{${2n ** BigInt(twos) * 5n ** BigInt(fives)}}`,
    ),
    fc.tuple(fc.integer({ min: -999, max: 999 }), fc.integer({ min: 1, max: 999 })).map(([a, b]) => `${a}/${b}`),
  );

  test("property: a number's form has exactly the same value, and differs in text unless canonical", () => {
    fc.assert(
      fc.property(numberArb, seedArb, keysArb, (answer, seed, keys) => {
        const { written, form } = variedForm(answer, "number", seed, keys);
        if (form === "canonical") {
          expect(written).toBe(answer);
          return;
        }
        expect(written).not.toBe(answer);
        if (form === "dfrac" || form === "frac") expect(written.replace(/\\dfrac/g, "\\frac")).toBe(answer.replace(/\\dfrac/g, "\\frac"));
        else expect({ answer, written, same: sameNumber(answer, written) }).toEqual({ answer, written, same: true });
      }),
      { numRuns: 5000 },
    );
  });

  test("property: fractions become decimals only when the decimal is exact", () => {
    fc.assert(
      fc.property(fc.integer({ min: -9999, max: 9999 }), fc.integer({ min: 1, max: 9999 }), seedArb, keysArb, (a, b, seed, keys) => {
        const { written, form } = variedForm(`\\frac{${a}}{${b}}`, "number", seed, keys);
        if (form !== "fraction-to-decimal") return;
        expect(written).toMatch(/^-?\d+(\.\d+)?$/);
        expect(sameNumber(written, `${a}/${b}`)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    // 1/3 has no exact decimal, whatever the keys.
    for (let i = 0; i < 100; i++) expect(variedForm("\\frac{1}{3}", "number", i, [i]).form).toBe("dfrac");
  });

  test("property: LaTeX (number or text) only swaps \\frac and \\dfrac", () => {
    const latexArb = fc
      .tuple(fc.constantFrom("\\frac{\\sqrt{3}}{2}", "1+\\frac{\\pi}{6}", "\\dfrac{x}{y}", "2\\sqrt{5}", "\\frac{a}{b}+\\frac{1}{c}", "\\text{odd}"), fc.constantFrom("number", "text") as fc.Arbitrary<"number" | "text">)
      .map(([latex, kind]) => ({ latex, kind }));
    fc.assert(
      fc.property(latexArb, seedArb, keysArb, ({ latex, kind }, seed, keys) => {
        const { written, form } = variedForm(latex, kind, seed, keys);
        expect(written.replace(/\\dfrac/g, "\\frac")).toBe(latex.replace(/\\dfrac/g, "\\frac"));
        expect(form === "canonical").toBe(!/\\d?frac/.test(latex));
      }),
    );
  });

  test("property: letters keep their letter", () => {
    fc.assert(
      fc.property(fc.constantFrom(..."ABCDEFGHIJ"), fc.boolean(), seedArb, keysArb, (letter, parens, seed, keys) => {
        const answer = parens ? `(${letter})` : letter;
        const { written, form } = variedForm(answer, "letter", seed, keys);
        expect(form).not.toBe("canonical");
        expect(written).not.toBe(answer);
        expect(written.replace(/[()]/g, "")).toBe(letter);
      }),
    );
  });

  test("property: replays from (answer, kind, seed, keys)", () => {
    fc.assert(
      fc.property(numberArb, seedArb, keysArb, (answer, seed, keys) => {
        expect(variedForm(answer, "number", seed, keys)).toEqual(variedForm(answer, "number", seed, [...keys]));
      }),
    );
  });
});

describe("exactValue", () => {
  test("reads integers, decimals, thousands, fractions; nothing else", () => {
    expect(exactValue("1,000")).toEqual({ num: 1000n, den: 1n });
    expect(exactValue("-0.250")).toEqual({ num: -1n, den: 4n });
    expect(exactValue("\\dfrac{6}{-4}")).toEqual({ num: -3n, den: 2n });
    expect(exactValue("-\\frac{-6}{4}")).toEqual({ num: 3n, den: 2n });
    expect(exactValue("3/6")).toEqual({ num: 1n, den: 2n });
    expect(exactValue("12345678901234567890.5")).toEqual({ num: 24691357802469135781n, den: 2n });
    for (const text of ["", "1/0", "\\frac{1}{0}", "1,00", "\\sqrt{2}", "x", "1e5", "+5", ".5"]) expect(exactValue(text)).toBeUndefined();
  });
});

describe("a gold written with separators", () => {
  test("its varied form is the same number without them", () => {
    expect(variedForm("43,500", "number", 1, [1])).toEqual({ written: "43500", form: "ungrouped" });
    expect(variedForm("-1,234,567.5", "number", 1, [1])).toEqual({ written: "-1234567.5", form: "ungrouped" });
  });
});

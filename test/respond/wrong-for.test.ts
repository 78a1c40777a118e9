import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { answerPool, wrongAnswer, wrongFor, type WrongStyle } from "../../src/respond/wrong.ts";

const seedArb = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const keysArb = fc.tuple(fc.nat({ max: 10_000 }), fc.nat({ max: 100 }));
const styleArb = fc.constantFrom<WrongStyle>("plausible", "off-by-one");
const AIME_POOL = answerPool(["33", "116", "0", "999"]);

/** This test's own exact reading of a plain number or simple fraction: [numerator, denominator]. */
function value(text: string): [bigint, bigint] | undefined {
  let m = /^(-?)(\d+(?:,\d{3})*)(?:\.(\d+))?$/.exec(text);
  if (m) {
    const digits = BigInt(m[2]!.replaceAll(",", "") + (m[3] ?? ""));
    return [m[1] ? -digits : digits, 10n ** BigInt((m[3] ?? "").length)];
  }
  m = /^(-?)\\[dt]?frac\{(-?\d+)\}\{(-?\d+)\}$/.exec(text);
  if (m && BigInt(m[3]!) !== 0n) return [(m[1] ? -1n : 1n) * BigInt(m[2]!), BigInt(m[3]!)];
  m = /^(-?\d+)\/(-?\d+)$/.exec(text);
  return m && BigInt(m[2]!) !== 0n ? [BigInt(m[1]!), BigInt(m[2]!)] : undefined;
}
function sameNumber(a: string, b: string): boolean {
  const x = value(a);
  const y = value(b);
  return x !== undefined && y !== undefined && x[0] * y[1] === y[0] * x[1];
}

const goldArb = fc.oneof(
  fc.integer({ min: 0, max: 999 }).map(String),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.stringMatching(/^-?\d{1,20}\.\d{1,20}$/),
  fc.tuple(fc.nat({ max: 99 }), fc.integer({ min: 1, max: 99 })).map(([a, b]) => `\\frac{${a}}{${b}}`),
  fc.integer({ min: 1, max: 99 }).map((b) => `\\frac{0}{${b}}`), // every denominator slip keeps the value 0
  fc.tuple(fc.nat({ max: 99 }), fc.integer({ min: 1, max: 99 })).map(([a, b]) => `${a}/${b}`),
  fc.nat({ max: 99 }).map((a) => `${a}\\sqrt{2}`),
  fc.constantFrom("Paris", "B", "(A)", "yes", "\\text{odd}", "", "π", "x^2+1", "-0", "007", "+5", "1,000", "0.0", "\\frac{0}{1}", "0/7"),
  fc.string({ maxLength: 12 }),
);
const poolArb = fc.array(fc.oneof(fc.nat({ max: 999 }).map(String), fc.constantFrom("Paris", "London", "\\frac{1}{2}", "-7")), { maxLength: 6 });

describe("wrongFor: never the gold", () => {
  test("property: differs from the gold as a string and, for numbers and fractions, in value", () => {
    fc.assert(
      fc.property(styleArb, goldArb, poolArb, seedArb, keysArb, (style, gold, others, seed, keys) => {
        const wrong = wrongFor(style, gold, answerPool([gold, ...others]), seed, keys);
        expect(wrong).toBeDefined();
        expect(wrong).not.toBe(gold);
        expect({ gold, wrong, same: sameNumber(gold, wrong!) }).toEqual({ gold, wrong, same: false });
      }),
      { numRuns: 5000 },
    );
  });

  test("a zero fraction is never missed by another zero fraction", () => {
    for (let i = 0; i < 300; i++) {
      for (const style of ["plausible", "off-by-one"] as const) {
        const wrong = wrongFor(style, "\\frac{0}{1}", AIME_POOL, 17, [i, 0])!;
        expect(wrong).not.toMatch(/^\\frac\{0\}/);
      }
    }
  });

  test("no-answer gives undefined, with or without options", () => {
    expect(wrongFor("no-answer", "33", AIME_POOL, 1, [0])).toBeUndefined();
    expect(wrongFor("no-answer", "some option", AIME_POOL, 1, [0], { letters: ["A", "B"], goldLetter: "A" })).toBeUndefined();
  });
});

describe("wrongFor: the pool's integer range", () => {
  test("property: an integer gold inside the range gets a wrong answer inside it", () => {
    const rangeArb = fc
      .tuple(fc.integer({ min: -5000, max: 5000 }), fc.integer({ min: 1, max: 3000 }))
      .chain(([min, width]) => fc.tuple(fc.constant(min), fc.constant(min + width), fc.integer({ min, max: min + width })));
    fc.assert(
      fc.property(styleArb, rangeArb, seedArb, keysArb, (style, [min, max, gold], seed, keys) => {
        const pool = answerPool([String(min), String(max), String(gold)]);
        const { min: lo, max: hi } = pool.integerRange!;
        const wrong = wrongFor(style, String(gold), pool, seed, keys)!;
        expect(wrong).toMatch(/^-?\d+$/);
        expect(Number(wrong)).toBeGreaterThanOrEqual(lo);
        expect(Number(wrong)).toBeLessThanOrEqual(hi);
        expect(Number(wrong)).not.toBe(gold);
      }),
      { numRuns: 3000 },
    );
  });

  test("AIME's ends: 0 and 999 slip inward", () => {
    for (let i = 0; i < 50; i++) {
      expect(wrongFor("off-by-one", "0", AIME_POOL, i, [i])).toBe("1");
      expect(wrongFor("off-by-one", "999", AIME_POOL, i, [i])).toBe("998");
    }
  });
});

describe("wrongFor: off-by-one", () => {
  test("property: integers are gold ± 1, however large", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), seedArb, keysArb, (gold, seed, keys) => {
        const wrong = BigInt(wrongFor("off-by-one", String(gold), answerPool(["x"]), seed, keys)!);
        expect(wrong === gold - 1n || wrong === gold + 1n).toBe(true);
      }),
    );
  });

  test("both directions occur", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(wrongFor("off-by-one", "33", AIME_POOL, 5, [i])!);
    expect([...seen].sort()).toEqual(["32", "34"]);
  });

  test("property: decimals move one unit in the last place and keep their decimals", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^-?\d{1,15}\.\d{1,15}$/), seedArb, keysArb, (gold, seed, keys) => {
        const wrong = wrongFor("off-by-one", gold, answerPool([gold]), seed, keys)!;
        const decimals = gold.split(".")[1]!.length;
        expect(wrong.split(".")[1]!.length).toBe(decimals);
        const [a, b] = [value(gold)!, value(wrong)!];
        const diff = a[0] * b[1] - b[0] * a[1];
        expect(diff === a[1] * b[1] / 10n ** BigInt(decimals) || diff === -(a[1] * b[1]) / 10n ** BigInt(decimals)).toBe(true);
      }),
    );
  });

  test("property: LaTeX changes exactly one number, by one", () => {
    const latexArb = fc
      .tuple(fc.nat({ max: 999 }), fc.integer({ min: 1, max: 999 }), fc.constantFrom("\\frac{%a}{%b}", "%a\\sqrt{%b}", "\\sqrt{%a}+%b", "%a^{%b}", "(%a, %b)"))
      .map(([a, b, shape]) => shape.replace("%a", String(a)).replace("%b", String(b)));
    fc.assert(
      fc.property(latexArb, seedArb, keysArb, (gold, seed, keys) => {
        const wrong = wrongFor("off-by-one", gold, AIME_POOL, seed, keys)!;
        const g = gold.match(/\d+/g)!.map(Number);
        const w = wrong.match(/\d+/g)!.map(Number);
        expect(wrong.replace(/\d+/g, "#")).toBe(gold.replace(/\d+/g, "#"));
        const changed = g.map((x, i) => Math.abs(x - w[i]!)).filter((d) => d !== 0);
        expect(changed).toEqual([1]);
      }),
    );
  });

  test("zero-padded numbers keep their width; a positive number stays positive", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(wrongFor("off-by-one", "1.05\\pi", AIME_POOL, 2, [i])!);
    expect([...seen].sort()).toEqual(["1.04\\pi", "1.06\\pi", "2.05\\pi"]);
    const fractions = new Set<string>();
    for (let i = 0; i < 100; i++) fractions.add(wrongFor("off-by-one", "\\frac{1}{1}", AIME_POOL, 2, [i])!);
    expect([...fractions].sort()).toEqual(["\\frac{1}{2}", "\\frac{2}{1}"]);
  });

  test("property: text without digits falls back to the plausible answer", () => {
    const pool = answerPool(["Paris", "London", "Rome"]);
    fc.assert(
      fc.property(fc.constantFrom("Paris", "London", "\\text{odd}", "yes"), seedArb, keysArb, (gold, seed, keys) => {
        expect(wrongFor("off-by-one", gold, pool, seed, keys)).toBe(wrongAnswer(gold, pool, seed, keys));
      }),
    );
  });
});

describe("wrongFor: plausible", () => {
  test("property: the same answer as wrongAnswer (same seed and keys), so replays are unchanged", () => {
    const arb = fc.oneof(fc.integer({ min: -5000, max: 5000 }).map(String), fc.stringMatching(/^-?\d{1,6}\.\d{1,6}$/), fc.constantFrom("Paris", "London", "Rome"));
    fc.assert(
      fc.property(arb, seedArb, keysArb, (gold, seed, keys) => {
        const pool = answerPool([gold, "Paris", "London", "Rome", "12"]);
        expect(wrongFor("plausible", gold, pool, seed, keys)).toBe(wrongAnswer(gold, pool, seed, keys));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("wrongFor: multiple choice", () => {
  const letterSets = fc.integer({ min: 2, max: 10 }).chain((n) =>
    fc.tuple(fc.constant([..."ABCDEFGHIJ"].slice(0, n)), fc.nat({ max: n - 1 })),
  );

  test("property: another shown letter, never the gold letter", () => {
    fc.assert(
      fc.property(styleArb, letterSets, seedArb, keysArb, (style, [letters, goldIndex], seed, keys) => {
        const goldLetter = letters[goldIndex]!;
        const wrong = wrongFor(style, "the correct option's text", AIME_POOL, seed, keys, { letters, goldLetter })!;
        expect(letters).toContain(wrong);
        expect(wrong).not.toBe(goldLetter);
        if (style === "off-by-one") expect(Math.abs(letters.indexOf(wrong) - goldIndex)).toBe(1);
      }),
      { numRuns: 2000 },
    );
  });

  test("plausible reaches every other letter; off-by-one only the neighbours", () => {
    // 300 draws over 3 letters: P(some letter never drawn) <= 3 (2/3)^300 < 1e-50.
    const mc = { letters: ["A", "B", "C", "D"], goldLetter: "B" };
    const plausible = new Set<string>();
    const slips = new Set<string>();
    for (let i = 0; i < 300; i++) {
      plausible.add(wrongFor("plausible", "x", AIME_POOL, 9, [i], mc)!);
      slips.add(wrongFor("off-by-one", "x", AIME_POOL, 9, [i], mc)!);
    }
    expect([...plausible].sort()).toEqual(["A", "C", "D"]);
    expect([...slips].sort()).toEqual(["A", "C"]);
    expect(wrongFor("off-by-one", "x", AIME_POOL, 9, [0], { letters: ["A", "B", "C", "D"], goldLetter: "D" })).toBe("C");
  });

  test("prompts showing one option or none still get a letter that is not the gold one", () => {
    for (let i = 0; i < 50; i++) {
      const one = wrongFor("plausible", "x", AIME_POOL, i, [i], { letters: ["A"], goldLetter: "A" })!;
      expect(["B", "C", "D"]).toContain(one);
      const none = wrongFor("off-by-one", "x", AIME_POOL, i, [i], { letters: [], goldLetter: "C" })!;
      expect(["A", "B", "D"]).toContain(none);
    }
  });

  test("property: deterministic in (style, gold, letters, seed, keys)", () => {
    fc.assert(
      fc.property(styleArb, letterSets, seedArb, keysArb, (style, [letters, goldIndex], seed, keys) => {
        const mc = { letters, goldLetter: letters[goldIndex]! };
        expect(wrongFor(style, "t", AIME_POOL, seed, keys, mc)).toBe(wrongFor(style, "t", AIME_POOL, seed, [...keys], { ...mc, letters: [...letters] }));
      }),
    );
  });
});

describe("wrongFor and variedForm over the bundled datasets' real answers", () => {
  // Answers are read from ../shared at run time; nothing is copied into the repository.
  const FILES = ["MATH-500/test.jsonl", "aimo-validation-aime/train.jsonl", "gsm8k/main/test.jsonl"];

  test("every style misses every answer (string and value), every varied form keeps its value", async () => {
    const { canonicalAnswer } = await import("../../src/dataset/answer.ts");
    const { variedForm } = await import("../../src/respond/forms.ts");
    for (const file of FILES) {
      const text = await Bun.file(new URL(`../../../shared/datasets/${file}`, import.meta.url).pathname).text();
      const answers = text.trim().split("\n").map((line) => canonicalAnswer((JSON.parse(line) as { answer: unknown }).answer));
      const pool = answerPool(answers);
      for (const [i, gold] of answers.entries()) {
        for (const style of ["plausible", "off-by-one"] as const) {
          const wrong = wrongFor(style, gold, pool, 11, [i, 1])!;
          expect({ file, gold, differs: wrong !== gold && !sameNumber(gold, wrong) }).toEqual({ file, gold, differs: true });
        }
        const { written, form } = variedForm(gold, /^-?[\d.,]+$|\\frac|\\dfrac/.test(gold) ? "number" : "text", 11, [i]);
        if (form === "canonical") continue;
        const same = form === "dfrac" || form === "frac" ? written.replace(/\\dfrac/g, "\\frac") === gold.replace(/\\dfrac/g, "\\frac") : sameNumber(gold, written);
        expect({ file, gold, written, same }).toEqual({ file, gold, written, same: true });
      }
    }
  });
});

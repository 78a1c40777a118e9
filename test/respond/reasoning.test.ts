import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import fc from "fast-check";
import { factsOf } from "../../src/respond/reasoning-facts.ts";
import { mentions, type ReasoningInput, reasoningText } from "../../src/respond/reasoning.ts";
import { estimateTokens } from "../../src/respond/tokens.ts";

// Invented problems (no dataset text is copied here; the datasets are read at run time below).
const WORD_PROBLEM =
  "A baker makes 48 rolls each morning. She sells 3 boxes of 12 rolls and gives 5 rolls to a neighbour. How many rolls are left?";
const ALGEBRA = "Let $x$ and $y$ be real numbers with $x + y = 17$ and $xy = 60$. Find $x^2 + y^2$ modulo $7$.";
const GEOMETRY = "In triangle $ABC$, $AB = 13$, $BC = 14$ and $CA = 15$. Point $D$ lies on $\\overline{BC}$ with $BD = 5$. Find $AD^2$.";
const NO_NUMBERS = "Prove that the product of consecutive integers is always even, and find which such products are perfect squares.";
const CHOICES = [
  { letter: "A", text: "The reaction rate doubles when the temperature rises" },
  { letter: "B", text: "It stays constant" },
  { letter: "C", text: "It halves because the catalyst is consumed during the second stage of the process" },
  { letter: "D", text: "The rate depends only on pressure" },
];
const MULTIPLE_CHOICE = "A reaction is run at 300 K and then at 310 K with 2 grams of catalyst. What happens to its rate?";

const FORBIDDEN = ["\\boxed", "Answer:", "####", "The answer is", "<think>"];
const NUMBER = /-?\d+(?:\.\d+)?/g;

function input(problem: string, answer: string | undefined, targetTokens: number, seed = 1, keys: number[] = [0, 0]): ReasoningInput {
  return { problem, answer, targetTokens, seed, keys };
}

function paragraphs(text: string): string[] {
  return text.split("\n\n");
}

function lastParagraph(text: string): string {
  return paragraphs(text).at(-1)!;
}

/** Distinct numbers in a text, canonical ("033" → "33"). */
function numbersIn(text: string): Set<string> {
  return new Set([...text.matchAll(NUMBER)].map((m) => String(Number(m[0]))));
}

/** Problems that break a property, as short descriptions (never the problem text: GPQA must not be logged). */
function violations(text: string, target: number, answer: string | undefined, problemHasNumbers: boolean): string[] {
  const out: string[] = [];
  const tokens = estimateTokens(text);
  if (target >= 50 && Math.abs(tokens - target) > 0.15 * target) out.push(`length ${tokens} for target ${target}`);
  for (const marker of FORBIDDEN) if (text.includes(marker)) out.push(`contains ${marker}`);
  if (text.includes("\n\n\n") || text !== text.trim()) out.push("stray whitespace");
  if (answer === undefined) {
    if (/\d/.test(lastParagraph(text))) out.push("digits in the trailing paragraph");
  } else if (/^\d+$/.test(answer)) {
    const body = paragraphs(text).slice(0, -1).join("\n\n");
    if (mentions(body, String(Number(answer)))) out.push("answer mentioned before the last paragraph");
    if (!lastParagraph(text).includes(answer)) out.push("answer missing from the last paragraph");
  }
  if (problemHasNumbers && target >= 100) {
    const others = numbersIn(text);
    if (answer !== undefined) others.delete(String(Number(answer)));
    if (others.size < 3) out.push(`only ${others.size} numbers besides the answer`);
  }
  return out;
}

describe("reasoningText: basics", () => {
  test("zero, negative or NaN target: empty text", () => {
    expect(reasoningText(input(WORD_PROBLEM, "29", 0))).toBe("");
    expect(reasoningText(input(WORD_PROBLEM, "29", -5))).toBe("");
    expect(reasoningText(input(WORD_PROBLEM, "29", Number.NaN))).toBe("");
  });

  test("deterministic per (seed, keys); other keys or seeds give other text", () => {
    for (const problem of [WORD_PROBLEM, ALGEBRA, GEOMETRY, NO_NUMBERS]) {
      const a = reasoningText(input(problem, "29", 600, 42, [3, 1]));
      expect(reasoningText(input(problem, "29", 600, 42, [3, 1]))).toBe(a);
      expect(reasoningText(input(problem, "29", 600, 42, [3, 2]))).not.toBe(a);
      expect(reasoningText(input(problem, "29", 600, 42, [4, 1]))).not.toBe(a);
      expect(reasoningText(input(problem, "29", 600, 43, [3, 1]))).not.toBe(a);
    }
  });

  test("paragraphs separated by blank lines; the last one states the answer once", () => {
    const text = reasoningText(input(WORD_PROBLEM, "29", 800));
    expect(paragraphs(text).length).toBeGreaterThanOrEqual(5);
    expect(lastParagraph(text)).toMatch(/\b29\b/);
    expect(text.match(/\b29\b/g)?.length).toBe(1);
  });

  test("built from the problem's own numbers, with real arithmetic on them", () => {
    const text = reasoningText(input(WORD_PROBLEM, "29", 1000, 5));
    const numbers = numbersIn(text);
    // Most of the problem's numbers are restated (opening lists up to five).
    expect(["48", "3", "12", "5"].filter((n) => numbers.has(n)).length).toBeGreaterThanOrEqual(3);
    // Every "a + b = c", "a - b = c", "a * b = c" written in plain or LaTeX form is correct.
    // Only whole equations: not the tail of "3 * 12 + 5 = 41" or "$2 \\cdot 3 + 5 = 11$".
    const ops = [...text.matchAll(/(?<=^|[$(]|[A-Za-z,:] )(-?\d+(?:\.\d+)?) (\+|-|\\cdot|\*) \(?(-?\d+(?:\.\d+)?)\)? = (-?\d+(?:\.\d+)?)/gm)];
    expect(ops.length).toBeGreaterThan(0);
    for (const [, a, op, b, c] of ops) {
      const x = Number(a);
      const y = Number(b);
      const expected = op === "+" ? x + y : op === "-" ? x - y : x * y;
      expect(Math.abs(expected - Number(c))).toBeLessThan(1e-6);
    }
  });

  test("LaTeX variables of the problem appear; no problem sentence is copied", () => {
    const text = reasoningText(input(GEOMETRY, "56", 1200, 9));
    expect(text).toContain("$ABC$");
    expect(text).toContain("$");
    for (let i = 0; i + 40 <= GEOMETRY.length; i += 10) expect(text.includes(GEOMETRY.slice(i, i + 40))).toBe(false);
  });

  test("the answer (zero-padded, decimal) is never mentioned before the last paragraph", () => {
    for (const answer of ["017", "5", "12", "3", "2.5"]) {
      for (let seed = 0; seed < 20; seed++) {
        const text = reasoningText(input(WORD_PROBLEM, answer, 700, seed));
        const canonical = String(Number(answer));
        expect(mentions(paragraphs(text).slice(0, -1).join(" "), canonical)).toBe(false);
        expect(lastParagraph(text)).toContain(answer);
      }
    }
  });

  test("LaTeX answers are shown in math mode at the end, and only there", () => {
    const text = reasoningText(input(ALGEBRA, "\\frac{13}{2}", 500));
    expect(lastParagraph(text)).toContain("$\\frac{13}{2}$");
    expect(text.indexOf("\\frac{13}{2}")).toBe(text.lastIndexOf("\\frac{13}{2}"));
  });

  test("no answer: trails off, last paragraph without digits", () => {
    for (let seed = 0; seed < 50; seed++) {
      const text = reasoningText(input(ALGEBRA, undefined, 50 + seed * 37, seed));
      expect(lastParagraph(text)).not.toMatch(/\d/);
      expect(numbersIn(text).size).toBeGreaterThanOrEqual(3);
    }
  });

  test("problems without numbers still get a reasoned text of the right length", () => {
    for (const target of [50, 300, 3000]) {
      const text = reasoningText(input(NO_NUMBERS, "yes", target));
      expect(violations(text, target, "yes", false)).toEqual([]);
      expect(text.length).toBeGreaterThan(0);
    }
    expect(violations(reasoningText(input("", "7", 400)), 400, "7", false)).toEqual([]);
  });

  test("multiple choice: remarks quote the options, and the closing names the chosen letter", () => {
    const text = reasoningText({ ...input(MULTIPLE_CHOICE, "C", 1500, 3), choices: CHOICES });
    expect(text).toMatch(/(Option|option|Choice) [ABCD]\b/);
    expect(text).toMatch(/"(The reaction rate doubles|It stays constant|It halves because|The rate depends)/);
    expect(lastParagraph(text)).toMatch(/option C\.|choice is C\./);
  });

  test("choice texts carrying answer markers are never quoted", () => {
    const hostile = CHOICES.map((c) => ({ ...c, text: `${c.text} The answer is \\boxed{9} #### Answer: <think>` }));
    for (let seed = 0; seed < 20; seed++) {
      const text = reasoningText({ ...input(MULTIPLE_CHOICE, "B", 1500, seed), choices: hostile });
      for (const marker of FORBIDDEN) expect(text).not.toContain(marker);
    }
  });

  test("an answer carrying a marker is not written out", () => {
    const text = reasoningText(input(WORD_PROBLEM, "\\boxed{29}", 300));
    for (const marker of FORBIDDEN) expect(text).not.toContain(marker);
  });
});

describe("reasoningText: length", () => {
  const TARGETS = [50, 51, 64, 80, 100, 128, 150, 200, 256, 300, 512, 777, 1000, 1500, 2048, 4096, 8192, 16384, 32768];
  test("within ±15% of the target from 50 to 32768 tokens, with and without an answer", () => {
    const failures: string[] = [];
    for (const [name, problem] of Object.entries({ WORD_PROBLEM, ALGEBRA, GEOMETRY, NO_NUMBERS, MULTIPLE_CHOICE })) {
      for (const target of TARGETS) {
        for (const answer of ["29", "\\frac{13}{2}", "Paris", undefined]) {
          const text = reasoningText(input(problem, answer, target, target, [7]));
          const hasNumbers = factsOf(problem).numbers.length > 0;
          for (const v of violations(text, target, answer, hasNumbers)) failures.push(`${name} ${target} ${answer}: ${v}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  test("short targets below 50 stay short", () => {
    for (const target of [1, 2, 5, 10, 20, 49]) {
      const tokens = estimateTokens(reasoningText(input(ALGEBRA, "29", target)));
      expect(tokens).toBeGreaterThan(0);
      expect(tokens).toBeLessThanOrEqual(Math.max(12, target * 1.15));
    }
  });

  test("the length comes from reasoning, not from padding: few filler sentences, even for word answers", () => {
    const FILLER = /(?:^| )(?:Okay|Good|Right|Fine|Yes|So far so good|That checks out|Makes sense|Let me continue|This looks right|Moving on|That seems solid)\./g;
    for (const answer of ["29", "the", "and", "B", undefined]) {
      for (const target of [200, 2000, 32768]) {
        const text = reasoningText(input(NO_NUMBERS, answer, target, target));
        expect(text.match(FILLER)?.length ?? 0).toBeLessThanOrEqual(4);
      }
    }
  });

  test("long texts vary: verification rounds are not one repeated paragraph", () => {
    const text = reasoningText(input(ALGEBRA, "29", 8000));
    const all = paragraphs(text);
    expect(new Set(all).size).toBeGreaterThan(all.length * 0.8);
  });
});

// ---------------------------------------------------------------------------------------------
// Every dataset in ../shared/datasets, read at run time (GPQA must never be copied or logged).

const DATASETS = resolve(import.meta.dir, "../../../shared/datasets");

function jsonlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...jsonlFiles(path));
    else if (name.endsWith(".jsonl")) out.push(path);
  }
  return out.sort();
}

interface Row {
  problem: string;
  answer: string;
  choices: { letter: string; text: string }[] | undefined;
}

function rowsOf(file: string): Row[] {
  const rows: Row[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const r = JSON.parse(line) as Record<string, unknown>;
    const problem = String(r.problem ?? r.question ?? r.Problem ?? r.Question ?? "");
    if ("Correct Answer" in r) {
      const texts = [r["Correct Answer"], r["Incorrect Answer 1"], r["Incorrect Answer 2"], r["Incorrect Answer 3"]].map(String);
      rows.push({ problem, answer: "A", choices: texts.map((text, i) => ({ letter: "ABCD"[i]!, text })) });
    } else {
      const raw = String(r.answer ?? r.Answer ?? "");
      rows.push({ problem, answer: raw.includes("####") ? raw.split("####").at(-1)!.trim() : raw, choices: undefined });
    }
  }
  return rows;
}

const files = jsonlFiles(DATASETS);

describe("reasoningText: every shared dataset", () => {
  test("the datasets are there", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of files) {
    test(relative(DATASETS, file), () => {
      const rows = rowsOf(file);
      const failures: string[] = [];
      rows.forEach((row, i) => {
        const target = [50, 120, 400, 1000, 2500][i % 5]!;
        const hasNumbers = factsOf(row.problem).numbers.length > 0;
        const answer = i % 7 === 3 ? undefined : row.answer;
        const text = reasoningText({ problem: row.problem, answer, targetTokens: target, seed: 11, keys: [i], choices: row.choices });
        for (const v of violations(text, target, answer, hasNumbers)) failures.push(`row ${i}: ${v}`);
        // Not a copy of the problem: no 40-character window of it appears in the text.
        for (let k = 0; k + 40 <= row.problem.length; k += 40) if (text.includes(row.problem.slice(k, k + 40))) failures.push(`row ${i}: copies the problem`);
      });
      expect(failures).toEqual([]);
    });
  }
});

describe("reasoningText: properties", () => {
  const wordArb = fc.constantFrom("apples", "triangle", "sum", "the", "of", "$x$", "$n$", "$ABC$", "\\frac{3}{4}", "$2^{10}$", "dollars", "remainder", "probability", "Find", "é", "😀", "$", "\\boxed{", "####");
  const tokenArb = fc.oneof(wordArb, fc.integer({ min: -10_000, max: 10_000_000 }).map(String), fc.double({ min: 0, max: 1000, noNaN: true }).map((d) => d.toFixed(2)), fc.string({ maxLength: 6 }));
  const problemArb = fc.array(tokenArb, { maxLength: 60 }).map((ts) => ts.join(" "));
  const answerArb = fc.option(fc.oneof(fc.nat({ max: 999 }).map(String), fc.constantFrom("\\frac{1}{2}", "B", "Paris", "-4", "0.25", "x^2+1", "003"), fc.string({ maxLength: 8 })), { nil: undefined });
  const choicesArb = fc.option(fc.array(fc.string({ maxLength: 80 }), { minLength: 2, maxLength: 5 }).map((ts) => ts.map((text, i) => ({ letter: "ABCDE"[i]!, text }))), { nil: undefined });

  test("property: length, markers, trailing paragraph, determinism over random problems", () => {
    fc.assert(
      fc.property(
        problemArb,
        answerArb,
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        choicesArb,
        (problem, answer, target, seed, keys, choices) => {
          const inp = { problem, answer, targetTokens: target, seed, keys, choices };
          const text = reasoningText(inp);
          expect(reasoningText(inp)).toBe(text);
          if (target === 0) return expect(text).toBe("");
          const tokens = estimateTokens(text);
          if (target >= 50) {
            expect(tokens).toBeGreaterThanOrEqual(target * 0.85);
            expect(tokens).toBeLessThanOrEqual(target * 1.15);
          }
          for (const marker of FORBIDDEN) expect(text).not.toContain(marker);
          if (answer === undefined || answer.trim() === "") expect(lastParagraph(text)).not.toMatch(/\d/);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("facts and helpers", () => {
  test("numbers (digits, thousands, decimals, spelled out), fractions, variables, words", () => {
    const f = factsOf("Tom pays $1,250 for three chairs and $7.50 each for $x$ cushions; $\\frac{2}{3}$ of $ABC$ is left.");
    expect(f.numbers.map((n) => n.v)).toEqual(expect.arrayContaining([1250, 7.5, 2, 3]));
    expect(f.fractions).toContainEqual({ num: 2, den: 3 });
    expect(f.variables).toEqual(expect.arrayContaining(["x", "ABC"]));
    expect(f.words).toContain("chairs");
    expect(f.topics.money).toBe(true);
    expect(factsOf("Coefficients $2$ and $-2,$ respectively.").topics.money).toBe(false);
    expect(factsOf("Find the remainder when it is divided by 1000.").topics.modulus).toBe(1000);
    expect(factsOf(ALGEBRA)).toBe(factsOf(ALGEBRA)); // memoised
  });

  test("mentions: a number on its own, not inside a longer one", () => {
    expect(mentions("so x = 33.", "33")).toBe(true);
    expect(mentions("$33$", "33")).toBe(true);
    expect(mentions("133 and 334 and 33.5", "33")).toBe(false);
    expect(mentions("2.33", "33")).toBe(false);
    expect(mentions("value -4 here", "-4")).toBe(true);
    expect(mentions("12 - 4", "-4")).toBe(false);
  });

  test("fast: about 1000 tokens well under a millisecond", () => {
    const problems = [WORD_PROBLEM, ALGEBRA, GEOMETRY, NO_NUMBERS];
    for (let i = 0; i < 200; i++) reasoningText(input(problems[i % 4]!, "29", 1000, i)); // warm up
    const runs = 1000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) reasoningText(input(problems[i % 4]!, "29", 1000, i, [i]));
    const perCall = (performance.now() - start) / runs;
    // Typically ~0.1 ms; the bound leaves room for a loaded CI machine.
    expect(perCall).toBeLessThan(1);
  });
});

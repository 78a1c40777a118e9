import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { letterOf, shownOptions, type ShownOption } from "../../src/respond/choices.ts";

// Invented multiple-choice items (never GPQA text).
const QUESTION = "A glass marble of mass 20 g rolls off a table 0.8 m high. Roughly how long does it take to land?";
const OPTIONS = ["About 0.4 s", "About 1.6 s", "About 0.04 s", "About 4 s"];
const LETTERS = ["A", "B", "C", "D"];

type Style = "paren" | "parens" | "dot" | "colon" | "bold";
const STYLES: readonly Style[] = ["paren", "parens", "dot", "colon", "bold"];
function optionLine(style: Style, letter: string, text: string): string {
  switch (style) {
    case "paren":
      return `${letter}) ${text}`;
    case "parens":
      return `(${letter}) ${text}`;
    case "dot":
      return `${letter}. ${text}`;
    case "colon":
      return `${letter}: ${text}`;
    case "bold":
      return `**${letter})** ${text}`;
  }
}
const lines = (style: Style, texts: readonly string[]) => texts.map((t, i) => optionLine(style, LETTERS[i]!, t)).join("\n");

// The clients' multiple-choice templates around the options.
function llamaEval(options: readonly string[]): string {
  return `Answer the following multiple choice question. The last line of your response should be in the following format: 'Answer: A/B/C/D' (e.g. 'Answer: A').\n\n${QUESTION}\n\n${lines("paren", options)}\n`;
}
function simpleEvals(options: readonly string[]): string {
  return `Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.\n\n${QUESTION}\n\n${lines("paren", options)}`;
}
function lmEval(options: readonly string[]): string {
  return `What is the correct answer to this question:${QUESTION}\nChoices:\n${lines("parens", options)}\nAnswer:`;
}
function lmEvalCot(options: readonly string[]): string {
  return `What is the correct answer to this question:${QUESTION}\nChoices:\n${lines("parens", options)}\nLet's think step by step: `;
}

const expected = (texts: readonly string[]): ShownOption[] => texts.map((text, i) => ({ letter: LETTERS[i]!, text }));

describe("shownOptions: the clients' templates", () => {
  for (const [name, build] of [
    ["llama-eval", llamaEval],
    ["simple-evals", simpleEvals],
    ["lm-eval ('(A) x' lines, then 'Answer:')", lmEval],
    ["lm-eval CoT (then \"Let's think step by step: \")", lmEvalCot],
  ] as const) {
    test(name, () => {
      expect(shownOptions([build(OPTIONS)])).toEqual(expected(OPTIONS));
    });
  }

  test("every option format, with CRLF line breaks too", () => {
    for (const style of STYLES) {
      expect(shownOptions([`${QUESTION}\n\n${lines(style, OPTIONS)}`])).toEqual(expected(OPTIONS));
      expect(shownOptions([`${QUESTION}\r\n\r\n${lines(style, OPTIONS).replace(/\n/g, "\r\n")}`])).toEqual(expected(OPTIONS));
    }
  });

  test("up to ten options, A–J", () => {
    const ten = Array.from({ length: 10 }, (_, i) => `option number ${i + 1}`);
    const text = ten.map((t, i) => `${"ABCDEFGHIJ"[i]}) ${t}`).join("\n");
    expect(shownOptions([text]).map((o) => o.letter).join("")).toBe("ABCDEFGHIJ");
    expect(shownOptions([text]).at(-1)!.text).toBe("option number 10");
  });
});

describe("shownOptions: runs", () => {
  test("few-shot prompts: the last complete run is the question asked", () => {
    const example = `Which is a mammal?\nA) Trout\nB) Whale\nC) Gecko\nD) Frog\nAnswer: B`;
    const asked = lines("paren", OPTIONS);
    expect(shownOptions([`${example}\n\n${QUESTION}\n${asked}`])).toEqual(expected(OPTIONS));
    // Few-shot as chat turns: the examples in earlier messages.
    expect(shownOptions([example, "Answer: B", `${QUESTION}\n${asked}`])).toEqual(expected(OPTIONS));
  });

  test("a lettered list inside the question is not the options when options follow", () => {
    const prompt = `Consider the statements:\nA) heat flows from hot to cold\nB) entropy never decreases\nWhich hold?\n\n${lines("parens", ["only the first", "only the second", "both", "neither"])}`;
    expect(shownOptions([prompt]).map((o) => o.text)).toEqual(["only the first", "only the second", "both", "neither"]);
  });

  test("option text may span lines until the next option or a blank line", () => {
    const prompt = `${QUESTION}\n\nA) first line\n   continues here\nB) two\nC) three\n\nThe end of the prompt.`;
    expect(shownOptions([prompt])).toEqual([
      { letter: "A", text: "first line\ncontinues here" },
      { letter: "B", text: "two" },
      { letter: "C", text: "three" },
    ]);
  });

  test("an option's text may hold U+2028 / U+2029 (they are not line breaks here)", () => {
    const odd = "(x, y)\u2028 ";
    const options = shownOptions([`${QUESTION}\n\nA) one\nB) ${odd}\nC) three\u2029`]);
    expect(options.map((o) => o.letter)).toEqual(["A", "B", "C"]);
    expect(letterOf(options, odd)).toBe("B");
    expect(letterOf(options, "three")).toBe("C");
  });

  test("options separated by blank lines still form one run", () => {
    expect(shownOptions([`${QUESTION}\n\nA) one\n\nB) two\n\nC) three`]).map((o) => o.text)).toEqual(["one", "two", "three"]);
  });

  test("not a run: one option alone, letters out of order, 'Q:/A:' few-shot", () => {
    expect(shownOptions(["A) lonely option"])).toEqual([]);
    expect(shownOptions(["B) two\nC) three\nD) four"])).toEqual([]);
    expect(shownOptions(["Q: How many legs has a cat?\nA: A cat has 4 legs. The answer is 4.\n\nQ: What is 2+2?\nA:"])).toEqual([]);
    expect(shownOptions(["A) one\nC) three"])).toEqual([]);
    expect(shownOptions([])).toEqual([]);
  });

  test("a run never spans two messages", () => {
    expect(shownOptions(["A) one", "B) two"])).toEqual([]);
  });

  test("an interrupted run keeps its complete part", () => {
    expect(shownOptions(["A) one\nB) two\nD) four"]).map((o) => o.letter)).toEqual(["A", "B"]);
  });
});

describe("letterOf", () => {
  const shown: ShownOption[] = [
    { letter: "A", text: "The rate doubles." },
    { letter: "B", text: "$\\frac{1}{2}$ of the rate" },
    { letter: "C", text: "The   rate\nhalves" },
    { letter: "D", text: "No change" },
  ];

  test("exact, then after normalising whitespace, case, $ and trailing punctuation", () => {
    expect(letterOf(shown, "No change")).toBe("D");
    expect(letterOf(shown, "the rate doubles")).toBe("A");
    expect(letterOf(shown, "\\frac{1}{2} of the rate")).toBe("B");
    expect(letterOf(shown, "The rate halves.")).toBe("C");
    expect(letterOf(shown, "  No change  ")).toBe("D");
    expect(letterOf(shown, "The rate triples")).toBeUndefined();
    expect(letterOf(shown, "")).toBeUndefined();
    expect(letterOf([], "No change")).toBeUndefined();
  });

  test("exact beats normalised: options differing only in case or punctuation", () => {
    const near: ShownOption[] = [
      { letter: "A", text: "pH 7." },
      { letter: "B", text: "pH 7" },
    ];
    expect(letterOf(near, "pH 7")).toBe("B");
    expect(letterOf(near, "pH 7.")).toBe("A");
  });

  test("an option whose shown text ran on into template text, only when unambiguous", () => {
    const ran: ShownOption[] = [
      { letter: "A", text: "12 m" },
      { letter: "B", text: "5 m\nThink carefully." },
    ];
    expect(letterOf(ran, "5 m")).toBe("B");
    const ambiguous: ShownOption[] = [
      { letter: "A", text: "5 m per second" },
      { letter: "B", text: "5 m per minute" },
    ];
    expect(letterOf(ambiguous, "5 m")).toBeUndefined();
  });

  test("as lm-eval shows options: bracketed text dropped", () => {
    const lmEvalShown: ShownOption[] = [
      { letter: "A", text: "glass-blue alloy" },
      { letter: "B", text: "glass-red alloy" },
    ];
    expect(letterOf(lmEvalShown, "glass[7.1]-red alloy")).toBe("B");
    expect(letterOf(lmEvalShown, "glass[7.1]-blue [note] alloy")).toBe("A");
  });

  test("a multi-paragraph option, shown cut at its blank line", () => {
    const prompt = `${QUESTION}\n\nA) name: alpha blend\n\nnote: mixed at dawn\nB) name: beta blend\n\nnote: mixed at dusk\n`;
    const options = shownOptions([prompt]);
    expect(options).toEqual([
      { letter: "A", text: "name: alpha blend" },
      { letter: "B", text: "name: beta blend" },
    ]);
    expect(letterOf(options, "name: beta blend\n\nnote: mixed at dusk")).toBe("B");
    expect(letterOf(options, "name: alpha blend\n\nnote: mixed at dawn\n")).toBe("A");
  });

  // Invented options: short phrases, numbers with units, LaTeX.
  const optionArb = fc.oneof(
    fc.stringMatching(/^[A-Za-z][a-z]{2,9}( [a-z]{2,9}){0,4}$/),
    fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.constantFrom("m", "s", "kg", "J", "mol")).map(([n, u]) => `${n} ${u}`),
    fc.tuple(fc.nat({ max: 99 }), fc.integer({ min: 1, max: 99 })).map(([a, b]) => `$\\frac{${a}}{${b}}$`),
  );
  const fourDistinct = fc.uniqueArray(optionArb, { minLength: 4, maxLength: 4, selector: (s) => s.toLowerCase().replace(/\$/g, "").trim() });

  test("property: finds the correct option's letter under any shuffle, in every template and option format", () => {
    const builders: ((options: readonly string[]) => string)[] = [
      llamaEval,
      simpleEvals,
      lmEval,
      lmEvalCot,
      ...STYLES.map((style) => (options: readonly string[]) => `${QUESTION}\n\n${lines(style, options)}\n\nThink step by step.`),
    ];
    fc.assert(
      fc.property(fourDistinct, fc.nat({ max: builders.length - 1 }), fc.nat(), (choices, which, shuffleSeed) => {
        // choices[0] is correct (as in Question.choices); the client shuffles.
        const order = [0, 1, 2, 3];
        let s = shuffleSeed;
        for (let i = 3; i > 0; i--) {
          const j = s % (i + 1);
          s = Math.floor(s / (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const presented = order.map((k) => choices[k]!);
        const options = shownOptions([builders[which]!(presented)]);
        expect(options.map((o) => o.letter)).toEqual(LETTERS);
        expect(letterOf(options, choices[0]!)).toBe(LETTERS[order.indexOf(0)]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("shownOptions and letterOf: cost", () => {
  test("1 MiB adversarial prompts are read in linear time (well under a second each)", () => {
    const MiB = 1 << 20;
    const adversarial = [
      `A) x${" ".repeat(MiB)}y`, // a lazy `(.*?)[ \t]*$` would backtrack quadratically here
      "A) ".repeat(MiB / 3),
      "A) x\nB) y\n".repeat(MiB / 10),
      `A) x\n${"continued line\n".repeat(MiB / 15)}B) y`,
      `${" ".repeat(MiB)}A`,
      `(${"(".repeat(MiB)}`,
    ];
    for (const prompt of adversarial) {
      const started = performance.now();
      const options = shownOptions([prompt]);
      letterOf(options, "y");
      expect(performance.now() - started).toBeLessThan(1000);
    }
    // Unclosed brackets: lm-eval's r"\[.*?\]" as a regex would retry every "[" to the end of its line.
    for (const text of ["[".repeat(MiB), "[\n".repeat(MiB / 2) + "]", "[]".repeat(MiB / 2), `A) ${"[".repeat(MiB)}\nB) y`]) {
      const started = performance.now();
      letterOf([{ letter: "A", text }, ...shownOptions([text])], "no such option");
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});

/**
 * The ASCII fast path of QuestionIndex.scan against the general path (normalizeText + TokenCursor),
 * forced with the internal `asciiFastPath: false` option: the same match, token count and step count
 * on every input, which means the same token ids.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { BOUNDARY, QuestionIndex, type ScanResult, normalizeText } from "../../src/match/index.ts";
import { asciiBytes } from "../../src/match/normalize.ts";
import { DATASETS, REWRITES, TEMPLATES, haveDatasets, loadQuestions, splitAtWhitespace } from "./fixtures.ts";

const general = (index: QuestionIndex, input: string | readonly string[]): ScanResult =>
  index.scan(input, { asciiFastPath: false });

/** Where the two paths disagree on `input`, described; undefined when they agree. */
function disagreement(index: QuestionIndex, input: string | readonly string[]): string | undefined {
  const fast = index.scan(input);
  const slow = general(index, input);
  if (Bun.deepEquals(fast, slow)) return undefined;
  return `${JSON.stringify(input).slice(0, 120)}: fast ${JSON.stringify(fast)}, general ${JSON.stringify(slow)}`;
}

// Words that stress the fast path's word keys (the last eight characters, packed): lengths around
// 1, 4, 8 and 9, long words sharing their last eight characters, digits, mixed case.
const WORDS = [
  "a", "x", "I", "7", "ab", "Ab", "of", "42", "x2", "2x", "abc", "abcd", "abcde", "0000", "00000000",
  "abcdefgh", "xabcdefgh", "xyabcdefgh", "yabcdefgh", "abcdefghi", "zabcdefghi", "ABCDEFGH", "AbCdEfGhI",
  "internationalization", "Internationalization", "xnternationalization", "nternationalization",
  "ationalization", "12345678", "112345678", "9112345678", "Janet", "ducks", "remainder",
];
const PUNCT = [..."$\\{}()^_+-=.,;:!?'\"`~@#%&*[]|<>/"];
const SPACES = [" ", "  ", "\n", "\t", "\r\n", "\v", "\f", "\x00", "\x1f", "\x7f", "\u00a0"];
/** Normalise to ASCII on their own, so the fast path takes them too. */
const ASCII_LIKE = ["‘", "’", "‚", "‛", "“", "”", "„", "‟", "\u00a0"];
/** Anything else sends a message down the general path. */
const OTHER = ["é", "e\u0301", "ẞ", "ß", "€", "—", "日本", "😀", "\u200b", "ﬁ", BOUNDARY, "\ud800", "Σ"];

const wordArb = fc.constantFrom(...WORDS);
const questionArb = fc
  .array(fc.oneof({ weight: 4, arbitrary: wordArb }, { weight: 1, arbitrary: fc.constantFrom(...PUNCT, ...ASCII_LIKE, ...OTHER) }), {
    minLength: 1,
    maxLength: 8,
  })
  .map((parts) => parts.join(" "));

/** Random text: pieces of the questions, words, punctuation, whitespace, odd characters, any ASCII. */
function textArb(questions: readonly string[], otherWeight: number) {
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.nat().chain((q) => fc.tuple(fc.constant(questions[q % questions.length]!), fc.nat(), fc.nat(40))).map(([q, from, len]) => q.slice(from % (q.length + 1), (from % (q.length + 1)) + len)) },
    { weight: 3, arbitrary: wordArb },
    { weight: 2, arbitrary: fc.constantFrom(...PUNCT) },
    { weight: 3, arbitrary: fc.constantFrom(...SPACES) },
    { weight: 1, arbitrary: fc.constantFrom(...ASCII_LIKE) },
    { weight: otherWeight, arbitrary: fc.constantFrom(...OTHER) },
    { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 6 }) },
  );
  const casing = fc.constantFrom<(s: string) => string>(
    (s) => s,
    (s) => s.toUpperCase(),
    (s) => s.toLowerCase(),
    (s) => s.replace(/[a-z]/gi, (ch, i: number) => (i % 3 ? ch.toUpperCase() : ch.toLowerCase())),
  );
  return fc.tuple(fc.array(piece, { maxLength: 24 }), casing).map(([pieces, recase]) => recase(pieces.join("")));
}

describe("ASCII fast path agrees with the general path", () => {
  test("random questions and texts, as one text and as messages", () => {
    fc.assert(
      fc.property(
        fc.array(questionArb, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(1, 3),
        fc.integer({ min: 0, max: 1 }),
        (questions, minTokens, otherWeight) => {
          const index = new QuestionIndex(questions, { minTokens });
          const textsArb = fc.array(textArb(questions, otherWeight), { minLength: 1, maxLength: 4 });
          fc.assert(
            fc.property(textsArb, (texts) => {
              expect(disagreement(index, texts)).toBeUndefined();
              expect(disagreement(index, texts.join(" "))).toBeUndefined();
              // A whole question, re-cased, inside a text: both paths must find something or nothing alike.
              expect(disagreement(index, `${texts[0]} ${questions[0]!.toUpperCase()} ${texts.at(-1)}`)).toBeUndefined();
            }),
            { numRuns: 20 },
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  test("long messages: words looked up in batches of 64, questions across a batch boundary", () => {
    const questions = ["Janet ducks lay remainder eggs abcdefgh xyabcdefgh internationalization", "of 42 x2 ABCDEFGH AbCdEfGhI 12345678 9112345678"];
    const index = new QuestionIndex(questions, { minTokens: 1 });
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 60, 63, 64, 65, 100, 127, 128, 129, 200, 300),
        fc.array(wordArb, { minLength: 300, maxLength: 300 }),
        fc.nat(),
        fc.constantFrom(" ", ", ", "\n"),
        (count, filler, at, gap) => {
          const words = filler.slice(0, count);
          const q = questions[at % 2]!;
          // The question's words start anywhere in the message, so they straddle a batch boundary too.
          words.splice(at % (count + 1), 0, q);
          const text = words.join(gap);
          expect(disagreement(index, text)).toBeUndefined();
          expect(index.find(text)).toBeDefined();
        },
      ),
      { numRuns: 400 },
    );
  });

  test("many words sharing their last eight characters, at every length around eight", () => {
    // Enough such words that they crowd the same probe sequences of the word table.
    const tails = ["abcdefgh", "12345678", "zzzzzzzz"];
    const heads = ["", "x", "xy", "xyz", "q", "qq", "7", "77", "abcdefgh", "a"];
    const words = tails.flatMap((t) => heads.map((h) => h + t));
    const shorter = tails.flatMap((t) => [t.slice(1), t.slice(2), t.slice(4), t.slice(7)]);
    for (const subset of [words, words.filter((_, i) => i % 2 === 0), words.filter((_, i) => i % 3 === 1)]) {
      const index = new QuestionIndex(subset.map((w, i) => `q${i} ${w} end`));
      const bad: string[] = [];
      for (const w of [...words, ...shorter, ...words.map((x) => x.toUpperCase()), "xabcdefg", "abcdefg"]) {
        for (const input of [w, `q1 ${w} end`, [`${w}`, `q2 ${w} end`]]) {
          const d = disagreement(index, input);
          if (d) bad.push(d);
        }
      }
      expect(bad).toEqual([]);
    }
  });

  test("vocabulary with non-ASCII tokens, and question-free inputs", () => {
    const index = new QuestionIndex(["Janet’s ducks lay 16 eggs", "ﬁnd the café’s price in €", "STRASSE und straße", "naïve x\u0304 y"]);
    for (const input of [
      "Janet's ducks lay 16 eggs",
      "JANET’S DUCKS LAY 16 EGGS",
      "janet\u2018s  ducks\u00a0lay 16 eggs",
      "find the cafe's price in €",
      "ﬁnd the café’s price in €",
      "strasse UND STRASSE",
      "naive x y",
      "",
      " \n\t",
      ["", "", ""],
      ["Janet’s ducks", "lay 16 eggs"],
      [`Janet’s ducks lay 16 eggs${BOUNDARY}`, "x"],
    ]) {
      expect(disagreement(index, input)).toBeUndefined();
    }
  });

  test("long words found past byte 32,768 (their start packed into the sign bit of a batch entry)", () => {
    const index = new QuestionIndex(["internationalization ABCDEFGHIJ xyabcdefgh", "the quick brown fox"]);
    for (const size of [32_000, 40_000, (1 << 16) - 100]) {
      const text = `${"ab ".repeat(size / 3)} Internationalization abcdefghij XYABCDEFGH`;
      expect(text.length).toBeLessThan(1 << 16);
      expect(index.scan(text).match?.question).toBe(0);
      expect(disagreement(index, text)).toBeUndefined();
      // One character changed in the part of the long word that only the head comparison reads: no match.
      expect(index.find(text.replace("Internationalization", "Interpationalization"))).toBeUndefined();
    }
  });

  test("a message too long for the scratch buffer takes the general path, with the same result", () => {
    const index = new QuestionIndex(["alpha beta gamma delta", "the quick brown fox"]);
    for (const size of [(1 << 16) - 2, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 1 << 17]) {
      const filler = "x ".repeat(size >> 1).slice(0, size - 24);
      const text = `${filler} alpha beta gamma delta`.padEnd(size, " ");
      expect(text.length).toBe(size);
      const r = index.scan(text);
      expect(r.match?.question).toBe(0);
      expect(disagreement(index, text)).toBeUndefined();
      expect(disagreement(index, [text, "the quick brown fox", text])).toBeUndefined();
    }
    // Many messages: more ids than the shared id buffer holds.
    const many = Array.from({ length: 3000 }, (_, i) => (i === 2999 ? "The quick brown fox" : "a b c d e f g h i j k"));
    expect(index.scan(many).match?.question).toBe(1);
    expect(disagreement(index, many)).toBeUndefined();
  });
});

describe("asciiBytes", () => {
  const bytesOf = (text: string): string | undefined => {
    const buf = new Uint8Array(text.length + 8);
    return asciiBytes(text, buf) ? String.fromCharCode(...buf.subarray(0, text.length)) : undefined;
  };

  test("ASCII as it is; typographic quotes and no-break spaces as the ASCII they normalise to", () => {
    expect(bytesOf("Find $x^2$.\n")).toBe("Find $x^2$.\n");
    expect(bytesOf("Janet’s “ducks”\u00a0‘a’ ‚b‛ „c‟")).toBe(`Janet's "ducks" 'a' 'b' "c"`);
    for (const ch of ["‘", "’", "‚", "‛", "“", "”", "„", "‟", "\u00a0"]) {
      expect(normalizeText(ch)).toBe(bytesOf(ch)!);
      expect(normalizeText(`A${ch}b`)).toBe(normalizeText(bytesOf(`A${ch}b`)!));
    }
  });

  test("anything else is refused, as is a text longer than the buffer", () => {
    for (const text of ["café", "e\u0301", "€5", "a\u200bb", "😀", BOUNDARY, "ﬁ"]) expect(bytesOf(text)).toBeUndefined();
    expect(asciiBytes("abcd", new Uint8Array(3))).toBe(false);
    expect(asciiBytes("abc", new Uint8Array(3))).toBe(true);
  });

  test("property: whenever it succeeds, the bytes normalise exactly as the text", () => {
    const unit = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) },
      { weight: 2, arbitrary: fc.constantFrom(...ASCII_LIKE) },
      { weight: 1, arbitrary: fc.constantFrom(...OTHER) },
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 30 }), (units) => {
        const text = units.join("");
        const ascii = bytesOf(text);
        if (ascii === undefined) return;
        expect(normalizeText(ascii)).toBe(normalizeText(text));
      }),
      { numRuns: 2000 },
    );
  });
});

// Every stored benchmark, under every template and rewrite, as one text and split into messages.
for (const ds of DATASETS) {
  describe.skipIf(!haveDatasets)(`fast path on ${ds.name}`, () => {
    let questions: string[] = [];
    let index: QuestionIndex;
    beforeAll(() => {
      questions = loadQuestions(ds.file, ds.field);
      index = new QuestionIndex(questions);
    });

    test("same results as the general path on every prompt", () => {
      const bad: string[] = [];
      const check = (input: string | readonly string[]) => {
        const d = disagreement(index, input);
        if (d && bad.length < 5) bad.push(d);
      };
      for (let i = 0; i < questions.length; i++) {
        const q = questions[i]!;
        const other = questions[(i + 1) % questions.length]!;
        for (const template of Object.values(TEMPLATES)) check(template(q));
        const prompt = TEMPLATES["llama-eval aime"]!(q);
        for (const rewrite of Object.values(REWRITES)) check(rewrite(prompt));
        check(splitAtWhitespace(prompt, 4));
        check([other, TEMPLATES.gsm8k!(q)]);
      }
      expect(bad).toEqual([]);
    });
  });
}

/**
 * The template path of QuestionIndex.question: it must always give the scan's answer
 * (`find(messages)?.question`), and it must actually be taken for requests in a template seen before.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { QuestionIndex } from "../../src/match/index.ts";
import { MAX_TEMPLATES, splitsCleanly } from "../../src/match/template.ts";
import { DATASETS, TEMPLATES, haveDatasets, loadQuestions } from "./fixtures.ts";

/** Answers every request with question() and checks each against find(); returns the template hits. */
function agreeAll(index: QuestionIndex, requests: readonly (readonly string[])[]): number {
  const before = index.templateHits;
  for (const messages of requests) expect(index.question(messages)).toBe(index.find(messages)?.question);
  return index.templateHits - before;
}

describe("question() against find()", () => {
  // Characters for questions and templates: words that merge across a join, punctuation, whitespace,
  // and characters that normalise with their neighbours (a combining accent after "e", a no-break
  // space, a typographic quote, a format character, the message boundary character).
  const CHARS = ["a", "b", "c", "7", " ", " ", "\n", "+", "(", "?", "e", "\u0301", "\u00a0", "\u2019", "\u200b", "\uffff", "A"];
  const textArb = (min: number, max: number) => fc.array(fc.constantFrom(...CHARS), { minLength: min, maxLength: max }).map((cs) => cs.join(""));

  test("random questions and templates: the same question, whatever the prefix, suffix and joins", () => {
    fc.assert(
      fc.property(
        fc.array(textArb(1, 14), { minLength: 1, maxLength: 10 }),
        textArb(0, 10),
        textArb(0, 10),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        fc.option(textArb(0, 12), { nil: undefined }),
        fc.constantFrom(1, 3),
        (questions, prefix, suffix, picks, earlier, minTokens) => {
          const index = new QuestionIndex(questions, { minTokens });
          const requests = picks.map((p) => {
            const last = prefix + questions[p % questions.length]! + suffix;
            return earlier === undefined ? [last] : [earlier, last];
          });
          // Twice over: the first pass learns the template, the second answers from it where it may.
          agreeAll(index, requests);
          agreeAll(index, requests);
        },
      ),
      { numRuns: 3000 },
    );
  });

  test("suffixes that begin with a word no question has inside it: the same question, without the suffix walk", () => {
    // "s" may start a question but never comes later in one, so a suffix starting with it is `clear`
    // unless it holds a question itself; questions over few words make both cases, and overlaps, common.
    const wordsArb = (min: number, max: number) => fc.array(fc.constantFrom("a", "b", "c", "d"), { minLength: min, maxLength: max });
    let clearHits = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), wordsArb(1, 6)), { minLength: 1, maxLength: 10 }),
        wordsArb(0, 4),
        wordsArb(0, 6),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        (specs, prefix, suffix, picks) => {
          const questions = specs.map(([s, words]) => (s ? ["s", ...words] : words).join(" "));
          const index = new QuestionIndex(questions, { minTokens: 1 });
          const requests = picks.map((p) => [`${["Q:", ...prefix].join(" ")} ${questions[p % questions.length]!} ${["s", ...suffix].join(" ")}`]);
          agreeAll(index, requests);
          const walks = index.templateWalks;
          clearHits += agreeAll(index, requests) - (index.templateWalks - walks);
        },
      ),
      { numRuns: 3000 },
    );
    expect(clearHits).toBeGreaterThan(1000);
  });

  test("a clear suffix is not walked; one whose first word occurs inside a question is", () => {
    const clear = new QuestionIndex(["c d e", "r s t", "please c d"]);
    expect(clear.question(["Q: r s t please reason"])).toBe(1); // learns "Q: " … " please reason"
    expect(clear.question(["Q: c d e please reason"])).toBe(0);
    expect([clear.templateHits, clear.templateWalks]).toEqual([1, 0]);
    const walked = new QuestionIndex(["c d e", "r s t", "x please y"]);
    expect(walked.question(["Q: r s t please reason"])).toBe(1);
    expect(walked.question(["Q: c d e please reason"])).toBe(0);
    expect([walked.templateHits, walked.templateWalks]).toEqual([1, 1]);
  });

  test("a question that is a proper suffix of another is left to the scan (the longer one ends at the same place)", () => {
    const index = new QuestionIndex(["c d e", "a b c d e", "r s t"]);
    expect(index.question(["Solve a b r s t now"])).toBe(2); // learns "Solve a b " … " now"
    expect(index.question(["Solve a b c d e now"])).toBe(1);
    expect(index.find(["Solve a b c d e now"])?.question).toBe(1);
    expect(index.templateHits).toBe(0);
  });

  test("a suffix that completes a longer question: the longer one wins, as in the scan", () => {
    const index = new QuestionIndex(["c d e", "c d e f g", "r s t"]);
    expect(index.question(["Q: r s t f g"])).toBe(2); // learns "Q: " … " f g"
    expect(index.question(["Q: c d e f g"])).toBe(1);
    expect(index.templateHits).toBe(0);
    expect(index.question(["Q: r s t f g"])).toBe(2);
    expect(index.templateHits).toBe(1);
  });

  test("a suffix that holds a question of its own: that question, every time", () => {
    const index = new QuestionIndex(["c d e", "u v w", "r s t"]);
    expect(index.question(["Q: r s t then u v w"])).toBe(1);
    expect(index.question(["Q: c d e then u v w"])).toBe(1);
    expect(index.templateHits).toBe(0);
  });

  test("a join that makes one word of two is not answered from the template", () => {
    const index = new QuestionIndex(["bc d e f", "+ r s t"]);
    expect(index.question(["xa+ r s t"])).toBe(1); // learns "xa" … ""
    expect(index.find(["xabc d e f"])).toBeUndefined(); // "xabc" is one word
    expect(index.question(["xabc d e f"])).toBeUndefined();
    expect(index.templateHits).toBe(0);
  });

  test("a join that Unicode normalisation would compose is not answered from the template", () => {
    const index = new QuestionIndex(["\u0301b c d", "+ r s t"]);
    expect(index.question(["xe+ r s t"])).toBe(1); // learns "xe" … ""
    expect(index.question(["xe\u0301b c d"])).toBe(index.find(["xe\u0301b c d"])?.question);
    expect(index.templateHits).toBe(0);
  });

  test("texts that differ only in case and spacing are answered as the first of them", () => {
    const index = new QuestionIndex(["How many apples are left?", "how  MANY apples are left?", "What is seven plus two?"]);
    expect(index.question(["Q: What is seven plus two?\nA:"])).toBe(2);
    expect(index.question(["Q: how  MANY apples are left?\nA:"])).toBe(0);
    expect(index.question(["Q: How many apples are left?\nA:"])).toBe(0);
    expect(index.templateHits).toBe(2);
  });

  test("a question in an earlier message loses to the last message's, on the template path too", () => {
    const index = new QuestionIndex(["What is seven plus two?", "How many apples are left?"]);
    expect(index.question(["Q: What is seven plus two?\nA:"])).toBe(0);
    expect(index.question(["How many apples are left?", "Q: What is seven plus two?\nA:"])).toBe(0);
    expect(index.question(["What is seven plus two?", "Q: How many apples are left?\nA:"])).toBe(1);
    expect(index.templateHits).toBe(2);
  });

  test("the store keeps the last MAX_TEMPLATES templates", () => {
    const questions = ["What is seven plus two?", "How many apples are left?"];
    const index = new QuestionIndex(questions);
    const templates = Array.from({ length: MAX_TEMPLATES + 2 }, (_, k) => (q: string) => `Template ${k}: ${q} (end ${k})`);
    for (const t of templates) expect(index.question([t(questions[0]!)])).toBe(0);
    expect(index.templateHits).toBe(0);
    // Newest first: the last MAX_TEMPLATES answer from the store; the two oldest were replaced.
    const hits = [...templates].reverse().map((t) => {
      const before = index.templateHits;
      expect(index.question([t(questions[1]!)])).toBe(1);
      return index.templateHits - before;
    });
    expect(hits).toEqual([...Array(MAX_TEMPLATES).fill(1), 0, 0]);
  });

  test("a template in use outlives one-off texts between its requests (an LLM judge's prompts)", () => {
    const questions = Array.from({ length: 40 }, (_, i) => `How many apples are left after ${i} are eaten?`);
    const index = new QuestionIndex(questions);
    const ask = (i: number) => `Question: ${questions[i]}\nAnswer:`;
    // Each judge prompt quotes the question and a different response: a new template every time.
    const judge = (i: number) => `Grade this.\nQuestion: ${questions[i]}\nResponse: ${i * 7} apples, answer ${i}.`;
    expect(index.question([ask(0)])).toBe(0);
    for (let i = 1; i < questions.length; i++) {
      expect(index.question([judge(i - 1)])).toBe(i - 1);
      expect(index.question([ask(i)])).toBe(i);
    }
    expect(index.templateHits).toBe(questions.length - 1);
  });

  test("no question, no template: undefined, and nothing learned", () => {
    const index = new QuestionIndex(["What is seven plus two?"]);
    expect(index.question(["Hello there"])).toBeUndefined();
    expect(index.question([])).toBeUndefined();
    expect(index.question(["Hello there"])).toBeUndefined();
    expect(index.templateHits).toBe(0);
  });
});

/** `left` followed by `right`, cut where they meet. */
const meetsCleanly = (left: string, right: string) => splitsCleanly(left + right, left.length);

describe("splitsCleanly", () => {
  test("ASCII joins that keep the tokens apart, and the ones that do not", () => {
    expect(meetsCleanly("", "abc")).toBe(true);
    expect(meetsCleanly("abc", "")).toBe(true);
    expect(meetsCleanly("Solve:\n", "Find x")).toBe(true);
    expect(meetsCleanly("x(", "a")).toBe(true);
    expect(meetsCleanly("ab", "c")).toBe(false); // one word
    expect(meetsCleanly("7", "7")).toBe(false);
    expect(meetsCleanly("e", "\u0301x")).toBe(false); // composes to é
    expect(meetsCleanly("\u00a0", "x")).toBe(false); // not ASCII: left to the scan
  });
});

describe.skipIf(!haveDatasets)("real benchmarks in their harness templates", () => {
  for (const ds of DATASETS.filter((d) => d.name === "gsm8k train" || d.name === "MATH-500" || d.name === "aimo-validation-aime")) {
    test(`${ds.name}: every question answered as the scan answers it, from the template wherever the joins allow`, () => {
      const questions = loadQuestions(ds.file, ds.field);
      const index = new QuestionIndex(questions);
      for (const [name, template] of Object.entries(TEMPLATES)) {
        if (name === "bare") continue;
        const [prefix, suffix] = template("\u0000").split("\u0000") as [string, string];
        const requests = questions.map((q) => [template(q)]);
        const hits = agreeAll(index, requests);
        // Each question is its own first index in these sets; the first request of a template learns it.
        expect(requests.every((r, i) => index.question(r) === i)).toBe(true);
        // All but the first, and but questions whose first or last character is not ASCII (GSM8K train
        // #7421 starts with a Cyrillic "А") where the template puts text against it.
        const clean = questions.filter((q, i) => i > 0 && meetsCleanly(prefix, q) && meetsCleanly(q, suffix)).length;
        expect(clean).toBeGreaterThan(0.98 * questions.length);
        expect(hits).toBe(clean);
      }
    });
  }
});

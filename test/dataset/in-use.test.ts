/**
 * QuestionsInUse hands out copies of the dataset's questions, made at first use: the same content, one
 * copy per question, and the question index's recent texts share the copy's text.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { freshCopy, QuestionsInUse } from "../../src/dataset/in-use.ts";
import type { Question } from "../../src/dataset/types.ts";

const QUESTIONS: Question[] = [
  { index: 0, id: "q0", text: "What is 2 + 3?", answer: "5", dataset: "toy" },
  { index: 1, id: "q1", text: "Which is prime? (A) 4 (B) 7", answer: "7", dataset: "toy", choices: ["7", "4"], difficulty: 0.5 },
  { index: 2, id: "q2", text: "Combien font 2 × 3 ? Réponse en ½ unités ✓", answer: "6", dataset: "toy" },
];

describe("QuestionsInUse", () => {
  test("at(i) is question i's content, the same copy every time, not the dataset's object", () => {
    const inUse = new QuestionsInUse(QUESTIONS);
    QUESTIONS.forEach((question, i) => {
      const copy = inUse.at(i);
      const { note, ...content } = copy;
      expect(content).toEqual(question);
      expect(note).toBeUndefined();
      expect(copy).not.toBe(question);
      expect(inUse.at(i)).toBe(copy);
    });
    // Multiple choice keeps its options and order; a question without options gets none.
    expect(inUse.at(1).choices).toEqual(["7", "4"]);
    expect("choices" in inUse.at(0)).toBe(false);
  });

  // Strings compare by value: these check the copies' content, not which storage they share.
  test("textCopy gives question i's copied text for its own text, and an equal copy for any other", () => {
    const inUse = new QuestionsInUse(QUESTIONS);
    const text = inUse.textCopy(QUESTIONS[2]!.text, 2);
    expect(text).toBe(QUESTIONS[2]!.text);
    expect(inUse.at(2).text).toBe(text);
    // A text with question 0's tokens but not its text (a duplicate written differently), or an index outside.
    expect(inUse.textCopy("what is 2 + 3 ?", 0)).toBe("what is 2 + 3 ?");
    expect(inUse.textCopy("What is 2 + 3?", 99)).toBe("What is 2 + 3?");
  });
});

describe("freshCopy", () => {
  test("property: the copy equals the text, Latin-1 or not, lone surrogates included", () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ unit: codeUnit, maxLength: 80 }), fc.string({ maxLength: 300 })), (text) => {
        expect(freshCopy(text)).toBe(text);
      }),
      { numRuns: 2000 },
    );
    for (const text of ["", "\u00ff", "\u0100", "\ud800", "a\udc00b", "\u0000x"]) expect(freshCopy(text)).toBe(text);
  });
});

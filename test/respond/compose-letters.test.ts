// How a multiple-choice reply writes its letter: as the prompt writes letters. lm-eval's GPQA tasks
// label options "(A)" and grade "(B)" (strict: after "The answer is "; flexible: the last "(X)");
// llama-eval and simple-evals label them "A)" and ask for "Answer: B". The question is invented.
import { describe, expect, test } from "bun:test";
import type { ReplyOptions } from "../../src/config.ts";
import type { Question } from "../../src/dataset/types.ts";
import { parenthesisedLetters } from "../../src/respond/choices.ts";
import { composeReply } from "../../src/respond/compose.ts";
import { answerPool } from "../../src/respond/wrong.ts";

const QUESTION: Question = {
  id: "mc-1",
  index: 0,
  text: "Which gas makes up most of the air at sea level?",
  answer: "Nitrogen",
  choices: ["Nitrogen", "Oxygen", "Argon", "Carbon dioxide"],
};
// Shown shuffled: the correct option is (C) here.
const SHOWN = ["Oxygen", "Argon", "Nitrogen", "Carbon dioxide"];
const OPTIONS: ReplyOptions = { style: "short", reasoningTokens: 100, reasoningFormat: "auto", answerForms: "canonical", wrongStyle: "plausible", onUnmatched: "error" };

const paren = SHOWN.map((o, i) => `(${"ABCD"[i]}) ${o}`).join("\n");
const bare = SHOWN.map((o, i) => `${"ABCD"[i]}) ${o}`).join("\n");

function reply(prompt: string, outcome: "correct" | "wrong" = "correct") {
  return composeReply({ question: QUESTION, texts: [prompt], outcome, seed: 7, keys: [1, 1], pool: answerPool(["1", "2", "3"]), options: OPTIONS });
}

describe("letters in parentheses", () => {
  test("lm-eval gpqa cot zero-shot: '(A)' labels and no format asked -> 'The answer is (C).'", () => {
    const r = reply(`What is the correct answer to this question:${QUESTION.text}\nChoices:\n${paren}\nLet's think step by step: `);
    expect(r.body.endsWith("The answer is (C).")).toBe(true);
    // lm-eval's strict-match and flexible-extract filters both read "(C)".
    expect(/(?<=The answer is )(.*)(?=.)/.exec(r.body)?.[1]).toBe("(C)");
    expect([...r.body.matchAll(/\([A-Z]\)/g)].at(-1)?.[0]).toBe("(C)");
    expect([r.given, r.written, r.gold]).toEqual(["C", "(C)", "C"]);
  });

  test("lm-eval gpqa generative n-shot: examples end 'The answer is (B).'", () => {
    const shot = `Question: Which is a colour?\nChoices:\n(A) Seven\n(B) Blue\n(C) Salt\n(D) Iron\nAnswer:The answer is (B).`;
    const r = reply(`Here are some example questions from experts. Finish your answer with "The answer is (X)." where X is the correct letter choice.\n${shot}\nQuestion: ${QUESTION.text}\nChoices:\n${paren}\nAnswer:`);
    expect(r.body.endsWith("The answer is (C).")).toBe(true);
  });

  test("a wrong letter is written the same way", () => {
    const r = reply(`What is the correct answer to this question:${QUESTION.text}\nChoices:\n${paren}\nLet's think step by step: `, "wrong");
    expect(r.verdict).toBe("wrong");
    expect(r.body).toMatch(/The answer is \([ABD]\)\.$/);
  });

  test("'A)' labels and 'Answer: A/B/C/D' (llama-eval, simple-evals): a bare letter", () => {
    const r = reply(`Answer the following multiple choice question. The last line of your response should be of the form 'Answer: A/B/C/D'.\n\n${QUESTION.text}\n\n${bare}`);
    expect(r.body.endsWith("Answer: C")).toBe(true);
  });

  test("'(A)' labels but an explicit 'Answer: $LETTER' line: the letter stays bare", () => {
    const r = reply(`${QUESTION.text}\n\n${paren}\n\nThe last line of your response should be of the form Answer: $LETTER.`);
    expect(r.body.endsWith("Answer: C")).toBe(true);
  });

  test("an instruction with '(X)' puts the letter in parentheses whatever the labels", () => {
    const r = reply(`${QUESTION.text}\n${bare}\nThink step by step and then finish your answer with "the answer is (X)" where X is the correct letter choice.`);
    expect(r.body.endsWith("The answer is (C).")).toBe(true);
  });
});

describe("parenthesisedLetters", () => {
  test("asked, labels, or neither", () => {
    expect(parenthesisedLetters(["x\nThe answer is (B).\ny"])).toBe("asked");
    expect(parenthesisedLetters(["Answer: (D)"])).toBe("asked");
    expect(parenthesisedLetters([paren])).toBe("labels");
    expect(parenthesisedLetters([bare])).toBeUndefined();
    expect(parenthesisedLetters(["(A) alone, with no (B) label on a line of its own"])).toBeUndefined();
  });
});

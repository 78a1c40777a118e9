// A question in use (dataset/in-use.ts) keeps its last short correct reply in its note: whatever order
// prompts, formats, outcomes and shown options come in, composeReply answers as it does for the plain
// question, which keeps no note. The questions are invented.
import * as jsc from "bun:jsc";
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { ReplyOptions } from "../../src/config.ts";
import { QuestionsInUse } from "../../src/dataset/in-use.ts";
import type { Question } from "../../src/dataset/types.ts";
import { responseHash } from "../../src/decide/records.ts";
import { composeReply } from "../../src/respond/compose.ts";
import { jsonText, noteFacts, replyHash, textFacts } from "../../src/respond/text-memo.ts";
import { answerPool } from "../../src/respond/wrong.ts";

const QUESTIONS: Question[] = [
  { id: "n1", index: 0, text: "A farmer has 12 cows and buys 30 more. How many cows are there now?", answer: "42" },
  { id: "n2", index: 1, text: "Simplify the ratio of 6 to 8.", answer: "\\frac{3}{4}" },
  { id: "mc", index: 2, text: "Which planet is closest to the Sun?", answer: "Mercury", choices: ["Mercury", "Venus", "Mars", "Jupiter"] },
];
const POOL = answerPool(QUESTIONS.map((q) => q.answer));
const STYLE_OPTIONS: ReplyOptions[] = [
  { style: "short", reasoningTokens: 60, reasoningFormat: "auto", answerForms: "canonical", wrongStyle: "plausible", onUnmatched: "error" },
  { style: "short", reasoningTokens: 60, reasoningFormat: "auto", answerForms: "varied", wrongStyle: "mixed", onUnmatched: "error" },
  { style: "mixed", reasoningTokens: 60, reasoningFormat: "auto", answerForms: "canonical", wrongStyle: "plausible", onUnmatched: "error" },
];
// Prompts that ask for each answer format, or none.
const ASKS = ["", "Put your final answer within \\boxed{}.", "End with a line of the form Answer: $ANSWER", "Finish with 'The answer is X'.", "Examples:\nQ: 1+1?\nA: 2\n#### 2"];
const ORDERS = [
  ["Mercury", "Venus", "Mars", "Jupiter"],
  ["Venus", "Mars", "Mercury", "Jupiter"],
  ["Jupiter", "Mercury", "Venus", "Mars"],
];

function prompt(question: Question, ask: string, order: readonly string[], parens: boolean): string {
  const shown = question.choices ? `\n${order.map((o, i) => (parens ? `(${"ABCD"[i]}) ${o}` : `${"ABCD"[i]}) ${o}`)).join("\n")}` : "";
  return `${question.text}${shown}\n${ask}`;
}

describe("composeReply with a question in use", () => {
  test("property: in any order of requests, replies equal the plain question's, and a correct short reply is noted", () => {
    const request = fc.record({
      q: fc.nat({ max: QUESTIONS.length - 1 }),
      ask: fc.nat({ max: ASKS.length - 1 }),
      order: fc.nat({ max: ORDERS.length - 1 }),
      parens: fc.boolean(),
      outcome: fc.constantFrom("correct", "correct", "wrong", "no-answer"),
      key: fc.nat({ max: 50 }),
    });
    fc.assert(
      fc.property(fc.nat({ max: STYLE_OPTIONS.length - 1 }), fc.array(request, { minLength: 1, maxLength: 40 }), (style, requests) => {
        const inUse = new QuestionsInUse(QUESTIONS);
        const options = STYLE_OPTIONS[style]!;
        for (const r of requests) {
          const question = QUESTIONS[r.q]!;
          const input = { texts: [prompt(question, ASKS[r.ask]!, ORDERS[r.order]!, r.parens)], outcome: r.outcome, seed: 3, keys: [r.q, r.key], pool: POOL, options };
          const copy = inUse.at(r.q);
          const expected = composeReply({ ...input, question });
          const reply = composeReply({ ...input, question: copy });
          expect(reply).toEqual(expected);
          // The facts a short reply primes (its JSON literal and ledger hash) are its body's.
          expect(jsonText(reply.body)).toBe(JSON.stringify(reply.body));
          expect(replyHash(reply.body)).toBe(responseHash(reply.body));
          if (expected.style === "short" && expected.verdict === "correct") {
            expect(copy.note).toMatchObject({ format: expected.format, written: expected.written, body: expected.body });
          }
        }
        // The plain questions were never written to.
        for (const q of QUESTIONS) expect("note" in q).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});

describe("the note's shape", () => {
  // One shape for every facts object keeps the code reading them compiled (text-memo.ts); JSC's
  // describe() names an object's structure.
  // bun:jsc's describe() is not in bun-types.
  const jscDescribe = (jsc as unknown as { describe(value: unknown): string }).describe;
  const structureOf = (value: object) => /StructureID: (\d+)/.exec(jscDescribe(value))?.[1];

  test("a question's note has the structure of the facts the memo table and short replies make", () => {
    const inUse = new QuestionsInUse(QUESTIONS);
    const copy = inUse.at(0);
    composeReply({ question: copy, texts: [prompt(QUESTIONS[0]!, ASKS[1]!, ORDERS[0]!, false)], outcome: "correct", seed: 3, keys: [0, 1], pool: POOL, options: STYLE_OPTIONS[0]! });
    const note = (copy as { note?: object }).note;
    expect(note).toBeDefined();
    expect(structureOf(note!)).toBeDefined();
    expect(structureOf(note!)).toBe(structureOf(textFacts("another text")));
    expect(structureOf(note!)).toBe(structureOf(noteFacts(textFacts("a short reply"), "boxed", "42")));
  });
});

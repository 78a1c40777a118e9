/**
 * detectJudge runs on every request before question matching, so hostile bodies must not make it slow:
 * every pattern is linear. Each 1 MiB input below is a worst case for one of them (runs of spaces after
 * a keyword, thousands of unclosed \boxed{, labels, tags, quotes, statements). Bound: 2 s per input
 * (measured ~0.15 s on the 2-core build machine), far below what a quadratic scan would take.
 */
import { describe, expect, test } from "bun:test";
import { detectJudge } from "../../src/judge/detect.ts";
import { extractAnswer } from "../../src/judge/extract.ts";
import { judgeReply } from "../../src/judge/reply.ts";
import type { ChatMessage } from "../../src/judge/types.ts";

const SIZE = 1 << 20;
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

const HOSTILE: Record<string, string> = {
  "extract + spaces": `extract${" ".repeat(SIZE)}x`,
  "answer + spaces": `answer${" ".repeat(SIZE)}`,
  "unclosed boxes": fill("\\boxed{"),
  "empty statements": fill("answer is . "),
  "Answer: statements": fill("Answer: . "),
  "response labels": fill("Response:\n"),
  "long labels": fill(`Response${" ".repeat(35)}\n`),
  "response tags": fill("<response>"),
  quotes: fill('"'),
  letters: fill("A "),
  digits: fill("1"),
  hashes: fill("#### x\n"),
  braces: fill("{"),
  "think tags": fill("<think>"),
  "gold/predicted pairs": fill("Gold target: x\nPredicted answer: y\n"),
  "verdict words": fill('"correct" "incorrect" '),
  "no-answer phrases": fill("no answer reply with "),
  "llama-eval body": `Extract the answer from the following response:\n\n"${fill('"\n\n')}"\n\nPlease provide only the extracted answer`,
};

describe("hostile 1 MiB inputs stay fast", () => {
  for (const [name, text] of Object.entries(HOSTILE)) {
    test(name, () => {
      const layouts: ChatMessage[][] = [
        [{ role: "user", text }],
        [{ role: "system", text: "Extract the final answer." }, { role: "user", text }],
        [{ role: "system", text }, { role: "user", text: "Extract the final answer from: 5" }],
      ];
      for (const messages of layouts) {
        const start = performance.now();
        const request = detectJudge(messages);
        if (request !== undefined) judgeReply(request);
        extractAnswer(text);
        expect(performance.now() - start).toBeLessThan(2000);
      }
    });
  }
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { answerLine, detectAnswerFormat, noAnswerLine, type AnswerFormat } from "../../src/respond/format.ts";

// Invented problems: the templates around them are the clients' own (eval-clients.md, simple-evals, lm-eval).
const PROBLEM = "A farmer has 17 sheep and buys 16 more. How many sheep does the farmer have now?";
const MC_QUESTION = "Which gas makes up most of the atmosphere of the invented planet Quorra?";
const MC_OPTIONS = "A) Neon\nB) Argon\nC) Xenon\nD) Krypton";

const llamaEvalAime = `Solve the following math problem step by step. Put your answer inside \\boxed{}.\n\n${PROBLEM}\n\nRemember to put your answer inside \\boxed{}.\n`;
const llamaEvalGsm8k = `${PROBLEM}\nPlease reason step by step, and put your final numeric answer within \\boxed{} without any extra characters.\n`;
const llamaEvalOlderAime = `${PROBLEM}\nPlease reason step by step, and put your final answer within \\boxed{}.`;
const llamaEvalGpqa = `Answer the following multiple choice question. The last line of your response should be in the following format: 'Answer: A/B/C/D' (e.g. 'Answer: A').\n\n${MC_QUESTION}\n\n${MC_OPTIONS}\n`;
const simpleEvalsGpqa = `Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.\n\n${MC_QUESTION}\n\n${MC_OPTIONS}`;
const simpleEvalsMath = `Solve the following math problem step by step. The last line of your response should be of the form Answer: $ANSWER (without quotes) where $ANSWER is the answer to the problem.\n\n${PROBLEM}\n\nRemember to put your answer on its own line after "Answer:", and you do not need to use a \\boxed command.`;
const lmEvalGsm8kFewShot = [
  "Question: Tom has 3 apples and eats 1. How many are left?\nAnswer: Tom had 3 apples and ate 1, so 3 - 1 = 2 are left.\n#### 2",
  "Question: A box holds 6 pens. How many pens are in 12 boxes?\nAnswer: 12 boxes hold 12 * 6 = 72 pens.\n#### 72",
  `Question: ${PROBLEM}\nAnswer:`,
].join("\n\n");
const lmEvalGsm8kCot = [
  "Q: There are 4 birds and 3 more arrive. How many birds are there?\nA: There are 4 birds. 3 more arrive. 4 + 3 = 7. The answer is 7.",
  `Q: ${PROBLEM}\nA:`,
].join("\n\n");
const lmEvalGsm8kCotLlama = `Given the following problem, reason and give a final answer to the problem.\nProblem: ${PROBLEM}\nYour response should end with "The final answer is [answer]" where [answer] is the response to the problem.\n`;
const lmEvalGpqaNShot = `Here are some example questions from experts. Answer the final question yourself, following the format of the previous questions exactly, that is finish your answer with "The answer is (X)." where X is the correct letter choice.\nQuestion: ${MC_QUESTION}\nChoices:\n(A) Neon\n(B) Argon\n(C) Xenon\n(D) Krypton\nAnswer:`;

describe("detectAnswerFormat: the clients' templates", () => {
  const cases: [string, string | string[], AnswerFormat][] = [
    ["llama-eval AIME", llamaEvalAime, "boxed"],
    ["llama-eval GSM8K", llamaEvalGsm8k, "boxed"],
    ["llama-eval older AIME", llamaEvalOlderAime, "boxed"],
    ["llama-eval GPQA ('Answer: A/B/C/D')", llamaEvalGpqa, "answer-line"],
    ["simple-evals GPQA ('Answer: $LETTER')", simpleEvalsGpqa, "answer-line"],
    ["simple-evals math (mentions \\boxed only to rule it out, last)", simpleEvalsMath, "answer-line"],
    ["lm-eval GSM8K few-shot (#### 72), ending in a bare 'Answer:'", lmEvalGsm8kFewShot, "hashes"],
    ["lm-eval GSM8K CoT few-shot ('The answer is 7.')", lmEvalGsm8kCot, "the-answer-is"],
    ["lm-eval GSM8K CoT llama ('The final answer is [answer]')", lmEvalGsm8kCotLlama, "the-answer-is"],
    ["lm-eval GPQA n-shot ('The answer is (X).'), ending in 'Answer:'", lmEvalGpqaNShot, "the-answer-is"],
    ["no instruction at all", PROBLEM, "boxed"],
    ["lm-eval zero-shot 'Question: ...\\nAnswer:' states no format", `Question: ${PROBLEM}\nAnswer:`, "boxed"],
    ["no messages", [], "boxed"],
  ];
  for (const [name, prompt, expected] of cases) {
    test(`${name} -> ${expected}`, () => {
      expect(detectAnswerFormat(typeof prompt === "string" ? [prompt] : prompt)).toBe(expected);
    });
  }
});

describe("detectAnswerFormat: the instruction nearest the end wins", () => {
  test("across messages: a system prompt asking for \\boxed, a user template asking for 'Answer:'", () => {
    expect(detectAnswerFormat(["Always put the final answer in \\boxed{}.", simpleEvalsGpqa])).toBe("answer-line");
    expect(detectAnswerFormat([simpleEvalsGpqa, "Put the final answer in \\boxed{}."])).toBe("boxed");
  });

  test("chat-templated few-shot: examples as user/assistant turns, the last user turn bare", () => {
    const turns = [
      "Question: Tom has 3 apples and eats 1. How many are left?\nAnswer:",
      "Tom had 3 apples and ate 1, so 3 - 1 = 2 are left.\n#### 2",
      `Question: ${PROBLEM}\nAnswer:`,
    ];
    expect(detectAnswerFormat(turns)).toBe("hashes");
  });

  test("few-shot solutions ending in \\boxed{} after an earlier 'The answer is' instruction", () => {
    const prompt = "End every solution with 'The answer is'.\n\nProblem: 2+2?\nSolution: 2+2=4, so the answer is \\boxed{4}.\n\nProblem: 3+5?\nSolution:";
    expect(detectAnswerFormat([prompt])).toBe("boxed");
  });

  test("few-shot multiple choice with 'Answer: B' lines", () => {
    const prompt = `Which is a colour?\nA) Seven\nB) Blue\nAnswer: B\n\n${MC_QUESTION}\n${MC_OPTIONS}\nAnswer:`;
    expect(detectAnswerFormat([prompt])).toBe("answer-line");
  });

  test("negated mentions do not count, insisting ones do", () => {
    expect(detectAnswerFormat(["Reply with 'Answer: X'. Do not use \\boxed{}."])).toBe("answer-line");
    expect(detectAnswerFormat(["Reply with 'Answer: X'. Don't forget to put the result in \\boxed{}."])).toBe("boxed");
    expect(detectAnswerFormat(["End with 'Answer: X' (no units), in \\boxed{} please."])).toBe("boxed");
  });

  test("a Markdown '#### Heading' is not the GSM8K format", () => {
    expect(detectAnswerFormat(["#### Task\nSolve it and put the answer in \\boxed{}.\n#### Notes\nBe brief."])).toBe("boxed");
    expect(detectAnswerFormat(["Finish with a line '#### <number>'."])).toBe("hashes");
  });

  test("property: appending a later instruction switches to it", () => {
    const instruction: Record<AnswerFormat, string> = {
      boxed: "Put your final answer within \\boxed{}.",
      "answer-line": "The last line of your response should be of the form Answer: $ANSWER.",
      minerva: "End with \"Final Answer: The final answer is $X$. I hope it is correct.\"",
      "the-answer-is": "Finish your response with \"The answer is X.\"",
      hashes: "End with '#### [answer]'.",
    };
    const formats = Object.keys(instruction) as AnswerFormat[];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...formats), { minLength: 1, maxLength: 5 }), fc.boolean(), (asked, split) => {
        const texts = asked.map((f) => `${instruction[f]}\n\n${PROBLEM}`);
        expect(detectAnswerFormat(split ? texts : [texts.join("\n\n")])).toBe(asked.at(-1)!);
      }),
    );
  });
});

describe("answerLine", () => {
  test("each format's closing line", () => {
    expect(answerLine("boxed", "33")).toBe("The answer is \\boxed{33}.");
    expect(answerLine("answer-line", "33")).toBe("Answer: 33");
    expect(answerLine("the-answer-is", "33")).toBe("The answer is 33.");
    expect(answerLine("hashes", "33")).toBe("#### 33");
    expect(answerLine("minerva", "\\frac{1}{2}")).toBe("Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.");
    expect(answerLine("answer-line", "C")).toBe("Answer: C");
    expect(answerLine("the-answer-is", "(C)")).toBe("The answer is (C).");
    expect(answerLine("boxed", "\\frac{1}{2}")).toBe("The answer is \\boxed{\\frac{1}{2}}.");
  });

  test("the clients' graders read the answer back from it", () => {
    // llama-eval: last \boxed{}; simple-evals: (?i)Answer\s*:\s*\$?([A-D])\$?; lm-eval: "#### (-?[0-9.,]+)" and "(?<=The answer is )(.*)(?=.)".
    expect(/\\boxed\{([^}]*)\}/.exec(answerLine("boxed", "116"))?.[1]).toBe("116");
    expect(/Answer[ \t]*:[ \t]*\$?([A-D])\$?/i.exec(answerLine("answer-line", "D"))?.[1]).toBe("D");
    expect(/#### (-?[0-9.,]+)/.exec(answerLine("hashes", "-1,250"))?.[1]).toBe("-1,250");
    expect(/(?<=The answer is )(.*)(?=.)/.exec(answerLine("the-answer-is", "(B)"))?.[1]).toBe("(B)");
  });
});

describe("noAnswerLine", () => {
  test("property: no digit, no option letter, nothing a grader extracts as an answer", () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.nat({ max: 1000 }), { maxLength: 3 }), (seed, keys) => {
        const line = noAnswerLine(seed, keys);
        expect(line).not.toMatch(/\d/);
        expect(line).not.toMatch(/\b[A-Za-z]\b/); // "I", "a", "C" ... could be read as an option
        expect(line).not.toMatch(/answer\s*:|answer\s+is|boxed|####|[()]/i);
        expect(line.length).toBeGreaterThan(20);
      }),
      { numRuns: 500 },
    );
  });

  test("several variants, replayed from (seed, keys)", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(noAnswerLine(7, [i]));
    expect(seen.size).toBeGreaterThanOrEqual(4);
    expect(noAnswerLine(7, [3, 1])).toBe(noAnswerLine(7, [3, 1]));
  });
});

describe("detectAnswerFormat: cost", () => {
  test("1 MiB adversarial prompts are read in linear time (well under a second each)", () => {
    const MiB = 1 << 20;
    const adversarial = [
      "'Answer: \\boxed{The answer is #### 5 Answer: 7\nnot (".repeat(MiB / 48),
      "Answer:".repeat(MiB / 7),
      `answer${" ".repeat(MiB)}:`,
      `answer: [${"x".repeat(MiB)}`,
      "#".repeat(MiB),
      `'${" ".repeat(MiB)}answer`,
      `Answer: 5${" ".repeat(MiB)}x`,
    ];
    for (const prompt of adversarial) {
      const started = performance.now();
      detectAnswerFormat([prompt]);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});

describe("lm-eval's minerva_math", () => {
  // The shape of its few-shot prompt: "Problem:\n…\n\nSolution:" with targets ending in the minerva line.
  const FEW_SHOT =
    "Problem:\nFind the domain of the expression  $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.}\n\nSolution:\nThe expressions inside each square root must be non-negative. " +
    "Therefore, the domain of the expression is $\\boxed{[2,5)}$.\nFinal Answer: The final answer is $[2,5)$. I hope it is correct.\n\n" +
    "Problem:\nWhat is $1+1$?\n\nSolution:";
  test("its few-shot targets ask for the minerva line, though they also show \\boxed", () => {
    expect(detectAnswerFormat([FEW_SHOT])).toBe("minerva");
  });
  test("lm-eval's own extraction reads the answer back from our line", () => {
    // get_unnormalized_answer in lm_eval/tasks/minerva_math/utils.py.
    const line = answerLine("minerva", "\\frac{14}{3}");
    const match = /Final Answer: The final answer is(.*?). I hope it is correct./.exec(`${line}\n`);
    expect(match?.[1]?.trim()).toBe("$\\frac{14}{3}$");
  });
  test("a plain 'The final answer is' instruction stays the-answer-is", () => {
    expect(detectAnswerFormat(["Solve it. End with: The final answer is X."])).toBe("the-answer-is");
  });
});

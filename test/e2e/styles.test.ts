// Response styles through the compiled binary: where thoughts go (reasoning_content or inline <think>, by
// --reasoning-format and the request's reasoning_format, exactly as llama-server's table says), the SSE order,
// the answer in the last 10 lines of content, --reasoning-tokens and usage, a token limit inside the thoughts,
// --response-style mixed, --on-unmatched, and the openai npm client reading reasoning replies.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { askJudge, lastLines, llamaEvalRegexExtract } from "./graders.ts";
import { AIME_FILE, AIME_FILE_REL, aimePrompt, evalBody, expectError, inBatches, loadAime, postJson, startSim, stopAll, tempDir, type Sim } from "./harness.ts";

const aime = loadAime();
/** AIME worked solutions (never served; read here to check that the reasoning does not copy them). */
const solutions = new Map(
  readFileSync(AIME_FILE, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { id: number; solution: string })
    .map((r) => [String(r.id), r.solution] as const),
);
const QUESTIONS = [0, 7, 23, 45, 61, 89].map((i) => aime[i]!);
const NUMBER_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
/** A request seed: replies keyed by it are the same text on every attempt, so two requests can be compared. */
const SAME = { seed: 1234 };

afterAll(stopAll);

interface Message {
  readonly role: string;
  readonly content: string;
  readonly reasoning_content?: string;
}
interface Completion {
  readonly id: string;
  readonly choices: { message: Message; finish_reason: string }[];
  readonly usage: { completion_tokens: number; prompt_tokens: number; total_tokens: number };
}

function simWith(args: string[], ledger?: string): Promise<Sim> {
  return startSim({ args: ["--dataset-file", AIME_FILE_REL, "--seed", "31", "--quiet", ...(ledger ? ["--ledger", ledger] : []), ...args] });
}

async function chat(sim: Sim, question: string, extra: Record<string, unknown> = {}): Promise<Completion> {
  const res = await postJson(`${sim.url}/v1/chat/completions`, evalBody(question, extra));
  const text = await res.text();
  expect({ status: res.status, text: res.status === 200 ? "" : text }).toEqual({ status: 200, text: "" });
  return JSON.parse(text) as Completion;
}

interface Streamed {
  /** "r" for a reasoning_content delta, "c" for a content delta, in arrival order. */
  readonly order: string;
  readonly reasoning: string;
  readonly content: string;
  readonly finish: string | null;
}

async function stream(sim: Sim, question: string, extra: Record<string, unknown> = {}): Promise<Streamed> {
  const res = await postJson(`${sim.url}/v1/chat/completions`, evalBody(question, { stream: true, ...extra }));
  expect(res.status).toBe(200);
  const events = (await res.text()).split("\n\n").filter((e) => e.startsWith("data: "));
  expect(events.at(-1)).toBe("data: [DONE]");
  let order = "";
  let reasoning = "";
  let content = "";
  let finish: string | null = null;
  for (const e of events.slice(0, -1)) {
    const chunk = JSON.parse(e.slice(6)) as { choices: { delta: { reasoning_content?: string; content?: string | null }; finish_reason: string | null }[] };
    const choice = chunk.choices[0];
    if (choice === undefined) continue;
    if (typeof choice.delta.reasoning_content === "string") {
      order += "r";
      reasoning += choice.delta.reasoning_content;
    }
    if (typeof choice.delta.content === "string") {
      order += "c";
      content += choice.delta.content;
    }
    finish = choice.finish_reason ?? finish;
  }
  return { order, reasoning, content, finish };
}

/** `<think>\n{thoughts}\n</think>\n\n{answer}`: the thoughts inline, as a model served without reasoning parsing. */
function splitInline(content: string): { thoughts: string; rest: string } | undefined {
  const m = /^<think>\n([\s\S]+)\n<\/think>\n\n([\s\S]+)$/.exec(content);
  return m ? { thoughts: m[1]!, rest: m[2]! } : undefined;
}

describe("--response-style reasoning (default --reasoning-format: auto)", () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await simWith(["--response-style", "reasoning", "--success-rate", "1"]);
  });

  test("thoughts go to message.reasoning_content; content is the answer, in its last 10 lines, without <think>", async () => {
    for (const q of QUESTIONS) {
      const reply = await chat(sim, q.problem);
      const m = reply.choices[0]!.message;
      expect(Object.keys(m)).toEqual(["role", "reasoning_content", "content"]);
      expect(m.reasoning_content!.length).toBeGreaterThan(500);
      expect(m.content).not.toContain("<think>");
      expect(m.reasoning_content).not.toContain("<think>");
      expect(llamaEvalRegexExtract(m.content, "aime")).toBe(q.gold);
      expect(reply.choices[0]!.finish_reason).toBe("stop");
    }
  });

  test("the reasoning works with the problem's own numbers, mentions other numbers before the answer, and copies no solution text", async () => {
    for (const q of QUESTIONS) {
      const thoughts = (await chat(sim, q.problem)).choices[0]!.message.reasoning_content!;
      // Numbers the problem states in digits or as small number words ("three" -> 3).
      const spelled = (q.problem.toLowerCase().match(/\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b/g) ?? []).map((w) => String(NUMBER_WORDS.indexOf(w) + 1));
      const problemNumbers = new Set([...(q.problem.match(/\d+/g) ?? []), ...spelled]);
      const thoughtNumbers = thoughts.match(/\d+/g) ?? [];
      expect({ q: q.id, overlap: thoughtNumbers.some((n) => problemNumbers.has(n)) }).toEqual({ q: q.id, overlap: true });
      expect(thoughtNumbers.filter((n) => n !== q.gold).length).toBeGreaterThan(3);
      // No run of 8 consecutive words of the dataset's worked solution appears in the thoughts.
      const words = (solutions.get(q.id) ?? "").split(/\s+/).filter((w) => w !== "");
      const flat = thoughts.replace(/\s+/g, " ");
      for (let i = 0; i + 8 <= words.length; i++) {
        const run = words.slice(i, i + 8).join(" ");
        if (flat.includes(run)) throw new Error(`question ${q.id}: reasoning copies the solution: "${run}"`);
      }
    }
  });

  test("streaming: every reasoning_content delta comes before the first content delta; the pieces rebuild the message", async () => {
    for (const q of QUESTIONS.slice(0, 3)) {
      const whole = (await chat(sim, q.problem, SAME)).choices[0]!.message;
      const s = await stream(sim, q.problem, SAME);
      expect(s.order).toMatch(/^r+c+$/);
      expect(s.reasoning).toBe(whole.reasoning_content!);
      expect(s.content).toBe(whole.content);
      expect(s.finish).toBe("stop");
    }
  });

  test('request reasoning_format "none" leaves the thoughts inline in <think>, streamed as content', async () => {
    const q = QUESTIONS[1]!;
    const split = (await chat(sim, q.problem, SAME)).choices[0]!.message;
    const inline = (await chat(sim, q.problem, { ...SAME, reasoning_format: "none" })).choices[0]!.message;
    expect(Object.keys(inline)).toEqual(["role", "content"]);
    expect(splitInline(inline.content)).toEqual({ thoughts: split.reasoning_content!, rest: split.content });
    expect(llamaEvalRegexExtract(inline.content, "aime")).toBe(q.gold);
    const s = await stream(sim, q.problem, { ...SAME, reasoning_format: "none" });
    expect(s.order).toMatch(/^c+$/);
    expect(s.content).toBe(inline.content);
  });

  test('request reasoning_format "deepseek-legacy": split when not streamed, inline while streaming (llama-server\'s reasoning_in_content)', async () => {
    const q = QUESTIONS[2]!;
    const split = (await chat(sim, q.problem, SAME)).choices[0]!.message;
    const legacy = (await chat(sim, q.problem, { ...SAME, reasoning_format: "deepseek-legacy" })).choices[0]!.message;
    expect(legacy).toEqual(split);
    const s = await stream(sim, q.problem, { ...SAME, reasoning_format: "deepseek-legacy" });
    expect(s.order).toMatch(/^c+$/);
    expect(splitInline(s.content)).toEqual({ thoughts: split.reasoning_content!, rest: split.content });
  });

  test("an unknown reasoning_format is a 400, as llama-server", async () => {
    const res = await postJson(`${sim.url}/v1/chat/completions`, evalBody(QUESTIONS[0]!.problem, { reasoning_format: "verbose" }));
    const body = await expectError(res, 400, "invalid_request_error");
    expect(body.error.message).toContain("Unknown reasoning format: verbose");
  });

  test("the openai npm client reads reasoning replies: (message as any).reasoning_content, and reasoning deltas in a stream", async () => {
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: "x", maxRetries: 0, timeout: 10_000 });
    const q = QUESTIONS[3]!;
    const reply = await client.chat.completions.create({ model: "llama", messages: [{ role: "user", content: aimePrompt(q.problem) }], seed: SAME.seed });
    const message = reply.choices[0]!.message;
    const reasoning = (message as unknown as { reasoning_content?: unknown }).reasoning_content;
    expect(typeof reasoning).toBe("string");
    expect((reasoning as string).length).toBeGreaterThan(500);
    expect(llamaEvalRegexExtract(message.content ?? "", "aime")).toBe(q.gold);
    expect(reply.usage!.completion_tokens).toBeGreaterThan(100);

    const chunks = await client.chat.completions.create({ model: "llama", messages: [{ role: "user", content: aimePrompt(q.problem) }], seed: SAME.seed, stream: true });
    let thoughts = "";
    let content = "";
    for await (const chunk of chunks) {
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) {
        expect(content).toBe(""); // no thought after the answer began
        thoughts += delta.reasoning_content;
      }
      if (delta?.content) content += delta.content;
    }
    expect(thoughts).toBe(reasoning as string);
    expect(content).toBe(message.content ?? "");
  });
});

describe("--reasoning-format on the command line", () => {
  test("none: inline <think> in content, no reasoning_content; a request's deepseek splits them again", async () => {
    const sim = await simWith(["--response-style", "reasoning", "--success-rate", "1", "--reasoning-format", "none"]);
    const q = QUESTIONS[4]!;
    const inline = (await chat(sim, q.problem, SAME)).choices[0]!.message;
    expect(inline.reasoning_content).toBeUndefined();
    const parts = splitInline(inline.content);
    expect(parts).toBeDefined();
    expect(llamaEvalRegexExtract(inline.content, "aime")).toBe(q.gold);
    const split = (await chat(sim, q.problem, { ...SAME, reasoning_format: "deepseek" })).choices[0]!.message;
    expect({ thoughts: split.reasoning_content, rest: split.content }).toEqual({ thoughts: parts!.thoughts, rest: parts!.rest });
    const s = await stream(sim, q.problem, SAME);
    expect(s.order).toMatch(/^c+$/);
    expect(s.content).toBe(inline.content);
    await sim.stop();
  });

  test("deepseek: thoughts in reasoning_content, streamed first", async () => {
    const sim = await simWith(["--response-style", "reasoning", "--success-rate", "1", "--reasoning-format", "deepseek"]);
    const q = QUESTIONS[5]!;
    const m = (await chat(sim, q.problem)).choices[0]!.message;
    expect(m.reasoning_content!.length).toBeGreaterThan(500);
    expect(m.content).not.toContain("<think>");
    expect((await stream(sim, q.problem)).order).toMatch(/^r+c+$/);
    await sim.stop();
  });
});

describe("--response-style think: always inline", () => {
  for (const format of ["auto", "deepseek", "none"]) {
    test(`with --reasoning-format ${format}, and whatever the request's reasoning_format`, async () => {
      const sim = await simWith(["--response-style", "think", "--success-rate", "1", "--reasoning-format", format]);
      for (const q of QUESTIONS.slice(0, 3)) {
        for (const extra of [{}, { reasoning_format: "deepseek" }, { reasoning_format: "auto" }, { reasoning_format: "none" }]) {
          const m = (await chat(sim, q.problem, extra)).choices[0]!.message;
          expect(m.reasoning_content).toBeUndefined();
          const parts = splitInline(m.content);
          expect(parts?.thoughts.length ?? 0).toBeGreaterThan(500);
          expect(llamaEvalRegexExtract(m.content, "aime")).toBe(q.gold);
          expect(lastLines(m.content)).not.toContain("<think>");
        }
        const s = await stream(sim, q.problem);
        expect(s.order).toMatch(/^c+$/);
        expect(s.content).toStartWith("<think>\n");
      }
      await sim.stop();
    });
  }
});

describe("--reasoning-tokens", () => {
  test("sets the length of the thoughts; usage.completion_tokens tracks it; the answer stays in the last 10 lines", async () => {
    const q = QUESTIONS[0]!;
    const sizes = [60, 400, 1500, 4000];
    for (const style of ["reasoning", "think"] as const) {
      const used: number[] = [];
      const lengths: number[] = [];
      for (const n of sizes) {
        const sim = await simWith(["--response-style", style, "--success-rate", "1", "--reasoning-tokens", String(n)]);
        const reply = await chat(sim, q.problem);
        const m = reply.choices[0]!.message;
        used.push(reply.usage.completion_tokens);
        lengths.push((m.reasoning_content ?? m.content).length);
        // The visible answer part stays short; the thoughts carry the length. (Tolerance: the tokenizer is an estimate.)
        expect(Math.abs(reply.usage.completion_tokens - n)).toBeLessThan(0.1 * n + 120);
        expect(reply.usage.total_tokens).toBe(reply.usage.prompt_tokens + reply.usage.completion_tokens);
        expect(llamaEvalRegexExtract(m.content, "aime")).toBe(q.gold);
        await sim.stop();
      }
      for (let i = 1; i < sizes.length; i++) {
        expect(used[i]!).toBeGreaterThan(used[i - 1]!);
        expect(lengths[i]!).toBeGreaterThan(lengths[i - 1]!);
      }
    }
  });
});

describe("a token limit inside the thoughts", () => {
  test("finish_reason length, no answer in content (judge: no answer), usage at the limit, ledger verdict no-answer", async () => {
    for (const style of ["reasoning", "think"] as const) {
      const ledger = join(tempDir("styles-ledger"), "ledger.jsonl");
      const sim = await simWith(["--response-style", style, "--success-rate", "1", "--reasoning-tokens", "600"], ledger);
      // OpenAI's max_tokens (evalBody's n_predict -1 removed: llama-server lets n_predict win) and llama-eval's n_predict.
      const cases = QUESTIONS.slice(0, 4).map((q, i) => ({ q, budget: i % 2 === 0 ? 80 : 200, limit: i % 2 === 0 ? { n_predict: undefined, max_tokens: 80 } : { n_predict: 200 } }));
      for (const { q, limit, budget } of cases) {
        const reply = await chat(sim, q.problem, limit);
        const choice = reply.choices[0]!;
        expect(choice.finish_reason).toBe("length");
        expect(reply.usage.completion_tokens).toBeLessThanOrEqual(budget);
        expect(reply.usage.completion_tokens).toBeGreaterThan(budget - 20);
        if (style === "reasoning") {
          expect(choice.message.content).toBe("");
          expect(choice.message.reasoning_content!.length).toBeGreaterThan(0);
        } else {
          expect(choice.message.content).toStartWith("<think>\n");
          expect(choice.message.content).not.toContain("</think>");
        }
        expect(choice.message.content).not.toContain(`\\boxed{${q.gold}}`);
        expect((await askJudge(sim.url, choice.message.content)).text).toBe("no answer");
      }
      const records = readFileSync(ledger, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { verdict: string; question: string });
      expect(records.map((r) => [r.question, r.verdict])).toEqual(cases.map(({ q }) => [q.id, "no-answer"]));
      // The same server without a limit answers in full.
      const full = await chat(sim, cases[0]!.q.problem);
      expect(full.choices[0]!.finish_reason).toBe("stop");
      await sim.stop();
    }
  });
});

describe("--response-style mixed", () => {
  test("draws a style per reply: every style appears, and each reply's shape is the style the ledger records", async () => {
    const ledger = join(tempDir("styles-mixed"), "ledger.jsonl");
    const sim = await simWith(["--response-style", "mixed", "--success-rate", "0.5", "--reasoning-tokens", "150"], ledger);
    const replies = await inBatches(aime.slice(0, 60), 8, async (q) => ({ q, reply: await chat(sim, q.problem) }));
    const records = new Map(
      readFileSync(ledger, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { id: string; style: string })
        .map((r) => [r.id, r.style] as const),
    );
    const styles = new Set<string>();
    for (const { reply } of replies) {
      const style = records.get(reply.id);
      styles.add(style ?? "?");
      const m = reply.choices[0]!.message;
      const shape = m.reasoning_content !== undefined ? "reasoning" : m.content.startsWith("<think>\n") ? "think" : "short";
      expect({ id: reply.id, shape }).toEqual({ id: reply.id, shape: style! });
    }
    // Seeded, so deterministic; for any seed, P(a style missing in 60 fair draws of 3) <= 3 * (2/3)^60 < 1e-10.
    expect([...styles].sort()).toEqual(["reasoning", "short", "think"]);
    await sim.stop();
  });
});

describe("--on-unmatched", () => {
  test('echo answers "Hi" with a 200 and a short generic reply, and records no question', async () => {
    const ledger = join(tempDir("styles-echo"), "ledger.jsonl");
    const sim = await simWith(["--on-unmatched", "echo", "--response-style", "reasoning"], ledger);
    for (const messages of [[{ role: "user", content: "Hi" }], [{ role: "system", content: "You are helpful." }, { role: "user", content: "What is the capital of France?" }]]) {
      const res = await postJson(`${sim.url}/v1/chat/completions`, { model: "llama", messages });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Completion & { object: string };
      expect(body.object).toBe("chat.completion");
      expect(body.choices[0]!.finish_reason).toBe("stop");
      expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
      expect(body.choices[0]!.message.content.length).toBeLessThan(400);
      expect(body.choices[0]!.message.reasoning_content).toBeUndefined();
    }
    // A dataset question is still answered as usual.
    const q = QUESTIONS[0]!;
    const reply = await chat(sim, q.problem);
    expect(reply.choices[0]!.message.reasoning_content!.length).toBeGreaterThan(0);
    const lines = readFileSync(ledger, "utf8").trim().split("\n");
    expect(lines.length).toBe(1);
    expect((JSON.parse(lines[0]!) as { question: string }).question).toBe(q.id);
    await sim.stop();
  });

  test("an echoed request is logged as unmatched, not as a correct or wrong answer", async () => {
    const sim = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--seed", "31", "--on-unmatched", "echo"] });
    const res = await postJson(`${sim.url}/v1/chat/completions`, { model: "llama", messages: [{ role: "user", content: "Hi" }] });
    expect(res.status).toBe(200);
    await res.text();
    const line = await sim.waitForStderr(/POST \/v1\/chat\/completions 200/, 5_000, sim.bannerEnd);
    expect(line).toMatch(/\bunmatched\b/);
    expect(line).not.toMatch(/\b(?:correct|wrong)\b/);
    await sim.stop();
  });

  test('error (the default) answers "Hi" with 400 invalid_request_error', async () => {
    const sim = await simWith([]);
    const res = await postJson(`${sim.url}/v1/chat/completions`, { model: "llama", messages: [{ role: "user", content: "Hi" }] });
    const body = await expectError(res, 400, "invalid_request_error");
    expect(body.error.message).toContain("no dataset question matched");
    await sim.stop();
  });
});

// The binary through the official `openai` client, the way eval harnesses use it, plus the exact SSE wire format.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { AIME_FILE_REL, aimePrompt, evalBody, inBatches, lastBoxed, loadAime, postJson, startSim, stopAll, type Sim } from "./harness.ts";

const ID = /^chatcmpl-[0-9A-Za-z]{32}$/;
const aime = loadAime();

afterAll(stopAll);

function clientFor(sim: Sim): OpenAI {
  // No retries: a failure must show, not be papered over.
  return new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: "x", maxRetries: 0, timeout: 10_000 });
}

describe("--success-rate 1 --seed 7", () => {
  let sim: Sim;
  let client: OpenAI;
  /** Non-streamed content per question, to compare with the stream. */
  const contents = new Map<string, string>();

  beforeAll(async () => {
    sim = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--success-rate", "1", "--seed", "7", "--quiet"] });
    client = clientFor(sim);
  });

  test("the banner reports the file's 90 questions, the rate and the seed", () => {
    expect(sim.banner.questions).toStartWith("90");
    expect(sim.banner["success rate"]).toBe("1");
    expect(sim.banner.seed).toBe("7");
    expect(sim.banner.model).toBe("llama");
  });

  test("models.list() returns the one model, id 'llama'", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(["llama"]);
    expect(page.data[0]!.object).toBe("model");
    expect(page.data[0]!.owned_by).toBe("llamacpp");
  });

  test("all 90 AIME questions in llama-eval's template get the gold answer, well-formed", async () => {
    expect(aime).toHaveLength(90);
    const ids = new Set<string>();
    await inBatches(aime, 32, async (q) => {
      const reply = await client.chat.completions.create({
        model: "llama",
        messages: [{ role: "user", content: aimePrompt(q.problem) }],
        // llama-eval's extra field; the openai client passes unknown body keys through.
        ...({ n_predict: -1 } as object),
      });
      expect(reply.id).toMatch(ID);
      ids.add(reply.id);
      expect(reply.object).toBe("chat.completion");
      expect(reply.model).toBe("llama");
      expect(reply.system_fingerprint ?? "").toStartWith("b");
      expect(reply.choices).toHaveLength(1);
      const choice = reply.choices[0]!;
      expect(choice.index).toBe(0);
      expect(choice.finish_reason).toBe("stop");
      expect(choice.message.role).toBe("assistant");
      const content = choice.message.content ?? "";
      expect({ id: q.id, boxed: lastBoxed(content) }).toEqual({ id: q.id, boxed: q.gold });
      expect(content).toEndWith(`The answer is \\boxed{${q.gold}}.`);
      const usage = reply.usage!;
      expect(Number.isInteger(usage.prompt_tokens) && usage.prompt_tokens > 0).toBe(true);
      expect(Number.isInteger(usage.completion_tokens) && usage.completion_tokens > 0).toBe(true);
      expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
      // llama-eval reads timings.predicted_per_second and predicted_ms.
      const timings = (reply as unknown as { timings: Record<string, number> }).timings;
      expect(timings.predicted_per_second).toBeGreaterThan(0);
      expect(timings.predicted_ms).toBeGreaterThan(0);
      expect(timings.predicted_n).toBe(usage.completion_tokens);
      contents.set(q.id, content);
    });
    expect(ids.size).toBe(90); // one fresh id per request
    expect(contents.size).toBe(90);
  });

  test("streaming through the openai client reassembles the same content and ends with a usage chunk", async () => {
    await inBatches(aime, 32, async (q) => {
      const stream = await client.chat.completions.create({
        model: "llama",
        messages: [{ role: "user", content: aimePrompt(q.problem) }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let content = "";
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) {
        chunks.push(chunk);
        content += chunk.choices[0]?.delta?.content ?? "";
      }
      expect(content).toBe(contents.get(q.id) ?? "(no non-streamed content)");
      expect(lastBoxed(content)).toBe(q.gold);
      expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
      expect(chunks[0]!.id).toMatch(ID);
      const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
      expect(finish.map((c) => c.choices[0]!.finish_reason)).toEqual(["stop"]);
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage?.completion_tokens).toBeGreaterThan(0);
      expect(last.usage?.total_tokens).toBe(last.usage!.prompt_tokens + last.usage!.completion_tokens);
    });
  });

  test("raw SSE: role chunk, content chunks, finish chunk with delta {}, usage chunk, [DONE]; one id", async () => {
    const q = aime[0]!;
    const res = await postJson(`${sim.url}/v1/chat/completions`, evalBody(q.problem, { stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const text = await res.text();
    expect(text).toEndWith("data: [DONE]\n\n");
    const events = text.split("\n\n").filter((e) => e !== "");
    for (const e of events) expect(e).toStartWith("data: ");
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(events.filter((e) => e === "data: [DONE]")).toHaveLength(1);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice("data: ".length)) as Record<string, any>);
    expect(chunks.length).toBeGreaterThanOrEqual(4);

    const [role, ...rest] = chunks;
    const usageChunk = rest.pop()!;
    const finish = rest.pop()!;
    const contentChunks = rest;

    for (const c of chunks) {
      expect(c.id).toMatch(ID);
      expect(c.id).toBe(role!.id);
      expect(c.object).toBe("chat.completion.chunk");
      expect(c.model).toBe("llama");
      expect(c.system_fingerprint).toStartWith("b");
      expect(Number.isInteger(c.created)).toBe(true);
    }
    // 1. role chunk: content null (not ""), no timings.
    expect(role!.choices).toEqual([{ finish_reason: null, index: 0, delta: { role: "assistant", content: null } }]);
    expect(role!.timings).toBeUndefined();
    // 2. content chunks: non-empty content only, no role.
    expect(contentChunks.length).toBeGreaterThan(0);
    for (const c of contentChunks) {
      expect(c.choices).toHaveLength(1);
      expect(c.choices[0].finish_reason).toBeNull();
      expect(Object.keys(c.choices[0].delta)).toEqual(["content"]);
      expect(typeof c.choices[0].delta.content).toBe("string");
      expect(c.choices[0].delta.content.length).toBeGreaterThan(0);
    }
    const content = contentChunks.map((c) => c.choices[0].delta.content).join("");
    expect(lastBoxed(content)).toBe(q.gold);
    // 3. finish chunk: empty delta.
    expect(finish.choices).toEqual([{ finish_reason: "stop", index: 0, delta: {} }]);
    // 4. usage chunk: no choices, usage and timings.
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.total_tokens).toBe(usageChunk.usage.prompt_tokens + usageChunk.usage.completion_tokens);
    expect(usageChunk.timings.predicted_per_second).toBeGreaterThan(0);
    // Keys in llama-server's chunk order.
    expect(Object.keys(role!).slice(0, 6)).toEqual(["choices", "created", "id", "model", "system_fingerprint", "object"]);
  });

  test("raw SSE without include_usage: no usage chunk; timings ride on the finish chunk", async () => {
    const q = aime[1]!;
    const res = await postJson(`${sim.url}/chat/completions`, evalBody(q.problem, { stream: true }));
    expect(res.status).toBe(200);
    const events = (await res.text()).split("\n\n").filter((e) => e !== "");
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as Record<string, any>);
    for (const c of chunks) {
      expect(c.usage).toBeUndefined();
      expect(c.choices).toHaveLength(1);
    }
    const finish = chunks.at(-1)!;
    expect(finish.choices[0]).toEqual({ finish_reason: "stop", index: 0, delta: {} });
    expect(finish.timings.predicted_n).toBeGreaterThan(0);
  });

  test("matching sees through templates: few-shot (last question wins), case and whitespace changes, other wrappers", async () => {
    const ask = async (messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[]) => {
      const reply = await client.chat.completions.create({ model: "llama", messages });
      const content = reply.choices[0]!.message.content ?? "";
      // The reply follows the answer format the prompt shows: \boxed{} by default, `Answer: X` after such examples.
      return lastBoxed(content) ?? /^Answer: (.+)$/m.exec(content)?.[1];
    };
    const [a, b] = [aime[3]!, aime[40]!];
    expect(a.gold).not.toBe(b.gold);
    // Few-shot: question a with its worked answer, then question b.
    expect(
      await ask([
        { role: "user", content: aimePrompt(a.problem) },
        { role: "assistant", content: `The answer is \\boxed{${a.gold}}.` },
        { role: "user", content: aimePrompt(b.problem) },
      ]),
    ).toBe(b.gold);
    // Both questions in one message: the last one wins.
    expect(await ask([{ role: "user", content: `Example:\n${a.problem}\nAnswer: ${a.gold}\n\nNow:\n${b.problem}` }])).toBe(b.gold);
    // Upper case, whitespace collapsed and re-spread.
    const c = aime[7]!;
    expect(await ask([{ role: "user", content: c.problem.toUpperCase().split(/\s+/).join("  \n ") }])).toBe(c.gold);
    // llama-eval's older AIME template and the gsm8k-style suffix.
    const d = aime[50]!;
    expect(await ask([{ role: "user", content: `${d.problem}\nPlease reason step by step, and put your final answer within \\boxed{}.` }])).toBe(d.gold);
  });

  test("n: 2 gives two choices; n above the slots (-np 4) is refused with 400 through the client", async () => {
    const two = await client.chat.completions.create({ model: "llama", n: 2, messages: [{ role: "user", content: aimePrompt(aime[0]!.problem) }] });
    expect(two.choices.map((c) => c.index)).toEqual([0, 1]);
    for (const choice of two.choices) expect(lastBoxed(choice.message.content ?? "")).toBe(aime[0]!.gold);
    const error = await client.chat.completions
      .create({ model: "llama", n: 5, messages: [{ role: "user", content: aimePrompt(aime[0]!.problem) }] })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400);
  });

  test("max_tokens below the reply's length gives finish_reason 'length' and completion_tokens == max_tokens", async () => {
    const reply = await client.chat.completions.create({
      model: "llama",
      messages: [{ role: "user", content: aimePrompt(aime[2]!.problem) }],
      max_tokens: 3,
    });
    expect(reply.choices[0]!.finish_reason).toBe("length");
    expect(reply.usage!.completion_tokens).toBe(3);
    expect((reply.choices[0]!.message.content ?? "").length).toBeGreaterThan(0);
  });
});

describe("--success-rate 0", () => {
  test("every one of the 90 answers is a wrong integer in 0..999", async () => {
    const sim = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--success-rate", "0", "--seed", "7", "--quiet"] });
    const client = clientFor(sim);
    const answers = await inBatches(aime, 32, async (q) => {
      const reply = await client.chat.completions.create({ model: "llama", messages: [{ role: "user", content: aimePrompt(q.problem) }] });
      expect(reply.choices[0]!.finish_reason).toBe("stop");
      return { id: q.id, gold: q.gold, boxed: lastBoxed(reply.choices[0]!.message.content ?? "") };
    });
    for (const a of answers) {
      expect(a.boxed).toMatch(/^\d+$/); // a plain integer, no leading zeros
      expect(String(Number(a.boxed))).toBe(a.boxed!);
      expect(Number(a.boxed)).toBeGreaterThanOrEqual(0);
      expect(Number(a.boxed)).toBeLessThanOrEqual(999);
      expect({ id: a.id, boxed: a.boxed }).not.toEqual({ id: a.id, boxed: a.gold });
    }
    // Plausible, not a constant offset: the wrong answers are not all gold+1.
    expect(answers.some((a) => Number(a.boxed) !== Number(a.gold) + 1)).toBe(true);
    await sim.stop();
  });
});

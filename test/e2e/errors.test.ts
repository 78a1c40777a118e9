// Refusals over raw HTTP: every error is llama-server's JSON envelope, nothing crashes the process,
// and each request leaves one log line on stderr (none with --quiet).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AIME_FILE_REL, aimePrompt, evalBody, expectError, inBatches, lastBoxed, loadAime, postJson, startSim, stopAll, type Sim } from "./harness.ts";

const aime = loadAime();
const CHAT = "/v1/chat/completions";

const JUDGE_SYSTEM =
  "You are an answer extraction system. Your task is to extract the answer from the model's response.\n\n" +
  "Here are some examples of extracted answers to demonstrate what you are supposed to output:\n\n" +
  "Example 1: 42\nExample 2: -123\nExample 3: 999\n\n" +
  "When extracting the answer, provide only the extracted answer itself, nothing else. " +
  "If there is no clear answer that can be extracted from the response, reply with 'no answer'.";
const judgeUser = (response: string) =>
  `Extract the answer from the following response:\n\n"${response}"\n\n` +
  "Please provide only the extracted answer, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.";

afterAll(stopAll);

describe("one server (--success-rate 0.5 --seed 3)", () => {
  let sim: Sim;
  const chat = () => `${sim.url}${CHAT}`;

  beforeAll(async () => {
    sim = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--success-rate", "0.5", "--seed", "3"] });
  });

  const expectMatched = async (res: Response, gold: string) => {
    const text = await res.text();
    expect({ status: res.status, text }).toMatchObject({ status: 200 });
    const body = JSON.parse(text) as { choices: { message: { content: string }; finish_reason: string }[] };
    expect(body.choices[0]!.finish_reason).toBe("stop");
    const boxed = lastBoxed(body.choices[0]!.message.content);
    expect(boxed).toMatch(/^\d+$/);
    return { boxed: boxed!, correct: boxed === gold };
  };

  test("malformed JSON -> 400 invalid_request_error", async () => {
    await expectError(await postJson(chat(), '{"messages": [{"role": "user", "content": "x"}'), 400, "invalid_request_error");
    await expectError(await postJson(chat(), ""), 400, "invalid_request_error");
    await expectError(await postJson(chat(), "null"), 400, "invalid_request_error");
    await expectError(await postJson(chat(), "[1,2]"), 400, "invalid_request_error");
  });

  test("missing messages -> 400", async () => {
    const body = await expectError(await postJson(chat(), { model: "llama" }), 400, "invalid_request_error");
    expect(body.error.message).toContain("messages");
  });

  test('messages "x" -> 400; other invalid messages (upstream test cases) -> 400', async () => {
    await expectError(await postJson(chat(), { messages: "x" }), 400, "invalid_request_error");
    const q = aimePrompt(aime[0]!.problem);
    for (const messages of [null, [], [123], [{}], [{ role: 1, content: q }], [{ role: "user", content: 5 }],
      [{ role: "user", content: q }, { role: "assistant", content: "a" }, { role: "assistant", content: "b" }]]) {
      await expectError(await postJson(chat(), { messages }), 400, "invalid_request_error");
    }
    await expectError(await postJson(chat(), { messages: [{ role: "user", content: q }], stream: "yes" }), 400, "invalid_request_error");
  });

  test('"What is the capital of France?" -> 400 no dataset question matched; the next request is served', async () => {
    const res = await postJson(chat(), { messages: [{ role: "user", content: "What is the capital of France?" }] });
    const body = await expectError(res, 400, "invalid_request_error");
    expect(body.error.message).toContain("no dataset question matched");
    const q = aime[5]!;
    await expectMatched(await postJson(chat(), evalBody(q.problem)), q.gold);
  });

  test("the LLM judge's prompt quoting a reply is answered with the extracted answer, not matched to a question", async () => {
    // The quoted reply carries a whole dataset question: judge detection must come first.
    const reply = `${aime[5]!.problem}\n\nLet me work through this problem step by step.\n\nThe answer is \\boxed{33}.`;
    const judge = { model: "llama", temperature: 0, messages: [{ role: "system", content: JUDGE_SYSTEM }, { role: "user", content: judgeUser(reply) }] };
    const res = await postJson(chat(), judge);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe("33");
    const variant = { messages: [{ role: "user", content: `Extract the answer from this response:\n\nResponse: ${reply}\n\nExpected answer: 33\n\nPlease provide only the extracted answer, nothing else.` }] };
    const res2 = await postJson(chat(), variant);
    expect(res2.status).toBe(200);
    expect(((await res2.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe("33");
  });

  test("a question cut short is refused (the whole question must be present)", async () => {
    const problem = aime[10]!.problem;
    const res = await postJson(chat(), evalBody(problem.slice(0, Math.floor(problem.length * 0.9))));
    expect((await expectError(res, 400)).error.message).toContain("no dataset question matched");
  });

  test("unknown path -> 404 not_found_error", async () => {
    await expectError(await fetch(`${sim.url}/v1/nope`), 404, "not_found_error");
    await expectError(await postJson(`${sim.url}/v1/completions/extra`, evalBody(aime[0]!.problem)), 404, "not_found_error");
  });

  test("GET /v1/chat/completions -> 404 or 405 JSON", async () => {
    const res = await fetch(chat());
    expect([404, 405]).toContain(res.status);
    await expectError(res, res.status);
  });

  test("a 2 MiB body -> 413 JSON", async () => {
    const big = JSON.stringify({ messages: [{ role: "user", content: "a".repeat(2 * 1024 * 1024) }] });
    const body = await expectError(await postJson(chat(), big), 413);
    expect(body.error.message).toMatch(/larger|too large|limit/i);
  });

  test("a 17 MiB body (past the HTTP layer's own limit) -> still a 413 with the JSON error body", async () => {
    const huge = JSON.stringify({ messages: [{ role: "user", content: "c".repeat(17 * 1024 * 1024) }] });
    await expectError(await postJson(chat(), huge), 413);
  });

  test("a 2 MiB chunked body (no Content-Length) -> 413 JSON", async () => {
    const piece = new TextEncoder().encode("a".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"messages":[{"role":"user","content":"'));
        if (sent >= 2 * 1024 * 1024) {
          controller.enqueue(new TextEncoder().encode('"}]}'));
          controller.close();
          return;
        }
        controller.enqueue(piece);
        sent += piece.byteLength;
      },
    });
    const res = await fetch(chat(), { method: "POST", headers: { "Content-Type": "application/json" }, body: stream });
    expect(res.headers.get("content-length")).not.toBe("0");
    await expectError(res, 413);
  });

  test("content as an array of text parts, with a system message -> 200 matched", async () => {
    const q = aime[20]!;
    const res = await postJson(chat(), {
      messages: [
        { role: "system", content: "You are a helpful math assistant." },
        {
          role: "user",
          content: [
            { type: "text", text: "Solve the following math problem step by step. Put your answer inside \\boxed{}." },
            { type: "text", text: q.problem },
            { type: "text", text: "Remember to put your answer inside \\boxed{}." },
          ],
        },
      ],
    });
    await expectMatched(res, q.gold);
    await sim.waitForStderr(new RegExp(`POST ${CHAT} 200 q=${q.id} (correct|wrong)`));
  });

  test("the question inside the system message -> 200 matched", async () => {
    const q = aime[21]!;
    const res = await postJson(chat(), {
      messages: [
        { role: "system", content: `Here is the problem you will be asked about:\n${q.problem}` },
        { role: "user", content: "Please solve it and box your answer." },
      ],
    });
    await expectMatched(res, q.gold);
    await sim.waitForStderr(new RegExp(`POST ${CHAT} 200 q=${q.id} (correct|wrong)`));
  });

  test("CORS preflight and headers as llama-server", async () => {
    const pre = await fetch(chat(), { method: "OPTIONS", headers: { Origin: "http://example.test" } });
    expect(pre.status).toBe(200);
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://example.test");
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, POST");
    const health = await fetch(`${sim.url}/health`, { headers: { Origin: "http://example.test" } });
    expect(health.headers.get("access-control-allow-origin")).toBe("http://example.test");
    expect(health.headers.get("server")).toBe("llama.cpp");
  });

  test("per-request log lines: method, path, status, q=<id>, correct|wrong", async () => {
    const from = sim.stderrLines.length;
    const q = aime[30]!;
    const { correct } = await expectMatched(await postJson(chat(), evalBody(q.problem)), q.gold);
    const line = await sim.waitForStderr(new RegExp(`POST ${CHAT} 200 q=${q.id} `), 5_000, from);
    expect(line).toContain(correct ? " correct" : " wrong");
    await postJson(chat(), { messages: [{ role: "user", content: "hello" }] });
    await sim.waitForStderr(new RegExp(`POST ${CHAT} 400\\b`), 5_000, from);
    await fetch(`${sim.url}/nope`);
    await sim.waitForStderr(/GET \/nope 404\b/, 5_000, from);
    await fetch(`${sim.url}/health`);
    await sim.waitForStderr(/GET \/health 200\b/, 5_000, from);
  });

  test("a burst of 200 concurrent requests mixing valid and invalid: no 5xx, all answered, correct outcomes", async () => {
    const kinds = ["valid", "stream", "nomatch", "badjson", "nomessages", "notfound", "get"] as const;
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const kind = kinds[i % kinds.length]!;
        const q = aime[i % aime.length]!;
        let res: Response;
        switch (kind) {
          case "valid":
            res = await postJson(chat(), evalBody(q.problem));
            break;
          case "stream":
            res = await postJson(chat(), evalBody(q.problem, { stream: true }));
            break;
          case "nomatch":
            res = await postJson(chat(), { messages: [{ role: "user", content: `What is ${i} + ${i}?` }] });
            break;
          case "badjson":
            res = await postJson(chat(), `{"messages": [${i}`);
            break;
          case "nomessages":
            res = await postJson(chat(), { prompt: "x" });
            break;
          case "notfound":
            res = await fetch(`${sim.url}/v1/unknown/${i}`);
            break;
          case "get":
            res = await fetch(`${sim.url}/v1/models`);
            break;
        }
        const text = await res.text();
        return { kind, status: res.status, text, gold: q.gold };
      }),
    );
    expect(results).toHaveLength(200);
    for (const r of results) {
      expect(r.status).toBeLessThan(500);
      const expected = { valid: 200, stream: 200, nomatch: 400, badjson: 400, nomessages: 400, notfound: 404, get: 200 }[r.kind];
      expect({ kind: r.kind, status: r.status }).toEqual({ kind: r.kind, status: expected });
      if (r.kind === "valid") {
        const boxed = lastBoxed((JSON.parse(r.text) as { choices: { message: { content: string } }[] }).choices[0]!.message.content);
        expect(boxed).toMatch(/^\d+$/);
      } else if (r.kind === "stream") {
        expect(r.text).toEndWith("data: [DONE]\n\n");
      } else if (r.status >= 400) {
        expect((JSON.parse(r.text) as { error: { code: number } }).error.code).toBe(r.status);
      }
    }
    expect(sim.alive).toBe(true);
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
  });

  test("the process is still alive at the end and stops cleanly on SIGTERM with a summary", async () => {
    expect(sim.alive).toBe(true);
    const res = await fetch(`${sim.url}/v1/health`);
    expect(await res.json()).toEqual({ status: "ok" });
    const code = await sim.stop();
    expect(code).toBe(0);
    expect(sim.stderrLines.some((l) => /SIGTERM.*answered \d+ matched requests/.test(l))).toBe(true);
    // Nothing in the log is a 5xx.
    expect(sim.stderrLines.filter((l) => /\s5\d\d\s/.test(l) && /^\S+ (GET|POST)/.test(l))).toEqual([]);
  });
});

describe("--max-body-bytes 1000", () => {
  test("a 2 KB body -> 413 JSON, a small one still answered", async () => {
    const sim = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--max-body-bytes", "1000", "--quiet"] });
    const body = JSON.stringify({ messages: [{ role: "user", content: "b".repeat(2048) }] });
    await expectError(await postJson(`${sim.url}${CHAT}`, body), 413, "invalid_request_error");
    // An AIME question whose templated body fits in 1000 bytes.
    const small = aime.find((q) => JSON.stringify(evalBody(q.problem)).length < 900)!;
    expect(small).toBeDefined();
    const res = await postJson(`${sim.url}${CHAT}`, evalBody(small.problem));
    expect(res.status).toBe(200);
    expect(sim.alive).toBe(true);
    await sim.stop();
  });
});

describe("--quiet", () => {
  test("no per-request log lines", async () => {
    const sim = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--quiet"] });
    const q = aime[0]!;
    expect((await postJson(`${sim.url}${CHAT}`, evalBody(q.problem))).status).toBe(200);
    expect((await postJson(`${sim.url}${CHAT}`, { messages: "x" })).status).toBe(400);
    expect((await fetch(`${sim.url}/nope`)).status).toBe(404);
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
    // Stopping flushes stderr completely: the shutdown summary shows we saw the end of it.
    expect(await sim.stop()).toBe(0);
    const after = sim.stderrLines.slice(sim.bannerEnd);
    expect(after.some((l) => l.includes("SIGTERM"))).toBe(true);
    expect(after.filter((l) => /\b(GET|POST) \//.test(l))).toEqual([]);
  });
});

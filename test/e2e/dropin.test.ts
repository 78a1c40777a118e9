// The compiled binary started with llama-server command lines and conventions (issue 8 §5, §7):
// its flags and LLAMA_ARG_* variables, the extra routes, API keys, HEAD, CORS and chunked streams,
// and /v1/completions through the official `openai` client.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { AIME_FILE_REL, aimePrompt, lastBoxed, loadAime, postJson, startSim, stopAll, tempDir, type Sim } from "./harness.ts";

const aime = loadAime();

afterAll(stopAll);

/** The raw bytes of one HTTP/1.1 exchange on a fresh connection, read until the server closes it. */
async function rawExchange(sim: Sim, request: string): Promise<string> {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  await new Promise<void>((resolve, reject) => {
    void Bun.connect({
      hostname: sim.host,
      port: sim.port,
      socket: {
        open: (socket) => void socket.write(request),
        data: (_socket, data) => void chunks.push(decoder.decode(data, { stream: true })),
        close: () => resolve(),
        error: (_socket, error) => reject(error),
      },
    }).catch(reject);
  });
  return chunks.join("");
}

function rawPost(sim: Sim, path: string, body: unknown): Promise<string> {
  const json = JSON.stringify(body);
  return rawExchange(
    sim,
    `POST ${path} HTTP/1.1\r\nHost: ${sim.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

describe("llama-server's command line: -m x.gguf -ngl 99 -c 16384 -np 8 --jinja", () => {
  let sim: Sim;

  beforeAll(async () => {
    sim = await startSim({
      args: ["-m", "x.gguf", "-ngl", "99", "-c", "16384", "-np", "8", "--jinja", "-fa", "on", "--dataset-file", AIME_FILE_REL, "--success-rate", "1", "--seed", "7", "--quiet"],
    });
  });

  test("it starts, with one notice line naming the ignored flags before the banner", () => {
    const notices = sim.stderrLines.filter((l) => l.includes("ignoring llama-server flags"));
    expect(notices).toEqual(["llama-sim: ignoring llama-server flags that do not apply here: -m x.gguf -ngl 99 --jinja -fa on"]);
    expect(sim.stderrLines.indexOf(notices[0]!)).toBeLessThan(sim.bannerEnd);
    expect(sim.banner.questions).toStartWith("90");
  });

  test("/props and /slots report -np 8 slots of 16384/8 tokens and -m's path", async () => {
    const props = (await (await fetch(`${sim.url}/props`)).json()) as Record<string, any>;
    expect(props.total_slots).toBe(8);
    expect(props.default_generation_settings.n_ctx).toBe(2048);
    expect(props.model_path).toBe("x.gguf");
    expect(props.default_generation_settings.params.seed).toBe(7);
    const slots = (await (await fetch(`${sim.url}/slots`)).json()) as Record<string, any>[];
    expect(slots.map((s) => s.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(slots.every((s) => s.n_ctx === 2048 && s.is_processing === false)).toBe(true);
  });

  test("openai's completions.create against /v1/completions: the gold answer, llama-server's shape", async () => {
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 10_000 });
    for (const q of aime.slice(0, 10)) {
      const reply = await client.completions.create({ model: "llama", prompt: aimePrompt(q.problem), max_tokens: 2048 });
      expect(reply.object).toBe("text_completion");
      expect(reply.id).toMatch(/^chatcmpl-[0-9A-Za-z]{32}$/);
      expect(reply.model).toBe("llama");
      expect(reply.choices).toHaveLength(1);
      expect(reply.choices[0]!.finish_reason).toBe("stop");
      expect(reply.choices[0]!.logprobs).toBeNull();
      expect(lastBoxed(reply.choices[0]!.text)).toBe(q.gold);
      expect(reply.usage!.total_tokens).toBe(reply.usage!.prompt_tokens + reply.usage!.completion_tokens);
    }
  });

  test("openai's streamed completions.create reassembles the text; the last chunk carries usage", async () => {
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: "unused", maxRetries: 0, timeout: 10_000 });
    const q = aime[3]!;
    const stream = await client.completions.create({ model: "llama", prompt: aimePrompt(q.problem), stream: true });
    let text = "";
    const chunks: OpenAI.Completions.Completion[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.text ?? "";
    }
    expect(lastBoxed(text)).toBe(q.gold);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
  });

  test("native /completion streams chunk by chunk on the wire (Transfer-Encoding: chunked), with no [DONE]", async () => {
    const raw = await rawPost(sim, "/completion", { prompt: aimePrompt(aime[0]!.problem), stream: true });
    const [head, body] = [raw.slice(0, raw.indexOf("\r\n\r\n")), raw.slice(raw.indexOf("\r\n\r\n") + 4)];
    expect(head).toStartWith("HTTP/1.1 200");
    expect(head.toLowerCase()).toContain("transfer-encoding: chunked");
    expect(head.toLowerCase()).not.toContain("content-length");
    expect(head.toLowerCase()).toContain("content-type: text/event-stream");
    // One HTTP chunk per event: "<hex size>\r\ndata: {...}\n\n\r\n".
    const events = [...body.matchAll(/(?:^|\r\n)([0-9a-f]+)\r\n(data: [^\n]*\n\n)/g)];
    expect(events.length).toBeGreaterThan(5);
    for (const [, size, event] of events) expect(parseInt(size!, 16)).toBe(Buffer.byteLength(event!));
    expect(body).not.toContain("[DONE]");
    const final = JSON.parse(events.at(-1)![2]!.slice(6));
    expect(final.stop).toBe(true);
    expect(body.endsWith("0\r\n\r\n")).toBe(true);
  });

  test("/v1/completions streams chunked too and ends with [DONE]", async () => {
    const raw = await rawPost(sim, "/v1/completions", { prompt: aimePrompt(aime[1]!.problem), stream: true });
    expect(raw.toLowerCase()).toContain("transfer-encoding: chunked");
    expect(raw).toContain("data: [DONE]\n\n");
  });

  test("HEAD over the wire: the GET's status and Content-Length, no body", async () => {
    const raw = await rawExchange(sim, `HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(raw).toStartWith("HTTP/1.1 200");
    expect(raw.toLowerCase()).toContain("content-length: 15");
    expect(raw.endsWith("\r\n\r\n")).toBe(true);
    const headProps = await fetch(`${sim.url}/props`, { method: "HEAD" });
    expect(headProps.status).toBe(200);
    expect(await headProps.text()).toBe("");
  });

  test("tokenize and detokenize round-trip over HTTP", async () => {
    const content = "Find the remainder when 2^{2024} is divided by 7. — ünïcödé ✓";
    const { tokens } = (await (await postJson(`${sim.url}/tokenize`, { content })).json()) as { tokens: number[] };
    const back = (await (await postJson(`${sim.url}/detokenize`, { tokens })).json()) as { content: string };
    expect(back.content).toBe(content);
  });

  test("the 501 routes answer as llama-server", async () => {
    for (const path of ["/v1/embeddings", "/rerank", "/infill"]) {
      const res = await postJson(`${sim.url}${path}`, {});
      expect(res.status).toBe(501);
      expect(((await res.json()) as any).error.type).toBe("not_supported_error");
    }
  });
});

describe("API keys, --api-prefix and CORS", () => {
  let sim: Sim;

  beforeAll(async () => {
    const keyFile = join(tempDir("keys"), "keys.txt");
    writeFileSync(keyFile, "# keys\nfile-key\n");
    sim = await startSim({
      args: ["--dataset-file", AIME_FILE_REL, "--success-rate", "1", "--api-key-file", keyFile, "--api-prefix", "/llm", "--no-slots", "--props", "--quiet"],
      env: { LLAMA_API_KEY: "env-key" },
    });
  });

  test("a missing or wrong key: 401 with llama-server's body; a right one through either header passes", async () => {
    const url = `${sim.url}/llm/v1/completions`;
    const body = { prompt: aimePrompt(aime[5]!.problem), max_tokens: 5 };
    const wrong: Record<string, string>[] = [{}, { Authorization: "Bearer nope" }, { "X-Api-Key": "nope" }];
    for (const headers of wrong) {
      const res = await postJson(url, body, { headers: { "Content-Type": "application/json", ...headers } });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('{"error":{"message":"Invalid API Key","type":"authentication_error","code":401}}');
    }
    const right: Record<string, string>[] = [{ Authorization: "Bearer env-key" }, { "X-Api-Key": "file-key" }];
    for (const headers of right) {
      const res = await postJson(url, body, { headers: { "Content-Type": "application/json", ...headers } });
      expect(res.status).toBe(200);
    }
  });

  test("the openai client sends its key as a Bearer token", async () => {
    const client = new OpenAI({ baseURL: `${sim.url}/llm/v1`, apiKey: "file-key", maxRetries: 0, timeout: 10_000 });
    const reply = await client.completions.create({ model: "llama", prompt: aimePrompt(aime[6]!.problem) });
    expect(lastBoxed(reply.choices[0]!.text)).toBe(aime[6]!.gold);
    const wrong = new OpenAI({ baseURL: `${sim.url}/llm/v1`, apiKey: "bad", maxRetries: 0, timeout: 10_000 });
    const error = await wrong.completions.create({ model: "llama", prompt: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test("routes live only under the prefix; /models needs no key, /props does", async () => {
    expect((await fetch(`${sim.url}/v1/models`)).status).toBe(404);
    // The public list holds unprefixed paths, so the prefixed /models needs a key too, as in llama-server.
    expect((await fetch(`${sim.url}/llm/v1/models`)).status).toBe(401);
    expect((await fetch(`${sim.url}/llm/v1/models`, { headers: { "X-Api-Key": "env-key" } })).status).toBe(200);
    expect((await fetch(`${sim.url}/llm/props`)).status).toBe(401);
  });

  test("--no-slots and --props", async () => {
    const headers = { Authorization: "Bearer env-key" };
    expect((await fetch(`${sim.url}/llm/slots`, { headers })).status).toBe(501);
    const props = await postJson(`${sim.url}/llm/props`, {}, { headers: { ...headers, "Content-Type": "application/json" } });
    expect(await props.json()).toEqual({ success: true });
  });

  test("OPTIONS preflight needs no key and echoes the Origin", async () => {
    const res = await fetch(`${sim.url}/llm/v1/completions`, { method: "OPTIONS", headers: { Origin: "http://ui.example", "Access-Control-Request-Method": "POST" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://ui.example");
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST");
    expect(res.headers.get("access-control-allow-headers")).toBe("*");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    const denied = await fetch(`${sim.url}/llm/props`, { headers: { Origin: "http://ui.example" } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe("http://ui.example");
  });
});

describe("LLAMA_ARG_* variables", () => {
  test("LLAMA_ARG_N_PARALLEL, LLAMA_ARG_CTX_SIZE, LLAMA_ARG_N_PREDICT, LLAMA_ARG_ENDPOINT_SLOTS, LLAMA_ARG_MODEL", async () => {
    const sim = await startSim({
      args: ["--dataset-file", AIME_FILE_REL, "--success-rate", "1", "--quiet"],
      env: { LLAMA_ARG_N_PARALLEL: "3", LLAMA_ARG_CTX_SIZE: "3000", LLAMA_ARG_N_PREDICT: "5", LLAMA_ARG_ENDPOINT_SLOTS: "0", LLAMA_ARG_MODEL: "/m/env.gguf" },
    });
    const props = (await (await fetch(`${sim.url}/props`)).json()) as Record<string, any>;
    expect([props.total_slots, props.default_generation_settings.n_ctx, props.model_path, props.endpoint_slots]).toEqual([3, 1000, "/m/env.gguf", false]);
    expect((await fetch(`${sim.url}/slots`)).status).toBe(501);
    // -n is the limit of a request that sets none.
    const native = (await (await postJson(`${sim.url}/completion`, { prompt: aimePrompt(aime[0]!.problem) })).json()) as Record<string, any>;
    expect([native.tokens_predicted, native.stop_type]).toEqual([5, "limit"]);
    await sim.stop();
  });
});

// llama-server's command line and conventions (issue 8 §7): its spellings, the flags that do not
// apply, -np/-c resolution, --slots/--no-slots, API keys.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCli } from "../src/cli.ts";
import { helpText } from "../src/cli-flags.ts";
import { ignoredNotice, normalizeArgv } from "../src/llama-args.ts";
import { ConfigError, slotLayout, type Config } from "../src/config.ts";

const BASE_ENV = { HOME: "/home/tester" };

function run(argv: string[], env: Record<string, string> = {}): Config {
  const result = parseCli(argv, { ...BASE_ENV, ...env });
  if (result.kind !== "run") throw new Error(`expected a run config, got ${result.kind}`);
  return result.config;
}

function cliError(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCli(argv, { ...BASE_ENV, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(argv)}`);
}

describe("a llama-server command line", () => {
  test("-m x.gguf -ngl 99 -c 16384 -np 8 --jinja --port 0 starts, with one notice for what does not apply", () => {
    const c = run(["-m", "x.gguf", "-ngl", "99", "-c", "16384", "-np", "8", "--jinja", "--port", "0", "--dataset-file", "q.jsonl"]);
    expect(c.port).toBe(0);
    expect(c.dataset.file).toBe("q.jsonl");
    expect(c.server.parallel).toBe(8);
    expect(c.server.ctxSize).toBe(16384);
    expect(c.server.slotContext).toBe(2048); // explicit -np splits the context
    expect(c.server.modelPath).toBe("x.gguf");
    expect(c.server.ignoredFlags).toEqual(["-m x.gguf", "-ngl 99", "--jinja"]);
    expect(ignoredNotice(c)).toBe("llama-sim: ignoring llama-server flags that do not apply here: -m x.gguf -ngl 99 --jinja");
  });

  test("a long one: hardware, sampling, template and logging flags are all taken with their values", () => {
    const c = run([
      "--model", "/models/Llama-3.1-8B-Instruct-Q4_K_M.gguf", "--n-gpu-layers", "-1", "-t", "8", "-b", "2048", "-ub", "512",
      "-fa", "on", "--mlock", "--no-mmap", "-cb", "--temp", "0.6", "--top-p", "0.9", "-hf", "org/repo:Q4_K_M",
      "--chat-template", "llama3", "--log-disable", "--verbose", "-ctk", "q8_0", "--override-kv", "a=int:1",
      "--lora-scaled", "a.gguf", "0.5", "--no-webui", "--host", "0.0.0.0",
    ]);
    expect(c.host).toBe("0.0.0.0");
    expect(c.server.modelPath).toBe("/models/Llama-3.1-8B-Instruct-Q4_K_M.gguf");
    expect(c.server.ignoredFlags).toContain("--n-gpu-layers -1");
    expect(c.server.ignoredFlags).toContain("-fa on");
    expect(c.server.ignoredFlags).toContain("--lora-scaled a.gguf 0.5");
    expect(c.server.ignoredFlags).toHaveLength(19);
  });

  test("-fa takes a value only when one follows (newer on|off|auto; older builds had a bare switch)", () => {
    expect(normalizeArgv(["-fa", "--port", "1"])).toEqual({ args: ["--port=1"], ignored: [{ flag: "-fa", values: [] }] });
    expect(normalizeArgv(["-fa", "auto"]).ignored).toEqual([{ flag: "-fa", values: ["auto"] }]);
    expect(normalizeArgv(["--flash-attn=off"]).ignored).toEqual([{ flag: "--flash-attn", values: ["off"] }]);
  });

  test("an ignored flag missing its value is an error naming it", () => {
    expect(cliError(["-ngl"])).toContain("-ngl needs a value");
  });

  test("unknown flags are still refused", () => {
    expect(cliError(["--definitely-not-a-flag"])).toContain("--definitely-not-a-flag");
    expect(cliError(["-zz"])).toContain("-zz");
  });

  test("no ignored flags, no notice", () => {
    expect(ignoredNotice(run([]))).toBeUndefined();
  });
});

describe("llama-server's spellings of llama-sim's flags", () => {
  test("-np, -to, -c, -n, --predict, -kvu, -s", () => {
    const c = run(["-np", "2", "-to", "30", "-c", "4096", "--predict", "64", "-s", "7"]);
    expect([c.server.parallel, c.timeoutSeconds, c.server.ctxSize, c.server.nPredict, c.seed]).toEqual([2, 30, 4096, 64, 7]);
    expect(run(["-n", "-1"]).server.nPredict).toBe(-1);
    expect(run(["-n", "-2"]).server.nPredict).toBe(-1); // llama-cli's "until the context is full"
    expect(run(["-np=3"]).server.parallel).toBe(3);
    expect(run(["-kvu"]).server.parallel).toBe(1);
  });

  test("values that start with a dash reach their flag", () => {
    expect(run(["--n-predict", "-1"]).server.nPredict).toBe(-1);
    expect(run(["--threads-http", "-1"]).server.threadsHttp).toBe(-1);
    expect(run(["--alias", "-m"]).alias).toBe("-m");
  });

  test("the help names every alias", () => {
    const text = helpText();
    for (const alias of ["-np", "-to", "-kvu", "--predict", "-s"]) expect(text).toContain(`also ${alias}`);
  });
});

describe("-np and -c, as llama-server [A] resolves them", () => {
  test("the default: 4 slots sharing the whole context (unified KV cache)", () => {
    const c = run([]);
    expect([c.server.parallel, c.server.ctxSize, c.server.slotContext]).toEqual([4, 8192, 8192]);
    expect(run(["-np", "-1"]).server.parallel).toBe(4);
  });

  test("an explicit -np N gives each slot c/N; -np 1 is still promoted to 4 shared slots unless -kvu", () => {
    expect(slotLayout(8, 16384, false)).toEqual({ parallel: 8, slotContext: 2048 });
    expect(slotLayout(3, 8192, false)).toEqual({ parallel: 3, slotContext: 2730 });
    expect(slotLayout(1, 8192, false)).toEqual({ parallel: 4, slotContext: 8192 });
    expect(slotLayout(1, 8192, true)).toEqual({ parallel: 1, slotContext: 8192 });
    expect(slotLayout(8, 16384, true)).toEqual({ parallel: 8, slotContext: 16384 });
  });

  test("-c 0 is the model's training context (131072), and no slot gets more", () => {
    expect(slotLayout(undefined, 0, false)).toEqual({ parallel: 4, slotContext: 131072 });
    expect(slotLayout(undefined, 1_000_000, false).slotContext).toBe(131072);
    expect(run(["-c", "0"]).server.ctxSize).toBe(131072);
  });

  test("bad values name the flag", () => {
    expect(cliError(["-np", "0"])).toContain("--parallel");
    expect(cliError(["-np", "two"])).toContain("--parallel");
    expect(cliError(["-c", "-5"])).toContain("--ctx-size");
    expect(cliError(["-n", "1.5"])).toContain("--n-predict");
    expect(cliError([], { LLAMA_ARG_N_PARALLEL: "0" })).toContain("LLAMA_ARG_N_PARALLEL");
  });
});

describe("--slots / --no-slots", () => {
  test("on by default; the last of the two flags wins", () => {
    expect(run([]).server.endpointSlots).toBe(true);
    expect(run(["--no-slots"]).server.endpointSlots).toBe(false);
    expect(run(["--no-slots", "--slots"]).server.endpointSlots).toBe(true);
    expect(run(["--slots", "--no-slots"]).server.endpointSlots).toBe(false);
  });

  test("LLAMA_ARG_ENDPOINT_SLOTS=0 turns it off; a flag overrides the variable", () => {
    expect(run([], { LLAMA_ARG_ENDPOINT_SLOTS: "0" }).server.endpointSlots).toBe(false);
    expect(run([], { LLAMA_ARG_ENDPOINT_SLOTS: "enabled" }).server.endpointSlots).toBe(true);
    expect(run(["--slots"], { LLAMA_ARG_ENDPOINT_SLOTS: "0" }).server.endpointSlots).toBe(true);
    expect(cliError([], { LLAMA_ARG_ENDPOINT_SLOTS: "maybe" })).toContain("LLAMA_ARG_ENDPOINT_SLOTS");
  });
});

describe("API keys", () => {
  const dir = mkdtempSync(join(tmpdir(), "llama-sim-dropin-"));

  test("--api-key and --api-key-file add up; LLAMA_API_KEY is llama-server's variable", () => {
    const file = join(dir, "keys.txt");
    writeFileSync(file, "# team keys\nfile-key-1\n\n  file-key-2  \n");
    expect(run(["--api-key", "a,b", "--api-key-file", file]).server.apiKeys).toEqual(["a", "b", "file-key-1", "file-key-2"]);
    expect(run([], { LLAMA_API_KEY: "from-env" }).server.apiKeys).toEqual(["from-env"]);
    expect(run([]).server.apiKeys).toEqual([]);
    // Each --api-key adds a key, as in llama-server.
    expect(run(["--api-key", "one", "--api-key", "two,three"]).server.apiKeys).toEqual(["one", "two", "three"]);
  });

  test("an unreadable key file is an error naming the flag", () => {
    expect(cliError(["--api-key-file", join(dir, "missing.txt")])).toContain("--api-key-file");
  });

  test("--api-prefix is normalised to /path", () => {
    expect(run(["--api-prefix", "llm"]).server.apiPrefix).toBe("/llm");
    expect(run(["--api-prefix", "//a/b//"]).server.apiPrefix).toBe("/a/b");
    expect(run(["--api-prefix", "/"]).server.apiPrefix).toBe("");
    expect(cliError(["--api-prefix", "/a b"])).toContain("--api-prefix");
  });

  test("LLAMA_ARG_MODEL gives model_path when -m is absent", () => {
    expect(run([], { LLAMA_ARG_MODEL: "/m/env.gguf" }).server.modelPath).toBe("/m/env.gguf");
    expect(run(["-m", "flag.gguf"], { LLAMA_ARG_MODEL: "/m/env.gguf" }).server.modelPath).toBe("flag.gguf");
  });
});

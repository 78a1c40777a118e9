// The binary's command line: --help, --version, one-line errors for bad values, and a start under `env -i`.
import { afterAll, describe, expect, test } from "bun:test";
import packageJson from "../../package.json" with { type: "json" };
import { FLAGS } from "../../src/cli-flags.ts";
import { readFileSync } from "node:fs";
import { AIME_FILE, AIME_FILE_REL, BINARY, ROOT, assertBinary, evalBody, lastBoxed, loadAime, postJson, runToExit, startSim, stopAll } from "./harness.ts";

afterAll(stopAll);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("--help", () => {
  test("exits 0 and lists every flag in FLAGS with its environment variable", async () => {
    const run = await runToExit(["--help"]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.split("\n");
    // A flag's entry starts on a line of its own (`  -a, --alias NAME ...` or `      --host ADDR ...`)
    // and runs until the next flag's entry.
    const starts = FLAGS.map((flag) => {
      const head = new RegExp(`^\\s*(?:-${flag.short ?? "\\w"},\\s*)?--${escape(flag.name)}(?![\\w-])`);
      const at = lines.findIndex((line) => head.test(line));
      expect({ flag: flag.name, foundAtLine: at }).not.toMatchObject({ foundAtLine: -1 });
      return at;
    });
    FLAGS.forEach((flag, i) => {
      const start = starts[i]!;
      const next = Math.min(...starts.filter((s) => s > start), lines.length);
      const entry = lines.slice(start, next).join("\n");
      if (flag.short) expect(entry).toMatch(new RegExp(`-${flag.short},\\s*--${escape(flag.name)}`));
      if (flag.env) expect({ flag: flag.name, entry }).toMatchObject({ entry: expect.stringContaining(flag.env) });
    });
    // -h is the same as --help.
    const short = await runToExit(["-h"]);
    expect(short.exitCode).toBe(0);
    expect(short.stdout).toBe(run.stdout);
  });
});

describe("--version", () => {
  test("prints the package version, the git commit it was built from and the Bun version", async () => {
    const run = await runToExit(["--version"]);
    expect(run.exitCode).toBe(0);
    const out = run.stdout.trim();
    expect(out.split("\n")).toHaveLength(1);
    expect(out).toContain(packageJson.version);
    expect(out).toContain(`Bun ${Bun.version}`); // compiled with the same pinned Bun that runs these tests
    const commit = /commit ([0-9a-f]{7,40})(-dirty)?\b/.exec(out)?.[1];
    expect(commit).toBeDefined();
    // It names a real commit of this repository, not a placeholder.
    const check = Bun.spawnSync(["git", "cat-file", "-e", `${commit}^{commit}`], { cwd: ROOT });
    expect(check.exitCode).toBe(0);
  });
});

describe("bad values exit non-zero with one stderr line naming the flag", () => {
  const cases: { name: string; args: string[]; env?: Record<string, string>; names: string; code?: number }[] = [
    { name: "--success-rate 1.5", args: ["--success-rate", "1.5"], names: "--success-rate", code: 2 },
    { name: "--port abc", args: ["--port", "abc"], names: "--port", code: 2 },
    { name: "--foo (unknown flag)", args: ["--foo"], names: "--foo", code: 2 },
    { name: "--dataset-file /nonexistent.jsonl", args: ["--dataset-file", "/nonexistent.jsonl"], names: "--dataset-file" },
    { name: "LLAMA_SIM_SUCCESS_RATE=2", args: [], env: { LLAMA_SIM_SUCCESS_RATE: "2" }, names: "LLAMA_SIM_SUCCESS_RATE", code: 2 },
    { name: "--seed -1", args: ["--seed", "-1"], names: "--seed", code: 2 },
    { name: "--dataset nonsense", args: ["--dataset", "nonsense"], names: "--dataset", code: 2 },
    { name: "LLAMA_SIM_DATASET=nonsense", args: [], env: { LLAMA_SIM_DATASET: "nonsense" }, names: "LLAMA_SIM_DATASET", code: 2 },
    { name: "--max-body-bytes 0", args: ["--max-body-bytes", "0"], names: "--max-body-bytes", code: 2 },
    { name: "--datasets-server ftp://x", args: ["--datasets-server", "ftp://x"], names: "--datasets-server", code: 2 },
    { name: "--alias without a value", args: ["--alias"], names: "--alias", code: 2 },
    { name: "--quiet=1 (a boolean flag given a value)", args: ["--quiet=1"], names: "--quiet", code: 2 },
    { name: "LLAMA_SIM_QUIET=maybe", args: [], env: { LLAMA_SIM_QUIET: "maybe" }, names: "LLAMA_SIM_QUIET", code: 2 },
    { name: "stray positional argument", args: ["extra"], names: "extra", code: 2 },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      // --offline (with an empty cache) guarantees no network and no listening even if parsing wrongly succeeded.
      const run = await runToExit(["--offline", ...c.args], { env: c.env ?? {} });
      expect(run.exitCode).not.toBe(0);
      expect(run.exitCode).not.toBeNull(); // exited, not killed by the timeout
      if (c.code !== undefined) expect(run.exitCode).toBe(c.code);
      expect(run.stderrLines).toHaveLength(1);
      expect(run.stderrLines[0]).toStartWith("llama-sim: ");
      expect(run.stderrLines[0]).toContain(c.names);
      expect(run.stdout).toBe("");
    });
  }

  test("--dataset-file /nonexistent.jsonl mentions the file is missing", async () => {
    const run = await runToExit(["--dataset-file", "/nonexistent.jsonl", "--port", "0"]);
    expect(run.stderrLines).toHaveLength(1);
    expect(run.stderrLines[0]).toContain("/nonexistent.jsonl");
    expect(run.stderrLines[0]).toMatch(/not found|no such file|does not exist/i);
  });
});

describe("ports", () => {
  test("a port already in use exits non-zero with one line naming --port, instead of sharing the port", async () => {
    const first = await startSim({ args: ["--dataset-file", AIME_FILE_REL, "--quiet"] });
    const run = await runToExit(["--dataset-file", AIME_FILE_REL, "--port", String(first.port), "--host", first.host, "--quiet"], { timeoutMs: 3_000 });
    // A second simulator silently sharing the port (SO_REUSEPORT) would split a harness's requests
    // between two configurations; llama-server refuses to start instead.
    expect({ exitCode: run.exitCode, signal: run.signalCode, stderr: run.stderr }).toMatchObject({ exitCode: expect.any(Number), signal: null });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderrLines.at(-1) ?? "").toContain("--port");
    expect(first.alive).toBe(true);
    await first.stop();
  });
});

describe("environment variables", () => {
  test("every setting can come from its variable, and a flag overrides its variable", async () => {
    const sim = await startSim({
      args: ["--success-rate", "1"],
      env: {
        LLAMA_SIM_DATASET_FILE: AIME_FILE_REL,
        LLAMA_SIM_SUCCESS_RATE: "0", // overridden by the flag
        LLAMA_SIM_SEED: "99",
        LLAMA_ARG_ALIAS: "envmodel",
        LLAMA_SIM_QUIET: "on",
        LLAMA_ARG_PORT: "1", // overridden by --port 0 from the harness
      },
    });
    expect(sim.port).not.toBe(1);
    expect(sim.banner.seed).toBe("99");
    expect(sim.banner["success rate"]).toBe("1");
    expect(sim.banner.model).toBe("envmodel");
    const models = (await (await fetch(`${sim.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(["envmodel"]);
    const q = loadAime()[12]!;
    const res = await postJson(`${sim.url}/v1/chat/completions`, evalBody(q.problem, { model: "something-else" }));
    const body = (await res.json()) as { model: string; choices: { message: { content: string } }[] };
    expect(body.model).toBe("envmodel"); // the server's alias, not the request's model
    expect(lastBoxed(body.choices[0]!.message.content)).toBe(q.gold);
    // SIGINT is a clean stop too, with the summary; LLAMA_SIM_QUIET=on left no request lines.
    expect(await sim.stop("SIGINT")).toBe(0);
    const after = sim.stderrLines.slice(sim.bannerEnd);
    expect(after.some((l) => /SIGINT.*answered 1 matched requests, 1 correctly/.test(l))).toBe(true);
    expect(after.filter((l) => /\b(GET|POST) \//.test(l))).toEqual([]);
  });
});

describe("env -i", () => {
  test("starts with an empty environment and answers /health", async () => {
    assertBinary();
    // Exactly `env -i ./llama-sim --dataset-file ../shared/... --port 0`: no PATH, no HOME, nothing.
    const proc = Bun.spawn([BINARY, "--dataset-file", AIME_FILE_REL, "--port", "0"], {
      cwd: ROOT,
      env: {},
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      const reader = proc.stderr.getReader();
      const decoder = new TextDecoder();
      let text = "";
      const deadline = Date.now() + 10_000;
      let port: string | undefined;
      while (port === undefined && Date.now() < deadline) {
        const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => undefined)]);
        if (chunk === undefined || chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
        port = /llama-sim listening on http:\/\/[^\s:]+:(\d+)/.exec(text)?.[1];
      }
      expect({ port, stderr: text }).toMatchObject({ port: expect.stringMatching(/^\d+$/) });
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
      reader.releaseLock();
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
    expect(proc.exitCode).toBe(0); // SIGTERM is a clean shutdown
  });
});

describe("allocator tuning (src/tuning.ts)", () => {
  const environOf = (pid: number) => new Map(readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));

  test("the binary serves from the pid it was started as, with MIMALLOC_PURGE_DELAY=-1 added", async () => {
    const sim = await startSim({ args: ["--dataset-file", AIME_FILE] });
    expect(environOf(sim.proc.pid).get("MIMALLOC_PURGE_DELAY")).toBe("-1");
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
    expect(await sim.stop()).toBe(0);
  });

  test("a MIMALLOC_PURGE_DELAY the user set is kept as given", async () => {
    const sim = await startSim({ args: ["--dataset-file", AIME_FILE], env: { MIMALLOC_PURGE_DELAY: "10" } });
    expect(environOf(sim.proc.pid).get("MIMALLOC_PURGE_DELAY")).toBe("10");
    expect(await sim.stop()).toBe(0);
  });
});

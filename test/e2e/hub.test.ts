// The default dataset from a (fake) HF datasets-server: fetch, cache, offline, tokens, 401 and retries.
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startFakeDatasetsServer, type FakeDatasetsServer } from "../fixtures/fake-datasets-server.ts";
import { evalBody, expectError, lastBoxed, loadAime, postJson, runToExit, startSim, stopAll, tempDir, type Sim } from "./harness.ts";

const aime = loadAime();
const REPO = "AI-MO/aimo-validation-aime";

let fakes: FakeDatasetsServer[] = [];
function fake(): FakeDatasetsServer {
  const f = startFakeDatasetsServer();
  fakes.push(f);
  return f;
}

afterEach(async () => {
  await Promise.all(fakes.map((f) => f.stop()));
  fakes = [];
});
afterAll(stopAll);

const rowsRequests = (f: FakeDatasetsServer) => f.requests.filter((r) => r.path === "/rows");

async function answersCorrectly(sim: Sim, indices: readonly number[]): Promise<void> {
  for (const i of indices) {
    const q = aime[i]!;
    const res = await postJson(`${sim.url}/v1/chat/completions`, evalBody(q.problem));
    const text = await res.text();
    expect({ status: res.status, text }).toMatchObject({ status: 200 });
    const content = (JSON.parse(text) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    expect({ q: q.id, boxed: lastBoxed(content) }).toEqual({ q: q.id, boxed: q.gold });
  }
}

describe("default dataset (aime) through the datasets-server", () => {
  test("fetches 90 questions, answers, then serves from the cache without touching the server", async () => {
    const f = fake();
    const cacheDir = tempDir("hub-cache");
    const args = ["--datasets-server", f.url, "--success-rate", "1", "--seed", "1", "--quiet"];

    const first = await startSim({ args, cacheDir });
    expect(first.banner.questions).toMatch(/^90\b/);
    expect(first.banner.dataset).toContain("from hub");
    const fetched = rowsRequests(f);
    expect(fetched.length).toBeGreaterThan(0);
    for (const r of fetched) {
      expect(r.params).toMatchObject({ dataset: REPO, config: "default", split: "train" });
      expect(r.status).toBe(200);
      expect(r.userAgent ?? "").toStartWith("llama-sim/");
      expect(r.authorization).toBeNull(); // no HF_TOKEN, no header
    }
    await answersCorrectly(first, [0, 45, 89]);
    expect(await first.stop()).toBe(0);

    // Second start, server still up: the cache answers, zero new requests.
    const before = f.requests.length;
    const second = await startSim({ args, cacheDir });
    expect(second.banner.questions).toMatch(/^90\b/);
    expect(second.banner.dataset).toContain("from cache");
    await answersCorrectly(second, [1, 60]);
    expect(f.requests.length).toBe(before);
    await second.stop();

    // Third start with the server gone: still works.
    await f.stop();
    const third = await startSim({ args, cacheDir });
    expect(third.banner.questions).toMatch(/^90\b/);
    expect(third.banner.dataset).toContain("from cache");
    await answersCorrectly(third, [2, 88]);
    // And --offline is happy with the cache, too.
    await third.stop();
    const offline = await startSim({ args: [...args, "--offline"], cacheDir });
    expect(offline.banner.questions).toMatch(/^90\b/);
    await answersCorrectly(offline, [3]);
    await offline.stop();
  });

  test("a corrupt cache file is reported and fetched again (with --offline: the embedded snapshot, with a notice)", async () => {
    const f = fake();
    const cacheDir = tempDir("corrupt-cache");
    const args = ["--datasets-server", f.url, "--success-rate", "1", "--quiet"];
    await (await startSim({ args, cacheDir })).stop();
    const files = [...new Bun.Glob("**/*.json").scanSync({ cwd: cacheDir })];
    expect(files).toHaveLength(1); // one cache file, no temp files left behind
    const path = join(cacheDir, files[0]!);
    const good = await Bun.file(path).text();
    await Bun.write(path, good.slice(0, good.length >> 1)); // truncated

    const offline = await startSim({ args: [...args, "--offline"], cacheDir });
    expect(offline.stderrLines.slice(0, offline.bannerEnd).some((l) => /corrupt .* --offline is set: serving aime from the embedded snapshot/i.test(l))).toBe(true);
    expect(offline.banner.dataset).toContain("embedded");
    await answersCorrectly(offline, [11]);
    await offline.stop();

    const before = rowsRequests(f).length;
    const sim = await startSim({ args, cacheDir });
    expect(sim.stderrLines.slice(0, sim.bannerEnd).some((l) => /corrupt/i.test(l))).toBe(true);
    expect(sim.banner.dataset).toContain("from hub");
    expect(rowsRequests(f).length).toBeGreaterThan(before);
    await answersCorrectly(sim, [11]);
    await sim.stop();
    // Rewritten whole.
    expect(JSON.parse(await Bun.file(path).text()).rows).toHaveLength(90);
  });

  // aime2026 has no embedded snapshot (an embedded preset falls back to it: test/e2e/datasets.test.ts).
  test("--offline with an empty cache exits non-zero with one clear line and no request", async () => {
    const f = fake();
    const cacheDir = tempDir("empty-cache");
    const run = await runToExit(["--offline", "--dataset", "aime2026", "--datasets-server", f.url, "--cache-dir", cacheDir, "--port", "0"]);
    expect(run.exitCode).not.toBe(0);
    expect(run.exitCode).not.toBeNull();
    expect(run.stderrLines).toHaveLength(1);
    expect(run.stderrLines[0]).toStartWith("llama-sim: ");
    expect(run.stderrLines[0]).toMatch(/offline/i);
    expect(run.stderrLines[0]).toMatch(/cache/i);
    expect(f.requests).toHaveLength(0);

    // HF_HUB_OFFLINE=1 means the same.
    const viaEnv = await runToExit(["--dataset", "aime2026", "--datasets-server", f.url, "--cache-dir", cacheDir, "--port", "0"], { env: { HF_HUB_OFFLINE: "1" } });
    expect(viaEnv.exitCode).not.toBe(0);
    expect(viaEnv.stderrLines).toHaveLength(1);
    expect(f.requests).toHaveLength(0);
  });

  test("HF_TOKEN is sent as a Bearer token", async () => {
    const f = fake();
    f.setFaults({ requireToken: "hf_e2e_secret" });
    const sim = await startSim({ args: ["--datasets-server", f.url, "--quiet"], env: { HF_TOKEN: "hf_e2e_secret" } });
    expect(sim.banner.questions).toMatch(/^90\b/);
    const rows = rowsRequests(f);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.authorization).toBe("Bearer hf_e2e_secret");
    // The token never shows up in the banner or logs.
    expect(sim.stderrLines.join("\n")).not.toContain("hf_e2e_secret");
    await sim.stop();
    expect(sim.stderrLines.join("\n")).not.toContain("hf_e2e_secret");
  });

  test("401 without HF_TOKEN exits non-zero with a message mentioning HF_TOKEN", async () => {
    const f = fake();
    f.setFaults({ requireToken: "hf_e2e_secret" });
    const run = await runToExit(["--datasets-server", f.url, "--cache-dir", tempDir("c401"), "--port", "0"]);
    expect(run.exitCode).not.toBe(0);
    expect(run.exitCode).not.toBeNull();
    const lastLine = run.stderrLines.at(-1) ?? "";
    expect(lastLine).toStartWith("llama-sim: ");
    expect(lastLine).toContain("HF_TOKEN");
    expect(lastLine).toContain("401");
    expect(rowsRequests(f)).toHaveLength(1); // 401 is not retried
  });

  test("401 with a wrong HF_TOKEN exits non-zero, mentions HF_TOKEN and does not print the token", async () => {
    const f = fake();
    f.setFaults({ requireToken: "hf_e2e_secret" });
    const run = await runToExit(["--datasets-server", f.url, "--cache-dir", tempDir("c401b"), "--port", "0"], { env: { HF_TOKEN: "hf_wrong_token" } });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderrLines.at(-1) ?? "").toContain("HF_TOKEN");
    expect(run.stderr).not.toContain("hf_wrong_token");
  });

  test("429s with Retry-After: 0 are retried and the load succeeds", async () => {
    const f = fake();
    f.setFaults({ tooManyRequests: 2, retryAfter: "0" });
    const sim = await startSim({ args: ["--datasets-server", f.url, "--success-rate", "1", "--quiet"] });
    expect(sim.banner.questions).toMatch(/^90\b/);
    expect(rowsRequests(f).filter((r) => r.status === 429)).toHaveLength(2);
    expect(sim.stderrLines.slice(0, sim.bannerEnd).some((l) => /429/.test(l) && /retry/i.test(l))).toBe(true);
    await answersCorrectly(sim, [7]);
    await sim.stop();
  });

  test("an unknown dataset fails at once with one line naming it", async () => {
    const f = fake();
    const run = await runToExit(["--dataset", "nobody/nothing", "--datasets-server", f.url, "--cache-dir", tempDir("cx"), "--port", "0"]);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderrLines.at(-1) ?? "").toContain("nobody/nothing");
    expect(rowsRequests(f)).toHaveLength(1);
  });

  test("the served simulator still refuses non-questions", async () => {
    const f = fake();
    const sim = await startSim({ args: ["--datasets-server", f.url, "--quiet"] });
    await expectError(await postJson(`${sim.url}/v1/chat/completions`, { messages: [{ role: "user", content: "hi" }] }), 400, "invalid_request_error");
    await sim.stop();
  });
});

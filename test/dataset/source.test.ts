// Where a dataset comes from: --dataset-file, the cache, the datasets-server, the embedded snapshot (--source,
// --offline), and several datasets served as one.
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseCli } from "../../src/cli.ts";
import type { Config } from "../../src/config.ts";
import { describeDataset, loadChosenDataset } from "../../src/dataset/choose.ts";
import { combineParts } from "../../src/dataset/combine.ts";
import { embeddedSnapshot } from "../../src/dataset/embedded.ts";
import { loadDataset } from "../../src/dataset/load.ts";
import { resolveDataset } from "../../src/dataset/presets.ts";
import { memoisedProbe } from "../../src/dataset/reach.ts";
import { DatasetError, type DatasetPart, type HubOptions } from "../../src/dataset/types.ts";
import { GATED_TOKEN, SHARED_DATASETS, startFakeDatasetsServer, startSilentServer } from "../fixtures/fake-datasets-server.ts";
import { hubOptions, recorder, tempDir } from "./helpers.ts";

const server = startFakeDatasetsServer();
const silent = startSilentServer();
const dirs = tempDir();
let refused = "";
afterAll(async () => {
  silent.stop();
  await server.stop();
  dirs.cleanup();
});
beforeEach(async () => {
  server.setFaults({});
  server.requests.length = 0;
  if (refused === "") {
    const gone = startFakeDatasetsServer();
    await gone.stop();
    refused = gone.url;
  }
});

let n = 0;
const freshCache = () => join(dirs.path, `c${n++}`);
const opts = (extra: Partial<HubOptions> = {}, url = server.url) => hubOptions(url, freshCache(), extra);
const rowsRequests = () => server.requests.filter((r) => r.path === "/rows");
const probes = () => server.requests.filter((r) => r.path === "/healthcheck");
const AIME_SNAPSHOT = embeddedSnapshot("aime")!;

describe("--source auto (the default): cache, datasets-server, then the snapshot when the server is unreachable", () => {
  test("empty cache: one probe, then the download; the next start uses the cache and sends nothing", async () => {
    const o = opts();
    const first = await loadDataset(resolveDataset("aime"), o);
    expect(first.parts).toEqual([{ name: "aime", config: "default", split: "train", origin: "hub", count: 90, partial: false }]);
    expect([probes().length, rowsRequests().length]).toEqual([1, 1]);
    const second = await loadDataset(resolveDataset("aime"), { ...o, log: () => {} });
    expect(second.origin).toBe("cache");
    expect(server.requests).toHaveLength(2);
  });

  test("refused connection: the embedded snapshot at once, with a one-line notice naming it and its date", async () => {
    const o = opts({}, refused);
    const started = performance.now();
    const ds = await loadDataset(resolveDataset("aime"), o);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(ds.parts).toEqual([
      { name: "aime", config: "default", split: "train", origin: "embedded", count: 90, partial: false, snapshotDate: AIME_SNAPSHOT.header.date },
    ]);
    expect(ds.origin).toBe("embedded");
    expect(ds.questions.map(({ dataset, ...q }) => [dataset, q])).toEqual(AIME_SNAPSHOT.questions.map((q) => ["aime", q]));
    expect(o.lines).toEqual([
      `cannot reach the datasets-server at ${refused} (connection refused): serving aime from the embedded snapshot of ${AIME_SNAPSHOT.header.date} (90 questions)`,
    ]);
  });

  test("a black hole (accepts, never answers): the snapshot after the probe's timeout, not after retries", async () => {
    const o = opts({ reach: memoisedProbe(300) }, silent.url);
    const started = performance.now();
    const ds = await loadDataset(resolveDataset("gsm8k"), o);
    const elapsed = performance.now() - started;
    expect(ds.parts[0]).toMatchObject({ origin: "embedded", count: 1319 });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    expect(o.lines[0]).toContain("(no response within 0.3 s): serving gsm8k from the embedded snapshot");
  });

  test("a reachable server's 401 stays an error: no silent fallback", async () => {
    server.setFaults({ requireToken: "hf_right" });
    const err = await loadDataset(resolveDataset("aime"), opts()).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toContain("HF_TOKEN");
    expect(rowsRequests().map((r) => r.status)).toEqual([401]);
  });

  test("a reachable server's 404 stays an error", async () => {
    const root = join(dirs.path, "empty-root");
    mkdirSync(join(root, "aimo-validation-aime"), { recursive: true });
    const bare = startFakeDatasetsServer({ root });
    try {
      const err = await loadDataset(resolveDataset("aime"), opts({}, bare.url)).catch((e) => e);
      expect(err.message).toStartWith("no such dataset, config or split: dataset=AI-MO/aimo-validation-aime");
    } finally {
      await bare.stop();
    }
  });

  test("429 is retried as before, then the load succeeds from the hub", async () => {
    server.setFaults({ tooManyRequests: 2, retryAfter: "0" });
    const ds = await loadDataset(resolveDataset("aime2024"), opts());
    expect(ds.origin).toBe("hub");
    expect(rowsRequests().map((r) => r.status)).toEqual([429, 429, 200]);
  });

  test("unreachable and no snapshot (gated gpqa, aime2026, an HF id, an overridden preset): one clear error", async () => {
    const cases: [string, Parameters<typeof resolveDataset>[1], string][] = [
      ["gpqa", {}, "gpqa has no embedded snapshot (gated datasets never are; embedded: aime, aime2024, aime2025, gsm8k, math500)"],
      ["aime2026", {}, "aime2026 has no embedded snapshot (embedded: aime, aime2024, aime2025, gsm8k, math500); use a cached copy or --dataset-file"],
      ["someone/data", {}, "someone/data has no embedded snapshot"],
      ["gsm8k", { split: "train" }, "the embedded snapshot of gsm8k holds only its own config, split and fields (main/test)"],
      ["aime", { fields: { question: "solution" } }, "the embedded snapshot of aime holds only its own config, split and fields"],
    ];
    for (const [name, overrides, reason] of cases) {
      const err = await loadDataset(resolveDataset(name, overrides), opts({}, refused)).catch((e) => e);
      expect(err).toBeInstanceOf(DatasetError);
      expect(err.message).toStartWith(`cannot reach the datasets-server at ${refused} (connection refused), and `);
      expect(err.message).toContain(reason);
    }
  });

  test("aime2025 with one config cached and the server unreachable: the whole snapshot, not a mix", async () => {
    const cacheDir = freshCache();
    await loadDataset([resolveDataset("aime2025")[0]!], hubOptions(server.url, cacheDir));
    const ds = await loadDataset(resolveDataset("aime2025"), hubOptions(refused, cacheDir));
    expect(ds.parts[0]).toMatchObject({ origin: "embedded", count: 30, config: "AIME2025-I+AIME2025-II" });
    expect(ds.questions.map((q) => q.id).slice(14, 16)).toEqual(["AIME2025-I/14", "AIME2025-II/0"]);
  });
});

describe("--offline: the cache, then the snapshot", () => {
  test("empty cache: the snapshot, no request at all, and a notice", async () => {
    const o = opts({ offline: true });
    const ds = await loadDataset(resolveDataset("math500"), o);
    expect(ds.parts[0]).toMatchObject({ origin: "embedded", count: 500 });
    expect(server.requests).toHaveLength(0);
    expect(o.lines).toEqual([
      `HuggingFaceH4/MATH-500 (default/test) is not in the cache and --offline is set: serving math500 from the embedded snapshot of ${embeddedSnapshot("math500")!.header.date} (500 questions)`,
    ]);
  });

  test("a cached copy wins over the snapshot", async () => {
    const cacheDir = freshCache();
    await loadDataset(resolveDataset("aime"), hubOptions(server.url, cacheDir));
    const ds = await loadDataset(resolveDataset("aime"), hubOptions(server.url, cacheDir, { offline: true }));
    expect(ds.origin).toBe("cache");
  });
});

describe("--source hub | cache | embedded force one place", () => {
  test("hub: fetches even with a cached copy (refreshing it); contradicts --offline", async () => {
    const cacheDir = freshCache();
    await loadDataset(resolveDataset("aime"), hubOptions(server.url, cacheDir));
    const ds = await loadDataset(resolveDataset("aime"), hubOptions(server.url, cacheDir, { source: "hub" }));
    expect(ds.origin).toBe("hub");
    expect(rowsRequests()).toHaveLength(2);
    const err = await loadDataset(resolveDataset("aime"), opts({ source: "hub", offline: true })).catch((e) => e);
    expect(err.message).toBe("--source hub needs the datasets-server, but --offline is set");
  });

  test("hub: an unreachable server is not replaced by the snapshot", async () => {
    const o = opts({ source: "hub", retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }, refused);
    const err = await loadDataset(resolveDataset("aime"), o).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toContain(`cannot reach ${refused}`);
  });

  test("cache: a miss is an error naming --source cache; a hit loads without any request", async () => {
    const cacheDir = freshCache();
    const err = await loadDataset(resolveDataset("aime"), hubOptions(server.url, cacheDir, { source: "cache" })).catch((e) => e);
    expect(err.message).toMatch(/^AI-MO\/aimo-validation-aime \(default\/train\) is not in the cache at .* and --source cache allows nothing else$/);
    expect(server.requests).toHaveLength(0);
    await loadDataset(resolveDataset("aime"), hubOptions(server.url, cacheDir));
    const before = server.requests.length;
    expect((await loadDataset(resolveDataset("aime"), hubOptions(server.url, cacheDir, { source: "cache" }))).origin).toBe("cache");
    expect(server.requests.length).toBe(before);
  });

  test("embedded: the snapshot without touching cache or server; presets without one are an error naming --source", async () => {
    const ds = await loadDataset(resolveDataset("aime2024"), opts({ source: "embedded" }));
    expect(ds.parts[0]).toMatchObject({ origin: "embedded", count: 30, snapshotDate: embeddedSnapshot("aime2024")!.header.date });
    expect(server.requests).toHaveLength(0);
    for (const [name, overrides] of [["gpqa", {}], ["aime2026", {}], ["aime", { config: "other" }]] as const) {
      const err = await loadDataset(resolveDataset(name, overrides), opts({ source: "embedded" })).catch((e) => e);
      expect(err.message).toStartWith("--source embedded: ");
    }
  });
});

describe("loadChosenDataset: several datasets as one", () => {
  const configFor = (args: string[], env: Record<string, string> = {}): Config => {
    const cli = parseCli(["--cache-dir", freshCache(), ...args], env);
    if (cli.kind !== "run") throw new Error("not a run");
    return cli.config;
  };
  const io = () => ({ ...recorder(), progress: false });

  test("aime,gsm8k,gpqa: concatenated in order, dense index, dataset on every question, prefixed unique ids", async () => {
    const config = configFor(["--dataset", "aime,gsm8k,gpqa", "--datasets-server", server.url], { HF_TOKEN: GATED_TOKEN });
    const ds = await loadChosenDataset(config, io());
    expect(ds.parts.map((p) => [p.name, p.origin, p.count])).toEqual([
      ["aime", "hub", 90],
      ["gsm8k", "hub", 1319],
      ["gpqa", "hub", 198],
    ]);
    expect(ds.questions).toHaveLength(90 + 1319 + 198);
    expect(ds.questions.every((q, i) => q.index === i)).toBe(true);
    expect(new Set(ds.questions.map((q) => q.id)).size).toBe(ds.questions.length);
    expect([ds.questions[0]!.id, ds.questions[90]!.id, ds.questions[1409]!.id.startsWith("gpqa/rec")]).toEqual(["aime/0", "gsm8k/0", true]);
    expect(ds.questions.slice(85, 95).map((q) => q.dataset)).toEqual([...Array(5).fill("aime"), ...Array(5).fill("gsm8k")]);
    expect(ds.name).toBe("aime, gsm8k, gpqa");
    expect(probes()).toHaveLength(1); // one probe for all three
  });

  test("a single dataset keeps its own ids and names itself on every question", async () => {
    const ds = await loadChosenDataset(configFor(["--source", "embedded"]), io());
    expect(ds.parts).toHaveLength(1);
    expect(ds.questions[6]).toMatchObject({ id: "6", answer: "33", dataset: "aime" });
  });

  test("several datasets and an unreachable server: every snapshot, but one probe's wait", async () => {
    const config = configFor(["--dataset", "aime,gsm8k,math500", "--datasets-server", silent.url]);
    const rec = io();
    const started = performance.now();
    const ds = await loadChosenDataset(config, rec);
    const elapsed = performance.now() - started;
    expect(ds.parts.map((p) => p.origin)).toEqual(["embedded", "embedded", "embedded"]);
    expect(elapsed).toBeGreaterThanOrEqual(2900); // the probe's 3 s...
    expect(elapsed).toBeLessThan(5500); // ...once, not three times
    expect(rec.lines).toHaveLength(3);
  });

  test("mixed origins: the banner line names each part; the dataset-level origin follows file > hub > embedded > cache", async () => {
    const cacheDir = freshCache();
    await loadDataset(resolveDataset("aime2024"), hubOptions(server.url, cacheDir));
    const config = configFor(["--dataset", "aime2024,aime2025", "--datasets-server", refused, "--cache-dir", cacheDir]);
    const ds = await loadChosenDataset(config, io());
    const date = embeddedSnapshot("aime2025")!.header.date;
    expect(ds.origin).toBe("embedded");
    expect(describeDataset(ds)).toBe(
      `aime2024 (config default, split train, from cache, 30 questions); aime2025 (config AIME2025-I+AIME2025-II, split test, from the embedded snapshot of ${date}, 30 questions)`,
    );
  });

  test("--dataset-file always wins: over the names, --source and an unreachable server", async () => {
    const path = join(SHARED_DATASETS, "AIME2025/AIME2025-II/test.jsonl");
    const config = configFor(["--dataset", "gpqa", "--source", "embedded", "--dataset-file", path, "--datasets-server", refused]);
    const ds = await loadChosenDataset(config, io());
    expect(ds.parts).toEqual([{ name: path, config: "", split: "", origin: "file", count: 15, partial: false }]);
    expect(describeDataset(ds)).toBe(path);
    expect(ds.questions[4]).toMatchObject({ answer: "336", dataset: path, id: "4" });
  });

  test("a file's errors name --dataset-file", async () => {
    const err = await loadChosenDataset(configFor(["--dataset-file", join(dirs.path, "none.jsonl")]), io()).catch((e) => e);
    expect(err.message).toStartWith("--dataset-file: dataset file not found: ");
  });
});

describe("combineParts", () => {
  const part = (name: string, origin: DatasetPart["origin"], count: number): DatasetPart => ({ name, config: "c", split: "s", origin, count, partial: false });
  const q = (id: string, dataset: string) => ({ index: 0, id, text: `text ${id}`, answer: "1", dataset });

  test("ids that would repeat get #2, #3; several parts are prefixed; the index is dense", () => {
    const ds = combineParts([
      { part: part("x", "cache", 3), questions: [q("1", "x"), q("1", "x"), q("1", "x")] },
      { part: part("y", "hub", 1), questions: [q("1", "y")] },
    ]);
    expect(ds.questions.map((x) => [x.index, x.id])).toEqual([
      [0, "x/1"],
      [1, "x/1#2"],
      [2, "x/1#3"],
      [3, "y/1"],
    ]);
    expect([ds.origin, ds.config, ds.split]).toEqual(["hub", "c, c", "s, s"]);
    const single = combineParts([{ part: part("x", "cache", 2), questions: [q("a", "x"), q("a", "x")] }]);
    expect(single.questions.map((x) => x.id)).toEqual(["a", "a#2"]);
  });

  test("banner text for one part of each origin", () => {
    const one = (p: DatasetPart) => describeDataset({ parts: [p] });
    expect(one(part("aime", "hub", 90))).toBe("aime (config c, split s, from hub)");
    expect(one(part("aime", "cache", 90))).toBe("aime (config c, split s, from cache)");
    expect(one({ ...part("aime", "embedded", 90), snapshotDate: "2026-11-30" })).toBe("aime (config c, split s, from the embedded snapshot of 2026-11-30)");
    expect(one({ ...part("q.csv", "file", 3), config: "", split: "" })).toBe("q.csv");
  });
});

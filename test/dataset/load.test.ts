import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { cachePath } from "../../src/dataset/cache.ts";
import { loadDataset } from "../../src/dataset/load.ts";
import { resolveDataset } from "../../src/dataset/presets.ts";
import { DatasetError, type Dataset } from "../../src/dataset/types.ts";
import { SHARED_DATASETS, startFakeDatasetsServer } from "../fixtures/fake-datasets-server.ts";
import { hubOptions, tempDir } from "./helpers.ts";

const server = startFakeDatasetsServer();
const cache = tempDir();
afterAll(async () => {
  await server.stop();
  cache.cleanup();
});
beforeEach(() => {
  server.setFaults({});
  server.requests.length = 0;
});

let dirs = 0;
/** A fresh cache directory per test, so tests do not see each other's downloads. */
const freshCache = () => join(cache.path, `c${dirs++}`);
const opts = (cacheDir: string, extra = {}) => hubOptions(server.url, cacheDir, extra);
/** Downloads only: the reachability probe (GET /healthcheck) is counted separately where it matters. */
const rowsRequests = () => server.requests.filter((r) => r.path === "/rows");
const answersOf = (ds: Dataset) => new Map(ds.questions.map((q) => [q.id, q.answer]));

async function jsonl(rel: string): Promise<Record<string, unknown>[]> {
  const text = await Bun.file(join(SHARED_DATASETS, rel)).text();
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

describe("every shared dataset loads through the hub client", () => {
  test("aime: 90 questions, zero-padded answers canonicalised", async () => {
    const ds = await loadDataset(resolveDataset("aime"), opts(freshCache()));
    expect(ds).toMatchObject({ name: "aime", config: "default", split: "train", origin: "hub", partial: false });
    expect(ds.questions).toHaveLength(90);
    const answers = answersOf(ds);
    expect(answers.get("0")).toBe("116");
    expect(answers.get("6")).toBe("33"); // "033"
    expect(answers.get("16")).toBe("4"); // "004"
    expect(answers.get("56")).toBe("35");
    // Every answer equals the file's answer read as an integer.
    const raw = await jsonl("aimo-validation-aime/train.jsonl");
    expect(ds.questions.map((q) => q.answer)).toEqual(raw.map((r) => String(parseInt(r.answer as string, 10))));
    expect(ds.questions[0]!.text).toStartWith("Quadratic polynomials $P(x)$");
    expect(rowsRequests()).toHaveLength(1);
  });

  test("aime2025: 15 + 15, ids per config, II-5 is 336", async () => {
    const o = opts(freshCache());
    const ds = await loadDataset(resolveDataset("aime2025"), o);
    expect(ds).toMatchObject({ name: "aime2025", config: "AIME2025-I+AIME2025-II", split: "test", origin: "hub" });
    expect(ds.questions).toHaveLength(30);
    expect(ds.questions.map((q) => q.index)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(ds.questions[0]).toMatchObject({ id: "AIME2025-I/0", answer: "70" });
    expect(ds.questions[15]).toMatchObject({ id: "AIME2025-II/0", answer: "468" });
    expect(answersOf(ds).get("AIME2025-II/4")).toBe("336");
    expect(ds.questions.every((q) => /^\d+$/.test(q.answer))).toBe(true);
    expect(rowsRequests().map((r) => r.params.config)).toEqual(["AIME2025-I", "AIME2025-II"]);
  });

  test("gsm8k train: 7473 rows in 75 pages; answers are the number after ####", async () => {
    const ds = await loadDataset(resolveDataset("gsm8k", { split: "train" }), opts(freshCache()));
    expect(ds.questions).toHaveLength(7473);
    expect(rowsRequests()).toHaveLength(75);
    expect(ds.questions[0]!.answer).toBe("72"); // Natalia's clips
    expect(ds.questions.every((q) => /^-?\d{1,3}(?:,?\d{3})*$/.test(q.answer))).toBe(true);
    // Thousands separators stay as GSM8K writes them after "####": clients take that text as the gold.
    const raw = await jsonl("gsm8k/main/train.jsonl");
    const withComma = raw.findIndex((r) => /####\s*\d{1,3},\d{3}/.test(r.answer as string));
    expect(withComma).toBeGreaterThanOrEqual(0);
    expect(ds.questions[withComma]!.answer).toBe((raw[withComma]!.answer as string).split("####").at(-1)!.trim());
  });

  test("gsm8k test: 1319 questions", async () => {
    const ds = await loadDataset(resolveDataset("gsm8k"), opts(freshCache()));
    expect(ds).toMatchObject({ config: "main", split: "test" });
    expect(ds.questions).toHaveLength(1319);
    expect(ds.questions[0]).toMatchObject({ id: "0", answer: "18" });
    expect(ds.questions[0]!.text).toStartWith("Janet\u2019s ducks lay 16 eggs per day.");
  });

  test("math500: 500 questions, unique_id ids, LaTeX answers kept", async () => {
    const ds = await loadDataset(resolveDataset("math500"), opts(freshCache()));
    expect(ds.questions).toHaveLength(500);
    expect(new Set(ds.questions.map((q) => q.id)).size).toBe(500);
    const answers = answersOf(ds);
    expect(ds.questions[2]!.answer).toBe("\\frac{14}{3}");
    expect(ds.questions[0]!.answer).toBe("\\left( 3, \\frac{\\pi}{2} \\right)");
    expect(ds.questions[0]!.id).toBe("test/precalculus/807.json");
    expect([...answers.values()]).toContain("\\text{Evelyn}");
  });

  test("aime2024: 30 questions from Problem/Answer (int) with ID ids, also without field flags", async () => {
    const ds = await loadDataset(resolveDataset("aime2024"), opts(freshCache()));
    expect(ds.questions).toHaveLength(30);
    expect(ds.questions[0]).toMatchObject({ id: "2024-II-4", answer: "33" });
    const byId = await loadDataset(resolveDataset("Maxwell-Jia/AIME_2024"), opts(freshCache()));
    expect(byId.questions).toEqual(ds.questions.map((q) => ({ ...q, dataset: "Maxwell-Jia/AIME_2024" })));
  });

  test("aime2026: 30 questions, int answers as strings, problem numbers restart for paper II", async () => {
    const ds = await loadDataset(resolveDataset("aime2026"), opts(freshCache()));
    expect(ds).toMatchObject({ name: "aime2026", config: "default", split: "train", origin: "hub" });
    expect(ds.questions).toHaveLength(30);
    const raw = await jsonl("aime_2026/train.jsonl");
    expect(ds.questions.map((q) => q.answer)).toEqual(raw.map((r) => String(r.answer)));
    expect(ds.questions.slice(0, 3).map((q) => q.answer)).toEqual(["277", "62", "79"]);
    expect(ds.questions.map((q) => q.difficulty)).toEqual([...Array(2)].flatMap(() => Array.from({ length: 15 }, (_, i) => i / 14)));
    expect(ds.questions.every((q) => q.dataset === "aime2026" && q.choices === undefined)).toBe(true);
    // Row 7 starts with a line break upstream; the served text is trimmed, as every question's is.
    expect(ds.questions[6]!.text).toBe((raw[6]!.problem as string).trim());
  });

  test("difficulty from the data: MATH-500 levels, aime urls, aime2024 ids, aime2025 positions", async () => {
    const math = await loadDataset(resolveDataset("math500"), opts(freshCache()));
    const levels = (await jsonl("MATH-500/test.jsonl")).map((r) => ((r.level as number) - 1) / 4);
    expect(math.questions.map((q) => q.difficulty)).toEqual(levels);
    const aime = await loadDataset(resolveDataset("aime"), opts(freshCache()));
    expect(aime.questions.slice(0, 3).map((q) => q.difficulty)).toEqual([0, 9 / 14, 10 / 14]); // problems 1, 10, 11
    const aime2025 = await loadDataset(resolveDataset("aime2025"), opts(freshCache()));
    expect(aime2025.questions.map((q) => q.difficulty)).toEqual([...Array(2)].flatMap(() => Array.from({ length: 15 }, (_, i) => i / 14)));
    const gsm8k = await loadDataset(resolveDataset("gsm8k"), opts(freshCache()));
    expect(gsm8k.questions.every((q) => q.difficulty === undefined)).toBe(true);
  });

  test("a dataset file gives the same questions as the hub", async () => {
    const hub = await loadDataset(resolveDataset("aime"), opts(freshCache()));
    const file = await loadDataset({ kind: "file", path: join(SHARED_DATASETS, "aimo-validation-aime/train.jsonl"), fields: {} }, opts(freshCache()));
    expect(file.origin).toBe("file");
    const path = join(SHARED_DATASETS, "aimo-validation-aime/train.jsonl");
    expect(file.questions).toEqual(hub.questions.map((q) => ({ ...q, dataset: path })));
  });
});

describe("cache", () => {
  test("the second load makes no request and works with the server stopped", async () => {
    const dir = freshCache();
    const first = await loadDataset(resolveDataset("aime2025"), opts(dir));
    expect(rowsRequests()).toHaveLength(2);
    const gone = startFakeDatasetsServer();
    await gone.stop();
    const o = hubOptions(gone.url, dir);
    const second = await loadDataset(resolveDataset("aime2025"), o);
    expect(second.origin).toBe("cache");
    expect(second.questions).toEqual(first.questions);
    expect(rowsRequests()).toHaveLength(2);
    expect(o.lines[0]).toStartWith("using opencompass/AIME2025 (AIME2025-I/test) from the cache (15 rows fetched ");
  });

  test("a cache that cannot be written is a warning, not a failed start", async () => {
    const blocker = join(cache.path, `file${dirs++}`);
    await writeFile(blocker, "not a directory");
    const o = opts(join(blocker, "cache")); // mkdir under a regular file fails
    const ds = await loadDataset(resolveDataset("aime"), o);
    expect(ds.questions).toHaveLength(90);
    expect(ds.origin).toBe("hub");
    expect(o.lines.some((l) => l.startsWith("warning: ") && l.includes("continuing without caching"))).toBe(true);
  });

  test("raw rows are cached, so other field flags work offline", async () => {
    const dir = freshCache();
    await loadDataset(resolveDataset("aime"), opts(dir));
    const ds = await loadDataset(resolveDataset("aime", { fields: { question: "solution" } }), opts(dir, { offline: true }));
    expect(ds.origin).toBe("cache");
    expect(ds.questions[0]!.text).toStartWith("Let $R(x)=P(x)+Q(x).$");
    expect(rowsRequests()).toHaveLength(1);
  });

  test("offline with an empty cache and no snapshot is a clear error, and no request is made", async () => {
    const dir = freshCache();
    const err = await loadDataset(resolveDataset("aime2026"), opts(dir, { offline: true })).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    const path = cachePath(dir, { repo: "MathArena/aime_2026", config: "default", split: "train" });
    expect(err.message).toBe(`MathArena/aime_2026 (default/train) is not in the cache at ${path} and --offline is set`);
    expect(server.requests).toHaveLength(0);
  });

  test.each([
    ["truncated", (s: string) => s.slice(0, 1000), "not valid JSON"],
    ["a flipped byte", (s: string) => s.replace("Quadratic polynomials", "Quadratic polynomialz"), "checksum mismatch"],
  ])("a %s cache file is reported, re-fetched and rewritten", async (_, damage, reason) => {
    const dir = freshCache();
    await loadDataset(resolveDataset("aime"), opts(dir));
    const path = cachePath(dir, { repo: "AI-MO/aimo-validation-aime", config: "default", split: "train" });
    await writeFile(path, damage(await Bun.file(path).text()));

    const o = opts(dir);
    const ds = await loadDataset(resolveDataset("aime"), o);
    expect(ds.origin).toBe("hub");
    expect(ds.questions).toHaveLength(90);
    expect(o.lines).toContain(`cache file ${path} is corrupt (${reason}); re-fetching`);
    expect(rowsRequests()).toHaveLength(2);
    expect((await loadDataset(resolveDataset("aime"), opts(dir, { offline: true }))).origin).toBe("cache");
    expect(readdirSync(dirname(path))).toEqual(["train.json"]);
  });

  test("offline with a corrupt cache file: the embedded snapshot with a notice, else an error naming the file", async () => {
    const dir = freshCache();
    await loadDataset(resolveDataset("aime"), opts(dir));
    const path = cachePath(dir, { repo: "AI-MO/aimo-validation-aime", config: "default", split: "train" });
    await writeFile(path, "{");
    const o = opts(dir, { offline: true });
    const ds = await loadDataset(resolveDataset("aime"), o);
    expect(ds.parts[0]).toMatchObject({ origin: "embedded", count: 90 });
    expect(o.lines.at(-1)).toStartWith(`cache file ${path} is corrupt (not valid JSON) and --offline is set: serving aime from the embedded snapshot`);
    // GSM8K's train split has no snapshot (only test is embedded).
    await loadDataset(resolveDataset("gsm8k", { split: "train" }), opts(dir));
    const train = cachePath(dir, { repo: "openai/gsm8k", config: "main", split: "train" });
    await writeFile(train, "{");
    const err = await loadDataset(resolveDataset("gsm8k", { split: "train" }), opts(dir, { offline: true })).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toBe(`cache file ${train} is corrupt (not valid JSON) and --offline is set`);
    expect(rowsRequests().length).toBeGreaterThan(1);
  });

  test("a failed fetch writes no cache file", async () => {
    const dir = freshCache();
    server.setFaults({ unauthorized: true });
    await expect(loadDataset(resolveDataset("aime"), opts(dir))).rejects.toThrow("HF_TOKEN");
    server.setFaults({});
    await expect(loadDataset(resolveDataset("aime"), opts(dir, { source: "cache" }))).rejects.toThrow("is not in the cache");
  });
});

describe("dataset-level checks", () => {
  test("a dataset whose rows all lack a question is an error; skipped rows are logged", async () => {
    const dir = tempDir();
    try {
      const empty = join(dir.path, "empty.jsonl");
      await Bun.write(empty, '{"problem":"","answer":"1"}\n{"problem":"  ","answer":"2"}\n');
      await expect(loadDataset({ kind: "file", path: empty, fields: {} }, opts(freshCache()))).rejects.toThrow(
        new DatasetError(`dataset ${empty} has no questions`),
      );
      const some = join(dir.path, "some.jsonl");
      await Bun.write(some, '{"problem":"","answer":"1"}\n{"problem":"ok?","answer":"2"}\n');
      const o = opts(freshCache());
      const ds = await loadDataset({ kind: "file", path: some, fields: {} }, o);
      expect(ds.questions).toEqual([{ index: 0, id: "1", text: "ok?", answer: "2", dataset: some }]);
      expect(o.lines).toEqual([`skipped 1 of 2 rows of ${some}: empty question or answer`]);
    } finally {
      dir.cleanup();
    }
  });

  test("field errors from hub rows name the field and the fields present", async () => {
    const err = await loadDataset(resolveDataset("aime", { fields: { question: "prob" } }), opts(freshCache())).catch((e) => e);
    expect(err.message).toBe('no question field "prob" in the rows; fields are: id, problem, solution, answer, url (use --question-field)');
  });
});

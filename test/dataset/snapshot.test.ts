// The snapshots in data/ (embedded in the binary) must be exactly what the loader makes of the shared data.
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { csvToRows } from "../../src/dataset/csv.ts";
import { EMBEDDED_PRESETS, embeddedHeader, embeddedSnapshot, embeddedText } from "../../src/dataset/embedded.ts";
import { loadDataset } from "../../src/dataset/load.ts";
import { PRESETS, resolveDataset } from "../../src/dataset/presets.ts";
import { formatSnapshot, parseSnapshot, parseSnapshotHeader } from "../../src/dataset/snapshot.ts";
import { DatasetError, type Question } from "../../src/dataset/types.ts";
import { SHARED_DATASETS, startFakeDatasetsServer } from "../fixtures/fake-datasets-server.ts";
import { hubOptions, tempDir } from "./helpers.ts";

const ROOT = resolve(import.meta.dir, "../..");
const server = startFakeDatasetsServer();
const cache = tempDir();
afterAll(async () => {
  await server.stop();
  cache.cleanup();
});

const withoutDataset = (qs: readonly Question[]) => qs.map(({ dataset: _, ...q }) => q);

describe("embedded snapshots", () => {
  test("exactly the presets marked embed: aime, aime2024, aime2025, gsm8k, math500; never gpqa or aime2026", () => {
    expect([...EMBEDDED_PRESETS].sort()).toEqual(PRESETS.filter((p) => p.embed).map((p) => p.name).sort());
    expect([...EMBEDDED_PRESETS].sort()).toEqual(["aime", "aime2024", "aime2025", "gsm8k", "math500"]);
    expect(embeddedSnapshot("gpqa")).toBeUndefined();
    expect(embeddedSnapshot("aime2026")).toBeUndefined();
    expect(readdirSync(join(ROOT, "data")).sort()).toEqual(["SOURCES.md", "aime.jsonl", "aime2024.jsonl", "aime2025.jsonl", "gsm8k.jsonl", "math500.jsonl"]);
  });

  test.each(PRESETS.filter((p) => p.embed).map((p) => [p.name]))(
    "%s: equals the shared data loaded through the datasets-server (ids, text, answer, choices, difficulty)",
    async (name) => {
      const hub = await loadDataset(resolveDataset(name), hubOptions(server.url, join(cache.path, name), { source: "hub" }));
      const snapshot = parseSnapshot(embeddedText(name)!, name, true); // verifies the checksum too
      expect(snapshot.questions).toEqual(withoutDataset(hub.questions));
      const preset = PRESETS.find((p) => p.name === name)!;
      expect(snapshot.header).toMatchObject({ preset: name, repo: preset.repo, config: preset.configs.join("+"), split: preset.split, questions: preset.rows });
      expect(snapshot.header.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      // Nothing but the question's own fields: no solutions, no other columns.
      const keys = new Set(embeddedText(name)!.trim().split("\n").slice(1).flatMap((l) => Object.keys(JSON.parse(l))));
      expect([...keys].every((k) => ["id", "question", "answer", "choices", "difficulty"].includes(k))).toBe(true);
    },
  );

  test("difficulty is in every AIME and MATH-500 snapshot, and only there", () => {
    for (const name of ["aime", "aime2024", "aime2025", "math500"]) {
      expect(embeddedSnapshot(name)!.questions.every((q) => q.difficulty !== undefined && q.difficulty >= 0 && q.difficulty <= 1)).toBe(true);
    }
    expect(embeddedSnapshot("gsm8k")!.questions.some((q) => q.difficulty !== undefined)).toBe(false);
  });

  test("the committed files are what scripts/snapshot.ts would write now (--check)", async () => {
    const proc = Bun.spawn([process.execPath, join(ROOT, "scripts/snapshot.ts"), "--check"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "snapshots are current (6 files)\n" });
  });

  test("the script writes to another directory: same files, and a changed date only with --date", async () => {
    const out = join(cache.path, "regenerated");
    const run = async (...extra: string[]) => {
      const proc = Bun.spawn([process.execPath, join(ROOT, "scripts/snapshot.ts"), "--out", out, ...extra], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
      return proc.exited;
    };
    expect(await run("--date", "2001-02-03")).toBe(0);
    expect(parseSnapshotHeader(readFileSync(join(out, "aime.jsonl"), "utf8"), "x").date).toBe("2001-02-03");
    // Regenerating without --date keeps the date of an unchanged snapshot (idempotent bytes).
    const before = readFileSync(join(out, "gsm8k.jsonl"), "utf8");
    expect(await run()).toBe(0);
    expect(readFileSync(join(out, "gsm8k.jsonl"), "utf8")).toBe(before);
    expect(readFileSync(join(out, "SOURCES.md"), "utf8")).toContain("| `gsm8k.jsonl` | gsm8k | openai/gsm8k (main / test) | 1319 |");
  });

  test("data/SOURCES.md names each file's origin, date and licence, and why gpqa and aime2026 are not embedded", () => {
    const text = readFileSync(join(ROOT, "data/SOURCES.md"), "utf8");
    for (const name of EMBEDDED_PRESETS) {
      const header = embeddedHeader(name)!;
      expect(text).toContain(`## ${name}.jsonl`);
      expect(text).toContain(`snapshot of ${header.date}`);
    }
    expect(text).toContain("Apache-2.0");
    expect(text).toContain("`gpqa` (Idavidrein/gpqa): never");
    expect(text).toContain("CC BY-NC-SA 4.0");
  });
});

describe("snapshot format", () => {
  const questions: Question[] = [
    { index: 0, id: "a", text: "What is 6 times 7?", answer: "42", difficulty: 0.5 },
    { index: 1, id: "b", text: "Pick the prime.", answer: "7", choices: ["7", "8", "9", "10"] },
  ];
  const text = formatSnapshot({ preset: "x", repo: "o/x", config: "default", split: "test", date: "2026-01-02" }, questions);

  test("round trip, header first", () => {
    expect(parseSnapshot(text, "x", true)).toEqual({
      header: { llama_sim_snapshot: 1, preset: "x", repo: "o/x", config: "default", split: "test", date: "2026-01-02", questions: 2, sha256: expect.any(String) },
      questions,
    });
    expect(text.split("\n")[1]).toBe('{"id":"a","question":"What is 6 times 7?","answer":"42","difficulty":0.5}');
  });

  test("damage is a DatasetError: checksum, count, header, JSON", () => {
    expect(() => parseSnapshot(text.replace("6 times 7", "6 times 8"), "x", true)).toThrow(new DatasetError("snapshot x: checksum mismatch"));
    const lines = text.split("\n");
    expect(() => parseSnapshot([lines[0], lines[1], ""].join("\n"), "x")).toThrow("1 questions, the header says 2");
    expect(() => parseSnapshot(`{"preset":"x"}\n`, "x")).toThrow("not a format 1 snapshot header");
    expect(() => parseSnapshot(`${lines[0]}\n{oops\n`, "x")).toThrow("snapshot x:2: not valid JSON");
  });
});

describe("GPQA text never enters the repository", () => {
  test("no GPQA question or correct answer appears in any file of the repository (data, src, test, scripts, docs)", () => {
    const rows = csvToRows(readFileSync(join(SHARED_DATASETS, "gpqa/gpqa_diamond.csv"), "utf8"));
    // Distinctive pieces: each question's first 60 characters and each long correct answer.
    const needles = rows
      .flatMap((r) => [r.Question!.trim().slice(0, 60), r["Correct Answer"]!.trim()])
      .filter((s) => s.length >= 40);
    expect(needles.length).toBeGreaterThan(198);
    const hits: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        if (entry === "node_modules" || entry === ".git" || entry === "dist") continue;
        const path = join(dir, entry);
        const stat = statSync(path);
        if (stat.isDirectory()) walk(path);
        else if (stat.size < 20_000_000 && entry !== "llama-sim" && !entry.startsWith("llama-sim-")) {
          const content = readFileSync(path, "utf8");
          if (needles.some((n) => content.includes(n))) hits.push(path.slice(ROOT.length + 1));
        }
      }
    };
    walk(ROOT);
    expect(hits).toEqual([]);
  });
});

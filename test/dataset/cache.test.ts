import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { open, utimes, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { cachePath, readCache, rowsChecksum, tempPathFor, writeCache, type CachedSplit } from "../../src/dataset/cache.ts";
import { DatasetError } from "../../src/dataset/types.ts";
import { tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(dir.cleanup);

const AIME = { repo: "AI-MO/aimo-validation-aime", config: "default", split: "train" };
const rows = [
  { id: 0, problem: "Quadratic polynomials", answer: "116" },
  { id: 1, problem: "Second", answer: "033" },
];
const data: CachedSplit = { datasetsServer: "https://example.test", fetchedAt: "2026-01-01T00:00:00.000Z", numRowsTotal: 2, partial: false, rows };

describe("cachePath", () => {
  test("<cacheDir>/<owner>/<name>/<config>/<split>.json", () => {
    expect(cachePath("/c", AIME)).toBe("/c/AI-MO/aimo-validation-aime/default/train.json");
    expect(cachePath("/c", { repo: "opencompass/AIME2025", config: "AIME2025-II", split: "test" })).toBe(
      "/c/opencompass/AIME2025/AIME2025-II/test.json",
    );
  });

  test("hostile parts cannot escape the cache directory", () => {
    const p = cachePath("/c", { repo: "../../etc/passwd", config: "a/b", split: ".." });
    expect(relative("/c", p).startsWith("..")).toBe(false);
    expect(p).toBe("/c/_/_/etc/passwd/a_b/_.json");
  });
});

describe("readCache / writeCache", () => {
  test("round trip: a miss, then a hit with the raw rows and metadata", async () => {
    const root = join(dir.path, "roundtrip");
    expect(await readCache(root, AIME)).toEqual({ kind: "miss", path: cachePath(root, AIME) });
    const path = await writeCache(root, AIME, data);
    expect(path).toBe(cachePath(root, AIME));
    expect(await readCache(root, AIME)).toEqual({ kind: "hit", path, entry: data });
    const onDisk = JSON.parse(await Bun.file(path).text());
    expect(onDisk).toMatchObject({ version: 1, source: AIME, sha256: rowsChecksum(rows), numRowsTotal: 2, partial: false });
  });

  test("temp files a killed writer left (pid gone, over ten minutes old) are removed by the next write; others are not", async () => {
    const root = join(dir.path, "stale");
    const path = cachePath(root, AIME);
    await writeCache(root, AIME, data);
    // pid 2^22 + 1 is above Linux's pid_max default (4,194,304): no process has it.
    const stale = `${path}.4194305.123.tmp`;
    const recent = `${path}.4194305.789.tmp`; // a writer in another container may still own it
    const live = `${path}.${process.pid}.456.tmp`;
    const other = `${path}.other.tmp`;
    for (const f of [stale, recent, live, other]) await writeFile(f, "{");
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const f of [stale, live, other]) await utimes(f, hourAgo, hourAgo);
    await writeCache(root, AIME, data);
    const left = readdirSync(dirname(path)).map((f) => join(dirname(path), f));
    expect(left).not.toContain(stale);
    expect(left).toContain(recent);
    expect(left).toContain(live);
    expect(left).toContain(other);
    expect(await readCache(root, AIME)).toMatchObject({ kind: "hit" });
  });

  test("corruption is detected: truncation, a flipped byte, a wrong version, another dataset's file", async () => {
    const root = join(dir.path, "corrupt");
    const path = await writeCache(root, AIME, data);
    const good = await Bun.file(path).text();

    await writeFile(path, good.slice(0, good.length / 2));
    expect(await readCache(root, AIME)).toEqual({ kind: "corrupt", path, reason: "not valid JSON" });

    await writeFile(path, good.replace("Quadratic", "Quadratid"));
    expect(await readCache(root, AIME)).toEqual({ kind: "corrupt", path, reason: "checksum mismatch" });

    const bytes = Buffer.from(good);
    const at = bytes.indexOf("Second");
    bytes[at] = bytes[at]! ^ 0x80; // invalid UTF-8, still parsable JSON
    await writeFile(path, bytes);
    expect(await readCache(root, AIME)).toMatchObject({ kind: "corrupt", reason: "checksum mismatch" });

    await writeFile(path, good.replace('"version":1', '"version":99'));
    expect(await readCache(root, AIME)).toMatchObject({ kind: "corrupt", reason: "format version 99, expected 1" });

    await writeFile(path, good.replace('"split":"train"', '"split":"test"'));
    expect(await readCache(root, AIME)).toMatchObject({ kind: "corrupt", reason: "it holds AI-MO/aimo-validation-aime/default/test" });

    await writeFile(path, "");
    expect(await readCache(root, AIME)).toMatchObject({ kind: "corrupt" });
  });

  test("atomic write: temp file in the same directory with another name; nothing left behind", async () => {
    const root = join(dir.path, "atomic");
    const final = cachePath(root, AIME);
    const tmp = tempPathFor(final);
    expect(dirname(tmp)).toBe(dirname(final));
    expect(tmp).not.toBe(final);
    expect(tempPathFor(final)).not.toBe(tmp);
    await Promise.all(Array.from({ length: 8 }, () => writeCache(root, AIME, data)));
    expect(readdirSync(dirname(final))).toEqual(["train.json"]);
  });

  test("replacement is by rename: a reader holding the old file keeps reading the complete old file", async () => {
    const root = join(dir.path, "rename");
    const path = await writeCache(root, AIME, data);
    const before = await Bun.file(path).text();
    const held = await open(path, "r");
    try {
      await writeCache(root, AIME, { ...data, rows: [rows[0]!], numRowsTotal: 1 });
      // An in-place rewrite would have truncated the inode the reader holds.
      expect((await held.readFile()).toString()).toBe(before);
      expect((await held.stat()).ino).not.toBe(statSync(path).ino);
    } finally {
      await held.close();
    }
    expect(await readCache(root, AIME)).toMatchObject({ kind: "hit", entry: { numRowsTotal: 1 } });
  });

  test("a concurrent reader only ever sees complete files", async () => {
    const root = join(dir.path, "concurrent");
    const big = Array.from({ length: 20_000 }, (_, i) => ({ id: i, problem: `problem ${i} `.repeat(10), answer: String(i) }));
    const versions = [0, 1, 2, 3, 4, 5].map((v) => ({ ...data, numRowsTotal: v, rows: big.slice(v) }));
    let writing = true;
    const seen: string[] = [];
    const reader = (async () => {
      while (writing) {
        const r = await readCache(root, AIME);
        seen.push(r.kind);
        if (r.kind === "hit") expect(r.entry.rows.length).toBe(20_000 - r.entry.numRowsTotal);
        await Bun.sleep(0); // a miss can resolve in microtasks only; let the writer's I/O run
      }
    })();
    for (const v of versions) await writeCache(root, AIME, v);
    writing = false;
    await reader;
    expect(seen).not.toContain("corrupt");
    expect(seen.filter((k) => k === "hit").length).toBeGreaterThan(0);
  });

  test("a cache directory that cannot be created is a clear DatasetError", async () => {
    const blocker = join(dir.path, "a-file");
    await Bun.write(blocker, "not a directory");
    const err = await writeCache(blocker, AIME, data).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toStartWith(`cannot create cache directory ${join(blocker, "AI-MO/aimo-validation-aime/default")}: `);
  });
});

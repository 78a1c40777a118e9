import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { HubCoords } from "./hub.ts";
import type { Row } from "./rows.ts";
import { DatasetError } from "./types.ts";

/** Bump when the file layout changes; older files are then re-fetched rather than misread. */
export const CACHE_FORMAT_VERSION = 1;

/** What a cache file holds besides its bookkeeping. Raw rows are kept so field flags can change offline. */
export interface CachedSplit {
  /** The datasets-server the rows came from (informational: the key is the dataset, not the server). */
  readonly datasetsServer: string;
  /** ISO 8601 time of the fetch. */
  readonly fetchedAt: string;
  readonly numRowsTotal: number;
  readonly partial: boolean;
  readonly rows: Row[];
}

interface CacheFile extends CachedSplit {
  readonly version: number;
  readonly source: HubCoords;
  /** sha256 (hex) of JSON.stringify(rows), to detect truncation and bit rot. */
  readonly sha256: string;
}

export type CacheLookup =
  | { readonly kind: "hit"; readonly path: string; readonly entry: CachedSplit }
  | { readonly kind: "miss"; readonly path: string }
  | { readonly kind: "corrupt"; readonly path: string; readonly reason: string };

/**
 * `<cacheDir>/<owner>/<name>/<config>/<split>.json`. The server is left out of the key so an offline run
 * finds rows fetched through any --datasets-server.
 */
export function cachePath(cacheDir: string, coords: HubCoords): string {
  const repoParts = coords.repo.split("/").map(safePart);
  return join(cacheDir, ...repoParts, safePart(coords.config), `${safePart(coords.split)}.json`);
}

/** Keeps a path segment inside its directory: no separators, no "..", nothing a filesystem may reject. */
function safePart(part: string): string {
  const cleaned = part.replace(/[^A-Za-z0-9._-]/g, "_");
  return cleaned === "" || /^\.+$/.test(cleaned) ? "_" : cleaned;
}

export function rowsChecksum(rows: readonly Row[]): string {
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(rows)).digest("hex");
}

export async function readCache(cacheDir: string, coords: HubCoords): Promise<CacheLookup> {
  const path = cachePath(cacheDir, coords);
  const file = Bun.file(path);
  if (!(await file.exists())) return { kind: "miss", path };
  const corrupt = (reason: string): CacheLookup => ({ kind: "corrupt", path, reason });
  let value: unknown;
  try {
    value = JSON.parse(await file.text());
  } catch (err) {
    return corrupt(err instanceof SyntaxError ? "not valid JSON" : (err as Error).message);
  }
  if (typeof value !== "object" || value === null) return corrupt("not a JSON object");
  const f = value as Partial<CacheFile>;
  if (f.version !== CACHE_FORMAT_VERSION) return corrupt(`format version ${String(f.version)}, expected ${CACHE_FORMAT_VERSION}`);
  if (!Array.isArray(f.rows)) return corrupt("no rows");
  if (rowsChecksum(f.rows) !== f.sha256) return corrupt("checksum mismatch");
  const s = f.source;
  if (s?.repo !== coords.repo || s.config !== coords.config || s.split !== coords.split) {
    return corrupt(`it holds ${s?.repo}/${s?.config}/${s?.split}`);
  }
  if (typeof f.numRowsTotal !== "number" || typeof f.fetchedAt !== "string") return corrupt("missing fields");
  const entry: CachedSplit = {
    datasetsServer: String(f.datasetsServer),
    fetchedAt: f.fetchedAt,
    numRowsTotal: f.numRowsTotal,
    partial: f.partial === true,
    rows: f.rows,
  };
  return { kind: "hit", path, entry };
}

/** Writes atomically (temp file in the same directory, then rename) so readers never see half a file. */
export async function writeCache(cacheDir: string, coords: HubCoords, data: CachedSplit): Promise<string> {
  const path = cachePath(cacheDir, coords);
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new DatasetError(`cannot create cache directory ${dir}: ${(err as Error).message}`);
  }
  const file: CacheFile = {
    version: CACHE_FORMAT_VERSION,
    source: { repo: coords.repo, config: coords.config, split: coords.split },
    datasetsServer: data.datasetsServer,
    fetchedAt: data.fetchedAt,
    numRowsTotal: data.numRowsTotal,
    partial: data.partial,
    sha256: rowsChecksum(data.rows),
    rows: data.rows,
  };
  const tmp = tempPathFor(path);
  try {
    await writeDurably(tmp, JSON.stringify(file));
    await rename(tmp, path);
    await syncDirectory(dir);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new DatasetError(`cannot write cache file ${path}: ${(err as Error).message}`);
  }
  await removeStaleTemps(path);
  return path;
}

/** Writes and fsyncs `text`: after a power loss the renamed file holds the rows, not an empty file. */
async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The rename itself is durable once the directory is synced; a file system that cannot sync a directory is left as it is. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported here (some platforms refuse fsync on a directory): the data itself was synced
  }
}

/**
 * Temp files of `path` that a killed writer left behind, removed after a successful write: its pid no
 * longer runs and the file is over ten minutes old (a cache directory shared between containers may
 * hold a live writer whose pid this process cannot see).
 */
async function removeStaleTemps(path: string): Promise<void> {
  const name = basename(path);
  let entries: string[];
  try {
    entries = await readdir(dirname(path));
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = /^(.*)\.(\d+)\.\d+\.tmp$/.exec(entry);
    if (m === null || m[1] !== name || isRunning(Number(m[2]))) continue;
    const file = join(dirname(path), entry);
    const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > STALE_TEMP_MS) await unlink(file).catch(() => {});
  }
}

const STALE_TEMP_MS = 10 * 60 * 1000;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Unique per process and call, so concurrent writers never share a temp file. */
export function tempPathFor(path: string): string {
  const random = crypto.getRandomValues(new Uint32Array(2)).join("");
  return `${path}.${process.pid}.${random}.tmp`;
}

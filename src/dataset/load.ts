import { questionsFromRows } from "./assemble.ts";
import { readCache, writeCache } from "./cache.ts";
import { isPresetDefault, presetNamed, type HubSource } from "./catalog.ts";
import { combineParts } from "./combine.ts";
import { EMBEDDED_PRESETS, embeddedSnapshot } from "./embedded.ts";
import { readRowsFile } from "./file.ts";
import { describeCoords, fetchSplit } from "./hub.ts";
import { probeDatasetsServer } from "./reach.ts";
import type { Row } from "./rows.ts";
import type { Snapshot } from "./snapshot.ts";
import { DatasetError, type Dataset, type DatasetPart, type DatasetSource, type HubOptions, type Question } from "./types.ts";

/** One dataset loaded: its banner entry and its questions (index dense within the part, `dataset` set). */
export interface LoadedPart {
  readonly part: DatasetPart;
  readonly questions: Question[];
}

interface LoadedRows {
  readonly source: DatasetSource;
  readonly rows: Row[];
  readonly origin: "hub" | "cache" | "file";
  readonly partial: boolean;
}

type Acquired = { readonly kind: "rows"; readonly loaded: LoadedRows[] } | { readonly kind: "snapshot"; readonly snapshot: Snapshot };

/**
 * Loads one dataset: a file, or the hub sources of one preset or HF id (several configs are concatenated, see
 * resolveDataset), as a Dataset of one part. Hub sources follow `opts.source` (see acquireHub).
 */
export async function loadDataset(source: DatasetSource | readonly DatasetSource[], opts: HubOptions): Promise<Dataset> {
  return combineParts([await loadPart(source, opts)]);
}

export async function loadPart(source: DatasetSource | readonly DatasetSource[], opts: HubOptions): Promise<LoadedPart> {
  const sources: readonly DatasetSource[] = Array.isArray(source) ? source : [source as DatasetSource];
  const first = sources[0];
  if (first === undefined) throw new DatasetError("no dataset given");
  const name = first.kind === "hub" ? first.name : first.path;

  let acquired: Acquired;
  if (sources.every((s): s is HubSource => s.kind === "hub")) acquired = await acquireHub(sources, opts);
  else acquired = { kind: "rows", loaded: await Promise.all(sources.map(loadFileRows)) };

  const questions =
    acquired.kind === "snapshot"
      ? acquired.snapshot.questions.map((q) => ({ ...q, dataset: name }))
      : questionsFromRows(acquired.loaded, opts.log).map((q) => ({ ...q, dataset: name }));
  if (questions.length === 0) throw new DatasetError(`dataset ${name} has no questions`);

  const hubs = sources.filter((s): s is HubSource => s.kind === "hub");
  const coords = { config: unique(hubs.map((s) => s.config)), split: unique(hubs.map((s) => s.split)) };
  if (acquired.kind === "snapshot") {
    const { header } = acquired.snapshot;
    return { part: { name, ...coords, origin: "embedded", count: questions.length, partial: false, snapshotDate: header.date }, questions };
  }
  const origins = new Set(acquired.loaded.map((l) => l.origin));
  // "cache" only when nothing needed the network.
  const origin = origins.has("file") ? "file" : origins.has("hub") ? "hub" : "cache";
  const partial = acquired.loaded.some((l) => l.partial);
  return { part: { name, ...coords, origin, count: questions.length, partial }, questions };
}

async function loadFileRows(source: DatasetSource): Promise<LoadedRows> {
  if (source.kind !== "file") throw new DatasetError("a dataset cannot mix files and hub sources");
  return { source, rows: await readRowsFile(source.path), origin: "file", partial: false };
}

/**
 * Where a hub dataset's rows come from, by `opts.source`:
 * - auto: each config from the cache, else from the datasets-server; when the server cannot be reached at all
 *   (or --offline is set), the embedded snapshot with a one-line notice. A reachable server's errors stay errors.
 * - hub: always the datasets-server (refreshing the cache), no fallback. cache: only the cache. embedded: only the snapshot.
 */
async function acquireHub(sources: readonly HubSource[], opts: HubOptions): Promise<Acquired> {
  const mode = opts.source ?? "auto";
  const name = sources[0]!.name;
  if (mode === "embedded") {
    const snapshot = snapshotFor(sources);
    if (snapshot === undefined) throw new DatasetError(`--source embedded: ${noSnapshotReason(sources)}`);
    return { kind: "snapshot", snapshot };
  }
  if (mode === "hub") {
    if (opts.offline) throw new DatasetError("--source hub needs the datasets-server, but --offline is set");
    const loaded: LoadedRows[] = [];
    for (const s of sources) loaded.push(await fetchAndCache(s, opts));
    return { kind: "rows", loaded };
  }

  const loaded: (LoadedRows | undefined)[] = [];
  for (const s of sources) {
    const label = describeCoords(s);
    const cached = await readCache(opts.cacheDir, s);
    if (cached.kind === "hit") {
      opts.log(`using ${label} from the cache (${cached.entry.rows.length} rows fetched ${cached.entry.fetchedAt})`);
      loaded.push({ source: s, rows: cached.entry.rows, origin: "cache", partial: cached.entry.partial });
      continue;
    }
    if (mode === "cache") {
      const why = cached.kind === "corrupt" ? `cache file ${cached.path} is corrupt (${cached.reason})` : `${label} is not in the cache at ${cached.path}`;
      throw new DatasetError(`${why} and --source cache allows nothing else`);
    }
    if (opts.offline) {
      // --offline: the cache, then the snapshot; a corrupt cache file is as good as none.
      const corrupt = cached.kind === "corrupt" ? `cache file ${cached.path} is corrupt (${cached.reason})` : undefined;
      const snapshot = snapshotFor(sources);
      if (snapshot === undefined) throw new DatasetError(`${corrupt ?? `${label} is not in the cache at ${cached.path}`} and --offline is set`);
      opts.log(`${corrupt ?? `${label} is not in the cache`} and --offline is set: serving ${name} from ${describeSnapshot(snapshot)}`);
      return { kind: "snapshot", snapshot };
    }
    if (cached.kind === "corrupt") opts.log(`cache file ${cached.path} is corrupt (${cached.reason}); re-fetching`);
    loaded.push(undefined);
  }
  if (loaded.every((l) => l !== undefined)) return { kind: "rows", loaded: loaded as LoadedRows[] };

  const reach = await (opts.reach ?? probeDatasetsServer)(opts.datasetsServer);
  if (!reach.reachable) {
    const snapshot = snapshotFor(sources);
    const unreachable = `cannot reach the datasets-server at ${opts.datasetsServer} (${reach.reason})`;
    if (snapshot === undefined) throw new DatasetError(`${unreachable}, and ${noSnapshotReason(sources)}`);
    opts.log(`${unreachable}: serving ${name} from ${describeSnapshot(snapshot)}`);
    return { kind: "snapshot", snapshot };
  }
  for (const [i, s] of sources.entries()) loaded[i] ??= await fetchAndCache(s, opts);
  return { kind: "rows", loaded: loaded as LoadedRows[] };
}

async function fetchAndCache(source: HubSource, opts: HubOptions): Promise<LoadedRows> {
  const fetched = await fetchSplit(source, opts);
  try {
    await writeCache(opts.cacheDir, source, {
      datasetsServer: opts.datasetsServer,
      fetchedAt: new Date().toISOString(),
      numRowsTotal: fetched.numRowsTotal,
      partial: fetched.partial,
      rows: fetched.rows,
    });
  } catch (error) {
    // The cache only saves the next start a download: failing to write it must not stop this one.
    opts.log(`warning: ${error instanceof Error ? error.message : String(error)}; continuing without caching ${describeCoords(source)}`);
  }
  return { source, rows: fetched.rows, origin: "hub", partial: fetched.partial };
}

/** The embedded snapshot that holds exactly these sources: a preset's own config, split and fields. */
function snapshotFor(sources: readonly HubSource[]): Snapshot | undefined {
  return isPresetDefault(sources) ? embeddedSnapshot(presetNamed(sources[0]!.name)!.name) : undefined;
}

function describeSnapshot(snapshot: Snapshot): string {
  return `the embedded snapshot of ${snapshot.header.date} (${snapshot.header.questions} questions)`;
}

/** Why no snapshot can stand in, and what to do instead. */
function noSnapshotReason(sources: readonly HubSource[]): string {
  const name = sources[0]!.name;
  const preset = presetNamed(name);
  const embedded = `embedded: ${EMBEDDED_PRESETS.join(", ")}`;
  if (preset === undefined || embeddedSnapshot(preset.name) === undefined) {
    const gated = preset?.gated ? "gated datasets never are; " : "";
    return `${name} has no embedded snapshot (${gated}${embedded}); use a cached copy or --dataset-file`;
  }
  return `the embedded snapshot of ${preset.name} holds only its own config, split and fields (${preset.configs.join("+")}/${preset.split}); drop --dataset-config, --dataset-split and the field flags`;
}

function unique(values: readonly string[]): string {
  return [...new Set(values)].join("+");
}

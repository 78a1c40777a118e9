import { readCache, writeCache } from "./cache.ts";
import { readRowsFile } from "./file.ts";
import { describeCoords, fetchSplit } from "./hub.ts";
import { rowsToQuestions, type Row } from "./rows.ts";
import { DatasetError, type Dataset, type DatasetSource, type HubOptions, type Question } from "./types.ts";

type HubSource = Extract<DatasetSource, { kind: "hub" }>;

interface LoadedRows {
  readonly rows: Row[];
  readonly origin: Dataset["origin"];
  readonly partial: boolean;
}

/**
 * Loads one source, or several concatenated in order (a preset with several configs, see resolveDataset).
 * Hub sources come from the cache when present, else from the datasets-server (then cached).
 */
export async function loadDataset(source: DatasetSource | readonly DatasetSource[], opts: HubOptions): Promise<Dataset> {
  const sources: readonly DatasetSource[] = Array.isArray(source) ? source : [source as DatasetSource];
  const first = sources[0];
  if (first === undefined) throw new DatasetError("no dataset given");
  const name = first.kind === "hub" ? first.name : first.path;
  const several = sources.length > 1;

  const questions: Question[] = [];
  const origins = new Set<Dataset["origin"]>();
  let partial = false;
  for (const s of sources) {
    const loaded = s.kind === "hub" ? await loadHubRows(s, opts) : await loadFileRows(s.path);
    origins.add(loaded.origin);
    partial ||= loaded.partial;
    const label = s.kind === "hub" ? describeCoords(s) : s.path;
    const { questions: part, skipped } = rowsToQuestions(loaded.rows, s.fields);
    if (skipped > 0) opts.log(`skipped ${skipped} of ${loaded.rows.length} rows of ${label}: empty question or answer`);
    // Ids stay unique across concatenated configs: "AIME2025-II/4".
    const prefix = several && s.kind === "hub" ? `${s.config}/` : "";
    for (const q of part) questions.push({ ...q, index: questions.length, id: prefix + q.id });
  }
  if (questions.length === 0) throw new DatasetError(`dataset ${name} has no questions`);

  const hubs = sources.filter((s): s is HubSource => s.kind === "hub");
  return {
    name,
    config: unique(hubs.map((s) => s.config)),
    split: unique(hubs.map((s) => s.split)),
    // "cache" only when nothing needed the network.
    origin: origins.has("file") ? "file" : origins.has("hub") ? "hub" : "cache",
    partial,
    questions,
  };
}

async function loadFileRows(path: string): Promise<LoadedRows> {
  return { rows: await readRowsFile(path), origin: "file", partial: false };
}

async function loadHubRows(source: HubSource, opts: HubOptions): Promise<LoadedRows> {
  const label = describeCoords(source);
  const cached = await readCache(opts.cacheDir, source);
  if (cached.kind === "hit") {
    opts.log(`using ${label} from the cache (${cached.entry.rows.length} rows fetched ${cached.entry.fetchedAt})`);
    return { rows: cached.entry.rows, origin: "cache", partial: cached.entry.partial };
  }
  if (cached.kind === "corrupt") {
    if (opts.offline) throw new DatasetError(`cache file ${cached.path} is corrupt (${cached.reason}) and --offline forbids re-fetching`);
    opts.log(`cache file ${cached.path} is corrupt (${cached.reason}); re-fetching`);
  } else if (opts.offline) {
    throw new DatasetError(`${label} is not in the cache at ${cached.path} and --offline is set`);
  }
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
    opts.log(`warning: ${error instanceof Error ? error.message : String(error)}; continuing without caching ${label}`);
  }
  return { rows: fetched.rows, origin: "hub", partial: fetched.partial };
}

function unique(values: readonly string[]): string {
  return [...new Set(values)].join("+");
}

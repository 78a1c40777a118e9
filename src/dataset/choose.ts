import type { Config } from "../config.ts";
import { resolveDataset } from "./catalog.ts";
import { combineParts } from "./combine.ts";
import { loadPart, type LoadedPart } from "./load.ts";
import { memoisedProbe } from "./reach.ts";
import { DatasetError, type Dataset, type DatasetPart, type DatasetSource, type HubOptions } from "./types.ts";

/**
 * The binary's entry to this module: every dataset the user chose (a --dataset-file, else each name of
 * --dataset in order), loaded and served as one Dataset with one part per dataset.
 */
export async function loadChosenDataset(
  config: Config,
  io: { readonly log: (line: string) => void; readonly progress: boolean },
): Promise<Dataset> {
  const choice = config.dataset;
  const opts: HubOptions = {
    datasetsServer: config.datasetsServer,
    cacheDir: config.cacheDir,
    offline: config.offline,
    token: config.hfToken,
    log: io.log,
    progress: io.progress,
    source: choice.source,
    // One probe for all datasets: an unreachable server costs its timeout once, not once per dataset.
    reach: memoisedProbe(),
  };
  if (choice.file !== undefined) {
    const file: DatasetSource = { kind: "file", path: choice.file, fields: choice.fields };
    // Name the flag, so the one line the user sees says what to change.
    const part = await loadPart(file, opts).catch((error: unknown) => {
      if (error instanceof DatasetError && !error.message.includes("--")) throw new DatasetError(`--dataset-file: ${error.message}`);
      throw error;
    });
    return combineParts([part]);
  }
  const overrides = { config: choice.config, split: choice.split, fields: choice.fields };
  const parts: LoadedPart[] = [];
  for (const name of choice.names) parts.push(await loadPart(resolveDataset(name, overrides), opts));
  return combineParts(parts);
}

/** The banner's dataset line: one part as `aime (config default, split train, from cache)`, several joined by "; ". */
export function describeDataset(dataset: Pick<Dataset, "parts">): string {
  const several = dataset.parts.length > 1;
  return dataset.parts.map((p) => describePart(p, several)).join("; ");
}

function describePart(p: DatasetPart, withCount: boolean): string {
  const count = withCount ? `, ${p.count} questions` : "";
  if (p.origin === "file") return withCount ? `${p.name} (${p.count} questions)` : p.name;
  const from = p.origin === "embedded" ? `the embedded snapshot of ${p.snapshotDate ?? "unknown date"}` : p.origin;
  return `${p.name} (config ${p.config}, split ${p.split}, from ${from}${count})`;
}

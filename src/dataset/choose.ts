import type { Config } from "../config.ts";
import { loadDataset } from "./load.ts";
import { resolveDataset } from "./presets.ts";
import { DatasetError, type Dataset, type DatasetSource } from "./types.ts";

/** The binary's entry to this module: the user's dataset choice and hub settings, loaded. */
export async function loadChosenDataset(
  config: Config,
  io: { readonly log: (line: string) => void; readonly progress: boolean },
): Promise<Dataset> {
  const choice = config.dataset;
  const sources: DatasetSource[] =
    choice.file !== undefined
      ? [{ kind: "file", path: choice.file, fields: choice.fields }]
      : resolveDataset(choice.names[0]!, { config: choice.config, split: choice.split, fields: choice.fields });
  const load = loadDataset(sources, {
    datasetsServer: config.datasetsServer,
    cacheDir: config.cacheDir,
    offline: config.offline,
    token: config.hfToken,
    log: io.log,
    progress: io.progress,
  });
  if (choice.file === undefined) return load;
  // Name the flag, so the one line the user sees says what to change.
  return load.catch((error: unknown) => {
    if (error instanceof DatasetError && !error.message.includes("--")) throw new DatasetError(`--dataset-file: ${error.message}`);
    throw error;
  });
}

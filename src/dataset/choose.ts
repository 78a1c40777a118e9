import type { Config } from "../config.ts";
import { loadDataset } from "./load.ts";
import { resolveDataset } from "./presets.ts";
import type { Dataset, DatasetSource } from "./types.ts";

/** The binary's entry to this module: the user's dataset choice and hub settings, loaded. */
export async function loadChosenDataset(
  config: Config,
  io: { readonly log: (line: string) => void; readonly progress: boolean },
): Promise<Dataset> {
  const choice = config.dataset;
  const sources: DatasetSource[] =
    choice.file !== undefined
      ? [{ kind: "file", path: choice.file, fields: choice.fields }]
      : resolveDataset(choice.name, { config: choice.config, split: choice.split, fields: choice.fields });
  return loadDataset(sources, {
    datasetsServer: config.datasetsServer,
    cacheDir: config.cacheDir,
    offline: config.offline,
    token: config.hfToken,
    log: io.log,
    progress: io.progress,
  });
}

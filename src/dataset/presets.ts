import { DEFAULTS } from "../config.ts";
import { DatasetError, type DatasetSource, type FieldNames } from "./types.ts";

export type HubSource = Extract<DatasetSource, { kind: "hub" }>;

export interface Preset {
  readonly name: string;
  readonly repo: string;
  /** Several configs are loaded one after another and concatenated (AIME 2025 I then II). */
  readonly configs: readonly string[];
  readonly split: string;
  readonly fields: FieldNames;
}

/** The eval clients' `--dataset` names; one line per dataset. */
export const PRESETS: readonly Preset[] = [
  { name: "aime", repo: "AI-MO/aimo-validation-aime", configs: ["default"], split: "train", fields: { question: "problem", answer: "answer" } },
  { name: "aime2025", repo: "opencompass/AIME2025", configs: ["AIME2025-I", "AIME2025-II"], split: "test", fields: { question: "question", answer: "answer" } },
  { name: "aime2024", repo: "Maxwell-Jia/AIME_2024", configs: ["default"], split: "train", fields: { question: "Problem", answer: "Answer" } },
  { name: "gsm8k", repo: "openai/gsm8k", configs: ["main"], split: "test", fields: { question: "question", answer: "answer" } },
  { name: "math500", repo: "HuggingFaceH4/MATH-500", configs: ["default"], split: "test", fields: { question: "problem", answer: "answer" } },
];

export interface DatasetOverrides {
  /** Replaces the preset's configs (all of them) or DEFAULTS.datasetConfig for an `owner/name`. */
  readonly config?: string;
  /** Replaces the preset's split or DEFAULTS.datasetSplit for an `owner/name`. */
  readonly split?: string;
  /** Each given name replaces the preset's; unset ones keep the preset's or the loader's defaults. */
  readonly fields?: FieldNames;
}

// HF repo ids: `owner/name`, letters, digits, `-`, `_`, `.`.
const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** The preset names, for messages that list them. */
export const PRESET_NAMES = PRESETS.map((p) => p.name).join(", ");

const presetNamed = (name: string) => PRESETS.find((p) => p.name === name.toLowerCase());

/** Whether `name` is a preset or looks like an HF `owner/name`: checked with the flags, before any loading. */
export function isDatasetName(name: string): boolean {
  return presetNamed(name) !== undefined || REPO_ID.test(name);
}

/** A preset name or an HF `owner/name`, as the hub sources to load and concatenate. */
export function resolveDataset(name: string, overrides: DatasetOverrides = {}): HubSource[] {
  const preset = presetNamed(name);
  if (preset !== undefined) {
    const configs = overrides.config !== undefined ? [overrides.config] : preset.configs;
    const fields = { ...preset.fields, ...definedOnly(overrides.fields) };
    const split = overrides.split ?? preset.split;
    return configs.map((config) => ({ kind: "hub", repo: preset.repo, config, split, fields, name: preset.name }));
  }
  if (REPO_ID.test(name)) {
    const fields = definedOnly(overrides.fields);
    return [{ kind: "hub", repo: name, config: overrides.config ?? DEFAULTS.datasetConfig, split: overrides.split ?? DEFAULTS.datasetSplit, fields, name }];
  }
  throw new DatasetError(
    `unknown dataset "${name}": use a preset (${PRESET_NAMES}) or an HF dataset id like owner/name`,
  );
}

function definedOnly(fields: FieldNames | undefined): FieldNames {
  const out: { question?: string; answer?: string } = {};
  if (fields?.question !== undefined) out.question = fields.question;
  if (fields?.answer !== undefined) out.answer = fields.answer;
  return out;
}

/** `--list-datasets`: one line per preset with where it comes from. */
export function presetListText(): string {
  return PRESETS.map((p) => `${p.name.padEnd(10)} ${p.repo} (${p.configs.join(" + ")}, split ${p.split})`).join("\n");
}

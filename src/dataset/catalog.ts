// The preset table and name resolution. Pure data and functions, no embedded files: scripts/snapshot.ts imports
// it to regenerate data/, which must work even when a file there is missing or broken.
import { DEFAULTS } from "../config.ts";
import type { DifficultyHint } from "./difficulty.ts";
import { DatasetError, type DatasetSource, type FieldNames } from "./types.ts";

export type HubSource = Extract<DatasetSource, { kind: "hub" }>;

export interface Preset {
  readonly name: string;
  readonly repo: string;
  /** Several configs are loaded one after another and concatenated (AIME 2025 I then II). */
  readonly configs: readonly string[];
  readonly split: string;
  readonly fields: FieldNames;
  /** Questions in the split (all configs), as published. */
  readonly rows: number;
  /** The licence the HF card states. */
  readonly licence: string;
  /** Carried inside the binary as data/<name>.jsonl (embedded.ts imports exactly these). */
  readonly embed?: boolean;
  /** Gated on HF: the datasets-server needs HF_TOKEN with granted access. Never embedded. */
  readonly gated?: boolean;
  /** How rows without an id or url number their AIME problems (difficulty.ts). */
  readonly hint?: DifficultyHint;
}

/** The eval clients' `--dataset` names; one line per dataset. */
export const PRESETS: readonly Preset[] = [
  { name: "aime", repo: "AI-MO/aimo-validation-aime", configs: ["default"], split: "train", fields: { question: "problem", answer: "answer" }, rows: 90, licence: "Apache-2.0", embed: true },
  { name: "aime2024", repo: "Maxwell-Jia/AIME_2024", configs: ["default"], split: "train", fields: { question: "Problem", answer: "Answer" }, rows: 30, licence: "MIT", embed: true },
  { name: "aime2025", repo: "opencompass/AIME2025", configs: ["AIME2025-I", "AIME2025-II"], split: "test", fields: { question: "question", answer: "answer" }, rows: 30, licence: "MIT", hint: { aimePapers: true }, embed: true },
  { name: "aime2026", repo: "MathArena/aime_2026", configs: ["default"], split: "train", fields: { question: "problem", answer: "answer" }, rows: 30, licence: "CC BY-NC-SA 4.0", hint: { aimePapers: true } },
  { name: "gpqa", repo: "Idavidrein/gpqa", configs: ["gpqa_diamond"], split: "train", fields: { question: "Question", answer: "Correct Answer" }, rows: 198, licence: "CC BY 4.0", gated: true },
  { name: "gsm8k", repo: "openai/gsm8k", configs: ["main"], split: "test", fields: { question: "question", answer: "answer" }, rows: 1319, licence: "MIT", embed: true },
  { name: "math500", repo: "HuggingFaceH4/MATH-500", configs: ["default"], split: "test", fields: { question: "problem", answer: "answer" }, rows: 500, licence: "MIT", embed: true },
];

export interface DatasetOverrides {
  /** Replaces the preset's configs (all of them) or DEFAULTS.datasetConfig for an `owner/name`. */
  readonly config?: string | undefined;
  /** Replaces the preset's split or DEFAULTS.datasetSplit for an `owner/name`. */
  readonly split?: string | undefined;
  /** Each given name replaces the preset's; unset ones keep the preset's or the loader's defaults. */
  readonly fields?: FieldNames;
}

// HF repo ids: `owner/name`, letters, digits, `-`, `_`, `.`.
const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** The preset names, for messages that list them. */
export const PRESET_NAMES = PRESETS.map((p) => p.name).join(", ");

export const presetNamed = (name: string): Preset | undefined => PRESETS.find((p) => p.name === name.toLowerCase());

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
    const hint = preset.hint !== undefined ? { hint: preset.hint } : {};
    return configs.map((config) => ({ kind: "hub", repo: preset.repo, config, split, fields, name: preset.name, ...hint }));
  }
  if (REPO_ID.test(name)) {
    const fields = definedOnly(overrides.fields);
    return [{ kind: "hub", repo: name, config: overrides.config ?? DEFAULTS.datasetConfig, split: overrides.split ?? DEFAULTS.datasetSplit, fields, name }];
  }
  throw new DatasetError(
    `unknown dataset "${name}": use a preset (${PRESET_NAMES}) or an HF dataset id like owner/name`,
  );
}

/** Whether `sources` are exactly the preset's own (no config, split or field overrides): what a snapshot holds. */
export function isPresetDefault(sources: readonly HubSource[]): boolean {
  const preset = sources[0] === undefined ? undefined : presetNamed(sources[0].name);
  if (preset === undefined) return false;
  const own = resolveDataset(preset.name);
  return (
    own.length === sources.length &&
    own.every((s, i) => {
      const t = sources[i]!;
      return s.repo === t.repo && s.config === t.config && s.split === t.split && s.fields.question === t.fields.question && s.fields.answer === t.fields.answer;
    })
  );
}

function definedOnly(fields: FieldNames | undefined): FieldNames {
  const out: { question?: string; answer?: string } = {};
  if (fields?.question !== undefined) out.question = fields.question;
  if (fields?.answer !== undefined) out.answer = fields.answer;
  return out;
}

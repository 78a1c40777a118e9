import type { DatasetSourceChoice } from "../config.ts";
import type { DifficultyHint } from "./difficulty.ts";

/** One benchmark item, with its gold answer already in the canonical form graders compare against. */
export interface Question {
  /** Position among all served questions (0-based, dense over every dataset); stable across runs of the same datasets. */
  readonly index: number;
  /**
   * Unique within the run: the row's own id when it has one (`id`, `ID`, `unique_id`, `Record ID`), else its position
   * in the split; a preset with several configs prefixes the config (`AIME2025-II/4`), several datasets prefix the
   * dataset name (`gsm8k/12`), and a repeated id gets `#2`, `#3`, ...
   */
  readonly id: string;
  readonly text: string;
  /** Canonical gold answer, e.g. AIME "033" -> "33", GSM8K "... #### 72" -> "72"; for multiple choice the correct option's text. */
  readonly answer: string;
  /** The dataset this question came from (preset name, HF id or file path), for runs over several datasets. */
  readonly dataset?: string;
  /** Multiple choice (GPQA): every option's text, the correct one (== answer) first; clients shuffle them. */
  readonly choices?: readonly string[];
  /** Relative difficulty in [0, 1] when the dataset has one (MATH-500 level, AIME problem number). */
  readonly difficulty?: number;
}

/** Where a dataset's rows came from. */
export type Origin = "hub" | "cache" | "file" | "embedded";

/** One dataset of a (possibly combined) run, for the banner and logs. */
export interface DatasetPart {
  /** Preset name, HF repo id or file path; equals `question.dataset` of its questions. */
  readonly name: string;
  /** HF config(s) joined by "+", or "" for a file. */
  readonly config: string;
  /** HF split, or "" for a file. */
  readonly split: string;
  readonly origin: Origin;
  /** Questions this part contributes. */
  readonly count: number;
  /** True when the datasets-server served only part of the split. */
  readonly partial: boolean;
  /** The embedded snapshot's date (YYYY-MM-DD), when origin is "embedded". */
  readonly snapshotDate?: string;
}

export interface Dataset {
  /** Human name for banners and logs: the parts' names joined by ", " (a preset, an HF repo id or a file path). */
  readonly name: string;
  /** The single part's config(s) and split; for several parts, each part's joined by ", ". */
  readonly config: string;
  readonly split: string;
  /** The parts' common origin; when they differ, the first of file, hub, embedded, cache that occurs. */
  readonly origin: Origin;
  /** True when the datasets-server served only part of some split. */
  readonly partial: boolean;
  /** One entry per dataset, in load order; questions are concatenated in the same order. */
  readonly parts: readonly DatasetPart[];
  readonly questions: readonly Question[];
}

/** Which field holds the question and which the answer; undefined means "use the defaults with fallbacks". */
export interface FieldNames {
  readonly question?: string;
  readonly answer?: string;
}

export type DatasetSource =
  | {
      readonly kind: "hub";
      readonly repo: string;
      readonly config: string;
      readonly split: string;
      readonly fields: FieldNames;
      /** The preset name or HF id the user gave: the dataset's name in the banner and in `question.dataset`. */
      readonly name: string;
      /** How rows without an id or url number their AIME problems (presets aime2025, aime2026). */
      readonly hint?: DifficultyHint;
    }
  | { readonly kind: "file"; readonly path: string; readonly fields: FieldNames };

export interface HubOptions {
  /** Base URL of the datasets-server, without trailing slash. */
  readonly datasetsServer: string;
  readonly cacheDir: string;
  readonly offline: boolean;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  /** Progress and warnings go here (stderr in the binary). */
  readonly log: (line: string) => void;
  /** Whether to draw a live progress line (stderr is a TTY). */
  readonly progress: boolean;
  /**
   * Draws the live progress line, replacing the previous one; "" clears it. Used only when `progress` is true.
   * Defaults to `\r`-drawing on stderr; tests pass a recorder.
   */
  readonly status?: (line: string) => void;
  /**
   * Where hub datasets come from (--source): auto = cache, then the datasets-server, then the embedded snapshot
   * when the server cannot be reached; hub, cache, embedded = only that. Default auto.
   */
  readonly source?: DatasetSourceChoice;
  /**
   * Tells whether the datasets-server can be reached at all (see reach.ts). Defaults to a fresh probe per call;
   * loadChosenDataset passes one memoised probe so several datasets wait for an unreachable server only once.
   */
  readonly reach?: (datasetsServer: string) => Promise<Reachability>;
  /** Retry policy; tests shrink the delays. */
  readonly retry?: { readonly attempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
}

/** The outcome of a reachability probe; `reason` is short enough for a one-line notice. */
export type Reachability = { readonly reachable: true } | { readonly reachable: false; readonly reason: string };

/** A load failure with a message fit to print as the single line the user sees. */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
}

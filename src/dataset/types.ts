/** One benchmark item, with its gold answer already in the canonical form graders compare against. */
export interface Question {
  /** Position in the loaded split (0-based); stable across runs of the same dataset. */
  readonly index: number;
  /** The row's own id when it has one (`id`, `ID`, `unique_id`), else the index as a string. */
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

export interface Dataset {
  /** Human name for banners and logs: a preset name, an HF repo id or a file path. */
  readonly name: string;
  readonly config: string;
  readonly split: string;
  /** Where the rows came from: "hub", "cache" or "file". */
  readonly origin: "hub" | "cache" | "file";
  /** True when the datasets-server served only part of the split. */
  readonly partial: boolean;
  readonly questions: readonly Question[];
}

/** Which field holds the question and which the answer; undefined means "use the defaults with fallbacks". */
export interface FieldNames {
  readonly question?: string;
  readonly answer?: string;
}

export type DatasetSource =
  | { readonly kind: "hub"; readonly repo: string; readonly config: string; readonly split: string; readonly fields: FieldNames; readonly name: string }
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
  /** Retry policy; tests shrink the delays. */
  readonly retry?: { readonly attempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
}

/** A load failure with a message fit to print as the single line the user sees. */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
}

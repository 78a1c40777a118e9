// Snapshots carried inside the binary: `bun build --compile` bundles these text imports, so an air-gapped
// machine can serve the default presets with no cache and no network. Regenerate with `make snapshots`.
import aime from "../../data/aime.jsonl" with { type: "text" };
import aime2024 from "../../data/aime2024.jsonl" with { type: "text" };
import aime2025 from "../../data/aime2025.jsonl" with { type: "text" };
import gsm8k from "../../data/gsm8k.jsonl" with { type: "text" };
import math500 from "../../data/math500.jsonl" with { type: "text" };
import { parseSnapshot, parseSnapshotHeader, type Snapshot, type SnapshotHeader } from "./snapshot.ts";

/** Preset name -> snapshot file text. Never gpqa (its authors ask that it not be published); not aime2026 (CC BY-NC-SA). */
const TEXTS: Readonly<Record<string, string>> = { aime, aime2024, aime2025, gsm8k, math500 };

/** The presets that have a snapshot, in table order. */
export const EMBEDDED_PRESETS: readonly string[] = Object.keys(TEXTS);

const parsed = new Map<string, Snapshot>();

/** The embedded snapshot of a preset, parsed on first use; undefined when there is none. */
export function embeddedSnapshot(preset: string): Snapshot | undefined {
  const text = TEXTS[preset];
  if (text === undefined) return undefined;
  let snapshot = parsed.get(preset);
  if (snapshot === undefined) {
    snapshot = parseSnapshot(text, `data/${preset}.jsonl`);
    parsed.set(preset, snapshot);
  }
  return snapshot;
}

/** Just the header (date, count), without parsing the questions. */
export function embeddedHeader(preset: string): SnapshotHeader | undefined {
  const text = TEXTS[preset];
  return text === undefined ? undefined : parseSnapshotHeader(text, `data/${preset}.jsonl`);
}

/** The raw file text, for tests that check the checksum. */
export function embeddedText(preset: string): string | undefined {
  return TEXTS[preset];
}

// Presets and their listing (--list-datasets). The table itself lives in catalog.ts, free of embedded files.
import { PRESETS, type Preset } from "./catalog.ts";
import { embeddedHeader } from "./embedded.ts";

export * from "./catalog.ts";

/** Whether and from when the binary carries the preset, in words. */
function embeddedText(p: Preset): string {
  if (p.gated) return "no (gated: needs HF_TOKEN; never embedded)";
  const header = embeddedHeader(p.name);
  return header === undefined ? "no" : `yes, snapshot of ${header.date}`;
}

/** `--list-datasets`: every preset with its HF source, size, whether it is embedded, and its licence. */
export function presetListText(): string {
  const rows = [
    ["preset", "HF dataset", "config", "split", "rows", "licence", "embedded in this binary"],
    ...PRESETS.map((p) => [p.name, p.repo, p.configs.join(" + "), p.split, String(p.rows), p.licence, embeddedText(p)]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const table = rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join("  ").trimEnd());
  return [
    ...table,
    "",
    "Any HF dataset id owner/name works too (config default, split train; --dataset-config, --dataset-split).",
    "Several at once: --dataset aime,gsm8k,gpqa. Gated datasets need HF_TOKEN.",
    "Start-up order: --dataset-file; the cache; the datasets-server; the embedded snapshot when the server",
    "cannot be reached (--offline: the cache, then the snapshot). --source auto|hub|cache|embedded forces one.",
  ].join("\n");
}

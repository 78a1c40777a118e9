// Regenerates the snapshots the binary carries (data/<preset>.jsonl) and data/SOURCES.md from the offline copies
// in ../shared/datasets, through the loader's own code (rowsToQuestions via questionsFromRows), so a snapshot
// holds exactly what loading the same rows from the datasets-server gives: id, question, answer, choices and
// difficulty where present; never solutions.
//
//   bun scripts/snapshot.ts [--shared DIR] [--out DIR] [--date YYYY-MM-DD] [--check]
//
// A snapshot keeps its date while regenerating gives the same questions; --check writes nothing and exits 1
// when a file in data/ is missing or differs from what would be written.
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { questionsFromRows, type SourceRows } from "../src/dataset/assemble.ts";
import { PRESETS, resolveDataset, type HubSource, type Preset } from "../src/dataset/catalog.ts";
import { readRowsFile } from "../src/dataset/file.ts";
import { formatSnapshot, parseSnapshotHeader, questionLines, sha256Hex } from "../src/dataset/snapshot.ts";

const ROOT = resolve(import.meta.dir, "..");

/** Where each embedded preset's copy came from (summarised from ../shared/datasets/SOURCES.md). */
const PROVENANCE: Record<string, string> = {
  aime:
    "GitHub `Wyyyb/CriticCoT` blob `fe379a95` (commit `1e99d470`, 2025-01-05): a verbatim dump of the HF split made with " +
    "`load_dataset(\"AI-MO/aimo-validation-aime\")` around January 2025; rows 60–89 cross-checked against `QwenLM/Qwen2.5-Math`.",
  aime2024:
    "`zldscr0/eval@136899e3:aime_2024_problems.parquet` (added 2025-07-14), converted to JSON Lines in the HF row order " +
    "(starting with 2024-II-4). Whether it predates HF's fix of I-5, I-6 and II-10 is unconfirmed; those three read correctly.",
  aime2025:
    "`zwRuan/gift@24e6b3e2:data/aime25/test.jsonl`, split into its AIME 2025 I and II halves; both files are byte-identical " +
    "(sha256) to `opencompass/AIME2025@a6ad95f6` `aime2025-I.jsonl` and `aime2025-II.jsonl`.",
  gsm8k:
    "`openai/grade-school-math@3101c7d5:grade_school_math/data/test.jsonl` (data last changed 2021-10-28), the file HF " +
    "`openai/gsm8k` config `main` was built from; same rows and order.",
  math500:
    "`Wyyyb/CriticCoT` blob `2376b9a1`, whose sha256 and size equal the Git-LFS pointer of " +
    "`openai/prm800k@7ecc7947:prm800k/math_splits/test.jsonl`, the source the HF card names.",
};

interface Args {
  readonly shared: string;
  readonly out: string;
  readonly date: string | undefined;
  readonly check: boolean;
}

function parseCommandLine(): Args {
  const { values } = parseArgs({
    options: { shared: { type: "string" }, out: { type: "string" }, date: { type: "string" }, check: { type: "boolean" } },
    strict: true,
  });
  if (values.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) throw new Error(`--date must be YYYY-MM-DD (got "${values.date}")`);
  return {
    shared: resolve(values.shared ?? join(ROOT, "../shared/datasets")),
    out: resolve(values.out ?? join(ROOT, "data")),
    date: values.date,
    check: values.check === true,
  };
}

/** The shared layout (its SOURCES.md): `<name>/<split>.jsonl` for the default config, else `<name>/<config>/<split>.jsonl`. */
export function sharedPath(shared: string, s: HubSource): string {
  const name = s.repo.split("/")[1]!;
  return s.config === "default" ? join(shared, name, `${s.split}.jsonl`) : join(shared, name, s.config, `${s.split}.jsonl`);
}

/** sha256 per file from the table in the shared SOURCES.md, to make sure the input is the documented data. */
function documentedHashes(shared: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const text = readFileSync(join(shared, "SOURCES.md"), "utf8");
  for (const line of text.split("\n")) {
    const m = /^\| `([^`]+)` \|.*\| ([0-9a-f]{64}) \|$/.exec(line.trim());
    if (m) hashes.set(m[1]!, m[2]!);
  }
  return hashes;
}

interface Built {
  readonly preset: Preset;
  readonly file: string;
  readonly text: string;
  readonly inputs: { readonly rel: string; readonly sha256: string; readonly rows: number }[];
}

async function build(preset: Preset, args: Args, hashes: Map<string, string>): Promise<Built> {
  const sources = resolveDataset(preset.name);
  const parts: SourceRows[] = [];
  const inputs: Built["inputs"] = [];
  for (const source of sources) {
    const path = sharedPath(args.shared, source);
    const rel = path.slice(args.shared.length + 1);
    const sha256 = sha256Hex(readFileSync(path, "utf8"));
    const documented = hashes.get(rel);
    if (documented !== sha256) throw new Error(`${path}: sha256 ${sha256} is not the one SOURCES.md documents (${documented ?? "none"})`);
    const rows = await readRowsFile(path);
    parts.push({ source, rows });
    inputs.push({ rel, sha256, rows: rows.length });
  }
  const questions = questionsFromRows(parts, (line) => console.error(`${preset.name}: ${line}`));
  if (questions.length !== preset.rows) throw new Error(`${preset.name}: ${questions.length} questions, the preset says ${preset.rows}`);
  const file = join(args.out, `${preset.name}.jsonl`);
  // Keep the date of an existing snapshot with the same questions, so regenerating is byte-for-byte idempotent.
  let date = args.date ?? new Date().toISOString().slice(0, 10);
  if (args.date === undefined && existsSync(file)) {
    try {
      const old = parseSnapshotHeader(readFileSync(file, "utf8"), file);
      if (old.sha256 === sha256Hex(questionLines(questions))) date = old.date;
    } catch {
      // unreadable: replaced with today's date
    }
  }
  const meta = { preset: preset.name, repo: preset.repo, config: preset.configs.join("+"), split: preset.split, date };
  return { preset, file, text: formatSnapshot(meta, questions), inputs };
}

function sourcesMarkdown(built: readonly Built[]): string {
  const header = (b: Built) => parseSnapshotHeader(b.text, b.file);
  const lines = [
    "# Snapshots embedded in the llama-sim binary",
    "",
    "Generated by `scripts/snapshot.ts` (`make snapshots`) from the offline copies in `../shared/datasets` (see its",
    "SOURCES.md), through the loader's own row conversion. Do not edit by hand: `bun scripts/snapshot.ts --check`",
    "tells whether these files are current.",
    "",
    "Each `<preset>.jsonl` starts with a header line (`preset`, `repo`, `config`, `split`, `date`, `questions`,",
    "`sha256` of the question lines), then one JSON object per question: `id`, `question`, `answer` (the canonical",
    "gold answer graders compare against), and `choices` / `difficulty` where the dataset has them. Solutions and",
    "every other column are left out. The date is the day the content was taken; it stays while regenerating gives",
    "the same questions. The binary serves a snapshot when the datasets-server cannot be reached (or with",
    "`--offline` and no cache, or `--source embedded`) and names it and its date in the banner.",
    "",
    "| file | preset | HF dataset (config / split) | questions | bytes | date | licence |",
    "|---|---|---|---|---|---|---|",
    ...built.map((b) => {
      const h = header(b);
      const bytes = Buffer.byteLength(b.text);
      return `| \`${b.preset.name}.jsonl\` | ${b.preset.name} | ${h.repo} (${h.config} / ${h.split}) | ${h.questions} | ${bytes} | ${h.date} | ${b.preset.licence} |`;
    }),
    "",
  ];
  for (const b of built) {
    const h = header(b);
    lines.push(
      `## ${b.preset.name}.jsonl`,
      `- HF dataset: \`${h.repo}\`, config ${h.config.split("+").map((c) => `\`${c}\``).join(" + ")}, split \`${h.split}\`; ${h.questions} questions; snapshot of ${h.date}.`,
      `- Made from ${b.inputs.map((i) => `\`${i.rel}\` (${i.rows} rows, sha256 \`${i.sha256.slice(0, 16)}…\`)`).join(" and ")}.`,
      `- Upstream: ${PROVENANCE[b.preset.name] ?? "see ../shared/datasets/SOURCES.md."}`,
      `- Licence: ${b.preset.licence} (the HF card)${b.preset.name.startsWith("aime") ? "; the AIME problems themselves are the MAA's" : ""}.`,
      `- sha256 of the question lines: \`${h.sha256}\`.`,
      "",
    );
  }
  lines.push(
    "## Not embedded",
    "- `gpqa` (Idavidrein/gpqa): never. Its authors ask that the questions not be published in plain text, to limit",
    "  training contamination, and the HF dataset is gated. llama-sim loads it from the datasets-server with HF_TOKEN,",
    "  from the cache, or from a local copy with `--dataset-file gpqa_diamond.csv`.",
    "- `aime2026` (MathArena/aime_2026): its HF card licenses it CC BY-NC-SA 4.0. Non-commercial, share-alike terms",
    "  cannot be carried by an MIT-licensed binary that anyone may use for any purpose, and the Apache-2.0 that the",
    "  `math-ai/aime26` re-upload states does not clear MathArena's or the MAA's terms. It is fetched and cached instead.",
    "",
  );
  return lines.join("\n");
}

async function main(): Promise<void> {
  const args = parseCommandLine();
  const hashes = documentedHashes(args.shared);
  const built: Built[] = [];
  for (const preset of PRESETS.filter((p) => p.embed)) {
    if (preset.gated) throw new Error(`${preset.name} is gated and must never be embedded`);
    built.push(await build(preset, args, hashes));
  }
  const outputs = [...built.map((b) => ({ path: b.file, text: b.text })), { path: join(args.out, "SOURCES.md"), text: sourcesMarkdown(built) }];
  if (args.check) {
    const stale = outputs.filter((o) => !existsSync(o.path) || readFileSync(o.path, "utf8") !== o.text).map((o) => o.path);
    for (const path of stale) console.error(`stale: ${path}`);
    if (stale.length > 0) {
      console.error("run `make snapshots` (bun scripts/snapshot.ts) to regenerate");
      process.exit(1);
    }
    console.error(`snapshots are current (${outputs.length} files)`);
    return;
  }
  await mkdir(args.out, { recursive: true });
  for (const o of outputs) {
    const unchanged = existsSync(o.path) && readFileSync(o.path, "utf8") === o.text;
    if (!unchanged) await Bun.write(o.path, o.text);
    console.error(`${unchanged ? "unchanged" : "wrote"} ${o.path} (${Buffer.byteLength(o.text)} bytes)`);
  }
}

if (import.meta.main) await main();

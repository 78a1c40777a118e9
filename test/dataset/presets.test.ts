import { describe, expect, test } from "bun:test";
import { EMBEDDED_PRESETS, embeddedHeader } from "../../src/dataset/embedded.ts";
import { isPresetDefault, PRESETS, presetListText, resolveDataset } from "../../src/dataset/presets.ts";
import { DatasetError } from "../../src/dataset/types.ts";

describe("resolveDataset", () => {
  test("aime is AI-MO/aimo-validation-aime default/train with problem/answer", () => {
    expect(resolveDataset("aime")).toEqual([
      { kind: "hub", repo: "AI-MO/aimo-validation-aime", config: "default", split: "train", fields: { question: "problem", answer: "answer" }, name: "aime" },
    ]);
  });

  test("aime2025 is two configs, I then II", () => {
    expect(resolveDataset("aime2025").map((s) => [s.repo, s.config, s.split])).toEqual([
      ["opencompass/AIME2025", "AIME2025-I", "test"],
      ["opencompass/AIME2025", "AIME2025-II", "test"],
    ]);
  });

  test("the other presets", () => {
    const one = (name: string) => {
      const [s] = resolveDataset(name);
      return [s!.repo, s!.config, s!.split, s!.fields.question, s!.fields.answer];
    };
    expect(one("gsm8k")).toEqual(["openai/gsm8k", "main", "test", "question", "answer"]);
    expect(one("math500")).toEqual(["HuggingFaceH4/MATH-500", "default", "test", "problem", "answer"]);
    expect(one("aime2024")).toEqual(["Maxwell-Jia/AIME_2024", "default", "train", "Problem", "Answer"]);
    expect(one("AIME")).toEqual(["AI-MO/aimo-validation-aime", "default", "train", "problem", "answer"]);
  });

  test("overrides replace the config list, the split and individual fields", () => {
    const [only, ...rest] = resolveDataset("aime2025", { config: "AIME2025-II", split: "train", fields: { question: "q", answer: undefined } });
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ config: "AIME2025-II", split: "train", fields: { question: "q", answer: "answer" } });
  });

  test("an HF id defaults to default/train and the loader's field fallbacks", () => {
    expect(resolveDataset("someone/data.set_v2")).toEqual([
      { kind: "hub", repo: "someone/data.set_v2", config: "default", split: "train", fields: {}, name: "someone/data.set_v2" },
    ]);
    expect(resolveDataset("someone/x", { config: "c", split: "s", fields: { answer: "gold" } })[0]).toMatchObject({
      config: "c",
      split: "s",
      fields: { answer: "gold" },
    });
  });

  test("anything else is a DatasetError listing the presets", () => {
    for (const bad of ["aim", "a/b/c", "/abs", ""]) {
      expect(() => resolveDataset(bad)).toThrow(DatasetError);
    }
    expect(() => resolveDataset("aim")).toThrow(
      `unknown dataset "aim": use a preset (${PRESETS.map((p) => p.name).join(", ")}) or an HF dataset id like owner/name`,
    );
    expect(PRESETS.map((p) => p.name)).toEqual(["aime", "aime2024", "aime2025", "aime2026", "gpqa", "gsm8k", "math500"]);
  });
});

describe("aime2026 and gpqa", () => {
  test("aime2026 is MathArena/aime_2026 default/train, problem/answer, numbered as two AIME papers", () => {
    expect(resolveDataset("aime2026")).toEqual([
      { kind: "hub", repo: "MathArena/aime_2026", config: "default", split: "train", fields: { question: "problem", answer: "answer" }, name: "aime2026", hint: { aimePapers: true } },
    ]);
  });

  test("gpqa is Idavidrein/gpqa gpqa_diamond/train, Question / Correct Answer, gated", () => {
    expect(resolveDataset("gpqa")).toEqual([
      { kind: "hub", repo: "Idavidrein/gpqa", config: "gpqa_diamond", split: "train", fields: { question: "Question", answer: "Correct Answer" }, name: "gpqa" },
    ]);
    expect(PRESETS.find((p) => p.name === "gpqa")).toMatchObject({ gated: true, rows: 198 });
    expect(PRESETS.find((p) => p.name === "gpqa")!.embed).toBeUndefined();
  });
});

describe("isPresetDefault (what a snapshot can stand in for)", () => {
  test("a preset's own sources only", () => {
    expect(isPresetDefault(resolveDataset("aime2025"))).toBe(true);
    expect(isPresetDefault(resolveDataset("AIME"))).toBe(true);
    expect(isPresetDefault(resolveDataset("aime", { fields: { question: "problem" } }))).toBe(true); // the same field, named
    expect(isPresetDefault(resolveDataset("aime2025", { config: "AIME2025-I" }))).toBe(false);
    expect(isPresetDefault(resolveDataset("gsm8k", { split: "train" }))).toBe(false);
    expect(isPresetDefault(resolveDataset("aime", { fields: { answer: "solution" } }))).toBe(false);
    expect(isPresetDefault(resolveDataset("AI-MO/aimo-validation-aime"))).toBe(false); // an HF id is not the preset
    expect(isPresetDefault([])).toBe(false);
  });
});

describe("presetListText (--list-datasets)", () => {
  const text = presetListText();
  const lines = text.split("\n");
  const line = (name: string) => lines.find((l) => l.startsWith(`${name} `))!;

  test("a header, then one line per preset with repo, configs, split, rows and licence", () => {
    expect(lines[0]).toMatch(/^preset\s+HF dataset\s+config\s+split\s+rows\s+licence\s+embedded in this binary$/);
    for (const p of PRESETS) {
      const l = line(p.name);
      expect(l).toContain(p.repo);
      expect(l).toContain(p.configs.join(" + "));
      expect(l).toContain(` ${p.split} `);
      expect(l).toContain(` ${p.rows} `);
      expect(l).toContain(p.licence);
    }
  });

  test("embedded presets name their snapshot's date; gpqa is gated and never embedded; aime2026 is not embedded", () => {
    for (const name of EMBEDDED_PRESETS) expect(line(name)).toEndWith(`yes, snapshot of ${embeddedHeader(name)!.date}`);
    expect(line("gpqa")).toEndWith("no (gated: needs HF_TOKEN; never embedded)");
    expect(line("aime2026")).toEndWith("  no");
    expect(text).toContain("--source auto|hub|cache|embedded");
  });
});

import { describe, expect, test } from "bun:test";
import { PRESETS, resolveDataset } from "../../src/dataset/presets.ts";
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
    expect(PRESETS.map((p) => p.name)).toEqual(["aime", "aime2025", "aime2024", "gsm8k", "math500"]);
  });
});

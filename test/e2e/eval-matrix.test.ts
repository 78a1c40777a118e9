// The eval matrix through the compiled binary: every preset (served by the fake datasets-server; gpqa gated,
// with HF_TOKEN) × client template (llama-eval, lm-eval, simple-evals, few-shot chat) × grader (llama-eval
// regex, boxed, simple-evals "Answer:", lm-eval strict, llama-eval's LLM judge in both prompt forms, sent to
// the same server) × response style (short, reasoning, think), at --success-rate 1 and 0 with a fixed seed.
// Each reply must be a 200 the ledger records for the right question, and each grader must find all of
// them correct at rate 1 and none at rate 0 — except the exclusions graders.ts documents (`cannot`), where
// a grader cannot read a correct answer by design; those are counted, never silently passed.
// One server per (preset, style, rate); a fixed, seeded sample of questions per preset. Also: GPQA options
// shuffled by many seeds (fast-check), the served letter carrying the correct text in each prompt.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GATED_TOKEN, startFakeDatasetsServer, type FakeDatasetsServer } from "../fixtures/fake-datasets-server.ts";
import {
  BOXED,
  LETTERS,
  asGradedBy,
  lmEvalPreprocess,
  LLAMA_EVAL_REGEX,
  LM_EVAL_GPQA,
  LM_EVAL_STRICT,
  PRESET_NAMES,
  SIMPLE_EVALS_ANSWER,
  TEMPLATES,
  judgeExpectedGrader,
  judgeGrader,
  lightNormalise,
  loadPreset,
  llamaEvalRegexExtract,
  lmEvalGpqaExtract,
  makeCase,
  sample,
  type EvalCase,
  type EvalItem,
  type Grader,
  type PresetName,
  type Template,
} from "./graders.ts";
import { inBatches, postJson, startSim, stopAll, tempDir } from "./harness.ts";

const SAMPLE_SIZE = 10;
const SAMPLE_SEED = 2026;
const SERVER_SEED = "4242";
const STYLES = ["short", "reasoning", "think"] as const;
const RATES = [1, 0] as const;

/** Items every run checks on top of the seeded sample (the first of each kind), so that each documented exclusion and tricky gold is exercised. */
const EXTRA: Partial<Record<PresetName, readonly RegExp[]>> = {
  gsm8k: [/,/], // a thousands-comma gold ("2,125")
  // \text{(C)}, 90^\circ, \frac{..}{..}, a list ("3, 5, 7")
  math500: [/\\text\{\(/, /\^\\circ/, /\\frac\{/, /^-?\d+,\s*-?\d+(?:,|$)/],
};

function itemsFor(preset: PresetName): EvalItem[] {
  const all = loadPreset(preset);
  const chosen = sample(all, SAMPLE_SIZE, SAMPLE_SEED);
  for (const kind of EXTRA[preset] ?? []) {
    if (chosen.some((item) => kind.test(item.gold))) continue;
    const first = all.find((item) => kind.test(item.gold));
    if (first !== undefined) chosen.push(first);
  }
  return chosen;
}

interface Cell {
  checked: number;
  agree: number;
  excluded: number;
}
const matrix = new Map<string, Cell>();
/** Exclusions by grader and reason, for the closing note. */
const reasons = new Map<string, number>();
function cell(preset: string, template: string, grader: string, style: string): Cell {
  const key = [preset, template, grader, style].join("|");
  let c = matrix.get(key);
  if (c === undefined) matrix.set(key, (c = { checked: 0, agree: 0, excluded: 0 }));
  return c;
}

interface LedgerLine {
  readonly id: string;
  readonly dataset: string;
  readonly question: string;
  readonly gold: string;
  readonly verdict: string;
  readonly style: string;
  readonly format: string;
}

let fake: FakeDatasetsServer;
const cacheDirs = new Map<string, string>();

beforeAll(() => {
  fake = startFakeDatasetsServer();
});

afterAll(async () => {
  await stopAll();
  await fake.stop();
  printMatrix();
});

const GRADER_NAMES = ["llama-eval-regex", "boxed", "simple-evals", "lm-eval-strict", "lm-eval-gpqa", "judge", "judge-expected"];

/**
 * The verified matrix, one line per (preset, template, grader), a column per style: "agree/checked" over both
 * rates, and "+N" correct replies excluded by design at rate 1 (the grader's `cannot` reason).
 */
function printMatrix(): void {
  if (matrix.size === 0) return;
  const rows = [["preset", "template", "grader", ...STYLES]];
  let checked = 0;
  let agree = 0;
  let excluded = 0;
  for (const preset of PRESET_NAMES) {
    for (const t of TEMPLATES) {
      for (const grader of GRADER_NAMES) {
        if (grader === "lm-eval-gpqa" && preset !== "gpqa") continue; // multiple choice only: every row would be an exclusion
        const cells = STYLES.map((style) => matrix.get([preset, t.name, grader, style].join("|")));
        if (cells.every((c) => c === undefined)) continue;
        rows.push([
          preset,
          t.name,
          grader,
          ...cells.map((c) => {
            if (c === undefined) return "-";
            checked += c.checked;
            agree += c.agree;
            excluded += c.excluded;
            return `${c.agree}/${c.checked}${c.excluded > 0 ? ` +${c.excluded}` : ""}`;
          }),
        ]);
      }
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const text = rows.map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
  console.log(
    `\nEval matrix, --success-rate 1 and 0, --seed ${SERVER_SEED}: agree/checked grader verdicts (+ correct replies the grader cannot read by design)\n` +
      `${text}\ntotal: ${agree}/${checked} agree, ${excluded} excluded by design:\n` +
      [...reasons].map(([reason, n]) => `  ${String(n).padStart(5)}  ${reason}`).join("\n") +
      "\n",
  );
}

function readLedger(path: string): Map<string, LedgerLine> {
  const byId = new Map<string, LedgerLine>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const record = JSON.parse(line) as LedgerLine;
    byId.set(record.id, record);
  }
  return byId;
}

interface Reply {
  readonly template: string;
  readonly c: EvalCase;
  readonly id: string;
  readonly content: string;
}

for (const preset of PRESET_NAMES) {
  describe(`preset ${preset}`, () => {
    const items = itemsFor(preset);

    for (const style of STYLES) {
      for (const rate of RATES) {
        test(`${style} style, --success-rate ${rate}: every template matches and every grader agrees with the rate`, async () => {
          let cacheDir = cacheDirs.get(preset);
          if (cacheDir === undefined) cacheDirs.set(preset, (cacheDir = tempDir(`cache-${preset}`)));
          const ledgerPath = join(tempDir("ledger"), "ledger.jsonl");
          const sim = await startSim({
            args: ["--dataset", preset, "--datasets-server", fake.url, "--success-rate", String(rate), "--seed", SERVER_SEED, "--response-style", style, "--ledger", ledgerPath, "--quiet"],
            cacheDir,
            env: preset === "gpqa" ? { HF_TOKEN: GATED_TOKEN } : {},
          });
          const graders: Grader[] = [LLAMA_EVAL_REGEX, BOXED, SIMPLE_EVALS_ANSWER, LM_EVAL_STRICT, LM_EVAL_GPQA, judgeGrader(sim.url), judgeExpectedGrader(sim.url)];
          const problems: string[] = [];

          // Every template over every sampled item; GPQA options shuffled with a seed per (template, item).
          const cases = TEMPLATES.flatMap((template, t) => items.map((item, i) => ({ template, c: asGradedBy(template, makeCase(item, 1000 * (t + 1) + i)) })));
          const replies = await inBatches(cases, 16, async ({ template, c }): Promise<Reply | undefined> => {
            const res = await postJson(`${sim.url}/v1/chat/completions`, { model: "llama", messages: template.messages(c), n_predict: -1 });
            const text = await res.text();
            if (res.status !== 200) {
              problems.push(`${template.name} ${c.item.id}: HTTP ${res.status} ${text.slice(0, 200)}`);
              return undefined;
            }
            const body = JSON.parse(text) as { id: string; choices: { message: { content: string }; finish_reason: string }[] };
            const choice = body.choices[0]!;
            if (choice.finish_reason !== "stop") problems.push(`${template.name} ${c.item.id}: finish_reason ${choice.finish_reason}`);
            return { template: template.name, c, id: body.id, content: choice.message.content };
          });

          // Matching: the ledger names the question each prompt carried, its gold as this prompt's grader sees it, and the rate's verdict.
          const ledger = readLedger(ledgerPath);
          for (const r of replies) {
            if (r === undefined) continue;
            const record = ledger.get(r.id);
            const where = `${r.template} ${r.c.item.id}`;
            if (record === undefined) {
              problems.push(`${where}: no ledger record for ${r.id}`);
              continue;
            }
            if (record.dataset !== preset || record.question !== r.c.item.id) problems.push(`${where}: ledger names ${record.dataset} ${record.question}`);
            if (lightNormalise(record.gold) !== lightNormalise(r.c.gold)) problems.push(`${where}: ledger gold ${record.gold}, client gold ${r.c.gold}`);
            if (record.verdict !== (rate === 1 ? "correct" : "wrong")) problems.push(`${where}: ledger verdict ${record.verdict}`);
            if (record.style !== style) problems.push(`${where}: ledger style ${record.style}`);
            // The reply follows the format the prompt asks for (none asked: \boxed{}), which is what makes the format exclusions hold.
            const asked = TEMPLATES.find((t) => t.name === r.template)!.asks(r.c.item.family);
            if (record.format !== (asked === "unspecified" ? "boxed" : asked)) problems.push(`${where}: reply format ${record.format}, the prompt asks for ${asked}`);
          }

          // Grading: each grader's verdict equals the rate, except documented exclusions (rate 1 only).
          const template = (name: string) => TEMPLATES.find((t) => t.name === name)!;
          await inBatches(
            replies.filter((r): r is Reply => r !== undefined),
            16,
            async (r) => {
              for (const grader of graders) {
                const counts = cell(preset, r.template, grader.name, style);
                const excluded = rate === 1 ? grader.cannot(r.c, template(r.template).asks(r.c.item.family)) : undefined;
                if (excluded !== undefined) {
                  counts.excluded++;
                  const key = `${grader.name}: ${excluded}`;
                  reasons.set(key, (reasons.get(key) ?? 0) + 1);
                  continue;
                }
                const graded = await grader.grade(r.content, r.c);
                counts.checked++;
                if (graded.correct === (rate === 1)) counts.agree++;
                else
                  problems.push(
                    `${r.template} ${r.c.item.id} ${grader.name}: graded ${graded.correct ? "correct" : "wrong"} (extracted ${JSON.stringify(graded.extracted)}, gold ${JSON.stringify(r.c.gold)})\n    content tail: ${JSON.stringify(r.content.split("\n").slice(-4).join("\n"))}`,
                  );
              }
            },
          );
          await sim.stop();
          expect(problems).toEqual([]);
        });
      }
    }
  });
}

// Option labels of the issue (A) x, (A) x, A. x, A: x) in a plain template that asks for "Answer: X".
const LABELS = [(l: string) => `${l})`, (l: string) => `(${l})`, (l: string) => `${l}.`, (l: string) => `${l}:`] as const;
const labelled = (label: (l: string) => string): Template => ({
  name: `labels ${label("X")}`,
  messages: (c) => [
    { role: "user", content: `${c.item.question}\n\n${c.options!.map((o, i) => `${label(LETTERS[i]!)} ${o}`).join("\n")}\n\nEnd with a line 'Answer: X' where X is the letter of your choice.` },
  ],
  asks: () => "answer-line",
});

describe("GPQA: options shuffled by many seeds", () => {
  test("property (fast-check): the served letter carries the correct text in THIS prompt; a wrong one is another shown letter", async () => {
    let cacheDir = cacheDirs.get("gpqa");
    if (cacheDir === undefined) cacheDirs.set("gpqa", (cacheDir = tempDir("cache-gpqa")));
    const ledgerPath = join(tempDir("gpqa-ledger"), "ledger.jsonl");
    const sim = await startSim({
      args: ["--dataset", "gpqa", "--datasets-server", fake.url, "--success-rate", "0.5", "--seed", SERVER_SEED, "--ledger", ledgerPath, "--quiet"],
      cacheDir,
      env: { HF_TOKEN: GATED_TOKEN },
    });
    const items = loadPreset("gpqa");
    const templates: Template[] = [...TEMPLATES, ...LABELS.map(labelled)];
    let seen = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: items.length - 1 }), fc.integer({ min: 0, max: 0x7fffffff }), fc.nat({ max: templates.length - 1 }), async (index, shuffle, t) => {
        const template = templates[t]!;
        const c = asGradedBy(template, makeCase(items[index]!, shuffle));
        const res = await postJson(`${sim.url}/v1/chat/completions`, { model: "llama", messages: template.messages(c) });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { id: string; choices: { message: { content: string } }[] };
        const records = readFileSync(ledgerPath, "utf8").trim().split("\n");
        expect(records.length).toBe(++seen);
        const record = JSON.parse(records.at(-1)!) as LedgerLine & { given: string | null };
        expect(record.id).toBe(body.id);
        expect(record.question).toBe(c.item.id);
        // The gold letter is where the correct option's text sits after this shuffle.
        expect({ template: template.name, gold: record.gold }).toEqual({ template: template.name, gold: c.gold });
        const shown = template.name === "lm-eval" ? c.options!.map(lmEvalPreprocess) : c.options!;
        const correct = template.name === "lm-eval" ? lmEvalPreprocess(c.item.mc!.correct) : c.item.mc!.correct;
        expect(shown[LETTERS.indexOf(record.gold as (typeof LETTERS)[number])]).toBe(correct);
        if (record.verdict === "correct") expect(record.given).toBe(c.gold);
        else expect(LETTERS.filter((l) => l !== c.gold)).toContain(record.given as (typeof LETTERS)[number]);
        // And the reply says that letter where the prompt asked for it.
        const content = body.choices[0]!.message.content;
        const asked = template.asks("gpqa");
        const said = asked === "answer-line" ? llamaEvalRegexExtract(content, "gpqa") : asked === "the-answer-is" ? lmEvalGpqaExtract(content) : lastBoxedLetter(content);
        expect(said).toBe(record.given!);
      }),
      { numRuns: 200, seed: 0x69a },
    );
    await sim.stop();
  });
});

const lastBoxedLetter = (content: string) => [...content.matchAll(/\\boxed\{\(?([A-D])\)?\}/g)].at(-1)?.[1];

describe("the matrix covers what it claims", () => {
  test("every (preset, template, style) was graded by the judge at both rates, and every graded verdict agreed", () => {
    // Runs last (bun runs a file's tests in order): the counts above are complete by now.
    if (matrix.size === 0) return; // a filtered run (-t) skipped the matrix
    for (const preset of PRESET_NAMES) {
      for (const t of TEMPLATES) {
        for (const style of STYLES) {
          const judged = cell(preset, t.name, "judge-expected", style);
          expect({ preset, template: t.name, style, checked: judged.checked }).toEqual({ preset, template: t.name, style, checked: 2 * itemsFor(preset).length });
        }
      }
    }
    const total = [...matrix.values()].reduce((sum, c) => sum + c.checked, 0);
    const agree = [...matrix.values()].reduce((sum, c) => sum + c.agree, 0);
    expect(agree).toBe(total);
  });
});

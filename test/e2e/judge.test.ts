// llama-eval's LLM judge against the compiled binary: for every response style × answer form × wrong style,
// the judge's reply is what the server meant by the reply it judged (the ledger's `written`, in the bare
// form a judge writes, or "no answer"); a fast-check property over random servers and questions; and judge
// requests are no questions: no ledger record, no draw from the success rate, not in the shutdown count.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bareAnswer } from "../../src/judge/normalize.ts";
import { GATED_TOKEN, startFakeDatasetsServer, type FakeDatasetsServer } from "../fixtures/fake-datasets-server.ts";
import { TEMPLATES, askJudge, loadPreset, makeCase, sample, type EvalCase, type PresetName, type Template } from "./graders.ts";
import { inBatches, postJson, startSim, stopAll, tempDir, type Sim } from "./harness.ts";

const DATASETS: readonly PresetName[] = ["aime", "gsm8k", "math500", "gpqa"];
const STYLES = ["short", "reasoning", "think"] as const;
const FORMS = ["canonical", "varied"] as const;
const WRONG_STYLES = ["plausible", "off-by-one", "no-answer", "mixed"] as const;

interface LedgerLine {
  readonly id: string;
  readonly dataset: string;
  readonly question: string;
  readonly gold: string;
  readonly given: string | null;
  readonly written: string | null;
  readonly form: string;
  readonly style: string;
  readonly verdict: string;
}

function readLedger(path: string): LedgerLine[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LedgerLine);
}

let fake: FakeDatasetsServer;
let cacheDir: string;

/** A server over all four datasets, read from one shared cache after the first start. */
async function server(args: string[], ledger?: string): Promise<Sim> {
  return startSim({
    args: ["--dataset", DATASETS.join(","), "--datasets-server", fake.url, "--quiet", ...(ledger === undefined ? [] : ["--ledger", ledger]), ...args],
    cacheDir,
    env: { HF_TOKEN: GATED_TOKEN },
  });
}

beforeAll(async () => {
  fake = startFakeDatasetsServer();
  cacheDir = tempDir("judge-cache");
  // Fill the cache once: every later start reads it.
  const first = await server(["--seed", "1"]);
  await first.stop();
});

afterAll(async () => {
  await stopAll();
  await fake.stop();
});

interface Asked {
  readonly c: EvalCase;
  readonly template: Template;
  readonly id: string;
  readonly content: string;
}

/** Sends a case as `template` does; returns the completion id and content. */
async function ask(sim: Sim, c: EvalCase, template: Template): Promise<Asked> {
  const res = await postJson(`${sim.url}/v1/chat/completions`, { model: "llama", messages: template.messages(c), n_predict: -1 });
  const text = await res.text();
  expect({ status: res.status, text: res.status === 200 ? "" : text }).toEqual({ status: 200, text: "" });
  const body = JSON.parse(text) as { id: string; choices: { message: { content: string } }[] };
  return { c, template, id: body.id, content: body.choices[0]!.message.content };
}

/**
 * What the server meant, as llama-eval's judge must write it back: "no answer" for a reply that gives none,
 * else the written answer in bare form (the verbatim prompt's examples are integers: shape "number").
 */
function intended(record: LedgerLine): string {
  if (record.verdict === "no-answer") return "no answer";
  const bare = bareAnswer(record.written!, "number");
  if (bare === undefined) throw new Error(`ledger written ${JSON.stringify(record.written)} has no bare form`);
  return bare;
}

/** With "Expected answer: <gold>", a judge that finds the gold writes it as given; anything else as intended(). */
function intendedWithExpected(record: LedgerLine): string {
  return record.verdict === "correct" ? record.gold : intended(record);
}

// Two questions per dataset per server, each under a different template, so formats vary across the grid.
const PER_DATASET = 2;

describe("for every style × answer form × wrong style, the judge reply is what the server meant", () => {
  const seen = { verdicts: new Set<string>(), forms: new Set<string>() };

  for (const style of STYLES) {
    for (const forms of FORMS) {
      for (const wrong of WRONG_STYLES) {
        test(`--response-style ${style} --answer-forms ${forms} --wrong-style ${wrong}`, async () => {
          const ledgerPath = join(tempDir("judge-ledger"), "ledger.jsonl");
          const seed = 100 + STYLES.indexOf(style) * 10 + FORMS.indexOf(forms) * 4 + WRONG_STYLES.indexOf(wrong);
          const sim = await server(["--seed", String(seed), "--success-rate", "0.5", "--response-style", style, "--answer-forms", forms, "--wrong-style", wrong], ledgerPath);
          const cases = DATASETS.flatMap((preset, d) =>
            sample(loadPreset(preset), PER_DATASET, seed * 7 + d).map((item, i) => ({ c: makeCase(item, seed + i), template: TEMPLATES[(d + i + seed) % TEMPLATES.length]! })),
          );
          const asked = await inBatches(cases, 8, ({ c, template }) => ask(sim, c, template));
          const records = new Map(readLedger(ledgerPath).map((r) => [r.id, r] as const));
          const problems: string[] = [];
          await inBatches(asked, 8, async (a) => {
            const record = records.get(a.id);
            if (record === undefined) return void problems.push(`${a.c.item.id}: no ledger record`);
            expect(record.question).toBe(`${a.c.item.preset}/${a.c.item.id}`);
            expect(record.style).toBe(style);
            seen.verdicts.add(record.verdict);
            seen.forms.add(record.form);
            // Canonical: the gold as it is, an option letter in parentheses where the prompt writes letters so ("(A)").
            if (forms === "canonical" && record.verdict === "correct") {
              expect(record.form).toBe("canonical");
              expect([record.given, `(${record.given})`]).toContain(record.written);
            }
            if (wrong === "no-answer" && record.verdict !== "correct") expect(record.verdict).toBe("no-answer");
            const plain = await askJudge(sim.url, a.content);
            const withExpected = await askJudge(sim.url, a.content, record.gold);
            const want = intended(record);
            const wantExpected = intendedWithExpected(record);
            if (plain.status !== 200 || plain.text !== want || withExpected.text !== wantExpected) {
              problems.push(
                `${a.template.name} ${record.question} ${record.verdict} written=${JSON.stringify(record.written)} gold=${JSON.stringify(record.gold)}: ` +
                  `judge ${JSON.stringify(plain.text)} (want ${JSON.stringify(want)}), with expected ${JSON.stringify(withExpected.text)} (want ${JSON.stringify(wantExpected)})\n` +
                  `    content tail: ${JSON.stringify(a.content.split("\n").slice(-3).join("\n"))}`,
              );
            }
            expect(plain.finishReason).toBe("stop");
          });
          // Judge requests added nothing to the ledger.
          expect(readLedger(ledgerPath).length).toBe(asked.length);
          await sim.stop();
          expect(problems).toEqual([]);
        });
      }
    }
  }

  test("the grid met every verdict and several varied forms", () => {
    if (seen.verdicts.size === 0) return; // filtered run
    expect([...seen.verdicts].sort()).toEqual(["correct", "no-answer", "wrong"]);
    expect(seen.forms.has("canonical")).toBe(true);
    expect([...seen.forms].filter((f) => f !== "canonical" && f !== "none").length).toBeGreaterThanOrEqual(2);
  });
});

describe("property: the judge extracts the intended answer from any reply the server produced", () => {
  test("random (question, seed, style, form, wrong style, rate, template)", async () => {
    const pools = DATASETS.map((p) => loadPreset(p));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          dataset: fc.integer({ min: 0, max: DATASETS.length - 1 }),
          pick: fc.nat(),
          seed: fc.integer({ min: 0, max: 0xffffffff }),
          style: fc.constantFrom("short", "reasoning", "think", "mixed"),
          form: fc.constantFrom(...FORMS),
          wrong: fc.constantFrom(...WRONG_STYLES),
          rate: fc.constantFrom(0, 0.3, 0.5, 1),
          template: fc.integer({ min: 0, max: TEMPLATES.length - 1 }),
          shuffle: fc.nat(),
        }),
        async (p) => {
          const ledgerPath = join(tempDir("judge-prop"), "ledger.jsonl");
          const sim = await server(["--seed", String(p.seed), "--success-rate", String(p.rate), "--response-style", p.style, "--answer-forms", p.form, "--wrong-style", p.wrong], ledgerPath);
          try {
            const pool = pools[p.dataset]!;
            const c = makeCase(pool[p.pick % pool.length]!, p.shuffle);
            const a = await ask(sim, c, TEMPLATES[p.template]!);
            const [record] = readLedger(ledgerPath);
            expect(record?.id).toBe(a.id);
            const plain = await askJudge(sim.url, a.content);
            expect({ judge: plain.text, record }).toEqual({ judge: intended(record!), record: record! });
            const withExpected = await askJudge(sim.url, a.content, record!.gold);
            expect({ judge: withExpected.text, record }).toEqual({ judge: intendedWithExpected(record!), record: record! });
          } finally {
            await sim.stop();
          }
        },
      ),
      { numRuns: 30, seed: 0x1d6e, endOnFailure: true },
    );
  });
});

describe("llama-eval's default run (the judge grader) against llama-sim alone", () => {
  test("every AIME and GPQA case, graded by the judge on the same server, agrees with the ledger; the accuracy is the rate", async () => {
    const ledgerPath = join(tempDir("judge-run"), "ledger.jsonl");
    const sim = await server(["--seed", "2718", "--success-rate", "0.5", "--response-style", "mixed", "--wrong-style", "mixed"], ledgerPath);
    const cases = [...loadPreset("aime"), ...loadPreset("gpqa")].map((item, i) => makeCase(item, 1234 + i));
    const llamaEval = TEMPLATES[0]!;
    const graded = await inBatches(cases, 32, async (c) => {
      const a = await ask(sim, c, llamaEval);
      const reply = await askJudge(sim.url, a.content);
      // llama-eval: the stripped judge reply equals the gold, ignoring case.
      return { id: a.id, correct: reply.text.trim().toLowerCase() === c.gold.toLowerCase() };
    });
    const verdicts = new Map(readLedger(ledgerPath).map((r) => [r.id, r.verdict] as const));
    expect(verdicts.size).toBe(cases.length);
    const disagree = graded.filter((g) => g.correct !== (verdicts.get(g.id) === "correct"));
    expect(disagree).toEqual([]);
    // Binomial(288, 0.5): |correct - 144| > 53 (6.2 standard deviations of 8.49) has probability < 1e-9.
    const correct = graded.filter((g) => g.correct).length;
    expect(Math.abs(correct - cases.length / 2)).toBeLessThanOrEqual(53);
    await sim.stop();
  });
});

describe("judge requests are not questions", () => {
  test("no ledger record, no draw from the success rate, not counted at shutdown; /sim/stats and /metrics count them apart", async () => {
    const items = DATASETS.flatMap((p, d) => sample(loadPreset(p), 3, 50 + d));
    const cases = items.map((item, i) => makeCase(item, i));
    const args = ["--seed", "77", "--success-rate", "0.5", "--response-style", "reasoning", "--metrics"];

    // Server A: only the questions.
    const ledgerA = join(tempDir("judge-a"), "ledger.jsonl");
    const a = await server(args, ledgerA);
    for (const c of cases) await ask(a, c, TEMPLATES[0]!);
    await a.stop();

    // Server B: the same questions, each followed by judge requests quoting its reply (which quotes numbers, letters, the question's words).
    const ledgerB = join(tempDir("judge-b"), "ledger.jsonl");
    const b = await server(args, ledgerB);
    let judged = 0;
    for (const c of cases) {
      const reply = await ask(b, c, TEMPLATES[0]!);
      await askJudge(b.url, reply.content);
      await askJudge(b.url, reply.content, c.gold);
      // A judge prompt quoting the question itself (with the reply) is still a judge request.
      await askJudge(b.url, `${c.item.question}\n\n${reply.content}`);
      judged += 3;
    }
    const recordsA = readLedger(ledgerA);
    const recordsB = readLedger(ledgerB);
    expect(recordsB.length).toBe(cases.length);
    // Same seed, same questions: the judge requests in between changed no outcome and no text.
    expect(recordsB.map((r) => [r.question, r.verdict, r.written])).toEqual(recordsA.map((r) => [r.question, r.verdict, r.written]));
    expect(recordsB.map((r) => r.question)).toEqual(cases.map((c) => `${c.item.preset}/${c.item.id}`));

    // /sim/stats and /metrics count the judge requests apart from the questions.
    const stats = await fetch(`${b.url}/sim/stats`);
    expect(stats.status).toBe(200);
    const body = (await stats.json()) as { judge_requests: number; totals: { scored: number } };
    expect({ judge: body.judge_requests, scored: body.totals.scored }).toEqual({ judge: judged, scored: cases.length });
    const metrics = await fetch(`${b.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(`llamasim_judge_requests_total ${judged}`);

    await b.stop();
    const summary = b.stderrLines.find((l) => l.includes("stopping;"));
    expect(summary).toMatch(new RegExp(`answered ${cases.length} matched requests`));
  });

  test("the request log names a judge request as one, never as a correct or wrong answer", async () => {
    const sim = await startSim({ args: ["--dataset", "aime", "--datasets-server", fake.url, "--seed", "3", "--success-rate", "1"], cacheDir });
    const c = makeCase(loadPreset("aime")[0]!, 0);
    const reply = await ask(sim, c, TEMPLATES[0]!);
    await askJudge(sim.url, reply.content);
    const question = await sim.waitForStderr(/POST \/v1\/chat\/completions 200 q=/, 5_000, sim.bannerEnd);
    expect(question).toContain(`q=${c.item.id} correct`);
    const judgeLine = await sim.waitForStderr(/POST \/v1\/chat\/completions 200/, 5_000, sim.stderrLines.indexOf(question) + 1);
    expect(judgeLine).toMatch(/\bjudge\b/);
    expect(judgeLine).not.toMatch(/\b(?:correct|wrong)\b/);
    await sim.stop();
  });

  test("a judge reply has the normal chat.completion shape and finish_reason stop, streamed too", async () => {
    const sim = await server(["--seed", "3", "--success-rate", "1"]);
    const c = makeCase(loadPreset("aime")[0]!, 0);
    const reply = await ask(sim, c, TEMPLATES[0]!);
    const messages = [{ role: "user", content: `Extract the answer from this response:\n\nResponse: ${reply.content}\n\nExpected answer: ${c.gold}\n\nPlease provide only the extracted answer, nothing else.` }];
    const res = await postJson(`${sim.url}/v1/chat/completions`, { model: "llama", messages, temperature: 0 });
    const body = (await res.json()) as Record<string, unknown> & { choices: { message: { role: string; content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };
    expect(res.status).toBe(200);
    expect(body.object).toBe("chat.completion");
    expect(String(body.id)).toMatch(/^chatcmpl-[0-9A-Za-z]{32}$/);
    expect(body.choices[0]!.message).toEqual({ role: "assistant", content: c.gold });
    expect(body.choices[0]!.finish_reason).toBe("stop");
    expect(body.usage.completion_tokens).toBeGreaterThan(0);

    const stream = await postJson(`${sim.url}/v1/chat/completions`, { model: "llama", messages, temperature: 0, stream: true });
    const events = (await stream.text()).split("\n\n").filter((e) => e.startsWith("data: "));
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string | null }; finish_reason: string | null }[] });
    expect(chunks.map((ch) => ch.choices[0]?.delta.content ?? "").join("")).toBe(c.gold);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    await sim.stop();
  });
});

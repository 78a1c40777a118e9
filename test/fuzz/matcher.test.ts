/**
 * Fuzzing the question index (src/match) with fast-check, against the real bundled datasets.
 *
 * (a) Linear time on adversarial inputs, through the automaton's step counter (never the clock):
 *     steps ≤ 3 × tokens, and tokens bounded by the input's size, for inputs of growing size; and the
 *     worst generator built at 1 Mi and 4 Mi characters scales linearly.
 * (b) No false match: ONE index over every question of every file under ../shared/datasets, and texts
 *     that are not questions (vocabulary prose, LLM-judge prompts, questions with a token deleted, changed
 *     or duplicated, truncated questions, stitched halves) never match. A brute-force oracle (trigram
 *     candidates + full comparison over the reference tokeniser TOKEN_PATTERN, no automaton) decides
 *     whether a generated text really holds a question; those few texts are skipped (fc.pre), after
 *     checking that the index agrees with the oracle on them too.
 * (c) Every question of every file (GSM8K train sampled) is found when embedded in random text.
 *
 * Deterministic: every property runs with FUZZ_SEED (./seed.ts); a failure prints the seed and path.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { BOUNDARY, DEFAULT_MIN_TOKENS, QuestionIndex, type ScanResult, normalizeText, requestText, tokenize } from "../../src/match/index.ts";
import { TOKEN_PATTERN } from "../../src/match/normalize.ts";
import { JUDGE_SYSTEM, TEMPLATES, judgeUser, judgeVariant } from "../match/fixtures.ts";
import { FUZZ_SEED, fuzzParams, preview, rng } from "./seed.ts";

// Bun's default is 5 s per test (bunfig.toml's `[test] timeout` is ignored); these take ~0.1–1.5 s each.
setDefaultTimeout(30_000);

const DATASETS_DIR = resolve(import.meta.dir, "../../../shared/datasets");
const haveDatasets = existsSync(DATASETS_DIR);
/** The question field, by the first name present in a file's rows (as the presets name them). */
const QUESTION_FIELDS = ["problem", "question", "Problem", "Question"] as const;

// ---------------------------------------------------------------------------------------------------------
// Every dataset file, one index over all of them, and the brute-force oracle.

interface DatasetFile {
  readonly file: string;
  readonly field: string;
  /** Global index of the file's first question. */
  readonly first: number;
  readonly count: number;
}

function jsonlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue; // _datasets-server-examples
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsonlFiles(path));
    else if (entry.name.endsWith(".jsonl")) out.push(path);
  }
  return out.sort();
}

/** The reference tokeniser: normalisation, then the TOKEN_PATTERN regex (not the hand-written cursor). */
const refTokens = (text: string): string[] => normalizeText(text).match(TOKEN_PATTERN) ?? [];
const SEP = "\u0001"; // a control character: never inside a token

class Corpus {
  readonly files: DatasetFile[] = [];
  readonly questions: string[] = [];
  /** Reference tokens per question (U+FFFF dropped, as the index drops it from questions). */
  readonly qTokens: string[][];
  /** First index with the same token sequence (the index reports duplicates as the first). */
  readonly canonical: Int32Array;
  readonly vocab: string[];
  readonly index: QuestionIndex;
  readonly trainIds: number[] = [];
  readonly otherIds: number[] = [];
  private readonly trigrams = new Map<string, number[]>();
  private readonly norm = new Map<number, { text: string; spans: [number, number][] }>();

  constructor() {
    for (const path of jsonlFiles(DATASETS_DIR)) {
      const rows = readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
      const field = QUESTION_FIELDS.find((f) => typeof rows[0]?.[f] === "string");
      const file = relative(DATASETS_DIR, path);
      if (field === undefined) throw new Error(`${file}: no ${QUESTION_FIELDS.join("/")} field`);
      const first = this.questions.length;
      rows.forEach((row, i) => {
        const q = row[field];
        if (typeof q !== "string") throw new Error(`${file}:${i + 1}: ${field} is not a string`);
        (file.includes("gsm8k") && file.endsWith("train.jsonl") ? this.trainIds : this.otherIds).push(this.questions.length);
        this.questions.push(q);
      });
      this.files.push({ file, field, first, count: rows.length });
    }
    this.qTokens = this.questions.map((q) => refTokens(q).filter((t) => t !== BOUNDARY));
    this.canonical = new Int32Array(this.questions.length);
    const firstByKey = new Map<string, number>();
    const vocab = new Set<string>();
    this.qTokens.forEach((tokens, i) => {
      const key = tokens.join(SEP);
      const first = firstByKey.get(key);
      this.canonical[i] = first ?? i;
      for (const t of tokens) vocab.add(t);
      if (first !== undefined) return;
      firstByKey.set(key, i);
      const tri = tokens.slice(0, 3).join(SEP);
      const list = this.trigrams.get(tri);
      if (list) list.push(i);
      else this.trigrams.set(tri, [i]);
    });
    this.vocab = [...vocab].sort();
    this.index = new QuestionIndex(this.questions);
  }

  /**
   * The question the documented rules say `input` carries: the occurrence of a whole question's token
   * sequence inside one message (U+FFFF splits messages) that ends latest, ties to the longest; undefined
   * when there is none. Brute force: every position, every question starting with that position's trigram.
   */
  expected(input: string | readonly string[]): number | undefined {
    const tokens = typeof input === "string" ? refTokens(input) : refTokens(requestText(input));
    let best: { q: number; end: number; len: number } | undefined;
    for (let i = 0; i + 2 < tokens.length; i++) {
      const candidates = this.trigrams.get(`${tokens[i]}${SEP}${tokens[i + 1]}${SEP}${tokens[i + 2]}`);
      if (!candidates) continue;
      for (const q of candidates) {
        const qt = this.qTokens[q]!;
        if (i + qt.length > tokens.length) continue;
        let k = 3;
        while (k < qt.length && tokens[i + k] === qt[k]) k++;
        if (k < qt.length) continue;
        const end = i + qt.length;
        if (!best || end > best.end || (end === best.end && qt.length > best.len)) best = { q, end, len: qt.length };
      }
    }
    return best?.q;
  }

  /** The normalised question text and the [start, end) offsets of its tokens in it. */
  normalized(q: number): { text: string; spans: [number, number][] } {
    let n = this.norm.get(q);
    if (!n) {
      const text = normalizeText(this.questions[q]!);
      const spans = [...text.matchAll(TOKEN_PATTERN)].filter((m) => m[0] !== BOUNDARY).map((m): [number, number] => [m.index, m.index + m[0].length]);
      n = { text, spans };
      this.norm.set(q, n);
    }
    return n;
  }
}

/**
 * index.scan(input), checked against the same scan with the ASCII fast path off (every message through
 * normalizeText + TokenCursor): match, token count and step count must be identical.
 */
function scanBothPaths(index: QuestionIndex, input: string | readonly string[]): ScanResult {
  const fast = index.scan(input);
  const general = index.scan(input, { asciiFastPath: false });
  if (fast.tokens !== general.tokens || fast.steps !== general.steps || JSON.stringify(fast.match) !== JSON.stringify(general.match)) {
    const show = typeof input === "string" ? preview(input, 300) : preview(JSON.stringify(input), 300);
    throw new Error(`ASCII fast path ${JSON.stringify(fast)} != general path ${JSON.stringify(general)} for ${show}`);
  }
  return fast;
}

let corpusCache: Corpus | undefined;
const corpus = () => (corpusCache ??= new Corpus());

/** `n` spread over 0..n-1 from an unbounded natural. */
const pick = (nat: number, n: number) => nat % n;

type Mutation = "delete" | "change" | "duplicate" | "insert";

/** Question `q` (normalised) with token `at` (mod its length) deleted, replaced by `repl`, doubled, or with `repl` inserted before it. */
function mutate(c: Corpus, q: number, op: Mutation, at: number, repl: string): string {
  const { text, spans } = c.normalized(q);
  const [s, e] = spans[pick(at, spans.length)]!;
  if (op === "delete") return `${text.slice(0, s)} ${text.slice(e)}`;
  if (op === "change") return `${text.slice(0, s)} ${repl} ${text.slice(e)}`;
  if (op === "insert") return `${text.slice(0, s)} ${repl} ${text.slice(s)}`;
  return `${text.slice(0, e)} ${text.slice(s, e)} ${text.slice(e)}`;
}

/** The first `keep` tokens (1..n-1) of question q, or its text from token `keep` on. */
function truncated(c: Corpus, q: number, from: "start" | "end", keep: number): string {
  const { text, spans } = c.normalized(q);
  const k = 1 + pick(keep, spans.length - 1);
  return from === "start" ? text.slice(0, spans[k - 1]![1]) : text.slice(spans[k]![0]);
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries over the corpus (built lazily: the corpus is loaded on first use).

function arbs(c: Corpus) {
  // GSM8K train is 7473 of the 9442 questions: draw it a quarter of the time so every file is exercised.
  const questionId = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...c.otherIds) },
    { weight: 1, arbitrary: fc.constantFrom(...c.trainIds) },
  );
  const vocabToken = fc.constantFrom(...c.vocab);
  /** A proper slice (1..n-1 tokens) of a question: the pieces near-questions are made of. */
  const window = fc.tuple(questionId, fc.nat(), fc.nat()).map(([q, from, len]) => {
    const t = c.qTokens[q]!;
    const start = pick(from, t.length - 1);
    return t.slice(start, start + 1 + pick(len, Math.min(t.length - 1, t.length - start))).join(" ");
  });
  const prose = fc
    .array(fc.oneof({ weight: 3, arbitrary: vocabToken }, { weight: 1, arbitrary: window }), { minLength: 1, maxLength: 60 })
    .map((parts) => parts.join(" "));
  const template = fc.constantFrom(...Object.keys(TEMPLATES)).map((name) => TEMPLATES[name]!);
  /** As one text, or as a messages array with a system prompt. */
  const layout = fc.constantFrom("text", "messages", "system+text");
  return { questionId, vocabToken, window, prose, template, layout };
}

function laidOut(text: string, layout: string): string | string[] {
  if (layout === "messages") return ["You are a helpful assistant.", text];
  if (layout === "system+text") return `You are a helpful assistant.\n\n${text}`;
  return text;
}

/**
 * Counts the non-question texts checked. The index must agree with the oracle on every text; texts that
 * really hold a question are then skipped with fc.pre, and must stay rare (the generator is about
 * non-questions).
 */
class NoMatchChecker {
  checked = 0;
  skipped = 0;
  constructor(private readonly c: Corpus) {}

  check(input: string | readonly string[]): void {
    const got = scanBothPaths(this.c.index, input).match?.question;
    const want = this.c.expected(input);
    if (got !== want) {
      const name = (q: number | undefined) => (q === undefined ? "no match" : `#${q} ${preview(this.c.questions[q]!, 80)}`);
      throw new Error(`index says ${name(got)}, brute force says ${name(want)} for ${typeof input === "string" ? preview(input, 400) : JSON.stringify(input).slice(0, 400)}`);
    }
    if (want !== undefined) {
      this.skipped++;
      fc.pre(false); // the text holds a whole question after all: not a non-question
    }
    this.checked++;
  }

  expectMostlyNonQuestions(): void {
    expect(this.checked).toBeGreaterThan(0);
    expect(this.skipped).toBeLessThanOrEqual(this.checked / 10);
  }
}

// ---------------------------------------------------------------------------------------------------------

describe.skipIf(!haveDatasets)("fuzz: the question index over every bundled dataset", () => {
  test("the corpus: every .jsonl under ../shared/datasets, one index, every question long enough to match anywhere", () => {
    const c = corpus();
    expect(c.files.map((f) => `${f.file} ${f.field} ${f.count}`)).toEqual([
      "AIME2025/AIME2025-I/test.jsonl question 15",
      "AIME2025/AIME2025-II/test.jsonl question 15",
      "AIME_2024/train.jsonl Problem 30",
      "MATH-500/test.jsonl problem 500",
      "aime_2026/train.jsonl problem 30",
      "aimo-validation-aime/train.jsonl problem 90",
      "gpqa/gpqa_diamond/train.jsonl Question 198",
      "gsm8k/main/test.jsonl question 1319",
      "gsm8k/main/train.jsonl question 7473",
    ]);
    expect(c.index.stats.questions).toBe(9670);
    // The oracle models the "short questions match only as a whole message" rule by its absence.
    expect(Math.min(...c.qTokens.map((t) => t.length))).toBeGreaterThanOrEqual(DEFAULT_MIN_TOKENS);
    // Its tokeniser agrees with the index's on every question.
    c.questions.forEach((q, i) => expect(c.index.questionTokens(i)).toBe(c.qTokens[i]!.length));
  });

  describe("(b) no false match", () => {
    test("prose made of dataset vocabulary and question fragments, in templates and message arrays", () => {
      const c = corpus();
      const a = arbs(c);
      const checker = new NoMatchChecker(c);
      fc.assert(
        fc.property(a.prose, a.template, a.layout, (text, template, layout) => checker.check(laidOut(template(text), layout))),
        fuzzParams(600),
      );
      checker.expectMostlyNonQuestions();
    });

    test("LLM-judge prompts (eval-clients.md) quoting random model answers", () => {
      const c = corpus();
      const a = arbs(c);
      const answer = fc
        .tuple(fc.constantFrom("", "Let me work through this problem step by step.\n\n", "We need to find "), a.prose, fc.integer({ min: -999, max: 99_999 }))
        .map(([lead, body, n]) => `${lead}${body}\n\nThe answer is \\boxed{${n}}.`);
      const judge = fc.oneof(
        answer.map((r) => [JUDGE_SYSTEM, judgeUser(r)]),
        answer.map((r) => `${JUDGE_SYSTEM}\n\n${judgeUser(r)}`),
        fc.tuple(answer, fc.integer({ min: 0, max: 999 })).map(([r, gold]) => [judgeVariant(r, String(gold))]),
        fc.tuple(answer, fc.integer({ min: 0, max: 999 })).map(([r, gold]) => judgeVariant(r, String(gold))),
      );
      const checker = new NoMatchChecker(c);
      fc.assert(fc.property(judge, (input) => checker.check(input)), fuzzParams(400));
      checker.expectMostlyNonQuestions();
    });

    test("a question with one token deleted, changed, duplicated or inserted (fast-check)", () => {
      const c = corpus();
      const a = arbs(c);
      const checker = new NoMatchChecker(c);
      fc.assert(
        fc.property(
          a.questionId,
          fc.constantFrom<Mutation>("delete", "change", "duplicate", "insert"),
          fc.nat(),
          fc.oneof(a.vocabToken, fc.stringMatching(/^[a-z0-9]{1,6}$/)),
          a.template,
          a.layout,
          (q, op, at, repl, template, layout) => checker.check(laidOut(template(mutate(c, q, op, at, repl)), layout)),
        ),
        fuzzParams(1500),
      );
      checker.expectMostlyNonQuestions();
    });

    test("EVERY question (GSM8K train: every 4th) with one token deleted, changed, duplicated, inserted", () => {
      const c = corpus();
      const rand = rng(FUZZ_SEED);
      const ids = [...c.otherIds, ...c.trainIds.filter((_, k) => k % 4 === 0)];
      const templates = Object.values(TEMPLATES);
      const falseMatches: string[] = [];
      let checked = 0;
      for (const q of ids) {
        for (const op of ["delete", "change", "duplicate", "insert"] as const) {
          const at = Math.floor(rand() * 1e9);
          // A dataset token, or (a quarter of the time) one no question contains.
          const repl = rand() < 0.25 ? `zq${Math.floor(rand() * 1e6).toString(36)}` : c.vocab[Math.floor(rand() * c.vocab.length)]!;
          const prompt = templates[Math.floor(rand() * templates.length)]!(mutate(c, q, op, at, repl));
          const want = c.expected(prompt);
          const got = scanBothPaths(c.index, prompt).match?.question;
          if (got !== want) falseMatches.push(`#${q} ${op} @${at}: index ${got}, oracle ${want}: ${preview(prompt, 300)}`);
          if (want === undefined) checked++;
        }
      }
      expect(falseMatches.slice(0, 5)).toEqual([]);
      expect(checked).toBeGreaterThan(ids.length * 4 * 0.95);
    });

    test("truncated questions: leading or trailing tokens or characters cut", () => {
      const c = corpus();
      const a = arbs(c);
      const checker = new NoMatchChecker(c);
      const cut = fc.oneof(
        fc.tuple(a.questionId, fc.constantFrom<"start" | "end">("start", "end"), fc.nat()).map(([q, from, keep]) => truncated(c, q, from, keep)),
        // Raw characters: a cut that removes only trailing whitespace leaves the whole question (skipped).
        fc.tuple(a.questionId, fc.nat(), fc.boolean()).map(([q, at, head]) => {
          const text = c.questions[q]!;
          const k = pick(at, text.length);
          return head ? text.slice(0, k) : text.slice(k + 1);
        }),
      );
      fc.assert(fc.property(cut, a.template, a.layout, (text, template, layout) => checker.check(laidOut(template(text), layout))), fuzzParams(1000));
      checker.expectMostlyNonQuestions();
    });

    test("two half-questions stitched together", () => {
      const c = corpus();
      const a = arbs(c);
      const checker = new NoMatchChecker(c);
      const cutPoint = fc.oneof(fc.constant(-1), fc.nat()); // -1: exactly the middle token
      fc.assert(
        fc.property(a.questionId, a.questionId, cutPoint, cutPoint, a.template, a.layout, (q1, q2, k1, k2, template, layout) => {
          fc.pre(c.canonical[q1] !== c.canonical[q2]);
          const n1 = c.normalized(q1);
          const n2 = c.normalized(q2);
          const at = (k: number, n: number) => (k < 0 ? n >> 1 : 1 + pick(k, n - 1));
          const head = n1.text.slice(0, n1.spans[at(k1, n1.spans.length)]![0]);
          const tail = n2.text.slice(n2.spans[at(k2, n2.spans.length)]![0]);
          checker.check(laidOut(template(`${head} ${tail}`), layout));
        }),
        fuzzParams(1000),
      );
      checker.expectMostlyNonQuestions();
    });
  });

  describe("(c) every question is found in random text", () => {
    test("each question of each file (GSM8K train: every 3rd), between random texts, as text or messages", () => {
      const c = corpus();
      const a = arbs(c);
      const junkArb = fc.oneof(
        fc.string({ unit: "binary", maxLength: 120 }),
        fc.string({ unit: "grapheme", maxLength: 120 }),
        a.prose,
        fc.constantFrom(JUDGE_SYSTEM, "", "\n", "Question:", "\\boxed{}", "½ ⁗ ㏂ ﷺ", "\u200f\u202e\ufeff\u200d"),
      );
      const junk = fc.sample(junkArb, { seed: FUZZ_SEED, numRuns: 997 });
      const templates = Object.values(TEMPLATES);
      const ids = [...c.otherIds, ...c.trainIds.filter((_, k) => k % 3 === 0)];
      const missed: string[] = [];
      ids.forEach((q, k) => {
        const pre = junk[(2 * k) % junk.length]!;
        const post = junk[(2 * k + 1) % junk.length]!;
        const prompt = templates[k % templates.length]!(c.questions[q]!);
        const input = k % 3 === 0 ? `${pre}\n${prompt}\n${post}` : k % 3 === 1 ? [pre, `${post}\n${prompt}`] : [`${pre}\n${prompt}\n${post}`, post];
        const got = scanBothPaths(c.index, input).match?.question;
        if (got !== c.canonical[q]) missed.push(`#${q}: got ${got}, oracle ${c.expected(input)}: ${preview(JSON.stringify(input), 300)}`);
      });
      expect(missed.slice(0, 5)).toEqual([]);
      expect(ids.length).toBeGreaterThan(4000);
    });
  });

  describe("(a) linear time, through the step counter", () => {
    interface Generator<P> {
      readonly name: string;
      readonly params: fc.Arbitrary<P>;
      /** A text (or messages) of about `size` characters; the same params at 4× size give 4× the text. */
      readonly build: (p: P, size: number) => string | string[];
      /** Built only from normalised dataset tokens and ASCII whitespace, so tokens ≤ characters exactly. */
      readonly normalizedOnly: boolean;
    }
    const repeatTo = (unit: string, size: number) => unit.repeat(Math.max(1, Math.ceil(size / unit.length)));
    const utf8 = new TextEncoder();
    // Compatibility characters NFKC expands into several tokens (½ -> 1 ⁄ 2, ⁗ -> ′′′′, ㏂ -> a.m.).
    const EXPANDERS = ["½", "⁗", "㏂", "ﷺ", "…", "⑴", "℀", "∯", "ﬃ", "ß", "İ", "ς"];

    function generators(c: Corpus) {
      const a = arbs(c);
      const gens = [
        {
          name: "repetitions of a question prefix",
          params: fc.tuple(a.questionId, fc.nat()),
          build: ([q, keep]: [number, number], size: number) => {
            const t = c.qTokens[q]!;
            return repeatTo(`${t.slice(0, 1 + pick(keep, t.length - 1)).join(" ")} `, size);
          },
          normalizedOnly: true,
        },
        {
          name: "near-miss copies of a question (one token changed), repeated",
          params: fc.tuple(a.questionId, fc.nat(), a.vocabToken),
          build: ([q, at, repl]: [number, number, string], size: number) => {
            const t = [...c.qTokens[q]!];
            const k = pick(at, t.length);
            t[k] = repl === t[k] ? "zzz" : repl;
            return repeatTo(`${t.join(" ")} `, size);
          },
          normalizedOnly: true,
        },
        {
          name: "near-misses of many questions (prefixes cut one token short), in random order",
          params: fc.tuple(fc.array(a.questionId, { minLength: 1, maxLength: 40 }), fc.integer()),
          build: ([qs, seed]: [number[], number], size: number) => {
            const rand = rng(seed);
            const parts: string[] = [];
            let len = 0;
            while (len < size) {
              const t = c.qTokens[qs[Math.floor(rand() * qs.length)]!]!;
              const p = `${t.slice(0, t.length - 1).join(" ")} `;
              parts.push(p);
              len += p.length;
            }
            return parts.join("");
          },
          normalizedOnly: true,
        },
        {
          name: "random vocabulary tokens",
          params: fc.integer(),
          build: (seed: number, size: number) => {
            const rand = rng(seed);
            const parts: string[] = [];
            let len = 0;
            while (len < size) {
              const t = c.vocab[Math.floor(rand() * c.vocab.length)]!;
              parts.push(t);
              len += t.length + 1;
            }
            return parts.join(" ");
          },
          normalizedOnly: true,
        },
        {
          name: "many messages, each a question prefix",
          params: fc.tuple(a.questionId, fc.nat()),
          build: ([q, keep]: [number, number], size: number) => {
            const t = c.qTokens[q]!;
            const msg = t.slice(0, 1 + pick(keep, t.length - 1)).join(" ");
            return Array.from({ length: Math.max(1, Math.ceil(size / (msg.length + 1))) }, () => msg);
          },
          normalizedOnly: true,
        },
        {
          name: "a long run of one character",
          params: fc.oneof(
            fc.constantFrom("a", "9", "$", "(", "\\", " ", "\n", "é", "𝑥", "😀", "\u0301", "\u200b", "\ufeff", "\uffff", "\ud800", ...EXPANDERS),
            fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
          ),
          build: (ch: string, size: number) => repeatTo(ch, size),
          normalizedOnly: false,
        },
        {
          name: "mixed Unicode (any code point, graphemes, NFKC expanders, lone surrogates, dataset tokens)",
          params: fc.array(
            fc.oneof(
              fc.string({ unit: "binary", minLength: 1, maxLength: 8 }),
              fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 }),
              fc.constantFrom(...EXPANDERS, "\ud800", "\udc00", "\u0000", "\u200f", "\u202e", "\uffff", "\ufeff", "\u0301\u0301"),
              a.vocabToken,
            ),
            { minLength: 1, maxLength: 40 },
          ),
          build: (parts: string[], size: number) => repeatTo(parts.join(""), size),
          normalizedOnly: false,
        },
      ] as const;
      return gens as unknown as readonly Generator<unknown>[];
    }

    function expectLinear(input: string | string[], r: ScanResult, normalizedOnly: boolean, what: string): void {
      const text = typeof input === "string" ? input : requestText(input);
      const chars = text.length;
      const bytes = utf8.encode(text).length;
      const context = `${what}: ${r.tokens} tokens, ${r.steps} steps, ${chars} chars, ${bytes} bytes, input ${preview(text, 120)}`;
      expect(r.steps, context).toBeLessThanOrEqual(3 * r.tokens);
      // A token is at least one character of the normalised text (boundaries included).
      expect(r.tokens, context).toBeLessThanOrEqual(normalizeText(text).length);
      if (normalizedOnly) expect(r.tokens, context).toBeLessThanOrEqual(chars);
      // NFKC can expand one character into up to 4 tokens (see the per-code-point test below), but never
      // more than 1.5 tokens per UTF-8 byte: a 1 MiB body is at most ~1.6 M tokens, ~4.7 M steps.
      expect(r.tokens, context).toBeLessThanOrEqual(4 * chars);
      expect(r.tokens, context).toBeLessThanOrEqual(1.5 * bytes);
    }

    const SIZES = [1 << 10, 1 << 14, 1 << 17];
    for (const [g, name] of [
      "repetitions of a question prefix",
      "near-miss copies of a question (one token changed), repeated",
      "near-misses of many questions (prefixes cut one token short), in random order",
      "random vocabulary tokens",
      "many messages, each a question prefix",
      "a long run of one character",
      "mixed Unicode (any code point, graphemes, NFKC expanders, lone surrogates, dataset tokens)",
    ].entries()) {
      test(`${name}: steps ≤ 3 × tokens, tokens bounded by size (1 KiB..128 KiB)`, () => {
        const c = corpus();
        const gen = generators(c)[g]!;
        expect(gen.name).toBe(name);
        fc.assert(
          fc.property(gen.params, fc.constantFrom(...SIZES), (p, size) => {
            const input = gen.build(p, size);
            expectLinear(input, scanBothPaths(c.index, input), gen.normalizedOnly, gen.name);
          }),
          fuzzParams(24),
        );
      });
    }

    test("the worst generator (highest steps per token) at 1 Mi and 4 Mi characters: steps scale linearly", () => {
      const c = corpus();
      let worst: { gen: Generator<unknown>; p: unknown; ratio: number } | undefined;
      generators(c).forEach((gen, g) => {
        for (const p of fc.sample(gen.params, { seed: FUZZ_SEED + g, numRuns: 4 })) {
          const r = c.index.scan(gen.build(p, 1 << 16));
          const ratio = r.tokens === 0 ? 0 : r.steps / r.tokens;
          if (!worst || ratio > worst.ratio) worst = { gen, p, ratio };
        }
      });
      const { gen, p, ratio } = worst!;
      expect(ratio).toBeGreaterThan(1); // failure links were followed: the sample is adversarial at all
      const small = gen.build(p, 1 << 20);
      const big = gen.build(p, 4 << 20);
      const r1 = scanBothPaths(c.index, small);
      const r4 = scanBothPaths(c.index, big);
      const what = `${gen.name} ${preview(JSON.stringify(p), 160)} (${ratio.toFixed(3)} steps/token at 64 Ki)`;
      expectLinear(small, r1, gen.normalizedOnly, what);
      expectLinear(big, r4, gen.normalizedOnly, what);
      expect(r1.steps).toBeGreaterThan(0);
      expect(r4.steps, what).toBeLessThanOrEqual(4.2 * r1.steps);
    });

    test("tokens per character: NFKC expansion is bounded (every code point: ≤ 4 tokens, ≤ 1.5 per UTF-8 byte)", () => {
      // The bound behind "work per MB": tokens ≤ chars does NOT hold in general (½ is 1 character, 3 tokens).
      expect(tokenize("½")).toEqual(["1", "⁄", "2"]);
      expect(tokenize("⁗")).toHaveLength(4);
      let maxPerChar = 0;
      let maxPerByte = 0;
      for (let cp = 0; cp <= 0x10ffff; cp++) {
        const ch = String.fromCodePoint(cp);
        const n = tokenize(ch).length;
        if (n <= 1) continue;
        maxPerChar = Math.max(maxPerChar, n / ch.length);
        maxPerByte = Math.max(maxPerByte, n / utf8.encode(ch).length);
      }
      expect(maxPerChar).toBe(4);
      expect(maxPerByte).toBe(1.5);
    });
  });
});

// U+FFFF inside one message is an ordinary (ignored) character, as in questions, never a message boundary.
describe("U+FFFF inside one message", () => {
  test("a question containing U+FFFF (anywhere) is found when its text is sent verbatim as a message", () => {
    const aime = readFileSync(join(DATASETS_DIR, "aimo-validation-aime/train.jsonl"), "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => (JSON.parse(l) as { problem: string }).problem);
    fc.assert(
      fc.property(fc.constantFrom(...aime), fc.nat(), (q, at) => {
        const cps = Array.from(q);
        cps.splice(at % (cps.length + 1), 0, BOUNDARY);
        const withFFFF = cps.join("");
        const index = new QuestionIndex([withFFFF]);
        expect(index.find([withFFFF])?.question, preview(withFFFF)).toBe(0);
        expect(index.find([TEMPLATES["llama-eval aime"]!(withFFFF)])?.question, preview(withFFFF)).toBe(0);
      }),
      fuzzParams(50),
    );
  });

  test("a short question after a U+FFFF inside a longer message is not matched as a whole message", () => {
    const index = new QuestionIndex(["Hello world"]); // 2 tokens: matches only as an entire message
    expect(index.find(["Say: Hello world"])).toBeUndefined();
    expect(index.find(["Say:\uffffHello world"])).toBeUndefined();
  });
});

// Shared by the issue-7 e2e tests (modes, ledger, reconcile, metrics): start the compiled binary on an
// embedded dataset, send chat requests, and read /sim/ledger and /sim/stats — all through real HTTP.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SHARED, aimePrompt, lastBoxed, loadAime, postJson, startSim, type Sim } from "./harness.ts";

/** A ledger record as GET /sim/ledger and --ledger FILE write it (fields the tests read). */
export interface LedgerRecord {
  readonly seq: number;
  readonly time: string;
  readonly id: string;
  readonly dataset: string;
  readonly question: string;
  readonly attempt: number;
  readonly choice: number;
  readonly gold: string;
  readonly given: string | null;
  readonly written: string | null;
  readonly verdict: "correct" | "wrong" | "no-answer" | "error";
  readonly latency_ms: number;
  readonly response_hash: string;
}

export interface LedgerPage {
  readonly records: LedgerRecord[];
  readonly next: number;
  readonly dropped: boolean;
}

export interface ChatChoice {
  readonly index: number;
  readonly finish_reason: string;
  readonly message: { readonly role: string; readonly content: string | null };
}

export interface ChatCompletion {
  readonly id: string;
  readonly created: number;
  readonly choices: ChatChoice[];
  readonly usage: { readonly prompt_tokens: number; readonly completion_tokens: number; readonly total_tokens: number };
  readonly timings: Record<string, number>;
}

/** One dataset question as the tests see it: the prompt text and the grader's gold. */
export interface Item {
  readonly id: string;
  readonly question: string;
  /** What a correct grader compares with ("033" -> "33"; GSM8K: the number after ####). */
  readonly gold: string;
  /** The dataset's own answer string ("033"; GSM8K: the whole worked solution). */
  readonly raw: string;
}

/** The embedded AIME snapshot equals ../shared's aimo-validation-aime (90 rows, ids 0..89 in order). */
export function aimeItems(): Item[] {
  return loadAime().map((a) => ({ id: a.id, question: a.problem, gold: a.gold, raw: a.rawAnswer }));
}

let gsm8kCache: Item[] | undefined;
/** GSM8K main/test (1319 rows) from ../shared, gold = the number after the last ####, commas dropped. */
export function gsm8kItems(): Item[] {
  gsm8kCache ??= readFileSync(join(SHARED, "datasets/gsm8k/main/test.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line, i) => {
      const row = JSON.parse(line) as { question: string; answer: string };
      // llama-eval's gold: the text after the last "####", stripped (thousands separators kept).
      const gold = row.answer.split("####").at(-1)!.trim();
      return { id: String(i), question: row.question, gold, raw: row.answer };
    });
  return gsm8kCache;
}

/** llama-eval's gsm8k template (eval-clients.md). */
export function gsm8kPrompt(question: string): string {
  return `${question}\nPlease reason step by step, and put your final numeric answer within \\boxed{} without any extra characters.\n`;
}

export type Preset = "aime" | "gsm8k";

/** Starts the binary on an embedded preset (no network, no cache) with --quiet and the given flags. */
export function startEmbedded(preset: string, args: readonly string[] = []): Promise<Sim> {
  return startSim({ args: ["--dataset", preset, "--source", "embedded", "--quiet", ...args] });
}

/** The chat body llama-eval sends for an item of `preset`. */
export function bodyFor(preset: Preset, item: Item, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const content = preset === "aime" ? aimePrompt(item.question) : gsm8kPrompt(item.question);
  return { model: "llama", messages: [{ role: "user", content }], n_predict: -1, ...extra };
}

export interface ChatResult {
  readonly status: number;
  readonly text: string;
  /** Parsed body when status is 200. */
  readonly body?: ChatCompletion;
}

export async function chat(sim: Sim, body: unknown, headers: Record<string, string> = {}): Promise<ChatResult> {
  const res = await postJson(`${sim.url}/v1/chat/completions`, body, { headers: { "Content-Type": "application/json", ...headers } });
  const text = await res.text();
  return res.status === 200 ? { status: 200, text, body: JSON.parse(text) as ChatCompletion } : { status: res.status, text };
}

/** chat() that insists on a 200. */
export async function chatOk(sim: Sim, body: unknown, headers: Record<string, string> = {}): Promise<ChatCompletion> {
  const r = await chat(sim, body, headers);
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 300)}`);
  return r.body!;
}

/** The regex grader (last \boxed{} in the last 10 lines) against the item's normalised gold. */
export function gradedCorrect(content: string | null, gold: string): boolean {
  return content !== null && lastBoxed(content) === gold;
}

/** A body with the per-request fields (id, created) removed, for comparing replies across processes. */
export function stableBody(text: string): string {
  const { id: _id, created: _created, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return JSON.stringify(rest);
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Every record of GET /sim/ledger, paging with `limit` from `since` on; also returns the pages. */
export async function readLedger(sim: Sim, limit = 1000, since = 0): Promise<{ records: LedgerRecord[]; pages: LedgerPage[] }> {
  const records: LedgerRecord[] = [];
  const pages: LedgerPage[] = [];
  let cursor = since;
  for (;;) {
    const page = await getJson<LedgerPage>(`${sim.url}/sim/ledger?since=${cursor}&limit=${limit}`);
    pages.push(page);
    records.push(...page.records);
    if (page.records.length === 0 || page.next === cursor) break;
    cursor = page.next;
  }
  return { records, pages };
}

export interface Totals {
  readonly scored: number;
  readonly correct: number;
  readonly wrong: number;
  readonly no_answer: number;
  readonly error: number;
  readonly rate: number | null;
  readonly wilson95: [number, number];
}

export interface SimStats {
  readonly configured_rate: number;
  readonly mode: string;
  readonly totals: Totals;
  readonly datasets: Record<string, Totals>;
  readonly questions: Record<string, { asked: number; correct: number; wrong: number; no_answer: number; error: number }>;
  readonly judge_requests: number;
  readonly unmatched_requests: number;
  readonly expected_pass_at_k?: Record<string, number>;
  readonly pass_at_k?: Record<string, number | null>;
}

export const getStats = (sim: Sim): Promise<SimStats> => getJson<SimStats>(`${sim.url}/sim/stats`);

/** Runs `work` over items keeping exactly `limit` requests in flight (a worker pool, as llama-eval's threads). */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Fisher–Yates with a seeded generator. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * t with P(|S - E S| >= t) <= delta for a sum S of n independent values in [0, 1] whose variances
 * average at most v: the smaller of Hoeffding's sqrt(n ln(2/δ) / 2) and Bernstein's
 * L/3 + sqrt(L²/9 + 2 n v L), L = ln(2/δ). (Written here, not imported from src/decide/stats.ts:
 * the bound is the test's oracle.)
 */
export function tailBound(n: number, v: number, delta: number): number {
  const l = Math.log(2 / delta);
  const hoeffding = Math.sqrt((n * l) / 2);
  const bernstein = l / 3 + Math.sqrt((l * l) / 9 + 2 * n * v * l);
  return Math.min(hoeffding, bernstein);
}

// Everything a server thread answers with, built from the flags and the loaded dataset: by main.ts
// for one process, and by each --threads-http worker (server/worker.ts) over the shared state.
import type { Config } from "../config.ts";
import { QuestionsInUse } from "../dataset/in-use.ts";
import type { Dataset } from "../dataset/types.ts";
import { Decider, type DeciderOptions } from "../decide/decide.ts";
import { questionCells } from "../decide/question-cells.ts";
import { Ledger as RecordLedger } from "../decide/records.ts";
import { SharedLedger, type PageLink } from "../decide/shared-ledger.ts";
import { SharedTally, Tally, tallyKeys } from "../decide/tally.ts";
import { QuestionIndex } from "../match/index.ts";
import { answerPool, type AnswerPool } from "../respond/wrong.ts";
import type { ServerContext } from "./context.ts";
import { Faults, faultSummary } from "./faults.ts";
import { completionRuntime } from "./generation.ts";
import { LineBuffer } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { Oracle } from "./oracle.ts";
import { Pacer } from "./pacing.ts";
import { serverSettings } from "./props.ts";
import type { SharedState } from "./shared-state.ts";
import { ProcessSlots, SlotPool } from "./slot-pool.ts";
import { FINGERPRINT } from "../version.ts";

/** A worker's part of the process (absent for a single-threaded server). */
export interface WorkerPart {
  readonly shared: SharedState;
  /** 0-based. */
  readonly worker: number;
  readonly workers: number;
  /** This worker's slots: ids offset .. offset + count - 1 of the process's. */
  readonly slots: { readonly offset: number; readonly count: number };
  /** The --ledger file, opened (O_APPEND) by the main thread. */
  readonly ledgerFd: number | undefined;
  /** Pages of GET /sim/ledger: the main thread gathers them from every worker. */
  readonly pages: PageLink;
  readonly processStartTimeUnix: number;
}

export interface RuntimeHooks {
  /** Where request-log chunks go (whole lines). */
  readonly writeLog: (chunk: string) => void;
  /** --crash-after's N-th reply has left. */
  readonly crash: (replies: number) => void;
  /** The clock --loading-ms runs on (a worker's starts when it listens); default performance.now. */
  readonly faultClock?: () => number;
}

export interface Runtime {
  readonly ctx: ServerContext;
  readonly index: QuestionIndex;
  readonly decider: Decider;
  readonly oracle: Oracle;
  /** A worker's ledger (the oracle's), whose records the main thread collects for GET /sim/ledger. */
  readonly sharedLedger: SharedLedger | undefined;
  readonly faults: Faults | undefined;
  readonly requestLog: LineBuffer;
}

/**
 * Builds the server context as main.ts always has. With a worker part, the counters whose meaning
 * is the process's (attempts, exact schedule, seqs, tally, metrics, fault counts, slot flags) are
 * the shared ones; everything else (the index, fixed mode's set, difficulty probabilities, answer
 * pools) is a pure function of the flags and the dataset, so every worker builds the same.
 * Throws an Error naming the flag when the --ledger file cannot be opened.
 */
export function buildRuntime(config: Config, dataset: Dataset, hooks: RuntimeHooks, part?: WorkerPart): Runtime {
  const inUse = new QuestionsInUse(dataset.questions);
  const index = QuestionIndex.build(
    dataset.questions.map((q) => q.text),
    { copyText: (text, question) => inUse.textCopy(text, question) },
  );
  const datasetOf = (q: { readonly dataset?: string }) => q.dataset ?? dataset.name;
  const sharedLedger = part
    ? new SharedLedger({ seq: part.shared.seq, worker: part.worker, keep: config.decision.ledgerKeep, pages: part.pages, ...(part.ledgerFd !== undefined ? { fd: part.ledgerFd } : {}) })
    : undefined;
  // One process: attempts and tally side by side (decide/question-cells.ts); workers share theirs.
  const cells = part ? undefined : questionCells(dataset.questions.length);
  const decider = new Decider(
    deciderOptions(config, dataset),
    part && sharedLedger ? { attempts: part.shared.attempts, exact: part.shared.exact, onExactStep: () => sharedLedger.reserve() } : cells,
  );
  const pools = answerPools(dataset);
  const datasets = [...pools.keys()];
  const metrics = config.decision.metrics
    ? new Metrics({ datasets, ...(part ? { rows: part.shared.metricsRows, row: part.worker, processStartTimeUnix: part.processStartTimeUnix } : {}) })
    : undefined;
  const oracle: Oracle = part
    ? // The context's type names the one-thread Ledger; a worker's pages are promises, which GET /sim/ledger awaits (app.ts).
      (new Oracle(sharedLedger!, metrics, new SharedTally(tallyKeys(dataset.questions.map((q) => ({ dataset: datasetOf(q), question: q.id }))), part.shared.tally)) as unknown as Oracle)
    : new Oracle(new RecordLedger({ keep: config.decision.ledgerKeep, file: config.decision.ledgerFile }), metrics, new Tally(dataset.questions.length, cells?.tally));
  const requestLog = new LineBuffer(hooks.writeLog);
  const faults = faultSummary(config.faults)
    ? new Faults(config.faults, config.seed, { hangTimeoutMs: config.timeoutSeconds * 1000, crash: hooks.crash, ...(hooks.faultClock ? { now: hooks.faultClock } : {}) }, part?.shared.faults)
    : undefined;
  const ctx: ServerContext = {
    dataset,
    findQuestion: (texts) => index.question(texts),
    question: (i) => inUse.at(i),
    decider,
    poolFor: (question) => pools.get(datasetOf(question))!,
    reply: config.reply,
    oracle,
    faults,
    allowOverride: config.decision.allowOverride,
    ...modelNames(config.alias),
    fingerprint: FINGERPRINT,
    maxBodyBytes: config.maxBodyBytes,
    readTimeoutSeconds: config.readTimeoutSeconds,
    log: config.quiet ? undefined : requestLog.push,
    server: serverSettings(config.server, config.decision.metrics),
    ...(part ? workerSlots(config, part, metrics) : completionRuntime(config.server, config.pacing, config.seed, oracle.metrics)),
    parallel: config.server.parallel,
  };
  return { ctx, index, decider, oracle, sharedLedger, faults, requestLog };
}

/** A worker's share of the -np slots, shown to /slots and /props as the whole process's. */
function workerSlots(config: Config, part: WorkerPart, metrics: Metrics | undefined): Pick<ServerContext, "slots" | "pool" | "pacing"> {
  const listener = metrics ? (processing: number, deferred: number) => metrics.setSlots(processing, deferred) : undefined;
  const pool = new SlotPool(part.slots.count, config.server.slotContext, listener, undefined, {
    busy: part.shared.slotBusy,
    offset: part.slots.offset,
    firstTask: part.worker,
    taskStep: part.workers,
  });
  return { slots: new ProcessSlots(pool, part.shared.slotBusy, part.slots.offset), pool, pacing: new Pacer(config.pacing, config.seed) };
}

/** The Decider's options from the flags and the dataset (the same in every worker). */
export function deciderOptions(config: Config, dataset: Dataset): DeciderOptions {
  return {
    mode: config.decision.mode,
    successRate: config.successRate,
    seed: config.seed,
    questionCount: dataset.questions.length,
    difficultySource: config.decision.difficultySource,
    spread: config.decision.difficultySpread,
    difficulties: dataset.questions.map((q) => q.difficulty),
    // Only when several datasets are served: fixed mode is then exact per dataset.
    ...(dataset.questions.some((q) => q.dataset !== undefined) ? { groups: dataset.questions.map((q) => q.dataset ?? dataset.name) } : {}),
    greedy: config.decision.greedy,
  };
}

/**
 * The model's names from --alias: llama-server splits `-a a,b,c` into a set and reports the first in
 * sorted order as the model; /v1/models lists them all.
 */
export function modelNames(flag: string): { readonly alias: string; readonly aliases: readonly string[] } {
  const aliases = flag.split(",").map((a) => a.trim()).filter((a) => a !== "");
  if (aliases.length === 0) return { alias: flag, aliases: [flag] };
  return { alias: [...aliases].sort()[0]!, aliases };
}

/** One answer pool per dataset: wrong answers stay within their own dataset's range. */
export function answerPools(dataset: Dataset): Map<string, AnswerPool> {
  const byDataset = new Map<string, string[]>();
  for (const q of dataset.questions) {
    const name = q.dataset ?? dataset.name;
    let answers = byDataset.get(name);
    if (answers === undefined) byDataset.set(name, (answers = []));
    answers.push(q.answer);
  }
  return new Map([...byDataset].map(([name, answers]) => [name, answerPool(answers)]));
}

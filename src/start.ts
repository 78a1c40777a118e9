// Wiring: parse the flags, load the dataset, build the index, start the server (or its workers), handle signals.
import { closeSync } from "node:fs";
import { parseCli } from "./cli.ts";
import { ignoredNotice } from "./llama-args.ts";
import { ConfigError, type Config } from "./config.ts";
import { describeDataset, loadChosenDataset } from "./dataset/choose.ts";
import { presetListText } from "./dataset/presets.ts";
import { DatasetError, type Dataset } from "./dataset/types.ts";
import { Decider } from "./decide/decide.ts";
import { openAppend } from "./decide/records.ts";
import { runReconcile } from "./reconcile/run.ts";
import { startServer } from "./server/app.ts";
import { faultSummary } from "./server/faults.ts";
import { buildRuntime, deciderOptions, modelNames, type Runtime } from "./server/runtime.ts";
import { Lifecycle } from "./server/shutdown.ts";
import { WorkerPool, WorkerStartError, workerCount } from "./server/workers.ts";
import { writeStderr } from "./stderr.ts";
import { versionText } from "./version.ts";

const stderr = (line: string) => writeStderr(`${line}\n`);

function fail(message: string, code: number): never {
  stderr(`llama-sim: ${message}`);
  process.exit(code);
}

async function main(): Promise<void> {
  if (process.argv[2] === "reconcile") {
    const out = (line: string) => process.stdout.write(`${line}\n`);
    process.exit(await runReconcile(process.argv.slice(3), { out, err: stderr }));
  }
  if (process.argv[2] === "stats") process.exit(await (await import("./stats/run.ts")).runStats(process.argv.slice(3), { out: (line) => process.stdout.write(`${line}\n`), err: stderr }));
  let cli;
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  if (cli.kind === "help") return void process.stdout.write(`${cli.text}\n`);
  if (cli.kind === "version") return void process.stdout.write(`${versionText()}\n`);
  if (cli.kind === "list-datasets") return void process.stdout.write(`${presetListText()}\n`);
  const config = cli.config;
  const notice = ignoredNotice(config);
  if (notice) stderr(notice);

  const loadStart = performance.now();
  let dataset: Dataset;
  try {
    dataset = await loadChosenDataset(config, { log: stderr, progress: process.stderr.isTTY === true });
  } catch (error) {
    if (error instanceof DatasetError || error instanceof ConfigError) fail(error.message, 1);
    throw error;
  }
  const { count: threads, notice: threadsNotice } = workerCount(config.server.threadsHttp);
  if (threadsNotice) stderr(threadsNotice);
  if (threads > 1) return serveWithWorkers(config, dataset, threads, loadStart);

  let runtime: Runtime;
  let lifecycle: Lifecycle | undefined;
  try {
    runtime = buildRuntime(config, dataset, { writeLog: writeStderr, crash: (replies) => lifecycle?.crash(replies) });
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error), 1);
  }
  const { decider, oracle, faults, requestLog, index } = runtime;
  let server;
  try {
    server = startServer(runtime.ctx, { host: config.host, port: config.port, idleTimeoutSeconds: config.timeoutSeconds, batch: config.batch });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    fail(`cannot listen on ${config.host}:${config.port} (--host/--port): ${message}`, 1);
  }

  // SIGINT/SIGTERM drain in-flight replies (--shutdown-grace-ms); --crash-after exits through here too.
  lifecycle = new Lifecycle({
    server,
    graceMs: config.shutdownGraceMs,
    flush: () => {
      requestLog.flush();
      oracle.ledger.close();
    },
    summary: () => summaryOf(decider.ledger.totals),
    beforeDrain: () => faults?.endHangs(),
    log: stderr,
    exit: (code) => process.exit(code),
  });
  lifecycle.listen();
  // Only now: a client that signals as soon as it reads the banner must find the handlers in place.
  printBanner(config, dataset, index.duplicates, server.url.href, performance.now() - loadStart);
}

/**
 * --threads-http N > 1: N workers serve the port (server/workers.ts); this thread checks the port,
 * owns the --ledger descriptor, gathers GET /sim/ledger pages from the workers, and runs the shutdown.
 */
async function serveWithWorkers(config: Config, dataset: Dataset, threads: number, loadStart: number): Promise<void> {
  // Checked here, as one thread checks them, before any worker starts: bad options fail with their own message.
  try {
    void new Decider(deciderOptions(config, dataset));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error), 1);
  }
  let ledgerFd: number | undefined;
  try {
    if (config.decision.ledgerFile !== undefined) ledgerFd = openAppend(config.decision.ledgerFile);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error), 1);
  }
  let lifecycle: Lifecycle | undefined;
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.start({
      config,
      dataset,
      workers: threads,
      ledgerFd,
      // Relative to this file: src/server/worker.ts from source, /$bunfs/root/server/worker.ts in the binary
      // (an entrypoint of `bun build --compile`, see the Makefile).
      entry: new URL("./server/worker.ts", import.meta.url),
      onCrash: (replies) => lifecycle?.crash(replies),
      onWorkerError: (message) => {
        stderr(`llama-sim: ${message}`);
        process.exit(1);
      },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof WorkerStartError && error.port) fail(`cannot listen on ${config.host}:${config.port} (--host/--port): ${message}`, 1);
    fail(message, 1);
  }
  lifecycle = new Lifecycle({
    graceMs: config.shutdownGraceMs,
    drain: () => pool.drain(config.shutdownGraceMs),
    flush: async () => {
      await pool.flush();
      if (ledgerFd !== undefined) closeSync(ledgerFd);
    },
    summary: () => summaryOf(pool.totals.totals),
    log: stderr,
    exit: (code) => process.exit(code),
  });
  lifecycle.listen();
  printBanner(config, dataset, pool.duplicates, pool.url, performance.now() - loadStart, threads);
}

/** The closing line's account of the run. */
function summaryOf({ asked, correct }: { readonly asked: number; readonly correct: number }): string {
  const rate = asked > 0 ? ` (${((100 * correct) / asked).toFixed(1)}%)` : "";
  return `answered ${asked} matched requests, ${correct} correctly${rate}`;
}

function printBanner(config: Config, dataset: Dataset, duplicates: number, url: string, loadMs: number, threads = 1): void {
  const faults = faultSummary(config.faults);
  const lines = [
    `llama-sim listening on ${url.replace(/\/$/, "")}`,
    `  dataset:      ${describeDataset(dataset)}`,
    `  questions:    ${dataset.questions.length}${dataset.partial ? " (partial split: the datasets-server served only part of it)" : ""}${duplicates ? `, ${duplicates} duplicate texts` : ""}`,
    `  success rate: ${config.successRate}`,
    `  seed:         ${config.seed}${config.seedGiven ? "" : " (random; pass --seed to replay)"}`,
    `  model:        ${modelNames(config.alias).alias}`,
    ...(faults ? [`  faults:       ${faults}`] : []),
    ...(threads > 1 ? [`  http threads: ${threads} workers sharing the port (--threads-http)`] : []),
    `  ready in:     ${loadMs.toFixed(0)} ms`,
  ];
  stderr(lines.join("\n"));
}

await main();

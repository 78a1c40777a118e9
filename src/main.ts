import { ignoredNotice, parseCli } from "./cli.ts";
import { ConfigError, type Config } from "./config.ts";
import { describeDataset, loadChosenDataset } from "./dataset/choose.ts";
import { presetListText } from "./dataset/presets.ts";
import { DatasetError, type Dataset } from "./dataset/types.ts";
import { Decider } from "./decide/decide.ts";
import { QuestionIndex } from "./match/index.ts";
import { answerPool, type AnswerPool } from "./respond/wrong.ts";
import { Ledger as RecordLedger } from "./decide/records.ts";
import { runReconcile } from "./reconcile/run.ts";
import { startServer } from "./server/app.ts";
import { Faults, faultSummary } from "./server/faults.ts";
import { Lifecycle } from "./server/shutdown.ts";
import { serverSettings } from "./server/props.ts";
import { completionRuntime } from "./server/generation.ts";
import { Metrics } from "./server/metrics.ts";
import { Oracle } from "./server/oracle.ts";
import { LineBuffer } from "./server/log.ts";
import { writeStderr } from "./stderr.ts";
import { FINGERPRINT, versionText } from "./version.ts";

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
  const index = QuestionIndex.build(dataset.questions.map((q) => q.text));
  const decider = new Decider({
    mode: config.decision.mode,
    successRate: config.successRate,
    seed: config.seed,
    questionCount: dataset.questions.length,
    difficultySource: config.decision.difficultySource,
    spread: config.decision.difficultySpread,
    difficulties: dataset.questions.map((q) => q.difficulty),
    greedy: config.decision.greedy,
  });
  const pools = answerPools(dataset);
  let oracle: Oracle;
  try {
    oracle = new Oracle(new RecordLedger({ keep: config.decision.ledgerKeep, file: config.decision.ledgerFile }), config.decision.metrics ? new Metrics() : undefined);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error), 1);
  }

  const requestLog = new LineBuffer(writeStderr);
  let lifecycle: Lifecycle | undefined;
  const faults = faultSummary(config.faults)
    ? new Faults(config.faults, config.seed, { hangTimeoutMs: config.timeoutSeconds * 1000, crash: (replies) => lifecycle?.crash(replies) })
    : undefined;
  let server;
  try {
    server = startServer(
      {
        dataset,
        findQuestion: (texts) => index.find(texts)?.question,
        decider,
        poolFor: (question) => pools.get(question.dataset ?? dataset.name)!,
        reply: config.reply,
        oracle,
        faults,
        allowOverride: config.decision.allowOverride,
        alias: config.alias,
        fingerprint: FINGERPRINT,
        maxBodyBytes: config.maxBodyBytes,
        readTimeoutSeconds: config.readTimeoutSeconds,
        log: config.quiet ? undefined : requestLog.push,
        server: serverSettings(config.server, config.decision.metrics),
        ...completionRuntime(config.server, config.pacing, config.seed, oracle.metrics),
        parallel: config.server.parallel,
      },
      { host: config.host, port: config.port, idleTimeoutSeconds: config.timeoutSeconds },
    );
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
    summary: () => {
      const { asked, correct } = decider.ledger.totals;
      const rate = asked > 0 ? ` (${((100 * correct) / asked).toFixed(1)}%)` : "";
      return `answered ${asked} matched requests, ${correct} correctly${rate}`;
    },
    beforeDrain: () => faults?.endHangs(),
    log: stderr,
    exit: (code) => process.exit(code),
  });
  lifecycle.listen();
  // Only now: a client that signals as soon as it reads the banner must find the handlers in place.
  printBanner(config, dataset, index, server.url.href, performance.now() - loadStart);
}

/** One answer pool per dataset: wrong answers stay within their own dataset's range. */
function answerPools(dataset: Dataset): Map<string, AnswerPool> {
  const byDataset = new Map<string, string[]>();
  for (const q of dataset.questions) {
    const name = q.dataset ?? dataset.name;
    let answers = byDataset.get(name);
    if (answers === undefined) byDataset.set(name, (answers = []));
    answers.push(q.answer);
  }
  return new Map([...byDataset].map(([name, answers]) => [name, answerPool(answers)]));
}

function printBanner(config: Config, dataset: Dataset, index: QuestionIndex, url: string, loadMs: number): void {
  const faults = faultSummary(config.faults);
  const lines = [
    `llama-sim listening on ${url.replace(/\/$/, "")}`,
    `  dataset:      ${describeDataset(dataset)}`,
    `  questions:    ${dataset.questions.length}${dataset.partial ? " (partial split: the datasets-server served only part of it)" : ""}${index.duplicates ? `, ${index.duplicates} duplicate texts` : ""}`,
    `  success rate: ${config.successRate}`,
    `  seed:         ${config.seed}${config.seedGiven ? "" : " (random; pass --seed to replay)"}`,
    `  model:        ${config.alias}`,
    ...(faults ? [`  faults:       ${faults}`] : []),
    `  ready in:     ${loadMs.toFixed(0)} ms`,
  ];
  stderr(lines.join("\n"));
}

await main();

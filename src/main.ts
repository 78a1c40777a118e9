import { parseCli } from "./cli.ts";
import { ConfigError, type Config } from "./config.ts";
import { loadChosenDataset } from "./dataset/choose.ts";
import { presetListText } from "./dataset/presets.ts";
import { DatasetError, type Dataset } from "./dataset/types.ts";
import { Decider } from "./decide/decide.ts";
import { QuestionIndex } from "./match/index.ts";
import { answerPool } from "./respond/wrong.ts";
import { startServer } from "./server/app.ts";
import { LineBuffer } from "./server/log.ts";
import { writeStderr } from "./stderr.ts";
import { FINGERPRINT, versionText } from "./version.ts";

const stderr = (line: string) => writeStderr(`${line}\n`);

function fail(message: string, code: number): never {
  stderr(`llama-sim: ${message}`);
  process.exit(code);
}

async function main(): Promise<void> {
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

  const loadStart = performance.now();
  let dataset: Dataset;
  try {
    dataset = await loadChosenDataset(config, { log: stderr, progress: process.stderr.isTTY === true });
  } catch (error) {
    if (error instanceof DatasetError || error instanceof ConfigError) fail(error.message, 1);
    throw error;
  }
  const index = QuestionIndex.build(dataset.questions.map((q) => q.text));
  const decider = new Decider(config.successRate, config.seed, dataset.questions.length);

  const requestLog = new LineBuffer(writeStderr);
  let server;
  try {
    server = startServer(
      {
        dataset,
        findQuestion: (texts) => index.find(texts)?.question,
        decider,
        pool: answerPool(dataset.questions.map((q) => q.answer)),
        alias: config.alias,
        fingerprint: FINGERPRINT,
        maxBodyBytes: config.maxBodyBytes,
        readTimeoutSeconds: config.readTimeoutSeconds,
        log: config.quiet ? undefined : requestLog.push,
      },
      { host: config.host, port: config.port, idleTimeoutSeconds: config.timeoutSeconds },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    fail(`cannot listen on ${config.host}:${config.port} (--host/--port): ${message}`, 1);
  }
  printBanner(config, dataset, index, server.url.href, performance.now() - loadStart);

  const shutdown = (signal: string) => {
    void server.stop(true);
    requestLog.flush();
    const { asked, correct } = decider.ledger.totals;
    const rate = asked > 0 ? ` (${((100 * correct) / asked).toFixed(1)}%)` : "";
    stderr(`llama-sim: ${signal}, stopping; answered ${asked} matched requests, ${correct} correctly${rate}`);
    process.exit(0);
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

function printBanner(config: Config, dataset: Dataset, index: QuestionIndex, url: string, loadMs: number): void {
  const where = dataset.origin === "file" ? dataset.name : `${dataset.name} (config ${dataset.config}, split ${dataset.split}, from ${dataset.origin})`;
  const lines = [
    `llama-sim listening on ${url.replace(/\/$/, "")}`,
    `  dataset:      ${where}`,
    `  questions:    ${dataset.questions.length}${dataset.partial ? " (partial split: the datasets-server served only part of it)" : ""}${index.duplicates ? `, ${index.duplicates} duplicate texts` : ""}`,
    `  success rate: ${config.successRate}`,
    `  seed:         ${config.seed}${config.seedGiven ? "" : " (random; pass --seed to replay)"}`,
    `  model:        ${config.alias}`,
    `  ready in:     ${loadMs.toFixed(0)} ms`,
  ];
  stderr(lines.join("\n"));
}

await main();

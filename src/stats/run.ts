// `llama-sim stats --ledger FILE[,FILE...]` (issue 9 §3): one set of numbers from the ledgers of many
// replicas (one file per process), as GET /sim/stats would report them for a single server.
import { parseArgs } from "node:util";
import { ConfigError, MODES, parseChoice, parseRate } from "../config.ts";
import { readLedgerFile, tornRecordNotice, type LedgerRecord } from "../decide/records.ts";
import { statsFromRecords } from "../decide/tally.ts";
import { formatStats, type LedgerSource, type MergedStats } from "./format.ts";

export interface StatsIo {
  out(line: string): void;
  err(line: string): void;
}

export const STATS_USAGE = `usage: llama-sim stats --ledger FILE[,FILE...] [--rate P] [--mode MODE] [--json]

Merges ledger files written with --ledger (one per replica; order does not matter) and prints the
totals, the observed rate with its Wilson 95% interval, one line per dataset and the records in
each file.

  --ledger FILE[,FILE...]  ledger file(s); comma-separated, or --ledger repeated
  --rate P                 the --success-rate the replicas ran with: reported, and checked against
                           the interval
  --mode MODE              the --mode they ran with (${MODES.join(", ")}); a label only
  --json                   print the statistics as JSON: GET /sim/stats's object (configured_rate and
                           mode null when not given) plus "ledgers": [{"file", "records"}]

Exit status: 0 printed, 2 bad usage or an unreadable ledger (one line naming the flag).`;

interface StatsArgs {
  readonly help: boolean;
  readonly ledger: readonly string[];
  readonly rate: number | null;
  readonly mode: string | null;
  readonly json: boolean;
}

/** Exit status: 0 printed, 2 usage error or unreadable ledger (one line on err naming the flag). */
export async function runStats(argv: readonly string[], io: StatsIo): Promise<number> {
  let args: StatsArgs;
  try {
    args = parseFlags(argv);
  } catch (error) {
    io.err(`llama-sim stats: ${(error as Error).message}`);
    return 2;
  }
  if (args.help) {
    STATS_USAGE.split("\n").forEach((line) => io.out(line));
    return 0;
  }

  const records: LedgerRecord[] = [];
  const ledgers: LedgerSource[] = [];
  for (const file of args.ledger) {
    let read: LedgerRecord[];
    try {
      read = readLedgerFile(file, (line) => io.err(`llama-sim stats: ${tornRecordNotice(file, line)}`));
    } catch (error) {
      // Node's fs messages already name the path; readLedgerFile's name the file and line.
      io.err(`llama-sim stats: --ledger: ${error instanceof Error ? error.message : String(error)}`);
      return 2;
    }
    ledgers.push({ file, records: read.length });
    for (const r of read) records.push(r);
  }

  // Counts do not depend on the rate or mode; they are only carried into the report.
  const stats = statsFromRecords(records, { configuredRate: args.rate ?? Number.NaN, mode: args.mode ?? "" });
  const merged: MergedStats = { ...stats, configured_rate: args.rate, mode: args.mode, ledgers };
  if (args.json) io.out(JSON.stringify(merged));
  else formatStats(merged).forEach((line) => io.out(line));
  if (records.length === 0) io.err("llama-sim stats: the ledger files hold no records");
  return 0;
}

function parseFlags(argv: readonly string[]): StatsArgs {
  let values: { ledger?: string[]; rate?: string; mode?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ledger: { type: "string", multiple: true },
        rate: { type: "string" },
        mode: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new Error(parseArgsMessage(error));
  }
  if (values.help === true) return { help: true, ledger: [], rate: null, mode: null, json: false };

  const ledger = (values.ledger ?? []).flatMap((v) => v.split(",")).map((p) => p.trim()).filter((p) => p !== "");
  if (ledger.length === 0) throw new Error("--ledger FILE[,FILE...] is required (see --help)");
  const seen = new Set<string>();
  for (const file of ledger) {
    // The same file twice would count every record twice.
    if (seen.has(file)) throw new Error(`--ledger: "${file}" is given twice`);
    seen.add(file);
  }
  try {
    return {
      help: false,
      ledger,
      rate: values.rate === undefined ? null : parseRate(values.rate, "--rate"),
      mode: values.mode === undefined ? null : parseChoice(values.mode, "--mode", MODES),
      json: values.json === true,
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(error.message);
    throw error;
  }
}

/** node:util's parseArgs errors, reworded to name the flag as the server's own flag errors do. */
function parseArgsMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const flag = /'(-[^' ]+)/.exec(message)?.[1];
  switch ((error as { code?: string }).code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${flag ?? message} (see --help)`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return `${flag ?? "a flag"} needs a value (see --help)`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return "unexpected argument: every option is a --flag (see --help)";
    default:
      return message.split("\n")[0]!;
  }
}

// `llama-sim reconcile --ledger FILE[,FILE] --harness STATE.json` (issue 7 §4).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { readLedgerFiles, tornRecordNotice, type LedgerRecord } from "../decide/records.ts";
import { parseHarness, type HarnessCase } from "./harness.ts";
import { reconcile, type Disagreement } from "./match.ts";

export interface ReconcileIo {
  out(line: string): void;
  err(line: string): void;
}

export const RECONCILE_USAGE = `usage: llama-sim reconcile --ledger FILE[,FILE...] --harness STATE.json

Matches each case of a harness's results to the simulator's ledger by the reply text and lists
the cases the harness graded differently from what the simulator meant, with the reason.

  --ledger FILE[,FILE...]  ledger file(s) written with --ledger (one per server replica)
  --harness FILE           llama-eval's state JSON, a JSON array of cases, or JSON Lines of
                           {"response": ..., "correct": true|false}

Exit status: 0 no disagreement, 1 at least one disagreement, 2 bad usage or unreadable input.`;

class UsageError extends Error {}

/** Exit status: 0 no disagreement, 1 disagreement, 2 usage error (one line naming the flag). */
export async function runReconcile(argv: readonly string[], io: ReconcileIo): Promise<number> {
  let ledgerPaths: string[];
  let harnessPath: string;
  try {
    const args = parseFlags(argv);
    if (args.help) {
      RECONCILE_USAGE.split("\n").forEach((line) => io.out(line));
      return 0;
    }
    ledgerPaths = args.ledger;
    harnessPath = args.harness;
  } catch (error) {
    io.err(`llama-sim reconcile: ${(error as Error).message}`);
    return 2;
  }

  let records: LedgerRecord[];
  let cases: HarnessCase[];
  try {
    records = loadLedger(ledgerPaths, (path, line) => io.err(`llama-sim reconcile: ${tornRecordNotice(path, line)}`));
    cases = loadHarness(harnessPath);
  } catch (error) {
    io.err(`llama-sim reconcile: ${(error as Error).message}`);
    return 2;
  }

  const result = reconcile(cases, records);
  for (const d of result.disagree) printDisagreement(d, io);
  for (const c of result.unmatched) io.out(`unmatched ${c.id}: no ledger record has this response`);
  const skipped = result.skipped.length > 0 ? `, skipped ${result.skipped.length} (no response)` : "";
  io.out(
    `matched ${result.agree.length + result.disagree.length}, unmatched ${result.unmatched.length}, ` +
      `agree ${result.agree.length}, disagree ${result.disagree.length}${skipped}`,
  );
  if (result.agree.length + result.disagree.length === 0 && result.unmatched.length > 0) {
    io.err("llama-sim reconcile: no harness case matched a ledger record: are the ledger and the harness file from the same run?");
  }
  return result.disagree.length > 0 ? 1 : 0;
}

function parseFlags(argv: readonly string[]): { help: boolean; ledger: string[]; harness: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ledger: { type: "string" }, harness: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const flag = /'(-[^' ]+)/.exec(message)?.[1];
    const code = (error as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown flag ${flag ?? message} (see --help)`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw new UsageError(`${flag ?? "a flag"} needs a value (see --help)`);
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new UsageError("unexpected argument: every option is a --flag (see --help)");
    throw new UsageError(message.split("\n")[0]!);
  }
  if (values.help === true) return { help: true, ledger: [], harness: "" };
  const ledger = typeof values.ledger === "string" ? values.ledger.split(",").map((p) => p.trim()).filter((p) => p !== "") : [];
  if (ledger.length === 0) throw new UsageError("--ledger FILE[,FILE] is required (see --help)");
  const harness = typeof values.harness === "string" ? values.harness.trim() : "";
  if (harness === "") throw new UsageError("--harness FILE is required (see --help)");
  return { help: false, ledger, harness };
}

function loadLedger(paths: readonly string[], onTorn: (path: string, line: number) => void): LedgerRecord[] {
  try {
    return readLedgerFiles(paths, onTorn);
  } catch (error) {
    throw new Error(`--ledger: ${describe(error)}`);
  }
}

function loadHarness(path: string): HarnessCase[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`--harness: ${describe(error)}`);
  }
  try {
    return parseHarness(text);
  } catch (error) {
    throw new Error(`--harness: ${path}: ${describe(error)}`);
  }
}

/** Node's fs messages already name the path ("ENOENT: no such file or directory, open 'x'"). */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const show = (s: string | null): string => (s === null ? "none" : JSON.stringify(s));

function printDisagreement(d: Disagreement, io: ReconcileIo): void {
  const { harness: h, record: r } = d;
  const simMeant = r.verdict === "correct" ? "correct" : r.verdict;
  io.out(`${h.id} (${r.dataset}/${r.question}, ledger seq ${r.seq}): simulator meant ${simMeant}, harness graded ${h.correct ? "correct" : "wrong"}`);
  const written = r.written === null ? "" : `, written \`${r.written}\``;
  io.out(`  simulator: gold ${show(r.gold)}, answered ${show(r.given)}${written} (form ${r.form}, style ${r.style}, format ${r.format})`);
  io.out(`  harness:   expected ${show(h.expected)}, read ${show(h.answer)}`);
  io.out(`  reason:    ${d.reason}`);
}

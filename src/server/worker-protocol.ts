// Messages between the main thread (server/workers.ts) and its --threads-http workers (server/worker.ts).
import type { Config } from "../config.ts";
import type { Dataset } from "../dataset/types.ts";
import type { SharedState } from "./shared-state.ts";

/** Everything a worker starts from, as its workerData (structured-cloned; shared buffers stay shared). */
export interface WorkerData {
  readonly config: Config;
  readonly dataset: Dataset;
  readonly shared: SharedState;
  readonly worker: number;
  readonly workers: number;
  readonly slots: { readonly offset: number; readonly count: number };
  readonly ledgerFd: number | undefined;
  readonly processStartTimeUnix: number;
}

export type ToWorker =
  /** Bind the port (SO_REUSEPORT) and start answering. */
  | { readonly t: "listen"; readonly port: number }
  /** Drain: stop accepting, finish in-flight replies (cut them after graceMs), flush, report. */
  | { readonly t: "stop"; readonly graceMs: number }
  /** Write out the request log now (the process is about to exit). */
  | { readonly t: "flush" }
  /** GET /sim/ledger somewhere: this worker's records for the page (answered with "part"). */
  | { readonly t: "collect"; readonly id: number; readonly since: number; readonly limit: number; readonly upTo: number }
  /** The answer to this worker's "page" request: every worker's parts, merged. */
  | { readonly t: "page"; readonly id: number; readonly lines: readonly string[]; readonly next: number; readonly dropped: boolean };

export type FromWorker =
  /** The server context is built; `duplicates` as the banner reports them. */
  | { readonly t: "ready"; readonly duplicates: number }
  | { readonly t: "listening" }
  /** Start-up failed (bind or build); the message is the user's one line. */
  | { readonly t: "failed"; readonly stage: "build" | "listen"; readonly message: string }
  /** GET /sim/ledger: a page of the process's records numbered up to `upTo`. */
  | { readonly t: "page"; readonly id: number; readonly since: number; readonly limit: number; readonly upTo: number }
  /** This worker's part of a collected page. */
  | { readonly t: "part"; readonly id: number; readonly seqs: readonly number[]; readonly lines: readonly string[] }
  /** --crash-after's N-th reply has left this worker. */
  | { readonly t: "crash"; readonly replies: number }
  | { readonly t: "drained"; readonly pending: number; readonly clean: boolean; readonly left: number | undefined }
  | { readonly t: "flushed" };

// What --threads-http workers share: every counter whose meaning is the process's, in
// SharedArrayBuffers allocated once by the main thread and handed to each worker in its workerData
// (a typed array over a SharedArrayBuffer arrives as a view of the same memory, not a copy).
import { exactCells, type ExactCells } from "../decide/exact.ts";
import { TOTALS_CELLS, type AttemptCells } from "../decide/ledger.ts";
import { tallyCells, type TallyCells } from "../decide/tally.ts";
import { faultCells, type FaultCells } from "./faults.ts";
import { metricsRowLength } from "./metrics.ts";

export interface SharedLayout {
  readonly questionCount: number;
  /** Distinct (dataset, question) pairs the tally counts. */
  readonly tallyKeyCount: number;
  /** Dataset names with reply counters in /metrics. */
  readonly datasetCount: number;
  readonly workers: number;
  /** Slots of the process, after division among the workers. */
  readonly slots: number;
}

/**
 * Who writes what: Atomics from any worker (attempts, the exact schedule under its lock, seq,
 * tally, fault counts, slot flags), or plain stores by one writer each (a metrics row per worker,
 * summed by whoever renders /metrics).
 */
export interface SharedState {
  /** Attempt counters per question and the correct/wrong totals (decide/ledger.ts). */
  readonly attempts: AttemptCells;
  /** exact mode's position and its lock (decide/exact.ts). */
  readonly exact: ExactCells;
  /** [0]: the last ledger seq handed out (decide/shared-ledger.ts). */
  readonly seq: BigUint64Array;
  /** GET /sim/stats' counts (decide/tally.ts SharedTally). */
  readonly tally: TallyCells;
  /** Fault draws, --fail-first and --crash-after (server/faults.ts). */
  readonly faults: FaultCells;
  /** One /metrics row per worker (server/metrics.ts). */
  readonly metricsRows: readonly Float64Array[];
  /** One busy flag per slot of the process (server/slot-pool.ts). */
  readonly slotBusy: Uint8Array;
}

const share = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(Math.max(bytes, 8));

export function allocateShared(layout: SharedLayout): SharedState {
  const rowLength = metricsRowLength(layout.datasetCount);
  const rows = new Float64Array(share(8 * rowLength * layout.workers));
  return {
    attempts: { asked: new Uint32Array(share(4 * layout.questionCount), 0, layout.questionCount), totals: new Uint32Array(share(4 * TOTALS_CELLS)) },
    exact: exactCells(),
    seq: new BigUint64Array(share(8)),
    tally: tallyCells(layout.tallyKeyCount, share),
    faults: faultCells(layout.questionCount, share),
    metricsRows: Array.from({ length: layout.workers }, (_, w) => rows.subarray(w * rowLength, (w + 1) * rowLength)),
    slotBusy: new Uint8Array(share(layout.slots), 0, layout.slots),
  };
}

// A worker for test/server/workers-threads.test.ts: hammers one piece of shared state from its own
// thread and reports what it saw.
import { workerData } from "node:worker_threads";
import { ExactSchedule, type ExactCells } from "../../src/decide/exact.ts";
import { Ledger, type AttemptCells } from "../../src/decide/ledger.ts";
import { withLock } from "../../src/decide/lock.ts";
import { writeLine } from "../../src/decide/records.ts";

declare const self: Worker;

export type Job =
  | { readonly kind: "exact"; readonly cells: ExactCells; readonly order: BigUint64Array; readonly a: number; readonly b: number; readonly seed: number; readonly steps: number }
  | { readonly kind: "attempts"; readonly cells: AttemptCells; readonly rounds: number }
  | { readonly kind: "lock"; readonly lock: Int32Array; readonly total: Float64Array; readonly times: number }
  | { readonly kind: "append"; readonly fd: number; readonly lines: number; readonly bytes: number; readonly counter: Int32Array };

const job = workerData as Job;
// Both workers start together, so that their steps interleave.
self.onmessage = () => {
  switch (job.kind) {
    case "exact": {
      const schedule = new ExactSchedule({ numerator: job.a, denominator: job.b }, job.seed, job.cells);
      const orders = new Float64Array(job.steps);
      const verdicts = new Uint8Array(job.steps);
      for (let i = 0; i < job.steps; i++) {
        // The order is taken inside the step's lock, as the ledger seq is in a real worker.
        verdicts[i] = schedule.next(() => (orders[i] = Number(Atomics.add(job.order, 0, 1n)))) ? 1 : 0;
      }
      self.postMessage({ orders, verdicts });
      return;
    }
    case "attempts": {
      const ledger = new Ledger(job.cells.asked.length, job.cells);
      const seen: number[][] = Array.from({ length: job.cells.asked.length }, () => []);
      for (let r = 0; r < job.rounds; r++) for (let q = 0; q < seen.length; q++) seen[q]!.push(ledger.nextAttempt(q));
      self.postMessage({ seen });
      return;
    }
    case "append": {
      // Long lines, each tagged with a number from a shared counter, one write(2) each, as the ledger writes them.
      const me = Atomics.add(job.counter, 1, 1);
      for (let i = 0; i < job.lines; i++) {
        const n = Atomics.add(job.counter, 0, 1);
        writeLine(job.fd, `${JSON.stringify({ n, worker: me, pad: String(me).repeat(job.bytes) })}\n`);
      }
      self.postMessage({});
      return;
    }
    case "lock": {
      // A read-modify-write of a plain Float64 cell: correct only if the lock excludes the other thread.
      for (let i = 0; i < job.times; i++) withLock(job.lock, () => (job.total[0] = job.total[0]! + 1));
      self.postMessage({});
      return;
    }
  }
};
self.postMessage("ready");

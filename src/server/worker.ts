// A --threads-http worker: builds the same server context main.ts builds for one thread, over the
// shared state, and serves the port with SO_REUSEPORT once the main thread says so. It must be an
// entrypoint of `bun build --compile` (see the Makefile) to be found inside the binary.
import { workerData } from "node:worker_threads";
import type { LedgerPageText } from "../decide/records.ts";
import type { PageLink } from "../decide/shared-ledger.ts";
import { writeStderr } from "../stderr.ts";
import { startServer } from "./app.ts";
import { buildRuntime, type Runtime } from "./runtime.ts";
import { drain } from "./shutdown.ts";
import type { FromWorker, ToWorker, WorkerData } from "./worker-protocol.ts";

declare const self: Worker;

const data = workerData as WorkerData;
const send = (message: FromWorker) => self.postMessage(message);

/** Linux writes up to PIPE_BUF bytes to a pipe as one piece: larger chunks could interleave with another worker's. */
const PIPE_BUF = 4096;

/** The request log, in whole lines, at most PIPE_BUF bytes per write (a longer single line goes alone). */
function writeLog(chunk: string): void {
  if (chunk.length <= PIPE_BUF / 3) return writeStderr(chunk); // 3 bytes per UTF-16 unit at most: surely small enough
  let piece = "";
  for (const line of chunk.split(/(?<=\n)/)) {
    if (piece !== "" && Buffer.byteLength(piece) + Buffer.byteLength(line) > PIPE_BUF) {
      writeStderr(piece);
      piece = "";
    }
    piece += line;
  }
  if (piece !== "") writeStderr(piece);
}

/** Pages this worker asked the main thread for, by request id. */
const pages = new Map<number, (page: LedgerPageText) => void>();
let nextPage = 0;
const pageLink: PageLink = (since, limit, upTo) =>
  new Promise((resolve) => {
    const id = nextPage++;
    pages.set(id, resolve);
    send({ t: "page", id, since, limit, upTo });
  });

/** The loading phase (--loading-ms) starts when this worker starts listening, as it does for one thread. */
let listenedAt: number | undefined;

let runtime: Runtime;
try {
  runtime = buildRuntime(
    data.config,
    data.dataset,
    { writeLog, crash: (replies) => send({ t: "crash", replies }), faultClock: () => (listenedAt === undefined ? 0 : performance.now() - listenedAt) },
    {
      shared: data.shared,
      worker: data.worker,
      workers: data.workers,
      slots: data.slots,
      ledgerFd: data.ledgerFd,
      pages: pageLink,
      processStartTimeUnix: data.processStartTimeUnix,
    },
  );
  send({ t: "ready", duplicates: runtime.index.duplicates });
} catch (error) {
  send({ t: "failed", stage: "build", message: error instanceof Error ? error.message : String(error) });
  throw error;
}

let server: ReturnType<typeof startServer> | undefined;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.t) {
    case "listen":
      try {
        const { config } = data;
        server = startServer(runtime.ctx, { host: config.host, port: message.port, idleTimeoutSeconds: config.timeoutSeconds, reusePort: true, batch: config.batch });
        listenedAt = performance.now();
        send({ t: "listening" });
      } catch (error) {
        send({ t: "failed", stage: "listen", message: error instanceof Error ? error.message : String(error) });
      }
      return;
    case "stop":
      void stop(message.graceMs);
      return;
    case "flush":
      runtime.requestLog.flush();
      runtime.oracle.ledger.close();
      send({ t: "flushed" });
      return;
    case "collect": {
      const part = runtime.sharedLedger!.part(message.since, message.limit, message.upTo);
      send({ t: "part", id: message.id, ...part });
      return;
    }
    case "page": {
      const resolve = pages.get(message.id);
      pages.delete(message.id);
      resolve?.({ lines: message.lines, next: message.next, dropped: message.dropped });
      return;
    }
  }
};

async function stop(graceMs: number): Promise<void> {
  runtime.faults?.endHangs();
  const result = server ? await drain(server, graceMs) : { pending: 0, clean: true, left: undefined };
  runtime.requestLog.flush();
  runtime.oracle.ledger.close();
  send({ t: "drained", ...result });
}

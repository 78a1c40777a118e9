// Concurrent streaming requests, from raw TCP sockets so nothing pools or queues them on the client side
// (Bun's fetch caps concurrent requests per process). For each N of --counts:
//   1. open N connections to the server and wait until all N are established at once;
//   2. write one `"stream": true` chat request on every connection, back to back in one tick, so N
//      requests are in flight together (each with `Connection: close`, so the server closes and the
//      client keeps no TIME_WAIT ports);
//   3. wait until every stream has ended: OK = status 200, at least --min-events `data:` events (llama-sim's count varies with the answer), ending with
//      `data: [DONE]`; anything else (reset, early close, wrong status, timeout) is an error.
// Stops after the first N with an error. Prints one JSON object per N on stdout.
//
//   bun bench/streams.ts --port P --body-file F [--min-events K] [--counts 256,512,...] [--timeout-ms 30000]
import { readFileSync } from "node:fs";
import type { Socket } from "bun";

const args = process.argv.slice(2);
const flag = (name: string, fallback?: string) => {
  const i = args.indexOf(name);
  const value = i >= 0 ? args[i + 1] : fallback;
  if (value === undefined) throw new Error(`streams.ts: ${name} is required`);
  return value;
};
const port = Number(flag("--port"));
const body = readFileSync(flag("--body-file"), "utf8");
const minEvents = Number(flag("--min-events", "3"));
const counts = flag("--counts", "256,512,1024,2048,4096,8192").split(",").map(Number);
const timeoutMs = Number(flag("--timeout-ms", "30000"));

const request = Buffer.from(
  `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
);
const DONE_AT_END = /data: \[DONE\]\n\n(\r\n0\r\n\r\n)?$/;

interface Conn {
  chunks: Buffer[];
  pending: Buffer | undefined;
  finished: boolean;
  ok: boolean;
  why?: string;
}

export interface StepResult {
  n: number;
  connected: number;
  connectErrors: number;
  ok: number;
  errors: number;
  firstError?: string;
  connectMs: number;
  drainMs: number;
}

async function step(n: number): Promise<StepResult> {
  const conns: Conn[] = [];
  let finished = 0;
  let resolveAll: () => void = () => {};
  const allDone = new Promise<void>((r) => (resolveAll = r));
  const finish = (c: Conn, ok: boolean, why?: string) => {
    if (c.finished) return;
    c.finished = true;
    c.ok = ok;
    if (why) c.why = why;
    if (++finished === n) resolveAll();
  };
  const judge = (c: Conn) => {
    const text = Buffer.concat(c.chunks).toString("utf8");
    if (!text.startsWith("HTTP/1.1 200")) return finish(c, false, `status line ${JSON.stringify(text.slice(0, 40))}`);
    // Ends with [DONE], plus the last-chunk marker if the server ever switches to chunked encoding.
    if (!DONE_AT_END.test(text)) return finish(c, false, "stream did not end with data: [DONE]");
    const events = text.split("\ndata: ").length - 1;
    if (events < minEvents) return finish(c, false, `${events} data events, expected at least ${minEvents}`);
    finish(c, true);
  };
  const t0 = performance.now();
  const sockets = await Promise.allSettled(
    Array.from({ length: n }, () => {
      const conn: Conn = { chunks: [], pending: undefined, finished: false, ok: false };
      conns.push(conn);
      return Bun.connect<Conn>({
        hostname: "127.0.0.1",
        port,
        data: conn,
        socket: {
          data(s: Socket<Conn>, buf) {
            s.data.chunks.push(Buffer.from(buf));
          },
          drain(s: Socket<Conn>) {
            const rest = s.data.pending;
            if (!rest) return;
            const wrote = s.write(rest);
            s.data.pending = wrote < rest.length ? rest.subarray(Math.max(wrote, 0)) : undefined;
          },
          close(s: Socket<Conn>) {
            judge(s.data);
          },
          end(s: Socket<Conn>) {
            s.end();
          },
          error(s: Socket<Conn>, error) {
            finish(s.data, false, `socket error: ${error.message}`);
          },
        },
      });
    }),
  );
  const connectMs = performance.now() - t0;
  const open: Socket<Conn>[] = [];
  let connectErrors = 0;
  let firstError: string | undefined;
  sockets.forEach((r, i) => {
    if (r.status === "fulfilled") open.push(r.value);
    else {
      connectErrors++;
      firstError ??= `connect: ${String(r.reason?.message ?? r.reason)}`;
      finish(conns[i]!, false, "connect failed");
    }
  });
  // All N are open now; send every request in one tick.
  const t1 = performance.now();
  for (const s of open) {
    const wrote = s.write(request);
    if (wrote < request.length) s.data.pending = request.subarray(Math.max(wrote, 0));
  }
  const timer = setTimeout(() => {
    for (const c of conns) finish(c, false, `timeout after ${timeoutMs} ms`);
  }, timeoutMs);
  await allDone;
  clearTimeout(timer);
  const drainMs = performance.now() - t1;
  for (const s of open) s.end();
  const ok = conns.filter((c) => c.ok).length;
  firstError ??= conns.find((c) => !c.ok)?.why;
  return { n, connected: open.length, connectErrors, ok, errors: n - ok, ...(firstError ? { firstError } : {}), connectMs, drainMs };
}

for (const n of counts) {
  const result = await step(n);
  console.log(JSON.stringify(result));
  if (result.errors > 0) break;
  await Bun.sleep(200);
}
process.exit(0);

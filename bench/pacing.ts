// Paced streams measured by a client (issue 8 §1-2), from raw TCP sockets so nothing on the client
// pools or queues the requests. Run by bench/run.ts against a server started with --tps/--ttft-ms;
// prints one JSON object (PacingResult) on stdout.
//
//   bun bench/pacing.ts --port P --body-file F --streams N [--ramp-ms R] [--timeout-ms T]
//
// Request i is written at i·R/N ms (all N at once with --ramp-ms 0), each on its own connection with
// `Connection: close`. For every stream the client timestamps each read and counts the SSE events in
// it; a stream is OK when it is a 200 ending in `data: [DONE]`. Per stream:
//   - TTFT: first event (the role chunk, sent with the first token) minus the time its request was written;
//   - rate: (deltas − 1) / (time of the last delta − time of the first), deltas = events − role, finish, [DONE];
//   - duration: the reply's simulated length from its final `timings` (prompt_ms + predicted_ms).
//
// The scenarios that run it are in bench/scenarios/pacing.ts.
import { readFileSync } from "node:fs";
import type { Socket } from "bun";

export interface StreamStat {
  /** Offset of the request's write from the first one, ms. */
  readonly sentMs: number;
  readonly ttftMs: number;
  readonly endMs: number;
  readonly rate: number;
  readonly deltas: number;
  /** prompt_ms + predicted_ms from the final timings (simulated ms). */
  readonly simulatedMs: number;
}

export interface PacingResult {
  readonly n: number;
  readonly ok: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Wall time from the first write to the last stream's end, ms. */
  readonly wallMs: number;
  /** Most streams open at once. */
  readonly peakOpen: number;
  readonly streams: StreamStat[];
}

const args = process.argv.slice(2);
const flag = (name: string, fallback?: string) => {
  const i = args.indexOf(name);
  const value = i >= 0 ? args[i + 1] : fallback;
  if (value === undefined) throw new Error(`pacing.ts: ${name} is required`);
  return value;
};

const MARK = Buffer.from("data: ");
/** Once a read holds the final chunk's timings (or [DONE]), that read and the rest are kept for the end checks. */
const TAIL_CUE = Buffer.from('"timings"');
const DONE_CUE = Buffer.from("[DONE]");

interface Conn {
  sentAt: number;
  /** Read time of every event, in order. */
  readonly times: number[];
  /** How many bytes at the end of the previous read were the start of a "data: " mark split across reads. */
  carry: number;
  /** Copies of the reads from the one with the final timings on (the end of the stream), else empty. */
  tail: Buffer[];
  head: string;
  finished: boolean;
  ok: boolean;
  why?: string;
}

const tailOf = (c: Conn) => Buffer.concat(c.tail).toString("utf8").slice(-4096);

/** Length of the longest end of `buf` that is a proper beginning of MARK ("d", "da", ..., "data:"). */
function markPrefixAtEnd(buf: Buffer): number {
  for (let k = Math.min(MARK.length - 1, buf.length); k > 0; k--) {
    if (buf.compare(MARK, 0, k, buf.length - k, buf.length) === 0) return k;
  }
  return 0;
}

/** Opens `n` connections, writes request i at i·rampMs/n, and resolves when every stream has ended. */
export async function measure(port: number, body: string, n: number, rampMs: number, timeoutMs: number): Promise<PacingResult> {
  const request = Buffer.from(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  const conns: Conn[] = [];
  let finished = 0;
  let open = 0;
  let peakOpen = 0;
  let resolveAll: () => void = () => {};
  const allDone = new Promise<void>((r) => (resolveAll = r));
  const finish = (c: Conn, ok: boolean, why?: string) => {
    if (c.finished) return;
    c.finished = true;
    c.ok = ok;
    if (why) c.why = why;
    open--;
    if (++finished === n) resolveAll();
  };
  const judge = (c: Conn) => {
    if (!c.head.startsWith("HTTP/1.1 200")) return finish(c, false, `status line ${JSON.stringify(c.head.slice(0, 40))}`);
    if (!/data: \[DONE\]\n\n(\r\n0\r\n\r\n)?$/.test(tailOf(c))) return finish(c, false, "stream did not end with data: [DONE]");
    finish(c, true);
  };
  const sockets = await Promise.all(
    Array.from({ length: n }, () => {
      const conn: Conn = { sentAt: 0, times: [], carry: 0, tail: [], head: "", finished: false, ok: false };
      conns.push(conn);
      return Bun.connect<Conn>({
        hostname: "127.0.0.1",
        port,
        data: conn,
        socket: {
          data(s: Socket<Conn>, bytes) {
            // Cheap on purpose, with no copy or allocation per read: at 200,000 events a second (10,000
            // streams at 20 tok/s) the client shares the machine with the server and must not be what is measured.
            const now = performance.now();
            const c = s.data;
            const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
            if (c.head === "") c.head = buf.subarray(0, 64).toString("latin1");
            // A mark split across the previous read and this one.
            if (c.carry > 0 && buf.length >= MARK.length - c.carry && buf.compare(MARK, c.carry, MARK.length, 0, MARK.length - c.carry) === 0) c.times.push(now);
            for (let at = buf.indexOf(MARK); at !== -1; at = buf.indexOf(MARK, at + MARK.length)) c.times.push(now);
            c.carry = markPrefixAtEnd(buf);
            // The end of the stream (final timings, [DONE]) is kept; nothing before it is.
            if (c.tail.length > 0 || buf.includes(TAIL_CUE) || buf.includes(DONE_CUE)) c.tail.push(Buffer.from(buf));
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
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < n && (rampMs === 0 || now - t0 >= (i * rampMs) / n)) {
        const s = sockets[i]!;
        s.data.sentAt = performance.now();
        s.write(request);
        open++;
        peakOpen = Math.max(peakOpen, open);
        i++;
      }
      if (i < n) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const timer = setTimeout(() => {
    for (const c of conns) finish(c, false, `timeout after ${timeoutMs} ms`);
  }, timeoutMs);
  await allDone;
  clearTimeout(timer);
  const wallMs = performance.now() - t0;
  for (const s of sockets) s.end();
  const streams: StreamStat[] = [];
  for (const c of conns) {
    if (!c.ok) continue;
    // Events: role, deltas..., finish, [DONE].
    const deltas = c.times.length - 3;
    const first = c.times[1]!;
    const last = c.times[c.times.length - 3]!;
    const timings = /"timings":(\{[^}]*\})/.exec(tailOf(c))?.[1];
    const t = timings ? (JSON.parse(timings) as { prompt_ms: number; predicted_ms: number }) : undefined;
    streams.push({
      sentMs: c.sentAt - t0,
      ttftMs: c.times[0]! - c.sentAt,
      endMs: c.times.at(-1)! - c.sentAt,
      rate: deltas > 1 && last > first ? ((deltas - 1) * 1000) / (last - first) : NaN,
      deltas,
      simulatedMs: t ? t.prompt_ms + t.predicted_ms : NaN,
    });
  }
  const ok = conns.filter((c) => c.ok).length;
  const firstError = conns.find((c) => !c.ok)?.why;
  return { n, ok, errors: n - ok, ...(firstError ? { firstError } : {}), wallMs, peakOpen, streams };
}

if (import.meta.main) {
  const result = await measure(
    Number(flag("--port")),
    readFileSync(flag("--body-file"), "utf8"),
    Number(flag("--streams")),
    Number(flag("--ramp-ms", "0")),
    Number(flag("--timeout-ms", "120000")),
  );
  console.log(JSON.stringify(result));
  process.exit(0);
}

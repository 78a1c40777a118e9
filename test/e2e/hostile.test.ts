// Hostile clients against the compiled binary, started with short timeouts (--read-timeout 1 --timeout 3):
// slow bodies and slow headers (slowloris), a thousand idle keep-alive connections, clients that vanish
// mid-stream, and a client that half-closes its side. Whatever they do, the server goes on answering
// everyone else, stays up and logs only request lines.
//
// Times asserted here are behaviour with generous bounds (a 408 within 5 s of a 1 s read timeout,
// idle connections closed within 8 s of a 3 s idle timeout), never performance.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { AIME_FILE_REL, evalBody, lastBoxed, loadAime, postJson, startSim, stopAll, type Sim } from "./harness.ts";

const aime = loadAime();
const CHAT = "/v1/chat/completions";
const READ_TIMEOUT_S = 1;
const IDLE_TIMEOUT_S = 3;
const SIM_ARGS = ["--dataset-file", AIME_FILE_REL, "--read-timeout", String(READ_TIMEOUT_S), "--timeout", String(IDLE_TIMEOUT_S), "--seed", "11"];
/** Per-test limit: `bun test` on this file alone defaults to 5 s, and (c) waits out the idle timeout. */
const TEST_MS = 15_000;
/** One request log line (README "Logs"). */
const REQUEST_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z (GET|POST|OPTIONS) \/\S* (\d{3})(?: q=\S+ (?:correct|wrong)| error=".*")? \d+\.\d\dms$/;

afterAll(stopAll);

// ---------------------------------------------------------------------------------------------------------
// A raw TCP client: what it received, whether the server sent FIN / closed, and a way to wait for either.

class RawClient {
  private chunks: Buffer[] = [];
  private waiters = new Set<() => void>();
  private socket!: Socket<undefined>;
  /** The server sent FIN. */
  gotFin = false;
  closed = false;

  static async open(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
    const client = new RawClient();
    client.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      allowHalfOpen: options.allowHalfOpen ?? false,
      socket: {
        data: (_socket, data) => {
          client.chunks.push(Buffer.from(data));
          client.wake();
        },
        end: () => {
          client.gotFin = true;
          client.wake();
        },
        close: () => {
          client.closed = true;
          client.wake();
        },
        error: () => {},
      },
    });
    return client;
  }

  get received(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }

  get receivedBytes(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  write(text: string): void {
    if (!this.closed) this.socket.write(text);
  }

  /** Sends FIN: no more data from this side (the socket must allow half-open to keep reading). */
  shutdown(): void {
    this.socket.shutdown();
  }

  /** Closes gracefully (FIN), without reading anything more. */
  end(): void {
    this.socket.end();
  }

  /** Closes at once. */
  terminate(): void {
    this.socket.terminate();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  until(condition: (c: RawClient) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition(this)) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${what}: not within ${timeoutMs} ms (received ${JSON.stringify(this.received.slice(0, 300))}, fin ${this.gotFin}, closed ${this.closed})`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses one complete HTTP/1.1 response (Content-Length or chunked), or returns undefined if incomplete. */
function parseResponse(text: string): RawResponse | undefined {
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const [statusLine, ...headerLines] = text.slice(0, headEnd).split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? "")?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = Buffer.from(text.slice(headEnd + 4), "utf8");
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    return rest.length >= length ? { status, headers, body: rest.subarray(0, length).toString("utf8") } : undefined;
  }
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = rest.indexOf("\r\n", at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(rest.subarray(at, lineEnd).toString("latin1"), 16);
      if (size === 0) return { status, headers, body: Buffer.concat(parts).toString("utf8") };
      if (rest.length < lineEnd + 2 + size + 2) return undefined;
      parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  return { status, headers, body: rest.toString("utf8") };
}

function rawChat(body: string, extraHeaders = ""): string {
  return `POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`;
}

/** Open file descriptors this process may have (the server inherits the same limit). */
function fdLimit(): number {
  const text = Bun.spawnSync(["sh", "-c", "ulimit -n"]).stdout.toString().trim();
  return text === "unlimited" ? Number.POSITIVE_INFINITY : Number(text);
}

// ---------------------------------------------------------------------------------------------------------

/** A normal client is served: /health, then an AIME question answered with a boxed number. */
async function expectServed(sim: Sim, i = 0): Promise<void> {
  const signal = AbortSignal.timeout(5_000); // a hang fails here, not at the test's limit
  const health = await fetch(`${sim.url}/health`, { signal });
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: "ok" });
  const q = aime[i % aime.length]!;
  const res = await postJson(`${sim.url}${CHAT}`, evalBody(q.problem), { signal });
  const text = await res.text();
  expect({ status: res.status, text }).toMatchObject({ status: 200 });
  const body = JSON.parse(text) as { choices: { message: { content: string } }[] };
  expect(lastBoxed(body.choices[0]!.message.content)).toMatch(/^\d+$/);
}

/**
 * Log lines reach this process through a pipe, a little after the request they record. To read the
 * lines of one test only, it is bracketed by marks: a request to /hostile-mark/NAME (a 404), waited for
 * in the log. Returns the index of the first line after the mark.
 */
async function logMark(sim: Sim, name: string): Promise<number> {
  const res = await fetch(`${sim.url}/hostile-mark/${name}`);
  expect(res.status).toBe(404);
  await res.text();
  const line = await sim.waitForStderr(new RegExp(`^\\S+ GET /hostile-mark/${name} 404 `), 5_000, sim.bannerEnd);
  return sim.stderrLines.lastIndexOf(line) + 1;
}

describe(`hostile clients (--read-timeout ${READ_TIMEOUT_S} --timeout ${IDLE_TIMEOUT_S})`, () => {
  let sim: Sim;
  /** How many idle connections (c) opened (1,000 unless the descriptor limit is low). */
  let idleCount = 0;

  beforeAll(async () => {
    sim = await startSim({ args: SIM_ARGS });
  });

  test("(a) slowloris body: Content-Length 100, a byte every 300 ms -> 408 JSON error with Connection: close; others are served meanwhile", async () => {
    const logFrom = await logMark(sim, "a");
    const slow = await RawClient.open(sim.port);
    slow.write(`POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`);
    const started = performance.now();
    const drip = setInterval(() => slow.write("{"), 300);
    try {
      // While the slow body is pending, a normal client is served.
      await expectServed(sim, 1);
      expect(slow.receivedBytes).toBe(0);
      await slow.until((c) => parseResponse(c.received) !== undefined && c.closed, 5_000, "408 and close");
    } finally {
      clearInterval(drip);
    }
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThan(READ_TIMEOUT_S * 1000 * 0.5); // it was the read timeout, not a refusal
    const response = parseResponse(slow.received)!;
    expect(response.status).toBe(408);
    expect(response.headers["connection"]).toBe("close");
    expect(response.headers["content-type"]).toContain("application/json");
    const body = JSON.parse(response.body) as { error: { code: number; type: string; message: string } };
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.code).toBe(408);
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("--read-timeout");
    expect(slow.gotFin).toBe(true); // the server closed it
    await sim.waitForStderr(/ POST \/v1\/chat\/completions 408 error="request body not received/, 2_000, logFrom);
    await expectServed(sim, 2);
  }, TEST_MS);

  test("(b) slowloris headers: 20 connections trickling header bytes; /health and chat requests are answered while they hang", async () => {
    const logFrom = await logMark(sim, "b-start");
    const head = `POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`;
    const slow = await Promise.all(Array.from({ length: 20 }, () => RawClient.open(sim.port)));
    let sent = 0;
    // Request line and headers a byte at a time, then more and more headers: never the blank line.
    const next = (n: number) => (n < head.length ? head[n]! : `X-Slow-${n}: y\r\n`);
    const drip = setInterval(() => {
      for (const c of slow) c.write(next(sent));
      sent++;
    }, 100);
    try {
      await Bun.sleep(500);
      for (let i = 0; i < 3; i++) await expectServed(sim, 10 + i);
      // They were hanging the whole time: open, trickling, and answered nothing.
      expect(sent).toBeGreaterThan(3);
      expect(slow.filter((c) => c.closed || c.receivedBytes > 0)).toHaveLength(0);
    } finally {
      clearInterval(drip);
      for (const c of slow) c.terminate();
    }
    // No request line was logged for them (their requests never began): only our 3 POSTs.
    const logTo = await logMark(sim, "b-end");
    const logged = sim.stderrLines.slice(logFrom, logTo - 1).filter((l) => / POST /.test(l));
    expect(logged).toHaveLength(3);
    await expectServed(sim, 13);
  }, TEST_MS);

  test(`(c) a thousand idle keep-alive connections: the server still answers, and closes them after its ${IDLE_TIMEOUT_S} s idle timeout`, async () => {
    // Each connection costs a descriptor here and one in the server (same inherited limit).
    const count = Math.max(50, Math.min(1000, fdLimit() - 256));
    idleCount = count;
    const clients: RawClient[] = [];
    for (let start = 0; start < count; start += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, count - start) }, async () => {
          const c = await RawClient.open(sim.port);
          c.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
          await c.until((x) => parseResponse(x.received) !== undefined, 5_000, "keep-alive /health");
          return c;
        }),
      );
      clients.push(...batch);
    }
    const idleSince = performance.now();
    for (const c of clients) {
      const response = parseResponse(c.received)!;
      expect(response.status).toBe(200);
      expect(response.headers["connection"] ?? "keep-alive").not.toBe("close");
    }
    // All held open (idle) by the server, which still answers everyone else.
    expect(clients.filter((c) => c.closed)).toHaveLength(0);
    await expectServed(sim, 20);
    // The idle timeout closes every one of them (within 8 s: generous for a 3 s timeout).
    const deadline = idleSince + 8_000;
    await Promise.all(clients.map((c) => c.until((x) => x.closed, Math.max(1, deadline - performance.now()), "idle connection closed")));
    expect(clients.filter((c) => !c.gotFin)).toHaveLength(0); // closed by the server (we never close them)
    await expectServed(sim, 21);
  }, TEST_MS);

  test("(d) clients that leave mid-stream: 50 aborted after the first chunk, 50 raw sockets closed right after sending; others are served, the server is up", async () => {
    const logFrom = await logMark(sim, "d-start");
    const streamBody = (i: number) => JSON.stringify(evalBody(aime[i % aime.length]!.problem, { stream: true, stream_options: { include_usage: i % 2 === 0 } }));
    const aborted = Array.from({ length: 50 }, async (_, i) => {
      const controller = new AbortController();
      const res = await postJson(`${sim.url}${CHAT}`, streamBody(i), { signal: controller.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);
      expect(new TextDecoder().decode(first.value)).toStartWith("data: ");
      controller.abort();
      await reader.cancel().catch(() => {});
    });
    const dropped = Array.from({ length: 50 }, async (_, i) => {
      const c = await RawClient.open(sim.port);
      c.write(rawChat(streamBody(i + 50)));
      if (i % 2 === 0) c.end();
      else c.terminate();
    });
    const others = Array.from({ length: 10 }, (_, i) => expectServed(sim, 30 + i));
    await Promise.all([...aborted, ...dropped, ...others]);
    expect(sim.alive).toBe(true);
    await expectServed(sim, 40);
    // Every request that reached the handler was answered 200 and logged as such; nothing else was logged.
    const lines = sim.stderrLines.slice(logFrom, (await logMark(sim, "d-end")) - 1);
    for (const line of lines) expect({ line, ok: REQUEST_LINE.test(line) }).toEqual({ line, ok: true });
    expect(lines.filter((l) => REQUEST_LINE.exec(l)?.[2] !== "200")).toEqual([]);
  }, TEST_MS);

  test("(e) a client that half-closes (FIN after the body) still gets its answer, plain or streamed", async () => {
    const q = aime[50]!;
    for (const [name, extra, split] of [
      ["plain", {}, false],
      ["plain, body written separately", {}, true],
      ["stream", { stream: true, stream_options: { include_usage: true } }, false],
    ] as const) {
      const c = await RawClient.open(sim.port, { allowHalfOpen: true });
      const request = rawChat(JSON.stringify(evalBody(q.problem, extra)));
      if (split) {
        const bodyAt = request.indexOf("\r\n\r\n") + 4;
        c.write(request.slice(0, bodyAt));
        await Bun.sleep(50);
        c.write(request.slice(bodyAt));
      } else {
        c.write(request);
      }
      c.shutdown();
      await c.until((x) => parseResponse(x.received) !== undefined, 5_000, `answer to a half-closed ${name} request`);
      const response = parseResponse(c.received)!;
      expect({ name, status: response.status }).toEqual({ name, status: 200 });
      if ("stream" in extra) {
        expect(response.body).toEndWith("data: [DONE]\n\n");
        expect(response.body).toContain('"usage":');
      } else {
        const body = JSON.parse(response.body) as { choices: { message: { content: string } }[] };
        expect(lastBoxed(body.choices[0]!.message.content)).toMatch(/^\d+$/);
      }
      c.terminate();
    }
    await expectServed(sim, 51);
  }, TEST_MS);

  test("afterwards: the process is alive, answers, and its stderr holds only request lines (no crash, no 5xx)", async () => {
    expect(sim.alive).toBe(true);
    await expectServed(sim, 60);
    await logMark(sim, "end");
    const lines = sim.stderrLines.slice(sim.bannerEnd);
    expect(lines.length).toBeGreaterThan(idleCount); // the keep-alive /health requests among them
    const strays = lines.filter((l) => !REQUEST_LINE.test(l));
    expect(strays).toEqual([]);
    const statuses = new Set(lines.map((l) => REQUEST_LINE.exec(l)![2]));
    expect([...statuses].sort()).toEqual(["200", "404", "408"]); // 404: the marks
  }, TEST_MS);
});

// A client that closes the connection before its declared body has arrived makes request.arrayBuffer()
// reject with an AbortError; that is the client's act, logged as 499 (nginx's convention), never as a 5xx
// that a log-based check for server faults would count.
describe("a client gone before its body arrived", () => {
  let status: number | undefined;

  test("gets exactly one log line", async () => {
    const sim = await startSim({ args: SIM_ARGS });
    const logFrom = sim.stderrLines.length;
    const c = await RawClient.open(sim.port);
    c.write(`POST ${CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"messages"`);
    await Bun.sleep(100);
    c.end();
    // Logged at once (the rejection), or after the read timeout at the latest.
    const line = await sim.waitForStderr(/ POST \/v1\/chat\/completions \d{3} /, (READ_TIMEOUT_S + 2) * 1000, logFrom);
    await expectServed(sim);
    await sim.stop();
    expect(sim.stderrLines.slice(logFrom).filter((l) => / POST /.test(l))).toHaveLength(2);
    status = Number(REQUEST_LINE.exec(line)?.[2]);
  }, TEST_MS);

  test("that line is 499 (client closed), not a server error", () => {
    expect(status).toBe(499);
  });
});

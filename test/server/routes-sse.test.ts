// server/sse.ts against a real Bun.serve: chunked transfer, pacing, disconnects and producer errors.
import { afterAll, describe, expect, test } from "bun:test";
import { SplitEvents } from "../../src/server/split-events.ts";
import { SSE_DONE, sseEvent, sseResponse } from "../../src/server/sse.ts";

type Producer = () => Iterable<string> | AsyncIterable<string>;

let produce: Producer = () => [];
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => sseResponse(produce(), { "Content-Type": "text/event-stream" }) });
afterAll(() => void server.stop(true));

/** The raw response of one request on its own connection. */
async function raw(): Promise<string> {
  const chunks: string[] = [];
  await new Promise<void>((resolve, reject) => {
    void Bun.connect({
      hostname: "127.0.0.1",
      port: server.port!,
      socket: {
        open: (s) => void s.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        data: (_s, d) => void chunks.push(new TextDecoder().decode(d)),
        close: () => resolve(),
        error: (_s, e) => reject(e),
      },
    });
  });
  return chunks.join("");
}

describe("sseResponse", () => {
  test("a plain iterable finished at once still goes out chunked, one HTTP chunk per event", async () => {
    produce = () => [sseEvent('{"a":1}'), sseEvent('{"b":2}'), SSE_DONE];
    const text = await raw();
    expect(text.toLowerCase()).toContain("transfer-encoding: chunked");
    expect(text.toLowerCase()).not.toContain("content-length");
    const body = text.slice(text.indexOf("\r\n\r\n") + 4);
    expect(body).toBe(['data: {"a":1}\n\n', 'data: {"b":2}\n\n', "data: [DONE]\n\n"].map((e) => `${Buffer.byteLength(e).toString(16)}\r\n${e}\r\n`).join("") + "0\r\n\r\n");
  });

  test("head/tail pairs (SplitEvents) go out one HTTP chunk per event, a head over Bun's 2 KB write threshold included", async () => {
    const tail = ',"id":"chatcmpl-x"}\n\n';
    const big = `data: {"logprobs":"${"x".repeat(3000)}"`;
    const events = [['data: {"a":1', tail], [big, tail], ["data: [DONE]\n\n", ""]] as const;
    produce = () => new SplitEvents(events.flat());
    const text = await raw();
    const body = text.slice(text.indexOf("\r\n\r\n") + 4);
    expect(body).toBe(events.map(([head, t]) => head + t).map((e) => `${Buffer.byteLength(e).toString(16)}\r\n${e}\r\n`).join("") + "0\r\n\r\n");
  });

  test("an async producer is sent as it yields: the first event arrives before the last is made", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    produce = async function* () {
      yield sseEvent('{"first":true}');
      await gate;
      yield sseEvent('{"last":true}');
    };
    const response = await fetch(`http://127.0.0.1:${server.port}/`);
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toBe('data: {"first":true}\n\n');
    release();
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe('data: {"last":true}\n\n');
  });

  test("a client that leaves gets the producer's return() at once, even while a next() is pending", async () => {
    let returned = 0;
    let pendingNext = false;
    produce = () => {
      let sent = false;
      return {
        [Symbol.asyncIterator]() {
          return {
            next: () => {
              if (!sent) {
                sent = true;
                return Promise.resolve({ done: false, value: sseEvent("{}") });
              }
              pendingNext = true;
              return new Promise<IteratorResult<string>>(() => {}); // a generation that never ends
            },
            return: () => {
              returned++;
              return Promise.resolve({ done: true as const, value: undefined });
            },
          };
        },
      };
    };
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${server.port}/`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    for (let i = 0; i < 50 && !pendingNext; i++) await Bun.sleep(5);
    expect(pendingNext).toBe(true);
    controller.abort();
    for (let i = 0; i < 100 && returned === 0; i++) await Bun.sleep(5);
    expect(returned).toBeGreaterThanOrEqual(1);
  });

  test("a producer that throws ends the stream with llama-server's in-stream error event", async () => {
    produce = function* () {
      yield sseEvent('{"ok":1}');
      throw new Error("generation failed");
    };
    const text = await raw();
    expect(text).toContain('data: {"ok":1}\n\n');
    expect(text).toContain('data: {"error":{"code":500,"message":"generation failed","type":"server_error"}}\n\n');
    expect(text).not.toContain("[DONE]");
  });
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { SplitEvents } from "../../src/server/split-events.ts";
import { sseResponse, type EventSink } from "../../src/server/sse.ts";

/** A sink that records every write and flush; writes return a promise when `slow` says so (a full buffer). */
function recordingSink(slow: (call: number) => boolean = () => false) {
  const log: string[] = [];
  let calls = 0;
  const sink: EventSink = {
    write(chunk: string) {
      log.push(`w:${chunk}`);
      return slow(calls++) ? Bun.sleep(1).then(() => chunk.length) : chunk.length;
    },
    flush() {
      log.push("flush");
      return slow(calls++) ? Bun.sleep(1).then(() => 0) : 0;
    },
  };
  return { sink, log };
}

const parts = ["data: {a", ",tail}\n\n", "data: {b", ",tail}\n\n", "data: [DONE]\n\n", ""];

describe("SplitEvents: head/tail pairs written apart, read whole", () => {
  test("iterated: each event joined, in order; remaining counts down", () => {
    const events = new SplitEvents(parts);
    expect(events.remaining).toBe(3);
    expect(events.next()).toEqual({ done: false, value: "data: {a,tail}\n\n" });
    expect(events.remaining).toBe(2);
    expect([...events]).toEqual(["data: {b,tail}\n\n", "data: [DONE]\n\n"]);
    expect(events.remaining).toBe(0);
    expect(events.next().done).toBe(true);
  });

  test("pushed: head then tail as two writes (an empty tail not written), one flush per event", async () => {
    const { sink, log } = recordingSink();
    await new SplitEvents(parts).pushTo(sink);
    expect(log).toEqual(["w:data: {a", "w:,tail}\n\n", "flush", "w:data: {b", "w:,tail}\n\n", "flush", "w:data: [DONE]\n\n", "flush"]);
  });

  test("property: pushed bytes, with any writes or flushes waiting on backpressure, are the iterated events in order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 12 }), fc.array(fc.boolean(), { maxLength: 60 }), async (pairs, slowness) => {
        const flat = pairs.flat();
        const { sink, log } = recordingSink((call) => slowness[call] ?? false);
        await new SplitEvents(flat).pushTo(sink);
        // Group the writes between flushes into the events the client saw.
        const sent: string[] = [];
        let event = "";
        for (const entry of log) {
          if (entry === "flush") {
            sent.push(event);
            event = "";
          } else event += entry.slice(2);
        }
        expect(event).toBe("");
        expect(sent).toEqual([...new SplitEvents(flat)]);
      }),
      { numRuns: 200 },
    );
  });

  test("written at once when nothing waits: pushTo returns no promise (the stream can close in the same turn)", () => {
    const { sink, log } = recordingSink();
    expect(new SplitEvents(parts).pushTo(sink)).toBeUndefined();
    expect(log).toHaveLength(8);
  });

  test("return() ends it at once, also while a push waits on a full buffer: nothing more is written", async () => {
    const events = new SplitEvents(parts);
    const { sink, log } = recordingSink((call) => call === 0); // the first write waits
    const pushed = events.pushTo(sink);
    expect(pushed).toBeInstanceOf(Promise);
    events.return();
    await pushed;
    expect(log).toEqual(["w:data: {a"]); // the client is gone: not even the rest of the event being written
    expect(events.remaining).toBe(0);
    expect(events.next().done).toBe(true);
  });

  test("an odd number of parts is refused", () => {
    expect(() => new SplitEvents(["data: x\n\n"])).toThrow(RangeError);
  });

  test("through sseResponse: the client receives exactly the joined events", async () => {
    const response = sseResponse(new SplitEvents(parts), { "Content-Type": "text/event-stream" });
    expect(await response.text()).toBe("data: {a,tail}\n\ndata: {b,tail}\n\ndata: [DONE]\n\n");
  });
});

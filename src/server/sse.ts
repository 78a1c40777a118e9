import { errorBody } from "./errors.ts";

/** One SSE event carrying a JSON payload, framed as llama-server frames it. */
export const sseEvent = (json: string): string => `data: ${json}\n\n`;

/** The end of an OpenAI-style stream (/v1/chat/completions, /v1/completions; never the native /completion). */
export const SSE_DONE = "data: [DONE]\n\n";

/** Where a pushing producer writes: the response's direct-stream controller. */
export interface EventSink {
  write(chunk: string): number | Promise<number>;
  flush(): number | Promise<number> | void;
}

/**
 * A producer that writes its events itself, when they are due (a paced stream,
 * server/paced-stream.ts) or all at once (an instant stream's head/tail pairs, server/split-events.ts),
 * rather than being pulled event by event: no promise per event.
 * `pushTo` returns undefined when it wrote everything at once, else a promise that settles once
 * everything is written or the producer was ended by `return()`.
 */
export interface PushEvents {
  pushTo(sink: EventSink): Promise<void> | undefined;
}

/**
 * A streamed response that sends each event as it is produced, with chunked transfer encoding.
 *
 * `events` yields whole framed chunks (`sseEvent(...)`, `SSE_DONE`, or a `:\n\n` keep-alive). A
 * plain Iterable is written as fast as the client reads; an AsyncIterable (a paced generation) is
 * awaited event by event. Bun's "direct" stream is used because an ordinary ReadableStream that
 * completes within a few microtasks is buffered and sent as one body with a Content-Length.
 *
 * When the client goes away the iterator's `return()` is called at once, not after its pending
 * `next()` settles, so a producer holding a slot can free it immediately; producers must therefore
 * tolerate `return()` being called while a `next()` is in flight, and more than once.
 * A producer that throws ends the stream with llama-server's in-stream error event.
 *
 * Writing costs a system call per flush, the bulk of a streamed reply's CPU: write() and flush()
 * are awaited only when they return a promise (backpressure). A producer with `pushTo()` writes
 * into the response itself: a paced stream its events due at the same moment in one flush, an
 * instant one each event's parts and a flush per event.
 */
export function sseResponse(events: Iterable<string> | AsyncIterable<string>, headers: Headers | Record<string, string>, status = 200): Response {
  const iterator: Iterator<string> | AsyncIterator<string> =
    Symbol.asyncIterator in events ? events[Symbol.asyncIterator]() : (events as Iterable<string>)[Symbol.iterator]();
  let cancelled = false;
  const release = () => {
    try {
      void iterator.return?.();
    } catch {
      // a producer's clean-up failing must not take the server down
    }
  };
  const body = new ReadableStream({
    type: "direct",
    async pull(controller: ReadableStreamDirectController) {
      try {
        const push = (iterator as Partial<PushEvents>).pushTo;
        if (typeof push === "function") {
          // Awaited only when it has to wait: a stream written and closed within this pull costs Bun far
          // less to end (awaiting a push that had already written everything cost ~10–15 µs a stream).
          const pushed = push.call(iterator, controller);
          if (pushed !== undefined) await pushed;
        } else {
          for (;;) {
            // A plain iterator's steps are not awaited: an instant reply's events then all go out in this
            // turn of the event loop (one chunk each, in as few TCP segments as the socket makes of them)
            // instead of one await, and one send, per event.
            const next = iterator.next();
            const step = next instanceof Promise ? await next : next;
            if (step.done || cancelled) break;
            // Each event leaves as its own chunk; awaiting a pending write or flush is the backpressure.
            const wrote = controller.write(step.value);
            if (wrote instanceof Promise) await wrote;
            const flushed = controller.flush();
            if (flushed instanceof Promise) await flushed;
          }
        }
      } catch (error) {
        if (!cancelled) {
          const message = error instanceof Error ? error.message : String(error);
          controller.write(sseEvent(errorBody(500, "server_error", message)));
        }
      } finally {
        release();
        if (!cancelled) controller.close();
      }
    },
    cancel() {
      cancelled = true;
      release();
    },
  });
  return new Response(body, { status, headers });
}

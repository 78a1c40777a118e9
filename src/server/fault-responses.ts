// The responses a fault sends instead of the usual one (server/faults.ts decides which): none at all
// (a reset before the headers), a stream cut midway, a body or stream that reports when it has left.

/** After the last event written and before the reset: an RST discards bytes still in the send buffer. */
const CUT_DELAY_MS = 25;
/** Events kept before a midstream cut when the stream's length is not known in advance. */
const UNKNOWN_LENGTH_SPAN = 64;

/**
 * A response Bun never sends: its body stream fails before the headers are written, so Bun resets
 * the connection and the client sees a socket error (ECONNRESET), not a status. Failing with
 * `undefined` keeps Bun from printing the error.
 */
export function dropResponse(): Response {
  const body = new ReadableStream({
    type: "direct",
    async pull() {
      throw undefined;
    },
  });
  return new Response(body, { status: 200 });
}

/** How many events a cut stream sends: at least one, never the last two (finish and [DONE]) when the length is known. */
export function keptEvents(total: number | undefined, cut: number): number {
  if (total === undefined) return 1 + Math.floor(cut * UNKNOWN_LENGTH_SPAN);
  return Math.max(0, Math.min(total - 1, 1 + Math.floor(cut * Math.max(1, total - 2))));
}

/** How many events a stream will yield, when it says: an array's length, a paced or split stream's `remaining`. */
function lengthOf(events: Iterable<string> | AsyncIterable<string>): number | undefined {
  if (Array.isArray(events)) return events.length;
  const remaining = (events as { readonly remaining?: unknown }).remaining;
  return typeof remaining === "number" ? remaining : undefined;
}

/**
 * A stream that sends some events and then resets the connection: no [DONE], no terminating
 * chunk. When the length is known the events leave as they come, the last two never; otherwise
 * each is written once the next one exists, so the last is never sent (delaying each by one). The
 * producer is released as sse.ts releases it, at once on a disconnect.
 */
export function cutStream(events: Iterable<string> | AsyncIterable<string>, headers: Headers | Record<string, string>, status: number, cut: number): Response {
  const iterator: Iterator<string> | AsyncIterator<string> =
    Symbol.asyncIterator in events ? events[Symbol.asyncIterator]() : (events as Iterable<string>)[Symbol.iterator]();
  const total = lengthOf(events);
  const keep = keptEvents(total, cut);
  let cancelled = false;
  const release = () => {
    try {
      void iterator.return?.();
    } catch {
      // a producer's clean-up failing must not take the server down
    }
  };
  const send = async (controller: ReadableStreamDirectController, event: string) => {
    await controller.write(event);
    await controller.flush();
  };
  const body = new ReadableStream({
    type: "direct",
    async pull(controller: ReadableStreamDirectController) {
      try {
        if (total !== undefined) {
          for (let sent = 0; sent < keep && !cancelled; sent++) {
            const step = await iterator.next();
            if (step.done) break;
            await send(controller, step.value);
          }
        } else {
          let held = await iterator.next();
          for (let sent = 0; !held.done && !cancelled && sent < keep; sent++) {
            const next = await iterator.next();
            if (next.done) break;
            await send(controller, held.value);
            held = next;
          }
        }
      } catch {
        // a producer failing is cut like the rest
      } finally {
        release();
      }
      if (cancelled) return;
      await Bun.sleep(CUT_DELAY_MS);
      throw undefined;
    },
    cancel() {
      cancelled = true;
      release();
    },
  });
  return new Response(body, { status, headers });
}

/** The same events, calling `done` once when they run out or the consumer lets go (a disconnect). */
export function onFinished<T>(events: Iterable<T> | AsyncIterable<T>, done: () => void): Iterable<T> | AsyncIterable<T> {
  let fired = false;
  const fire = () => {
    if (!fired) {
      fired = true;
      done();
    }
  };
  if (Symbol.asyncIterator in events) {
    const source = events;
    return {
      [Symbol.asyncIterator](): AsyncIterator<T> {
        const it = source[Symbol.asyncIterator]();
        // Forwarded, not wrapped in a generator: a generator would queue return() behind a pending next().
        return {
          next: () =>
            it.next().then((step) => {
              if (step.done) fire();
              return step;
            }),
          return: (value?: unknown) => {
            fire();
            return it.return ? it.return(value) : Promise.resolve({ done: true, value: value as T });
          },
        };
      },
    };
  }
  const source = events;
  return {
    [Symbol.iterator](): Iterator<T> {
      const it = source[Symbol.iterator]();
      return {
        next: () => {
          const step = it.next();
          if (step.done) fire();
          return step;
        },
        return: (value?: unknown) => {
          fire();
          return it.return ? it.return(value) : { done: true, value: value as T };
        },
      };
    },
  };
}

/** A whole body written as one chunk, then `sent` once it has been flushed to the socket. */
export function bodyThen(body: string, headers: Headers | Record<string, string>, status: number, sent: () => void): Response {
  const stream = new ReadableStream({
    type: "direct",
    async pull(controller: ReadableStreamDirectController) {
      try {
        await controller.write(body);
        await controller.flush();
        controller.close();
      } finally {
        sent();
      }
    },
    cancel: sent,
  });
  return new Response(stream, { status, headers });
}

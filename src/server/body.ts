import { invalidRequest, readTimedOut, tooLarge } from "./errors.ts";

// Invalid UTF-8 becomes U+FFFD, which then simply fails to match or to parse.
const UTF8 = new TextDecoder();

/**
 * Reads and parses a JSON body, refusing more than `limit` bytes (413) or a body that takes longer
 * than `timeoutSeconds` to arrive (408: a slow-body client must not hold a request open forever).
 * A declared Content-Length is checked before reading, and Bun parses straight from the received
 * bytes, which costs a third of decoding to a string and parsing that; Bun's HTTP parser holds the
 * body to its declared length. A chunked body is counted as it arrives and abandoned at the limit.
 */
export function readJsonBody(request: Request, limit: number, timeoutSeconds = Infinity): Promise<unknown> {
  const length = request.headers.get("content-length");
  let read: Promise<unknown>;
  if (length === null) read = readChunked(request, limit).then(parseJson);
  else if (Number(length) > limit) read = Promise.reject(tooLarge(limit));
  else read = request.json().catch(rethrowAsInvalidJson);
  return Number.isFinite(timeoutSeconds) ? withDeadline(read, timeoutSeconds) : read;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return rethrowAsInvalidJson(error);
  }
}

function rethrowAsInvalidJson(error: unknown): never {
  // Anything but a syntax error (the client hung up mid-body) is not the body's fault.
  if (!(error instanceof SyntaxError)) throw error;
  throw invalidRequest(`request body is not valid JSON: ${error.message}`);
}

/**
 * A body read still in progress. One sweeper per process fails those past their deadline: a timer
 * (or a race against a shared one) per request costs more than the rest of the request. The reads
 * in progress form a doubly linked list through these nodes rather than a Set: with a Set, tens of
 * thousands of additions and removals a second cost ~10% more CPU a request and ~40 MB more RSS under
 * load (make bench's AIME load, co-scheduled A/B); a removed node here holds nothing.
 */
class PendingRead {
  prev: PendingRead | undefined = undefined;
  next: PendingRead | undefined = undefined;
  constructor(
    readonly deadline: number,
    /** Rejects the read with a 408; undefined once the node is out of the list. */
    public fail: ((error: unknown) => void) | undefined,
  ) {}
}

/** The list's ends, oldest first. */
let first: PendingRead | undefined;
let last: PendingRead | undefined;
let sweeper: ReturnType<typeof setInterval> | undefined;

function link(node: PendingRead): void {
  node.prev = last;
  if (last === undefined) first = node;
  else last.next = node;
  last = node;
}

function unlink(node: PendingRead): void {
  if (node.fail === undefined) return; // already out (failed by the sweeper, then settled)
  if (node.prev === undefined) first = node.next;
  else node.prev.next = node.next;
  if (node.next === undefined) last = node.prev;
  else node.next.prev = node.prev;
  node.prev = node.next = node.fail = undefined;
}

function withDeadline<T>(read: Promise<T>, seconds: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const pending = new PendingRead(performance.now() + seconds * 1000, () => reject(readTimedOut(seconds)));
    link(pending);
    sweeper ??= setInterval(sweep, Math.min(1000, seconds * 100));
    read.then(
      (value) => {
        unlink(pending);
        resolve(value);
      },
      (error: unknown) => {
        unlink(pending);
        reject(error);
      },
    );
  });
}

/** Fails overdue reads; stops itself when nothing is pending. A read gets its timeout plus at most one tick. */
function sweep(): void {
  const now = performance.now();
  for (let node = first; node !== undefined; ) {
    const next = node.next;
    if (node.deadline <= now) {
      const fail = node.fail!;
      unlink(node);
      fail(undefined);
    }
    node = next;
  }
  if (first === undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** Body reads with a deadline still in progress (for tests). */
export function pendingBodyReads(): number {
  let count = 0;
  for (let node = first; node !== undefined; node = node.next) count++;
  return count;
}

async function readChunked(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return UTF8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
}

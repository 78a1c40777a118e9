import { describe, expect, test } from "bun:test";
import { pendingBodyReads, readJsonBody } from "../../src/server/body.ts";
import { HttpError } from "../../src/server/errors.ts";

function streamOf(chunks: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
    cancel() {
      onCancel?.();
    },
  });
}

const post = (body: RequestInit["body"], headers: Record<string, string> = {}) => new Request("http://sim/v1/chat/completions", { method: "POST", body, headers });

async function tooLarge(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(413);
    return error as HttpError;
  }
  throw new Error("expected a 413");
}

describe("readJsonBody", () => {
  const json = (n: number) => JSON.stringify({ x: "x".repeat(n - 8) }); // exactly n bytes

  test("reads and parses a body up to and including the limit", async () => {
    expect(json(100)).toHaveLength(100);
    expect(await readJsonBody(post(json(100)), 100)).toEqual({ x: "x".repeat(92) });
    await tooLarge(readJsonBody(post(json(101)), 100));
  });

  test("counts bytes, not characters", async () => {
    const text = JSON.stringify("é".repeat(49)); // 2 + 98 bytes of UTF-8
    expect(await readJsonBody(post(text), 100)).toBe("é".repeat(49));
    await tooLarge(readJsonBody(post(text), 99));
  });

  test("an empty or malformed body is a 400 saying the JSON is invalid", async () => {
    for (const body of ["", "{", "{\"a\":}", "nul"]) {
      const error = await readJsonBody(post(body), 100).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(400);
      expect((error as HttpError).message).toContain("not valid JSON");
    }
  });

  test("a declared Content-Length over the limit is refused before reading", async () => {
    const request = post(streamOf([new Uint8Array(10)]), { "content-length": "1000" });
    const e = await tooLarge(readJsonBody(request, 100));
    expect(e.type).toBe("invalid_request_error");
    expect(request.bodyUsed).toBe(false);
    expect(request.body!.locked).toBe(false);
  });

  test("a chunked body is counted as it arrives and abandoned at the limit", async () => {
    let cancelled = false;
    const chunks = Array.from({ length: 10 }, () => new Uint8Array(40).fill(97));
    await tooLarge(readJsonBody(post(streamOf(chunks, () => (cancelled = true))), 100));
    expect(cancelled).toBe(true);
  });

  test("a multi-chunk body is reassembled, even with a character split across chunks", async () => {
    const bytes = new TextEncoder().encode('{"q":"naïve — ok"}');
    const cut = bytes.indexOf(0xc3) + 1; // inside "ï"
    expect(await readJsonBody(post(streamOf([bytes.slice(0, cut), bytes.slice(cut)])), 1000)).toEqual({ q: "naïve — ok" });
  });

  test("invalid UTF-8 becomes U+FFFD instead of failing", async () => {
    const bytes = new Uint8Array([0x22, 0x61, 0xff, 0x62, 0x22]); // "a\xffb"
    expect(await readJsonBody(post(streamOf([bytes])), 100)).toBe("a\ufffdb");
    expect(await readJsonBody(post(bytes), 100)).toBe("a\ufffdb");
  });
});

describe("readJsonBody read timeout", () => {
  test("a body that stops arriving is refused with 408 naming --read-timeout", async () => {
    const never = new ReadableStream<Uint8Array>({ start(controller) { controller.enqueue(new Uint8Array([123])); } });
    const error = await readJsonBody(post(never), 1000, 0.2).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(408);
    expect((error as HttpError).message).toContain("--read-timeout");
  });

  test("a body that arrives in time is read whole, with or without a declared length", async () => {
    expect(await readJsonBody(post('{"a":1}', { "content-length": "7" }), 100, 5)).toEqual({ a: 1 });
    expect(await readJsonBody(post(streamOf([new TextEncoder().encode("[1]")])), 100, 5)).toEqual([1]);
  });

  test("reads finishing in any order and stalled reads among them: each settles on its own, and none stays registered", async () => {
    // Bodies released one by one in a shuffled order (first, last and middle reads leave the list in turn); every third never ends.
    const base = pendingBodyReads(); // reads of other tests still running, if any
    const releases: (() => void)[] = [];
    const reads = Array.from({ length: 12 }, (_, i) => {
      const stalls = i % 3 === 2;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"i":`));
          if (!stalls) releases.push(() => { controller.enqueue(new TextEncoder().encode(`${i}}`)); controller.close(); });
        },
      });
      return readJsonBody(post(body), 1000, 0.3).then((value) => ({ value }), (error: unknown) => ({ error }));
    });
    await Bun.sleep(10);
    expect(pendingBodyReads()).toBe(base + 12);
    for (const k of [3, 0, 7, 1, 5, 2, 6, 4]) releases[k]!();
    const results = await Promise.all(reads);
    results.forEach((result, i) => {
      if (i % 3 === 2) expect(((result as { error: HttpError }).error).status).toBe(408);
      else expect((result as { value: unknown }).value).toEqual({ i });
    });
    expect(pendingBodyReads()).toBe(base);
  });

  test("a read that arrives after its 408 leaves the list alone: the others still time out or finish, and the count stays right", async () => {
    const base = pendingBodyReads();
    const encoder = new TextEncoder();
    // Read 0 stalls and is released after its deadline; reads 1 and 2 start later, one stalling for good.
    let releaseLate!: () => void;
    const late = readJsonBody(post(new ReadableStream<Uint8Array>({ start(c) { c.enqueue(encoder.encode("{")); releaseLate = () => { c.enqueue(encoder.encode("}")); c.close(); }; } })), 1000, 0.2).then(() => "read", (e: HttpError) => e.status);
    expect(await late).toBe(408);
    expect(pendingBodyReads()).toBe(base);
    let releaseOk!: () => void;
    const ok = readJsonBody(post(new ReadableStream<Uint8Array>({ start(c) { c.enqueue(encoder.encode("[")); releaseOk = () => { c.enqueue(encoder.encode("2]")); c.close(); }; } })), 1000, 0.2);
    const stalled = readJsonBody(post(new ReadableStream<Uint8Array>({ start(c) { c.enqueue(encoder.encode("[")); } })), 1000, 0.2).then(() => "read", (e: HttpError) => e.status);
    await Bun.sleep(5);
    releaseLate(); // settles the read already failed: it must not unlink anything again
    await Bun.sleep(5);
    expect(pendingBodyReads()).toBe(base + 2);
    releaseOk();
    expect(await ok).toEqual([2]);
    expect(await stalled).toBe(408);
    expect(pendingBodyReads()).toBe(base);
  });
});


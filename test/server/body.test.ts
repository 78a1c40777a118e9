import { describe, expect, test } from "bun:test";
import { readBody } from "../../src/server/body.ts";
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

describe("readBody", () => {
  test("reads a body up to and including the limit", async () => {
    expect(await readBody(post("x".repeat(100)), 100)).toBe("x".repeat(100));
    expect(await readBody(post(""), 100)).toBe("");
    expect(await readBody(new Request("http://sim/", { method: "POST" }), 100)).toBe("");
  });

  test("counts bytes, not characters", async () => {
    const text = "é".repeat(50); // 100 bytes of UTF-8
    expect(await readBody(post(text), 100)).toBe(text);
    await tooLarge(readBody(post(text), 99));
  });

  test("a declared Content-Length over the limit is refused before reading", async () => {
    const request = post(streamOf([new Uint8Array(10)]), { "content-length": "1000" });
    const e = await tooLarge(readBody(request, 100));
    expect(e.type).toBe("invalid_request_error");
    expect(request.bodyUsed).toBe(false);
    expect(request.body!.locked).toBe(false);
  });

  test("a chunked body is counted as it arrives and abandoned at the limit", async () => {
    let cancelled = false;
    const chunks = Array.from({ length: 10 }, () => new Uint8Array(40).fill(97));
    await tooLarge(readBody(post(streamOf(chunks, () => (cancelled = true))), 100));
    expect(cancelled).toBe(true);
  });

  test("a chunked body that lies under its Content-Length is still cut at the limit", async () => {
    const chunks = Array.from({ length: 5 }, () => new Uint8Array(40).fill(97));
    await tooLarge(readBody(post(streamOf(chunks), { "content-length": "10" }), 100));
  });

  test("a multi-chunk body is reassembled, even with a character split across chunks", async () => {
    const bytes = new TextEncoder().encode('{"q":"naïve — ok"}');
    const cut = bytes.indexOf(0xc3) + 1; // inside "ï"
    const text = await readBody(post(streamOf([bytes.slice(0, cut), bytes.slice(cut)])), 1000);
    expect(text).toBe('{"q":"naïve — ok"}');
  });

  test("invalid UTF-8 becomes U+FFFD instead of failing", async () => {
    expect(await readBody(post(streamOf([new Uint8Array([0x61, 0xff, 0x62])])), 100)).toBe("a\ufffdb");
  });
});

describe("readBody read timeout", () => {
  test("a body that stops arriving is refused with 408 naming --read-timeout", async () => {
    const never = new ReadableStream<Uint8Array>({ start(controller) { controller.enqueue(new Uint8Array([123])); } });
    const error = await readBody(post(never), 1000, 0.2).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(408);
    expect((error as HttpError).message).toContain("--read-timeout");
  });

  test("a body that arrives in time is read whole, with or without a declared length", async () => {
    expect(await readBody(post('{"a":1}', { "content-length": "7" }), 100, 5)).toBe('{"a":1}');
    expect(await readBody(post(streamOf([new TextEncoder().encode("xy")])), 100, 5)).toBe("xy");
  });
});

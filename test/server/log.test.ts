import { describe, expect, test } from "bun:test";
import { formatRequestLine, LineBuffer } from "../../src/server/log.ts";

describe("formatRequestLine", () => {
  test("a chat request: timestamp, method, path, status, question and outcome, time", () => {
    const line = formatRequestLine({ method: "POST", path: "/v1/chat/completions", status: 200, outcome: { kind: "question", questionId: "17", correct: true }, ms: 0.2149 });
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z POST \/v1\/chat\/completions 200 q=17 correct 0\.21ms$/);
    expect(formatRequestLine({ method: "POST", path: "/chat/completions", status: 200, outcome: { kind: "question", questionId: "aime-3", correct: false }, ms: 12 })).toMatch(
      / POST \/chat\/completions 200 q=aime-3 wrong 12\.00ms$/,
    );
  });

  test("other requests have no question", () => {
    const line = formatRequestLine({ method: "GET", path: "/nope", status: 404, outcome: undefined, ms: 1 });
    expect(line).toMatch(/ GET \/nope 404 1\.00ms$/);
    expect(line).not.toContain("q=");
    expect(line).not.toContain("\n");
  });

  test("error replies say why, quoted on one line, long messages shortened", () => {
    const line = formatRequestLine({ method: "POST", path: "/v1/chat/completions", status: 400, outcome: undefined, ms: 1, error: 'bad "x"\nnext' });
    expect(line).toMatch(/ POST \/v1\/chat\/completions 400 error="bad \\"x\\"\\nnext" 1\.00ms$/);
    expect(line).not.toContain("\n");
    const long = formatRequestLine({ method: "POST", path: "/", status: 400, outcome: undefined, ms: 1, error: "e".repeat(500) });
    expect(long.length).toBeLessThan(250);
    expect(long).toContain("...");
  });
});

describe("LineBuffer", () => {
  test("lines pushed in one turn are written together, in order, on the next turn", async () => {
    const writes: string[] = [];
    const buffer = new LineBuffer((chunk) => writes.push(chunk));
    buffer.push("a");
    buffer.push("b");
    buffer.push("c");
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(["a\nb\nc\n"]);
    buffer.push("d");
    buffer.flush(); // shutdown: written at once, nothing left for the scheduled flush
    expect(writes).toEqual(["a\nb\nc\n", "d\n"]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(2);
  });
});

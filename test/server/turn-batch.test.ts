import { describe, expect, test } from "bun:test";
import { TurnBatch } from "../../src/server/turn-batch.ts";

describe("TurnBatch", () => {
  test("work waits for the next turn, then everything submitted in this turn runs in order of arrival", async () => {
    const batch = new TurnBatch<number>();
    const ran: number[] = [];
    const results = [1, 2, 3].map((n) =>
      batch.run(() => {
        ran.push(n);
        return n * 10;
      }),
    );
    expect(ran).toEqual([]);
    expect(batch.waiting).toBe(3);
    // Microtasks alone do not start the batch: it runs on the event loop's next turn.
    await Promise.resolve();
    await Promise.resolve();
    expect(ran).toEqual([]);
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
    expect(ran).toEqual([1, 2, 3]);
    expect(batch.waiting).toBe(0);
  });

  test("work submitted while a batch runs goes to the next batch", async () => {
    const batch = new TurnBatch<string>();
    const order: string[] = [];
    let inner: Promise<string> | undefined;
    const outer = batch.run(() => {
      order.push("outer");
      inner = batch.run(() => {
        order.push("inner");
        return "inner";
      });
      // Not run inside the batch that queued it.
      expect(order).toEqual(["outer"]);
      return "outer";
    });
    expect(await outer).toBe("outer");
    expect(await inner!).toBe("inner");
    expect(order).toEqual(["outer", "inner"]);
  });

  test("a handler that throws rejects its own promise only; the rest of the batch still runs", async () => {
    const batch = new TurnBatch<string>();
    const first = batch.run(() => "a");
    const failing = batch.run(() => {
      throw new Error("boom");
    });
    const last = batch.run(() => "c");
    expect(await first).toBe("a");
    await expect(failing).rejects.toThrow("boom");
    expect(await last).toBe("c");
  });

  test("a handler's promise is adopted: its rejection reaches the caller", async () => {
    const batch = new TurnBatch<string>();
    const later = batch.run(() => Bun.sleep(1).then(() => "later"));
    const refused = batch.run(() => Promise.reject(new Error("refused")));
    const [settledLater, settledRefused] = await Promise.allSettled([later, refused]);
    expect(settledLater).toEqual({ status: "fulfilled", value: "later" });
    expect(settledRefused.status).toBe("rejected");
    expect((settledRefused as PromiseRejectedResult).reason.message).toBe("refused");
  });

  test("separate turns make separate batches", async () => {
    const batch = new TurnBatch<number>();
    const sizes: number[] = [];
    for (let turn = 0; turn < 3; turn++) {
      const round = Array.from({ length: turn + 1 }, (_, i) => batch.run(() => i));
      sizes.push(batch.waiting);
      await Promise.all(round);
      expect(batch.waiting).toBe(0);
    }
    expect(sizes).toEqual([1, 2, 3]);
  });
});

describe("startServer with and without batching (--no-batch)", () => {
  test("both answer the same requests with the same replies, over real HTTP", async () => {
    const { startServer } = await import("../../src/server/app.ts");
    const { chatBody, makeContext, QUESTIONS } = await import("./helpers.ts");
    const replies: string[][] = [];
    for (const batch of [true, false]) {
      const server = startServer(makeContext({ rate: 0.5, seed: 7, quiet: true }), { host: "127.0.0.1", port: 0, idleTimeoutSeconds: 30, batch });
      try {
        const contents: string[] = [];
        // Sent together, so that the batched server gets several in one turn.
        const responses = await Promise.all(
          QUESTIONS.map((_, q) => fetch(`http://127.0.0.1:${server.port}/v1/chat/completions`, { method: "POST", body: JSON.stringify(chatBody(q)) })),
        );
        for (const response of responses) {
          expect(response.status).toBe(200);
          contents.push(((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content);
        }
        const health = await fetch(`http://127.0.0.1:${server.port}/health`);
        expect(health.status).toBe(200);
        replies.push(contents);
      } finally {
        server.stop(true);
      }
    }
    // Same seed, first attempt at each question: the same outcome and text whichever way they were handled.
    expect(replies[0]).toEqual(replies[1]!);
    expect(replies[0]!.length).toBe(QUESTIONS.length);
    expect(QUESTIONS.length).toBeGreaterThan(2);
  });
});

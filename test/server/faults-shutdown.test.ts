// Lifecycle (src/server/shutdown.ts) with a stand-in server: the drain, the grace period, the second
// signal and the --crash-after exit, each flushing once and printing one closing line.
import { describe, expect, test } from "bun:test";
import { CRASH_EXIT_CODE, Lifecycle, type Stoppable } from "../../src/server/shutdown.ts";

/** A server whose in-flight requests finish when the test says so. */
class FakeServer implements Stoppable {
  pendingRequests: number;
  readonly calls: boolean[] = [];
  #finish: (() => void) | undefined;
  readonly #drained = new Promise<void>((resolve) => (this.#finish = resolve));

  constructor(pending: number) {
    this.pendingRequests = pending;
    if (pending === 0) this.#finish!();
  }

  stop(cut = false): Promise<void> {
    this.calls.push(cut);
    if (cut) {
      this.pendingRequests = 0;
      this.#finish!();
    }
    return this.#drained;
  }

  finishAll(): void {
    this.pendingRequests = 0;
    this.#finish!();
  }
}

function lifecycle(server: Stoppable, graceMs = 1000) {
  const events: string[] = [];
  const codes: number[] = [];
  const life = new Lifecycle({
    server,
    graceMs,
    flush: () => events.push("flush"),
    summary: () => "answered 2 matched requests, 1 correctly (50.0%)",
    beforeDrain: () => events.push("end hangs"),
    log: (line) => events.push(line),
    exit: (code) => void codes.push(code),
  });
  return { life, events, codes };
}

describe("Lifecycle", () => {
  test("the first signal stops accepting, waits for in-flight requests, then flushes, prints and exits 0", async () => {
    const server = new FakeServer(2);
    const { life, events, codes } = lifecycle(server);
    const done = life.shutdown("SIGTERM");
    await Bun.sleep(20);
    expect(server.calls).toEqual([false]);
    expect(codes).toEqual([]); // still draining
    expect(life.stopping).toBe(true);
    server.finishAll();
    await done;
    expect(codes).toEqual([0]);
    expect(events).toEqual(["end hangs", "flush", "llama-sim: SIGTERM, stopping; answered 2 matched requests, 1 correctly (50.0%); waited for 2 in-flight requests"]);
  });

  test("after the grace period what is left is cut, and the line says so", async () => {
    const server = new FakeServer(3);
    const { life, events, codes } = lifecycle(server, 50);
    const started = performance.now();
    await life.shutdown("SIGINT");
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(server.calls).toEqual([false, true]);
    expect(codes).toEqual([0]);
    expect(events.at(-1)).toBe(
      "llama-sim: SIGINT, stopping; answered 2 matched requests, 1 correctly (50.0%); waited for 3 in-flight requests; cut 3 unfinished requests after --shutdown-grace-ms 50",
    );
  });

  test("a second signal exits at once with 128 + its number, flushing once", async () => {
    const server = new FakeServer(1);
    const { life, events, codes } = lifecycle(server, 60_000);
    void life.shutdown("SIGTERM");
    await life.shutdown("SIGTERM");
    expect(codes).toEqual([143]);
    expect(events.filter((e) => e === "flush")).toHaveLength(1);
    expect(events.at(-1)).toStartWith("llama-sim: SIGTERM again, exiting at once; answered 2");
    // The first shutdown finishing later does not exit (or flush) a second time.
    server.finishAll();
    await Bun.sleep(10);
    expect(codes).toEqual([143]);
    const { life: other, codes: otherCodes } = lifecycle(new FakeServer(1), 60_000);
    void other.shutdown("SIGINT");
    await other.shutdown("SIGINT");
    expect(otherCodes).toEqual([130]);
  });

  test("--crash-after exits 3 after flushing, with its own line", () => {
    const { life, events, codes } = lifecycle(new FakeServer(0));
    life.crash(5);
    life.crash(5);
    expect(codes).toEqual([CRASH_EXIT_CODE]);
    expect(CRASH_EXIT_CODE).toBe(3);
    expect(events).toEqual(["flush", "llama-sim: crashing on purpose after 5 replies (--crash-after); answered 2 matched requests, 1 correctly (50.0%)"]);
  });

  test("listen() installs SIGHUP (a closed terminal or session), SIGINT and SIGTERM", () => {
    const installed: string[] = [];
    lifecycle(new FakeServer(0)).life.listen((signal) => installed.push(signal));
    expect(installed).toEqual(["SIGHUP", "SIGINT", "SIGTERM"]);
  });
});

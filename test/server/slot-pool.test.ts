import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { HttpError } from "../../src/server/errors.ts";
import { Lease, SlotPool, type TaskInfo } from "../../src/server/slot-pool.ts";

const task = (nPredict = -1, params: Record<string, unknown> = { seed: 1 }): TaskInfo => ({ nPredict, params: () => params });

/** Lets queued promise callbacks run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe("SlotPool", () => {
  test("a free slot is taken synchronously: a lease, not a promise", () => {
    const pool = new SlotPool(2, 4096);
    const lease = pool.acquire(1, task());
    expect(lease).toBeInstanceOf(Lease);
    expect(pool.processing).toBe(1);
    pool.release(lease as Lease);
    expect(pool.processing).toBe(0);
  });

  test("N + k tasks: N run, k wait, and they are served in FIFO order as slots free up", async () => {
    const pool = new SlotPool(2, 4096);
    const order: number[] = [];
    const leases: Lease[] = [];
    const all = Array.from({ length: 6 }, (_, i) =>
      Promise.resolve(pool.acquire(1, task())).then((lease) => {
        order.push(i);
        leases.push(lease);
      }),
    );
    await settle();
    expect(order).toEqual([0, 1]);
    expect([pool.processing, pool.deferred]).toEqual([2, 4]);
    // Release the newest running task each time: the queue still drains first come, first served.
    for (let step = 0; step < 4; step++) {
      pool.release(leases.filter((l) => !l.released).at(-1)!);
      await settle();
    }
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pool.deferred).toBe(0);
  });

  test("a new task never jumps the queue, even when a slot is free for it", async () => {
    const pool = new SlotPool(3, 4096);
    const a = pool.acquire(2, task()) as Lease;
    const big = pool.acquire(3, task()); // waits: needs all three
    expect(big).toBeInstanceOf(Promise);
    const small = pool.acquire(1, task()); // one slot is idle, but `big` is first
    expect(small).toBeInstanceOf(Promise);
    expect(pool.deferred).toBe(2);
    pool.release(a);
    const bigLease = await big;
    expect(bigLease.slots.length).toBe(3);
    expect(pool.deferred).toBe(1);
    pool.release(bigLease);
    expect((await small).slots.length).toBe(1);
  });

  test("a queued task whose client leaves is out of the queue at once, with a 499, and frees the way for the next", async () => {
    const pool = new SlotPool(2, 4096);
    const gauges: [number, number][] = [];
    const watched = new SlotPool(2, 4096, (p, d) => gauges.push([p, d]));
    const held = watched.acquire(1, task()) as Lease;
    const controller = new AbortController();
    const big = watched.acquire(2, task(), () => controller.signal);
    const next = watched.acquire(1, task());
    expect(watched.deferred).toBe(2);
    controller.abort();
    const error = await (big as Promise<Lease>).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(499);
    // The 2-slot task left; the 1-slot one behind it fits in the idle slot.
    const nextLease = await next;
    expect(nextLease.slots.length).toBe(1);
    expect([watched.processing, watched.deferred]).toEqual([2, 0]);
    expect(gauges.at(-1)).toEqual([2, 0]);
    expect(gauges).toContainEqual([1, 2]);
    watched.release(held);
    watched.release(nextLease);
    expect(gauges.at(-1)).toEqual([0, 0]);
    // An already aborted signal never queues.
    const gone = new AbortController();
    gone.abort();
    pool.acquire(2, task());
    expect(() => pool.acquire(1, task(), () => gone.signal)).toThrow(HttpError);
    expect(pool.deferred).toBe(0);
  });

  test("releasing twice frees the slots once", () => {
    const pool = new SlotPool(2, 4096);
    const a = pool.acquire(1, task()) as Lease;
    const b = pool.acquire(1, task()) as Lease;
    pool.release(a);
    pool.release(a);
    expect(pool.processing).toBe(1);
    pool.release(b);
    expect(pool.processing).toBe(0);
  });

  test("n > 1 takes n slots; asking for more than -np is a programming error", () => {
    const pool = new SlotPool(4, 4096);
    const lease = pool.acquire(3, task()) as Lease;
    expect(new Set(lease.slots).size).toBe(3);
    expect(pool.processing).toBe(3);
    expect(() => pool.acquire(5, task())).toThrow(RangeError);
    expect(() => pool.acquire(0, task())).toThrow(RangeError);
  });

  test("slots are chosen least recently used first, as llama-server's LRU", () => {
    const pool = new SlotPool(3, 4096);
    const first = pool.acquire(1, task()) as Lease;
    expect(first.slots).toEqual([0]);
    pool.release(first);
    const second = pool.acquire(1, task()) as Lease;
    expect(second.slots).toEqual([1]);
    const third = pool.acquire(1, task()) as Lease;
    expect(third.slots).toEqual([2]);
    pool.release(third);
    pool.release(second);
    expect((pool.acquire(1, task()) as Lease).slots).toEqual([0]);
  });

  test("states(): live is_processing, id_task, params and next_token; an idle slot keeps its last task", () => {
    let now = 1000;
    const pool = new SlotPool(2, 2048, undefined, () => now);
    expect(pool.states().map((s) => [s.id, s.nCtx, s.isProcessing, s.task])).toEqual([
      [0, 2048, false, undefined],
      [1, 2048, false, undefined],
    ]);
    let paramsCalls = 0;
    const lease = pool.acquire(1, { nPredict: 100, params: () => (paramsCalls++, { n_predict: 100 }) }) as Lease;
    lease.progress = { total: 40, text: "first line\nsecond line", decoded: (t) => Math.floor((t - 1000) / 50) };
    now = 1500;
    const busy = pool.states()[0]!;
    expect(busy.isProcessing).toBe(true);
    expect(busy.task).toEqual({ idTask: lease.idTask, params: { n_predict: 100 }, hasNextToken: true, hasNewLine: false, nRemain: 90, nDecoded: 10 });
    pool.states();
    expect(paramsCalls).toBe(1); // computed once, and only because /slots was read
    pool.release(lease);
    const idle = pool.states()[0]!;
    expect(idle.isProcessing).toBe(false);
    expect(idle.task).toEqual({ idTask: lease.idTask, params: { n_predict: 100 }, hasNextToken: false, hasNewLine: true, nRemain: 60, nDecoded: 40 });
    // An unlimited task reports n_remain -1; a reply of one line, has_new_line false once out.
    const unlimited = pool.acquire(1, task(-1)) as Lease;
    expect(pool.states()[unlimited.slots[0]!]!.task!.nRemain).toBe(-1);
    expect(unlimited.idTask).toBe(lease.idTask + 1);
    unlimited.progress = { total: 5, text: "one line", decoded: () => 5 };
    pool.release(unlimited);
    expect(pool.states()[unlimited.slots[0]!]!.task!.hasNewLine).toBe(false);
  });

  test("property: whatever the order of acquires, releases and aborts, the gauges add up and FIFO holds", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.oneof(fc.record({ op: fc.constant("acquire" as const), count: fc.integer({ min: 1, max: 4 }) }), fc.record({ op: fc.constantFrom("release" as const, "abort" as const), pick: fc.nat() })), { maxLength: 40 }),
        async (total, ops) => {
          const pool = new SlotPool(total, 1024);
          const held: Lease[] = [];
          const queued: { id: number; controller: AbortController }[] = [];
          const granted: number[] = [];
          let id = 0;
          for (const op of ops) {
            if (op.op === "acquire") {
              const me = id++;
              const controller = new AbortController();
              const got = pool.acquire(Math.min(op.count, total), task(), () => controller.signal);
              if (got instanceof Lease) {
                granted.push(me);
                held.push(got);
              } else {
                queued.push({ id: me, controller });
                got.then(
                  (lease) => {
                    granted.push(me);
                    held.push(lease);
                  },
                  () => {},
                );
              }
            } else if (op.op === "release" && held.length > 0) {
              pool.release(held.splice(op.pick % held.length, 1)[0]!);
            } else if (op.op === "abort" && queued.length > 0) {
              queued.splice(op.pick % queued.length, 1)[0]!.controller.abort();
            }
            await settle();
            const busy = held.reduce((n, l) => n + l.slots.length, 0);
            expect(pool.processing).toBe(busy);
            expect(busy).toBeLessThanOrEqual(total);
          }
          // Grants happen in arrival order among the tasks that were granted.
          expect(granted).toEqual([...granted].sort((a, b) => a - b));
        },
      ),
      { numRuns: 200 },
    );
  });
});

/**
 * A mutual-exclusion lock on one Int32 of a SharedArrayBuffer, for the few-hundred-nanosecond
 * critical sections that must be one step across --threads-http workers (exact mode's schedule).
 * 0 = free, 1 = held. A waiter spins briefly (the holder is about to finish), then sleeps on
 * Atomics.wait in short slices so a holder preempted by the OS costs no CPU.
 */
const SPINS = 200;
const WAIT_MS = 1;

export function newLock(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

export function withLock<T>(lock: Int32Array, body: () => T): T {
  for (let spin = 0; Atomics.compareExchange(lock, 0, 0, 1) !== 0; spin++) {
    if (spin >= SPINS) Atomics.wait(lock, 0, 1, WAIT_MS);
  }
  try {
    return body();
  } finally {
    Atomics.store(lock, 0, 0);
    Atomics.notify(lock, 0, 1);
  }
}

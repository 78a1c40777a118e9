// llama-sim from source with wall-clock timers around the parts of the request path that can be
// wrapped from outside: the question index's question() (the server's lookup: the template path, else the scan) and the global JSON.parse / JSON.stringify.
// A cross-check of the sampling profile, which cannot see into Bun's native HTTP server.
//
//   BENCH_TIMINGS=out.json bun bench/instrumented.ts <llama-sim flags>
// SIGUSR2 resets the counters (sent just before the measured run); the totals are written on exit.
import { writeFileSync } from "node:fs";
import { QuestionIndex } from "../src/match/index.ts";

const CAP = 1 << 21;

class Timer {
  calls = 0;
  totalMs = 0;
  private samples = new Float64Array(CAP);
  add(ms: number): void {
    if (this.calls < CAP) this.samples[this.calls] = ms;
    this.calls++;
    this.totalMs += ms;
  }
  reset(): void {
    this.calls = 0;
    this.totalMs = 0;
  }
  summary() {
    const n = Math.min(this.calls, CAP);
    const sorted = this.samples.slice(0, n).sort();
    const at = (p: number) => (n ? sorted[Math.min(n - 1, Math.floor(p * (n - 1)))]! * 1000 : NaN);
    return { calls: this.calls, totalMs: this.totalMs, avgUs: this.calls ? (this.totalMs / this.calls) * 1000 : 0, p50Us: n ? at(0.5) : 0, p99Us: n ? at(0.99) : 0 };
  }
}

const timers = { question: new Timer(), parse: new Timer(), stringify: new Timer() };
let since = performance.now();

const question = QuestionIndex.prototype.question;
QuestionIndex.prototype.question = function (this: QuestionIndex, messages: readonly string[]) {
  const t = performance.now();
  const result = question.call(this, messages);
  timers.question.add(performance.now() - t);
  return result;
};
const parse = JSON.parse;
JSON.parse = function (text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) {
  const t = performance.now();
  const result = parse(text, reviver);
  timers.parse.add(performance.now() - t);
  return result;
} as typeof JSON.parse;
const stringify = JSON.stringify;
JSON.stringify = function (value: unknown, replacer?: never, space?: string | number) {
  const t = performance.now();
  const result = stringify(value, replacer, space);
  timers.stringify.add(performance.now() - t);
  return result;
} as typeof JSON.stringify;

process.on("SIGUSR2", () => {
  for (const timer of Object.values(timers)) timer.reset();
  since = performance.now();
});
process.on("exit", () => {
  const out = process.env.BENCH_TIMINGS;
  if (!out) return;
  writeFileSync(
    out,
    stringify({ seconds: (performance.now() - since) / 1000, question: timers.question.summary(), parse: timers.parse.summary(), stringify: timers.stringify.summary() }),
  );
});

await import("../src/main.ts");

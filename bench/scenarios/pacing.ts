// The paced-stream scenarios `make bench` runs (bench/run.ts passes its process helpers in), each
// measured by the raw-socket client bench/pacing.ts in its own process. BENCH_PACING_STREAMS and
// BENCH_PACING_TPS set N and the rate: N streams at --tps ramped in over 2 s, the same N all at once,
// 10,000 on one process, the streams one core holds, and 12 clients on -np 4 (FIFO waves). Each
// server first serves a few short streams, so that it is measured warm. The client runs on the same
// machine as the server; its CPU is reported next to the server's.
import type { PacingResult } from "../pacing.ts";
import { markdownTable } from "../lib/markdown.ts";

/** The client, run as its own process. */
const CLIENT = new URL("../pacing.ts", import.meta.url).pathname;

/** What bench/run.ts lends the scenarios: its tracked child processes and measurements. */
export interface PacingHooks {
  readonly bun: string;
  readonly tmp: string;
  /** The llama-sim command with its dataset, seed and success rate. */
  readonly simArgs: readonly string[];
  /** A llama-eval streaming chat body for an AIME question. */
  readonly body: string;
  startServer(name: string, cmd: string[]): Promise<{ readonly proc: { readonly pid: number }; readonly port: number }>;
  stop(server: { readonly proc: { readonly pid: number } }): Promise<void>;
  run(cmd: string[]): Promise<{ code: number; stdout: string; stderr: string; cpuSeconds?: number }>;
  withFdLimit(cmd: string[]): string[];
  cpuSecondsOf(pid: number): number;
  hwmKiB(pid: number): number;
  log(line: string): void;
}

interface Spread {
  readonly median: number;
  readonly p99: number;
  readonly max: number;
}

export interface StreamsScenario {
  readonly label: string;
  readonly flags: readonly string[];
  readonly streams: number;
  readonly rampMs: number;
  readonly tps: number;
  readonly ttftMs: number;
  readonly result: PacingResult;
  /** |measured rate / --tps − 1| per stream. */
  readonly rateError: Spread;
  /** Share of streams whose rate is within 5% of --tps. */
  readonly rateWithin: number;
  /** TTFT − --ttft-ms per stream (lateness), ms. */
  readonly ttftError: Spread;
  readonly ttftWithin: number;
  readonly ttftMin: number;
  readonly tokens: number;
  readonly serverCpu: number;
  /** The client's CPU over the run, cores: it shares the machine with the server. */
  readonly clientCpu: number;
  readonly hwmKiB: number;
}

export interface QueueScenario {
  readonly label: string;
  readonly flags: readonly string[];
  readonly slots: number;
  readonly clients: number;
  readonly ttftMs: number;
  /** Simulated length of one reply (prompt_ms + predicted_ms), ms. */
  readonly replyMs: number;
  /** Per client in send order: measured TTFT, the TTFT of its FIFO wave, and the difference. */
  readonly rows: { readonly client: number; readonly ttft: number; readonly expected: number }[];
  readonly fifo: boolean;
  readonly errors: number;
}

export interface PacingReport {
  readonly streams: StreamsScenario[];
  /** 10,000 streams on one process (issue 9 §4). */
  readonly tenThousand: StreamsScenario;
  readonly perCore: PerCore;
  readonly queue: QueueScenario;
}

const spread = (xs: readonly number[]): Spread => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { median: at(0.5), p99: at(0.99), max: s.at(-1) ?? NaN };
};

/** Where the server and the client run: `taskset -c` CPU lists (per-core figures), or anywhere. */
interface Placement {
  readonly server?: string;
  readonly client?: string;
}

const pinned = (cpus: string | undefined, cmd: string[]) => (cpus === undefined ? cmd : ["taskset", "-c", cpus, ...cmd]);

async function client(h: PacingHooks, port: number, streams: number, rampMs: number, body = h.body, cpus?: string): Promise<PacingResult & { cpuSeconds: number }> {
  const bodyFile = `${h.tmp}/pacing-body-${port}.json`;
  await Bun.write(bodyFile, body);
  const r = await h.run(h.withFdLimit(pinned(cpus, [h.bun, CLIENT, "--port", String(port), "--body-file", bodyFile, "--streams", String(streams), "--ramp-ms", String(rampMs)])));
  if (r.code !== 0) throw new Error(`bench/pacing.ts client failed (${r.code}): ${r.stderr}`);
  return { ...(JSON.parse(r.stdout.trim().split("\n").at(-1)!) as PacingResult), cpuSeconds: r.cpuSeconds ?? NaN };
}

/** A few short paced streams first, so that the measured run sees a warm server (its code compiled), as a real one is. */
async function warmUp(h: PacingHooks, port: number, streams: number, cpus?: string): Promise<void> {
  const short = JSON.stringify({ ...(JSON.parse(h.body) as Record<string, unknown>), n_predict: 4 });
  const r = await client(h, port, streams, 0, short, cpus);
  if (r.errors > 0) throw new Error(`warm-up streams failed: ${r.firstError}`);
}

/** Reasoning replies of about this many tokens keep every stream open for seconds, so that all of them overlap. */
const REASONING_TOKENS = 200;

async function streamsScenario(
  h: PacingHooks,
  label: string,
  streams: number,
  rampMs: number,
  tps: number,
  ttftMs: number,
  place: Placement = {},
  reasoningTokens = REASONING_TOKENS,
): Promise<StreamsScenario> {
  const flags = ["--tps", String(tps), "--ttft-ms", String(ttftMs), "-np", String(streams), "-kvu", "--response-style", "reasoning", "--reasoning-tokens", String(reasoningTokens)];
  const server = await h.startServer(`llama-sim paced ${label}`, pinned(place.server, [...h.simArgs, ...flags, "--quiet"]));
  await warmUp(h, server.port, 50, place.client);
  const cpu0 = h.cpuSecondsOf(server.proc.pid);
  const t0 = performance.now();
  const { cpuSeconds, ...result } = await client(h, server.port, streams, rampMs, h.body, place.client);
  const wall = (performance.now() - t0) / 1000;
  const serverCpu = (h.cpuSecondsOf(server.proc.pid) - cpu0) / wall;
  const hwmKiB = h.hwmKiB(server.proc.pid);
  await h.stop(server);
  const rates = result.streams.map((x) => Math.abs(x.rate / tps - 1));
  const late = result.streams.map((x) => x.ttftMs - ttftMs);
  let ttftMin = Infinity;
  for (const x of result.streams) ttftMin = Math.min(ttftMin, x.ttftMs);
  const scenario: StreamsScenario = {
    label,
    flags: place.server === undefined ? flags : [...flags, `(server on CPU ${place.server}, client on CPU ${place.client})`],
    streams,
    rampMs,
    tps,
    ttftMs,
    result,
    rateError: spread(rates),
    rateWithin: rates.filter((x) => x <= 0.05).length / Math.max(1, result.n),
    ttftError: spread(late.map((x) => Math.abs(x))),
    ttftWithin: late.filter((x) => Math.abs(x) <= 20).length / Math.max(1, result.n),
    ttftMin,
    tokens: spread(result.streams.map((x) => x.deltas)).median,
    serverCpu,
    clientCpu: cpuSeconds / wall,
    hwmKiB,
  };
  h.log(
    `${label}: ${result.ok}/${result.n} ok (peak ${result.peakOpen} open), rate error median ${pctOf(scenario.rateError.median)} p99 ${pctOf(scenario.rateError.p99)} max ${pctOf(scenario.rateError.max)}; ` +
      `TTFT − ${ttftMs} ms: median ${scenario.ttftError.median.toFixed(1)} p99 ${scenario.ttftError.p99.toFixed(1)} max ${scenario.ttftError.max.toFixed(1)} ms; CPU server ${serverCpu.toFixed(2)}, client ${scenario.clientCpu.toFixed(2)} cores`,
  );
  return scenario;
}

/** A stream count holds its rate when every stream arrived whole and within 5% of --tps. */
const holds = (s: StreamsScenario) => s.result.errors === 0 && s.rateError.max <= 0.05;

/**
 * How late a first token may be for a core to count as sustaining its streams. A stream's rate is
 * counted from its first token (server/paced-stream.ts), so a saturated server holds every rate and
 * shows its overload as lateness before the first token instead: 5% of a probe's ~8-s stream.
 */
const FIRST_TOKEN_SLACK_MS = 400;
const sustains = (s: StreamsScenario) => holds(s) && s.ttftError.max <= FIRST_TOKEN_SLACK_MS;

export interface PerCore {
  /** Largest count tried that held (every stream within 5%, every first token within FIRST_TOKEN_SLACK_MS), and the smallest that did not. */
  readonly sustained: number;
  readonly failed: number | undefined;
  readonly probes: StreamsScenario[];
  /** Why there is no figure (one core, or no taskset). */
  readonly skipped?: string;
}

/**
 * How many paced streams one core sustains: the server pinned to one CPU and the client to another,
 * the stream count doubled from `start` until one fails to hold, then bisected to within 10%.
 * Shorter replies (100 reasoning tokens, about 8 s a stream) keep each probe short.
 */
async function perCoreScenario(h: PacingHooks, tps: number, start: number, cap: number): Promise<PerCore> {
  if (navigator.hardwareConcurrency < 2) return { sustained: 0, failed: undefined, probes: [], skipped: "one CPU: the client needs one of its own" };
  if (!Bun.which("taskset")) return { sustained: 0, failed: undefined, probes: [], skipped: "no taskset to pin the server to one core" };
  const place: Placement = { server: "1", client: "0" };
  const probes: StreamsScenario[] = [];
  const probe = async (n: number) => {
    const s = await streamsScenario(h, `${n} streams, server on one core`, n, 2000, tps, 200, place, 100);
    probes.push(s);
    return sustains(s);
  };
  let good = 0;
  let bad: number | undefined;
  for (let n = start; n <= cap; n *= 2) {
    if (await probe(n)) good = n;
    else {
      bad = n;
      break;
    }
  }
  while (bad !== undefined && good > 0 && bad - good > Math.max(100, 0.1 * good)) {
    const mid = Math.round((good + bad) / 2 / 100) * 100;
    if (mid <= good || mid >= bad) break;
    if (await probe(mid)) good = mid;
    else bad = mid;
  }
  h.log(`one core sustains ${good} paced streams at ${tps} tok/s (every stream within 5%, every first token within ${FIRST_TOKEN_SLACK_MS} ms)${bad !== undefined ? `; ${bad} did not hold` : ` (the cap of ${cap} held)`}`);
  return { sustained: good, failed: bad, probes };
}

async function queueScenario(h: PacingHooks, slots: number, clients: number): Promise<QueueScenario> {
  const ttftMs = 100;
  // Short replies, all correct: every reply has the same length, so the FIFO waves are exact.
  const flags = ["-np", String(slots), "-kvu", "--tps", "50", "--ttft-ms", String(ttftMs), "--success-rate", "1"];
  const server = await h.startServer("llama-sim queue", [...h.simArgs.filter((a, i, all) => a !== "--success-rate" && all[i - 1] !== "--success-rate"), ...flags, "--quiet"]);
  await warmUp(h, server.port, 8);
  const result = await client(h, server.port, clients, 0);
  await h.stop(server);
  const replyMs = spread(result.streams.map((x) => x.simulatedMs)).median;
  const byTtft = [...result.streams].sort((a, b) => a.ttftMs - b.ttftMs);
  const rows = result.streams.map((x, client) => {
    const rank = byTtft.indexOf(x);
    return { client, ttft: x.ttftMs, expected: Math.floor(rank / slots) * replyMs + ttftMs };
  });
  const fifo = result.streams.every((x, i) => i === 0 || Math.floor(byTtft.indexOf(x) / slots) >= Math.floor(byTtft.indexOf(result.streams[i - 1]!) / slots));
  const worst = Math.max(...rows.map((r) => Math.abs(r.ttft - r.expected)));
  h.log(`queue -np ${slots}, ${clients} clients: reply ${replyMs.toFixed(0)} ms simulated, waves ${fifo ? "in send order" : "NOT in send order"}, worst |TTFT − expected| ${worst.toFixed(1)} ms`);
  return { label: `-np ${slots}, ${clients} clients at once`, flags, slots, clients, ttftMs, replyMs, rows, fifo, errors: result.errors };
}

const pctOf = (x: number) => `${(100 * x).toFixed(2)}%`;

/** Streams of the one-process scenario: 10,000 unless BENCH_PACING_MANY says otherwise. */
const MANY = Number(process.env.BENCH_PACING_MANY || 10_000);

/**
 * The paced scenarios: N streams at --tps ramped in and all at once, 10,000 on one process (ramped in
 * over 5 s), how many one core sustains, then N + k clients on few slots.
 */
export async function pacingScenarios(h: PacingHooks, streams: number, tps: number): Promise<PacingReport> {
  return {
    streams: [
      await streamsScenario(h, `${streams} streams, ramped over 2 s`, streams, 2000, tps, 200),
      await streamsScenario(h, `${streams} streams, all at once`, streams, 0, tps, 200),
    ],
    tenThousand: await streamsScenario(h, `${MANY} streams on one process, ramped over 5 s`, MANY, 5000, tps, 200),
    perCore: await perCoreScenario(h, tps, Number(process.env.BENCH_PACING_CORE_START || 1000), Number(process.env.BENCH_PACING_CORE_CAP || 16_000)),
    queue: await queueScenario(h, 4, 12),
  };
}

/** The target rows for RESULTS.md's table: every stream within 5% of --tps (and TTFT within 20 ms for the N-stream run). */
export function pacingTargets(r: PacingReport): { target: string; measured: string; pass: boolean }[] {
  const s = r.streams[0]!;
  const t = r.tenThousand;
  const describe = (x: StreamsScenario) =>
    `${x.result.ok}/${x.streams} streams ok; rate error p99 ${pctOf(x.rateError.p99)}, max ${pctOf(x.rateError.max)}; TTFT error p99 ${x.ttftError.p99.toFixed(1)} ms, max ${x.ttftError.max.toFixed(1)} ms`;
  const c = r.perCore;
  return [
    {
      target: `${s.streams.toLocaleString("en-US")} concurrent streams at ${s.tps} tok/s: every stream's rate within 5%, TTFT within 20 ms (ramped in over 2 s)`,
      measured: describe(s),
      pass: s.result.errors === 0 && s.rateError.max <= 0.05 && s.ttftError.max <= 20,
    },
    {
      // Issue 9's §4 names the rate only. Rates count from the first token (server/paced-stream.ts), so an
      // overloaded start shows as first-token lateness: the TTFT error beside it, not in the verdict.
      target: `${t.streams.toLocaleString("en-US")} concurrent streams at ${t.tps} tok/s on one process: every stream's rate within 5%, counted from its first token (ramped in over 5 s; first-token lateness is the TTFT error)`,
      measured: `${describe(t)}; server ${t.serverCpu.toFixed(2)} cores, client ${t.clientCpu.toFixed(2)} cores`,
      pass: holds(t),
    },
    {
      target: `paced streams one core sustains at ${s.tps} tok/s, every stream within 5% and every first token within ${FIRST_TOKEN_SLACK_MS} ms (informational)`,
      measured: c.skipped ?? `${c.sustained.toLocaleString("en-US")}${c.failed !== undefined ? ` (${c.failed.toLocaleString("en-US")} did not hold)` : ""}`,
      pass: c.skipped === undefined && c.sustained > 0,
    },
  ];
}

/** The RESULTS.md section. */
export function pacingSection(r: PacingReport): string[] {
  const L: string[] = [];
  const table = (head: string[], rows: (string | number)[][]) => L.push(...markdownTable(head, rows));
  const s0 = r.streams[0]!;
  L.push("## Paced streams (`--tps`, `--ttft-ms`, slots)", "");
  L.push(
    "`bench/pacing.ts` opens N raw TCP connections and writes one streaming AIME request on each, either spread evenly over 2 s or all in one tick, " +
      `against \`llama-sim ${s0.flags.join(" ")}\` (replies of about ${s0.tokens} tokens, so every stream stays open about ` +
      `${((s0.ttftMs + (s0.tokens * 1000) / s0.tps) / 1000).toFixed(0)} s and all of them overlap). The client timestamps every read. ` +
      "TTFT = first event − the request's write; rate = (deltas − 1) / (last delta − first delta), one delta per token. " +
      "Errors are absolute: rate as |rate / --tps − 1|, TTFT as |TTFT − --ttft-ms|.",
    "",
  );
  table(
    ["scenario", "streams ok", "peak open", "rate error median / p99 / max", "within 5%", "TTFT error median / p99 / max", "within 20 ms", "fastest TTFT", "CPU server / client (cores)", "server peak RSS"],
    [...r.streams, r.tenThousand, ...r.perCore.probes].map((s) => [
      s.label,
      `${s.result.ok} / ${s.result.n}${s.result.firstError ? ` (${s.result.firstError})` : ""}`,
      s.result.peakOpen,
      `${pctOf(s.rateError.median)} / ${pctOf(s.rateError.p99)} / ${pctOf(s.rateError.max)}`,
      `${(100 * s.rateWithin).toFixed(1)}%`,
      `${s.ttftError.median.toFixed(1)} / ${s.ttftError.p99.toFixed(1)} / ${s.ttftError.max.toFixed(1)} ms`,
      `${(100 * s.ttftWithin).toFixed(1)}%`,
      `${s.ttftMin.toFixed(1)} ms`,
      `${s.serverCpu.toFixed(2)} / ${s.clientCpu.toFixed(2)}`,
      `${(s.hwmKiB / 1024).toFixed(1)} MiB`,
    ]),
  );
  L.push(
    "All at once, the server has to read, match and answer N requests before the last of them can start its clock: that start-up " +
      "shows in the burst's TTFT, not in its rate (every stream's deadlines are absolute from its own start).",
    "",
  );
  const t = r.tenThousand;
  const c = r.perCore;
  L.push("### 10,000 streams on one process, and streams per core", "");
  L.push(
    `${t.streams.toLocaleString("en-US")} streams on one llama-sim process (one thread, the default), written over ${t.rampMs / 1000} s: ` +
      `${t.result.ok.toLocaleString("en-US")} ok, rate error median ${pctOf(t.rateError.median)}, p99 ${pctOf(t.rateError.p99)}, max ${pctOf(t.rateError.max)} ` +
      `(${(100 * t.rateWithin).toFixed(1)}% of streams within 5%); TTFT lateness median ${t.ttftError.median.toFixed(0)} ms, p99 ${t.ttftError.p99.toFixed(0)} ms; ` +
      `server ${t.serverCpu.toFixed(2)} cores, client ${t.clientCpu.toFixed(2)} cores, server peak RSS ${(t.hwmKiB / 1024).toFixed(0)} MiB. ` +
      `Every token is its own SSE event and its own write(2) on its socket, as llama-server sends it: ${t.streams.toLocaleString("en-US")} streams at ${t.tps} tok/s are ` +
      `${(t.streams * t.tps).toLocaleString("en-US")} writes a second, and the client reading them runs on the same machine.`,
    "",
  );
  L.push(
    c.skipped !== undefined
      ? `Streams per core: not measured (${c.skipped}).`
      : `Streams per core: the server pinned to one CPU (\`taskset -c 1\`), the client to the other, 100-token reasoning replies (about 8 s a stream), ` +
          `the count doubled from 1,000 until it failed to hold every stream within 5% and every first token within ${FIRST_TOKEN_SLACK_MS} ms of its due time, then bisected: **one core sustains ${c.sustained.toLocaleString("en-US")} paced streams at ${t.tps} tok/s**` +
          `${c.failed !== undefined ? ` (${c.failed.toLocaleString("en-US")} did not hold)` : ""}. Probes are the rows "server on one core" in the table above.`,
    "",
  );
  const q = r.queue;
  L.push("### Queueing on few slots", "");
  L.push(
    `\`llama-sim ${q.flags.join(" ")}\`, ${q.clients} streaming clients written in one tick. Every reply is the same (${q.replyMs.toFixed(0)} ms simulated), ` +
      `so the k-th wave of ${q.slots} should see TTFT = k × ${q.replyMs.toFixed(0)} + ${q.ttftMs} ms. Waves in send order (FIFO): **${q.fifo ? "yes" : "no"}**; errors: ${q.errors}.`,
    "",
  );
  table(
    ["client (send order)", "TTFT ms", "expected ms", "difference ms"],
    q.rows.map((row) => [row.client, row.ttft.toFixed(1), row.expected.toFixed(0), (row.ttft - row.expected).toFixed(1)]),
  );
  return L;
}

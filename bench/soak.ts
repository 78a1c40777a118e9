// Soak test: the compiled ./llama-sim under full load for SOAK_SECONDS (default 60) with 256 connections,
// mixing plain chat requests, streaming requests (with and without include_usage), LLM-judge requests, unmatched prompts
// (400) and malformed JSON (400). Run by `make soak` (which builds the binary and installs wrk); not
// part of `make test`. Stops by itself; exits 1 if any criterion fails.
//
//   SOAK_SECONDS=10 node_modules/.bin/bun bench/soak.ts      (SOAK_KEEP=1 keeps the server log)
//
// 1. Starts llama-sim (--dataset-file AIME --port 0, request log on) with stderr going to a file.
// 2. Runs wrk -t1 -c256 with bench/soak/mix.lua: SOAK_SECONDS of full load, then QUIET_SECONDS in which
//    no connection sends a new request (see mix.lua), so wrk ends with nothing in flight.
// 3. Samples the server's VmRSS every second; growth is measured from the 20th second to the last
//    second of load (from a third of the way in, for runs shorter than 40 s).
// 4. SIGTERMs the server (which flushes its request log), waits for it to exit, and compares the
//    request lines in its log with the responses wrk counted.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AIME_FILE_REL, BINARY, ROOT, aimePrompt, assertBinary, loadAime, minimalEnv } from "../test/e2e/harness.ts";

const KINDS = ["plain", "stream", "stream_usage", "judge", "unmatched", "malformed"] as const;
type Kind = (typeof KINDS)[number];
const EXPECTED_STATUS: Record<Kind, number> = { plain: 200, stream: 200, stream_usage: 200, judge: 200, unmatched: 400, malformed: 400 };
/** Kinds whose 200s answer a dataset question: the exit summary's "answered N matched" counts these, not judge replies. */
const MATCHED_KINDS: readonly Kind[] = ["plain", "stream", "stream_usage"];
const CONNECTIONS = 256;
const QUIET_SECONDS = 3;
const WRK_TIMEOUT = "5s";
const RSS_GROWTH_LIMIT = 0.1;

function soakSeconds(): number {
  const text = process.env.SOAK_SECONDS?.trim() || "60";
  if (!/^\d+$/.test(text) || Number(text) < 3 || Number(text) > 86_400) {
    console.error(`soak: SOAK_SECONDS must be a whole number of seconds from 3 to 86400 (got "${text}")`);
    process.exit(2);
  }
  return Number(text);
}

const SECONDS = soakSeconds();
const RSS_FROM = SECONDS >= 40 ? 20 : Math.max(1, Math.floor(SECONDS / 3));
const RSS_TO = SECONDS;

// ---------------------------------------------------------------------------------------------------------
// Requests: one line per request, `<kind>\t<body>`, read by mix.lua.

function requestLines(): string[] {
  const aime = loadAime();
  const lines: string[] = [];
  const add = (kind: Kind, body: string) => {
    if (/[\r\n]/.test(body)) throw new Error(`soak: a ${kind} body has a raw line break`);
    lines.push(`${kind}\t${body}`);
  };
  for (const q of aime) {
    const base = { model: "llama", messages: [{ role: "user", content: aimePrompt(q.problem) }], n_predict: -1 };
    add("plain", JSON.stringify(base));
    add("stream", JSON.stringify({ ...base, stream: true }));
    add("stream_usage", JSON.stringify({ ...base, stream: true, stream_options: { include_usage: true } }));
  }
  const user = (content: string) => JSON.stringify({ model: "llama", messages: [{ role: "user", content }] });
  add("unmatched", user("What is the capital of France?"));
  add("unmatched", user(aimePrompt(aime[3]!.problem.slice(0, Math.floor(aime[3]!.problem.length * 0.6)))));
  // An answer-extraction prompt is an LLM judge's request: answered (200, the extracted answer), never scored.
  add("judge", JSON.stringify({ messages: [
    { role: "system", content: "You are an answer extraction system. Reply with the extracted answer only." },
    { role: "user", content: 'Extract the answer from the following response:\n\n"The answer is \\boxed{33}."' },
  ] }));
  add("unmatched", user("Solve the following math problem step by step. What is 2 + 2?"));
  const truncate = (text: string, at: number) => (/[\ud800-\udbff]/.test(text[at - 1] ?? "") ? text.slice(0, at - 1) : text.slice(0, at));
  for (const q of aime.slice(0, 4)) {
    const body = JSON.stringify({ model: "llama", messages: [{ role: "user", content: aimePrompt(q.problem) }] });
    add("malformed", truncate(body, Math.floor(body.length / 2)));
  }
  add("malformed", '{"messages": [{"role": "user", "content": "x"}');
  add("malformed", '{"messages": [], }');
  add("malformed", "not json at all");
  add("malformed", "{'messages': [{'role': 'user', 'content': 'x'}]}");
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// Server

interface Server {
  proc: ReturnType<typeof Bun.spawn>;
  url: string;
  logPath: string;
}

async function startServer(dir: string): Promise<Server> {
  assertBinary();
  const logPath = join(dir, "server.log");
  const args = ["--dataset-file", AIME_FILE_REL, "--port", "0"];
  const proc = Bun.spawn([BINARY, ...args], {
    cwd: ROOT,
    env: minimalEnv(dir),
    stdin: "ignore",
    stdout: "ignore",
    stderr: Bun.file(logPath),
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    let text = "";
    try {
      text = readFileSync(logPath, "utf8");
    } catch {}
    // Wait for the whole banner (its last line), written in one write() after the first line.
    const url = /^llama-sim listening on (http:\/\/\S+)$/m.exec(text)?.[1];
    if (url && /^\s+ready in:/m.test(text)) return { proc, url, logPath };
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`soak: llama-sim ${args.join(" ")} did not print its banner (exit ${proc.exitCode}):\n${text}`);
    }
    await Bun.sleep(20);
  }
}

function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then wait for the exit (SIGKILL after 10 s). */
async function stopServer(server: Server): Promise<{ exitCode: number | null; signal: string | null; killed: boolean }> {
  server.proc.kill("SIGTERM");
  let killed = false;
  const killer = setTimeout(() => {
    killed = true;
    server.proc.kill("SIGKILL");
  }, 10_000);
  await server.proc.exited;
  clearTimeout(killer);
  return { exitCode: server.proc.exitCode, signal: server.proc.signalCode === null ? null : String(server.proc.signalCode), killed };
}

// ---------------------------------------------------------------------------------------------------------
// wrk

interface WrkResult {
  counts: Record<string, number>;
  samples: Record<string, string>;
  summary: { duration_us: number; requests: number; bytes: number; errors: { connect: number; read: number; write: number; status: number; timeout: number } };
  latency_us: { p50: number; p90: number; p99: number; max: number; mean: number };
}

async function runWrk(url: string, requestsPath: string): Promise<{ result: WrkResult; stdout: string }> {
  const wrk = Bun.which("wrk");
  if (!wrk) throw new Error("soak: wrk is not installed (make soak installs it: apt-get install -y wrk)");
  const script = join(import.meta.dir, "soak", "mix.lua");
  const seed = String(Date.now() % 1_000_000);
  const cmd = [wrk, "-t1", `-c${CONNECTIONS}`, `-d${SECONDS + QUIET_SECONDS}s`, "--timeout", WRK_TIMEOUT, "-s", script, url, "--", requestsPath, String(SECONDS), seed];
  console.log(`$ ${cmd.join(" ")}`);
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const watchdog = setTimeout(() => proc.kill("SIGKILL"), (SECONDS + QUIET_SECONDS + 30) * 1000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(watchdog);
  const line = stdout.split("\n").find((l) => l.startsWith("SOAK_JSON "));
  if (proc.exitCode !== 0 || !line) {
    throw new Error(`soak: wrk failed (exit ${proc.exitCode}, signal ${proc.signalCode})\n${stdout}\n${stderr}`);
  }
  return { result: JSON.parse(line.slice("SOAK_JSON ".length)) as WrkResult, stdout: stdout.replace(/^SOAK_JSON .*\n?/m, "") };
}

// ---------------------------------------------------------------------------------------------------------
// The server's log

const REQUEST_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z POST \/v1\/chat\/completions (\d{3})(?: q=\S+ (?:correct|wrong|no-answer)| judge| error=".*")? \d+\.\d\dms$/;
const SUMMARY_LINE = /^llama-sim: SIGTERM, stopping; answered (\d+) matched requests, (\d+) correctly/;

interface LogCounts {
  requests: number;
  byStatus: Map<number, number>;
  answered: number | undefined;
  stray: string[];
}

function readLog(path: string): LogCounts {
  const lines = readFileSync(path, "utf8").split("\n");
  const byStatus = new Map<number, number>();
  const stray: string[] = [];
  let requests = 0;
  let answered: number | undefined;
  let inBanner = true;
  for (const line of lines) {
    if (inBanner) {
      if (/^\s+ready in:/.test(line)) inBanner = false;
      continue;
    }
    const m = REQUEST_LINE.exec(line);
    if (m) {
      requests++;
      const status = Number(m[1]);
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      continue;
    }
    const s = SUMMARY_LINE.exec(line);
    if (s) answered = Number(s[1]);
    else if (line !== "") stray.push(line);
  }
  return { requests, byStatus, answered, stray };
}

// ---------------------------------------------------------------------------------------------------------

const fmt = (n: number) => n.toLocaleString("en-US");
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "llama-sim-soak-"));
  const requestsPath = join(dir, "requests.txt");
  writeFileSync(requestsPath, `${requestLines().join("\n")}\n`);

  console.log(`soak: ${SECONDS} s of full load + ${QUIET_SECONDS} s quiet, ${CONNECTIONS} connections, run directory ${dir}`);
  const server = await startServer(dir);
  const pid = server.proc.pid;
  let wrkPid: number | undefined;
  const onSignal = () => {
    server.proc.kill("SIGKILL");
    if (wrkPid) process.kill(wrkPid, "SIGKILL");
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  console.log(`llama-sim pid ${pid} at ${server.url}, log ${server.logPath}`);

  // RSS once a second from wrk's start; rss[t] = the sample taken t seconds in.
  const rss: (number | undefined)[] = [rssKiB(pid)];
  const started = performance.now();
  let sampling = true;
  const sampler = (async () => {
    for (let t = 1; sampling; t++) {
      await Bun.sleep(Math.max(0, started + t * 1000 - performance.now()));
      if (!sampling) break;
      rss[t] = rssKiB(pid);
    }
  })();

  const { result, stdout } = await runWrk(server.url, requestsPath);
  sampling = false;
  await sampler;
  const stopped = await stopServer(server);
  const log = readLog(server.logPath);

  process.stdout.write(stdout.replace(/\n+$/, "\n"));
  console.log(`(wrk's Requests/sec divides by all ${SECONDS + QUIET_SECONDS} s, quiet ones included; the req/s below use the ${SECONDS} s of load)`);

  // --- the figures
  const c = (key: string) => result.counts[key] ?? 0;
  const sum = (field: string) => KINDS.reduce((n, k) => n + c(`${field}:${k}`), 0);
  const completed = result.summary.requests;
  const badStatus = sum("bad_status");
  const badBody = sum("bad_body");
  const untagged = c("untagged");
  // mix.lua counts request() calls; wrk calls request() once more at start-up to check the script,
  // without sending it.
  const inFlight = sum("sent") - 1 - sum("completed");
  const errors = result.summary.errors;
  const socketErrors = errors.connect + errors.read + errors.write + errors.timeout;

  console.log(`\nper kind (expected status; req/s over the ${SECONDS} s of load):`);
  console.log(`  ${"kind".padEnd(13)} ${"expect".padStart(6)} ${"responses".padStart(10)} ${"req/s".padStart(8)} ${"bad status".padStart(10)} ${"bad body".padStart(9)}`);
  for (const kind of KINDS) {
    console.log(
      `  ${kind.padEnd(13)} ${String(EXPECTED_STATUS[kind]).padStart(6)} ${fmt(c(`completed:${kind}`)).padStart(10)} ` +
        `${(c(`completed:${kind}`) / SECONDS).toFixed(0).padStart(8)} ${fmt(c(`bad_status:${kind}`)).padStart(10)} ${fmt(c(`bad_body:${kind}`)).padStart(9)}`,
    );
  }
  console.log(`  ${"all".padEnd(13)} ${"".padStart(6)} ${fmt(completed).padStart(10)} ${(completed / SECONDS).toFixed(0).padStart(8)} ${fmt(badStatus).padStart(10)} ${fmt(badBody).padStart(9)}`);
  const statusKeys = Object.keys(result.counts).filter((k) => k.startsWith("status:"));
  if (statusKeys.length > 0) console.log(`  unexpected statuses: ${statusKeys.map((k) => `${k.slice(7)} x${result.counts[k]}`).join(", ")}`);
  if (untagged > 0) console.log(`  responses without the echoed Origin (kind unknown): ${untagged}`);
  for (const sample of Object.values(result.samples)) console.log(`  e.g. ${sample}`);
  console.log(`latency (all kinds, wrk): p50 ${ms(result.latency_us.p50)}, p90 ${ms(result.latency_us.p90)}, p99 ${ms(result.latency_us.p99)}, max ${ms(result.latency_us.max)}`);
  console.log(`wrk socket errors: connect ${errors.connect}, read ${errors.read}, write ${errors.write}, timeout (> ${WRK_TIMEOUT}) ${errors.timeout}`);

  const rssFrom = rss[RSS_FROM];
  const rssTo = rss[RSS_TO];
  const growth = rssFrom !== undefined && rssTo !== undefined ? (rssTo - rssFrom) / rssFrom : undefined;
  const trace = rss.map((v, t) => ({ t, v })).filter(({ t }) => t % Math.max(1, Math.round(SECONDS / 12)) === 0 || t === RSS_FROM || t === RSS_TO);
  console.log(`RSS: ${trace.map(({ t, v }) => `${t}s ${v === undefined ? "?" : mib(v)}`).join(", ")}`);

  const chat200 = KINDS.filter((k) => EXPECTED_STATUS[k] === 200).reduce((n, k) => n + c(`completed:${k}`), 0);
  const chat400 = KINDS.filter((k) => EXPECTED_STATUS[k] === 400).reduce((n, k) => n + c(`completed:${k}`), 0);
  const matched200 = MATCHED_KINDS.reduce((n, k) => n + c(`completed:${k}`), 0);
  const log200 = log.byStatus.get(200) ?? 0;
  const log400 = log.byStatus.get(400) ?? 0;
  const otherStatuses = [...log.byStatus].filter(([s]) => s !== 200 && s !== 400);
  console.log(
    `server log: ${fmt(log.requests)} request lines (200: ${fmt(log200)}, 400: ${fmt(log400)}` +
      `${otherStatuses.map(([s, n]) => `, ${s}: ${fmt(n)}`).join("")}); exit summary: answered ${log.answered ?? "?"} matched; ` +
      `exit ${stopped.exitCode ?? stopped.signal}${stopped.killed ? " (SIGKILLed after 10 s)" : ""}`,
  );
  console.log(`wrk: ${fmt(completed)} responses; requests still in flight when wrk stopped: ${inFlight}`);
  for (const line of log.stray.slice(0, 5)) console.log(`  stray log line: ${line}`);

  // --- the criteria
  const results: { ok: boolean; what: string }[] = [];
  const check = (ok: boolean, what: string) => results.push({ ok, what });
  check(
    badStatus === 0 && untagged === 0 && badBody === 0,
    `zero unexpected statuses: ${badStatus} unexpected statuses, ${untagged} untagged, ${badBody} bad bodies in ${fmt(completed)} responses`,
  );
  check(socketErrors === 0, `zero connection errors: connect ${errors.connect}, read ${errors.read}, write ${errors.write}, timeout ${errors.timeout}`);
  check(
    growth !== undefined && growth < RSS_GROWTH_LIMIT,
    `RSS growth < ${RSS_GROWTH_LIMIT * 100}% from ${RSS_FROM} s to ${RSS_TO} s: ` +
      (growth === undefined ? "no sample" : `${mib(rssFrom!)} -> ${mib(rssTo!)} (${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}%)`),
  );
  console.log(
    "\nlog rule: llama-sim writes a request's log line before it sends the response, so every response wrk counted has\n" +
      "its line, and a request still in flight when wrk stopped may have one too. In the last " + QUIET_SECONDS + " s no connection\n" +
      "sends a new request, so nothing is in flight at the end (sent - answered = 0) and the count must be EXACT:\n" +
      "log lines = wrk's responses, 200s = plain + stream + judge responses, 400s = unmatched + malformed, exit summary's\n" +
      "'answered N matched' = plain + stream 200s (a judge reply is not a matched question). Were any left in flight, only wrk <= log <= wrk + in flight could be asserted.",
  );
  // The rule. The server writes a request's log line before it sends the response, so every response
  // wrk counted has its line; a request wrk sent but whose response it never read (in flight when wrk
  // stopped) may have one too. The quiet phase makes that set empty, and then the counts must be
  // equal, per status too. If requests were still in flight (the quiet phase was too short), the most
  // that can be said is completed <= log lines <= completed + in flight.
  if (inFlight === 0) {
    check(
      log.requests === completed && log200 === chat200 && log400 === chat400 && log.answered === matched200,
      `log count matches (exact: nothing was in flight when wrk stopped): log ${fmt(log.requests)} = wrk ${fmt(completed)}; ` +
        `200s ${fmt(log200)} = ${fmt(chat200)}; 400s ${fmt(log400)} = ${fmt(chat400)}; exit summary ${log.answered ?? "?"} = ${fmt(matched200)}`,
    );
  } else {
    check(
      log.requests >= completed && log.requests <= completed + Math.max(0, inFlight),
      `log count within bounds (${inFlight} requests in flight when wrk stopped): wrk ${fmt(completed)} <= log ${fmt(log.requests)} <= ${fmt(completed + Math.max(0, inFlight))}`,
    );
  }
  check(
    stopped.exitCode === 0 && !stopped.killed && log.answered !== undefined && log.stray.length === 0,
    `server stopped cleanly on SIGTERM: exit ${stopped.exitCode ?? stopped.signal}, summary line ${log.answered !== undefined ? "present" : "missing"}, ${log.stray.length} stray log lines`,
  );

  console.log("");
  for (const r of results) console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.what}`);
  const failed = results.filter((r) => !r.ok).length;
  if (failed === 0 && process.env.SOAK_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
  else console.log(`server log kept in ${server.logPath}`);
  console.log(failed === 0 ? "soak: PASS" : `soak: FAIL (${failed} of ${results.length} criteria)`);
  return failed === 0 ? 0 : 1;
}

process.exit(await main());

// `make scale-test`: 3 llama-sim replicas behind nginx (deploy/nginx/llama-sim.conf) on this machine,
// driven like llama-eval (AIME template, regex grader, 32 workers). Not part of `make test` (needs nginx).
//
//   node_modules/.bin/bun bench/scale-test.ts
//   LLAMA_SIM_BINARY=/tmp/llama-sim SCALE_PASSES=10 SCALE_KEEP=1 node_modules/.bin/bun bench/scale-test.ts
//
// Every replica runs --mode fixed with the same --seed and --success-rate, --metrics and its own --ledger.
// 1. plain:  SCALE_PASSES passes over AIME (90 cases each): every pass scores exactly round(p*90)/90,
//            every question gets the same verdict whichever replica served it, all replicas serve.
// 2. stream: SCALE_STREAM_PASSES passes with stream: true: every stream arrives whole (role chunk, one
//            finish chunk, data: [DONE], one id) and grades as in 1.
// 3. merged: `llama-sim stats` over the 3 ledgers, `llama-sim reconcile`, and /metrics summed over the
//            replicas all give the harness's own counts.
// 4. kill:   SCALE_PASSES more passes; a third of the way in, one replica is SIGKILLed. Only requests in
//            flight at that moment may fail; every later request succeeds on the others; retried as
//            newer llama-eval retries (5 tries), every pass again scores round(p*90)/90 exactly.
// Prints a summary; exits 1 if any check fails, 2 on bad settings.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runPool, type Case, type CaseResult } from "./scale/client.ts";
import { sumOf } from "./scale/metrics.ts";
import { mainConfig, siteConfig } from "./scale/nginx-config.ts";
import { freePort, killAll, startNginx, startReplica, stop, stopAll, type Replica } from "./scale/procs.ts";

const ROOT = resolve(import.meta.dir, "..");
const BINARY = resolve(process.env.LLAMA_SIM_BINARY || join(ROOT, "llama-sim"));
const NGINX = process.env.NGINX || Bun.which("nginx") || "/usr/sbin/nginx";
const CONCURRENCY = 32;
const REPLICAS = 3;
const RETRIES = 5;

function setting(name: string, fallback: string, valid: (text: string) => boolean, what: string): string {
  const text = process.env[name]?.trim() || fallback;
  if (!valid(text)) {
    console.error(`scale-test: ${name} must be ${what} (got "${text}")`);
    process.exit(2);
  }
  return text;
}
const wholeNumber = (min: number, max: number) => (t: string) => /^\d+$/.test(t) && Number(t) >= min && Number(t) <= max;
const RATE = setting("SCALE_RATE", "0.8", (t) => /^(0(\.\d+)?|1(\.0*)?)$/.test(t), "a decimal from 0 to 1");
const SEED = setting("SCALE_SEED", "42", wholeNumber(0, 2 ** 32 - 1), "a whole number");
const PASSES = Number(setting("SCALE_PASSES", "10", wholeNumber(1, 1000), "a whole number from 1 to 1000"));
const STREAM_PASSES = Number(setting("SCALE_STREAM_PASSES", "3", wholeNumber(1, 1000), "a whole number from 1 to 1000"));

// ---------------------------------------------------------------------------------------------------------
// Checks and the summary

const checks: { ok: boolean; text: string }[] = [];
function check(ok: boolean, text: string): boolean {
  checks.push({ ok, text });
  console.log(`${ok ? "ok  " : "FAIL"} ${text}`);
  return ok;
}
const notes: string[] = [];
function note(text: string): void {
  notes.push(text);
  console.log(`     ${text}`);
}

// ---------------------------------------------------------------------------------------------------------
// The questions: the AIME snapshot the replicas serve (--dataset aime --source embedded).

interface Item {
  readonly id: string;
  readonly question: string;
  readonly gold: string;
}

function loadItems(): Item[] {
  const lines = readFileSync(join(ROOT, "data/aime.jsonl"), "utf8").split("\n").filter((l) => l.trim() !== "");
  // Line 1 is the snapshot's header; the answers are already in the grader's form ("33", not "033").
  return lines.slice(1).map((line) => {
    const row = JSON.parse(line) as { id: string | number; question: string; answer: string };
    return { id: String(row.id), question: row.question, gold: String(row.answer) };
  });
}

function passesOf(items: readonly Item[], passes: number, label: string, firstPass = 0): Case[] {
  return Array.from({ length: passes }, (_, p) => items.map((it) => ({ key: `${label}${firstPass + p}/${it.id}`, question: it.question, gold: it.gold, pass: firstPass + p }))).flat();
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  if (!existsSync(BINARY)) {
    console.error(`scale-test: ${BINARY} does not exist: run \`make llama-sim\` (or set LLAMA_SIM_BINARY)`);
    return 2;
  }
  if (!existsSync(NGINX)) {
    console.error(`scale-test: nginx not found (${NGINX}): apt-get install -y nginx, or set NGINX`);
    return 2;
  }
  const items = loadItems();
  const expected = Math.round(Number(RATE) * items.length);
  const dir = (runDir = mkdtempSync(join(tmpdir(), "llama-sim-scale-")));
  // nginx's workers run as an unprivileged user when started as root: they must reach the directory.
  chmodSync(dir, 0o755);
  console.log(`scale-test: ${REPLICAS} replicas of ${BINARY} behind ${NGINX}, AIME (${items.length} questions), --mode fixed --seed ${SEED} --success-rate ${RATE}; ${CONCURRENCY} workers; files in ${dir}`);

  const started = performance.now();
  const args = ["--mode", "fixed", "--seed", SEED, "--success-rate", RATE, "--metrics", "--quiet", "--dataset", "aime", "--source", "embedded"];
  const replicas = await Promise.all(Array.from({ length: REPLICAS }, (_, i) => startReplica(BINARY, `r${i + 1}`, dir, args)));
  const byAddress = new Map(replicas.map((r) => [`127.0.0.1:${r.port}`, r]));
  const nginxPort = freePort();
  const site = join(dir, "llama-sim.conf");
  writeFileSync(site, siteConfig(readFileSync(join(ROOT, "deploy/nginx/llama-sim.conf"), "utf8"), nginxPort, replicas.map((r) => r.port)));
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, mainConfig({ dir, listenPort: nginxPort, upstreamPorts: replicas.map((r) => r.port), workers: 2 }, site));
  const syntax = Bun.spawnSync([NGINX, "-t", "-q", "-p", dir, "-c", conf], { stderr: "pipe" });
  if (!check(syntax.exitCode === 0, `nginx -t accepts deploy/nginx/llama-sim.conf${syntax.exitCode === 0 ? "" : `: ${syntax.stderr.toString()}`}`)) return 1;
  const url = `http://127.0.0.1:${nginxPort}`;
  const nginx = await startNginx(NGINX, dir, conf, url);
  note(`ready in ${(performance.now() - started).toFixed(0)} ms: replicas on ${replicas.map((r) => r.port).join(", ")}, nginx on ${nginxPort}`);

  // llama-eval's start-up request.
  const models = (await (await fetch(`${url}/v1/models`)).json()) as { data?: { id?: string }[] };
  check(models.data?.[0]?.id === "llama", `GET /v1/models through nginx names the model (${models.data?.[0]?.id})`);

  const servedBy = (results: readonly CaseResult[]) => {
    const counts = new Map(replicas.map((r) => [r.name, 0]));
    for (const res of results) {
      const r = res.status === 200 && res.error === null ? byAddress.get(res.upstream ?? "") : undefined;
      if (r) counts.set(r.name, counts.get(r.name)! + 1);
    }
    return counts;
  };
  const countsText = (counts: Map<string, number>) => [...counts].map(([n, c]) => `${n} ${c}`).join(", ");
  const verdicts = new Map<string, boolean>();
  const replicasOf = new Map<string, Set<string>>();

  /** Per-pass exact scores and per-question verdicts that never depend on the replica. */
  const checkScores = (label: string, results: readonly CaseResult[]) => {
    const perPass = new Map<number, number>();
    let flipped = 0;
    for (const r of results) {
      if (r.correct) perPass.set(r.pass, (perPass.get(r.pass) ?? 0) + 1);
      const before = verdicts.get(r.question);
      if (before === undefined) verdicts.set(r.question, r.correct);
      else if (before !== r.correct) flipped++;
      if (r.upstream) (replicasOf.get(r.question) ?? replicasOf.set(r.question, new Set()).get(r.question)!).add(r.upstream);
    }
    const passes = [...new Set(results.map((r) => r.pass))];
    const scores = passes.map((p) => perPass.get(p) ?? 0);
    check(scores.every((s) => s === expected), `${label}: every pass scores ${expected}/${items.length} = round(${RATE}*${items.length})/${items.length} (passes: ${[...new Set(scores)].join(", ")})`);
    check(flipped === 0, `${label}: every question graded the same in every pass, whatever replica served it (${flipped} differ)`);
  };

  // ---- 1. plain
  let t0 = performance.now();
  const plain = await runPool(passesOf(items, PASSES, "plain"), { url, concurrency: CONCURRENCY, stream: false });
  let seconds = (performance.now() - t0) / 1000;
  const plainFailed = plain.filter((r) => r.error !== null);
  check(plainFailed.length === 0, `plain: ${plain.length} requests, ${plainFailed.length} failed${plainFailed[0] ? ` (first: ${plainFailed[0].error})` : ""}`);
  checkScores("plain", plain);
  const plainServed = servedBy(plain);
  check([...plainServed.values()].every((c) => c > 0), `plain: every replica served (${countsText(plainServed)})`);
  note(`plain: ${plain.length} requests in ${seconds.toFixed(2)} s (${(plain.length / seconds).toFixed(0)} req/s through nginx)`);

  // ---- 2. stream
  t0 = performance.now();
  const streamed = await runPool(passesOf(items, STREAM_PASSES, "stream"), { url, concurrency: CONCURRENCY, stream: true });
  seconds = (performance.now() - t0) / 1000;
  const broken = streamed.filter((r) => r.error !== null);
  check(broken.length === 0, `stream: ${streamed.length} streams, ${broken.length} broken${broken[0] ? ` (first: ${broken[0].error})` : ""}`);
  checkScores("stream", streamed);
  note(`stream: ${streamed.length} streams in ${seconds.toFixed(2)} s (${(streamed.length / seconds).toFixed(0)} streams/s); served ${countsText(servedBy(streamed))}`);
  const spread = [...replicasOf.values()].filter((s) => s.size > 1).length;
  note(`${spread} of ${items.length} questions were served by more than one replica, with one verdict each`);

  // ---- 3. merged numbers
  const before = [...plain, ...streamed];
  const harnessCorrect = before.filter((r) => r.correct).length;
  const served = servedBy(before);
  const statsRun = Bun.spawnSync([BINARY, "stats", "--ledger", replicas.map((r) => r.ledger).join(","), "--rate", RATE, "--mode", "fixed", "--json"], { stderr: "pipe" });
  if (check(statsRun.exitCode === 0, `llama-sim stats --ledger r1,r2,r3 exits 0${statsRun.exitCode === 0 ? "" : `: ${statsRun.stderr.toString().trim()}`}`)) {
    const stats = JSON.parse(statsRun.stdout.toString()) as {
      totals: { scored: number; correct: number; rate: number; wilson95: [number, number] };
      questions: Record<string, { correct: number; wrong: number; no_answer: number }>;
      ledgers: { file: string; records: number }[];
    };
    check(stats.totals.scored === before.length && stats.totals.correct === harnessCorrect, `stats: merged ledgers count ${stats.totals.scored} replies, ${stats.totals.correct} correct; the harness ${before.length}, ${harnessCorrect}`);
    const perFile = stats.ledgers.map((l, i) => `${replicas[i]!.name} ${l.records}`).join(", ");
    check(stats.ledgers.every((l, i) => l.records === served.get(replicas[i]!.name)), `stats: each ledger holds the replies its replica served (ledgers: ${perFile}; X-Upstream: ${countsText(served)})`);
    const mixed = Object.values(stats.questions).filter((q) => q.correct > 0 && q.wrong + q.no_answer > 0).length;
    check(mixed === 0, `stats: no question answered correctly on one replica and wrongly on another (${mixed})`);
    note(`stats: rate ${stats.totals.rate.toFixed(4)}, Wilson 95% [${stats.totals.wilson95[0].toFixed(4)}, ${stats.totals.wilson95[1].toFixed(4)}]`);
  }
  const harnessFile = join(dir, "harness.jsonl");
  writeFileSync(harnessFile, before.map((r) => JSON.stringify({ id: r.key, response: r.content, answer: r.answer, expected: r.gold, correct: r.correct })).join("\n") + "\n");
  const reconcile = Bun.spawnSync([BINARY, "reconcile", "--ledger", replicas.map((r) => r.ledger).join(","), "--harness", harnessFile], { stderr: "pipe" });
  const summaryLine = reconcile.stdout.toString().trim().split("\n").at(-1) ?? "";
  check(reconcile.exitCode === 0 && summaryLine.includes("disagree 0") && summaryLine.includes("unmatched 0"), `reconcile over the 3 ledgers: ${summaryLine || reconcile.stderr.toString().trim()}`);
  const metrics = await Promise.all(replicas.map(async (r) => (await fetch(`${r.url}/metrics`)).text()));
  const metricsTotal = metrics.reduce((s, m) => s + sumOf(m, "llamasim_replies_total"), 0);
  const metricsCorrect = metrics.reduce((s, m) => s + sumOf(m, "llamasim_replies_total", { label: "verdict", value: "correct" }), 0);
  check(metricsTotal === before.length && metricsCorrect === harnessCorrect, `/metrics: llamasim_replies_total summed over the replicas = ${metricsTotal} (correct ${metricsCorrect}); the harness ${before.length} (${harnessCorrect})`);

  // ---- 4. kill one replica mid-run
  const victim = replicas[1]!;
  const victimAddress = `127.0.0.1:${victim.port}`;
  const killCases = passesOf(items, PASSES, "kill", PASSES);
  const killAfter = Math.floor(killCases.length / 3);
  const inFlight = new Map<string, number>();
  /** Requests sent before the victim's exit was seen and not complete when the signal went: the only ones allowed to fail. */
  const exposed = new Set<string>();
  let killedAt = 0;
  let exitedAt = 0;
  let inFlightAtKill = 0;
  t0 = performance.now();
  const killed = await runPool(killCases, {
    url,
    concurrency: CONCURRENCY,
    stream: false,
    onStart: (c, start) => {
      inFlight.set(c.key, start);
      if (killedAt > 0 && exitedAt === 0) exposed.add(c.key);
    },
    onDone: (result, done) => {
      inFlight.delete(result.key);
      if (done !== killAfter) return;
      inFlightAtKill = inFlight.size;
      for (const key of inFlight.keys()) exposed.add(key);
      killedAt = performance.now();
      victim.proc.kill("SIGKILL");
      void victim.proc.exited.then(() => (exitedAt = performance.now()));
    },
  });
  seconds = (performance.now() - t0) / 1000;
  const failed = killed.filter((r) => r.error !== null);
  const unexpected = failed.filter((r) => !exposed.has(r.key));
  check(killedAt > 0 && !victim.alive, `kill: ${victim.name} SIGKILLed after ${killAfter} of ${killCases.length} requests, with ${inFlightAtKill} requests in flight through nginx`);
  check(unexpected.length === 0, `kill: ${failed.length} requests failed, all of them in flight when ${victim.name} died (${unexpected.length} others${unexpected[0] ? `, first: ${unexpected[0].key} ${unexpected[0].error}` : ""})`);
  check(failed.every((r) => r.upstream === null || r.upstream === victimAddress), `kill: every failure was on ${victim.name} (${[...new Set(failed.map((r) => r.upstream ?? "none"))].join(", ") || "no failures"})`);
  const afterExit = killed.filter((r) => exitedAt > 0 && r.start > exitedAt);
  check(afterExit.every((r) => r.error === null && r.upstream !== victimAddress), `kill: all ${afterExit.length} requests sent after ${victim.name} died succeeded on the other replicas`);
  note(`kill: ${killed.length} requests in ${seconds.toFixed(2)} s; ${failed.length} failed (${failed.map((r) => r.error?.slice(0, 40)).filter((e, i, a) => a.indexOf(e) === i).join("; ") || "none"}); served ${countsText(servedBy(killed))}`);

  // A harness that retries (newer llama-eval: 5 tries) completes the run on the survivors.
  const retried = new Map<string, CaseResult>();
  let pending = failed.map((r) => killCases.find((c) => c.key === r.key)!);
  for (let attempt = 1; attempt <= RETRIES && pending.length > 0; attempt++) {
    const again = await runPool(pending, { url, concurrency: CONCURRENCY, stream: false });
    for (const r of again) if (r.error === null) retried.set(r.key, r);
    pending = pending.filter((c) => !retried.has(c.key));
  }
  const final = killed.map((r) => retried.get(r.key) ?? r);
  check(final.every((r) => r.error === null), `kill: after retries every case has a reply (${final.filter((r) => r.error !== null).length} missing)`);
  checkScores("kill", final);

  // What the ledgers say after the kill: the survivors' match what they served; the victim may hold
  // records of replies it wrote but never delivered (at most the failures).
  const all = [...before, ...final];
  const servedAll = servedBy(all);
  const records = (r: Replica) => readFileSync(r.ledger, "utf8").split("\n").filter((l) => l.startsWith("{")).length;
  const survivors = replicas.filter((r) => r !== victim);
  check(survivors.every((r) => records(r) === servedAll.get(r.name)), `kill: the survivors' ledgers hold exactly what they served (${survivors.map((r) => `${r.name} ${records(r)}/${servedAll.get(r.name)}`).join(", ")})`);
  const orphaned = records(victim) - servedAll.get(victim.name)!;
  check(orphaned >= 0 && orphaned <= failed.length, `kill: ${victim.name}'s ledger holds ${records(victim)} records for ${servedAll.get(victim.name)} delivered replies (${orphaned} recorded but lost in flight; at most the ${failed.length} failures)`);
  const survivorMetrics = await Promise.all(survivors.map(async (r) => sumOf(await (await fetch(`${r.url}/metrics`)).text(), "llamasim_replies_total")));
  check(survivorMetrics.every((m, i) => m === records(survivors[i]!)), `kill: the survivors' /metrics still equal their ledgers (${survivorMetrics.join(", ")})`);

  await stop(nginx, "SIGQUIT");
  await Promise.all(replicas.map((r) => stop(r)));
  const failures = checks.filter((c) => !c.ok).length;
  console.log(`\nscale-test: ${checks.length - failures} of ${checks.length} checks passed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return failures === 0 ? 0 : 1;
}

/** The run's directory (ledgers, logs, nginx config): removed after a passing run unless SCALE_KEEP=1. */
let runDir: string | undefined;

process.on("SIGINT", () => {
  killAll();
  process.exit(130);
});
let code: number;
try {
  code = await main();
} catch (error) {
  console.error(`scale-test: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  code = 1;
}
await stopAll();
if (runDir !== undefined) {
  if (code === 0 && process.env.SCALE_KEEP !== "1") rmSync(runDir, { recursive: true, force: true });
  else console.log(`scale-test: files kept in ${runDir}`);
}
process.exit(code);

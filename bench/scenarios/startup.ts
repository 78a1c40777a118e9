// Start-up: process start to the first 200 from GET /health, for llama-sim from a file, llama-sim
// from a filled hub cache (--offline), and the floor.
import { join } from "node:path";
import { AIME_FILE } from "../data.ts";
import { BUN, ROOT, SEED, SIM, STARTS, log, phase } from "../lib/knobs.ts";
import { TMP, readFirstLine, spawn, startServer, stop } from "../lib/procs.ts";
import { median } from "../lib/stats.ts";
import { simArgs } from "./throughput.ts";

export type Startups = { label: string; ms: number[] }[];

export async function startupScenario(baselineBin: string): Promise<Startups> {
  phase(`start-up: process start to first 200 from /health, ${STARTS} runs each`);
  const cacheDir = join(TMP, "cache");
  const fake = spawn([BUN, join(ROOT, "test/fixtures/fake-datasets-server.ts"), "--port", "0"], { stdout: "pipe" });
  const fakeUrl = await readFirstLine(fake.stdout as ReadableStream<Uint8Array>);
  const fill = await startServer("llama-sim hub fill", [SIM, "--dataset", "aime", "--datasets-server", fakeUrl, "--cache-dir", cacheDir, "--quiet"]);
  await stop(fill);
  await stop(fake);
  log(`hub cache filled from the fake datasets-server (${fakeUrl}) in ${fill.startMs.toFixed(0)} ms`);
  const startCases: { label: string; cmd: string[] }[] = [
    { label: "llama-sim, AIME `--dataset-file`", cmd: [...simArgs(AIME_FILE), "--quiet"] },
    { label: "llama-sim, AIME from hub cache `--offline`", cmd: [SIM, "--dataset", "aime", "--cache-dir", cacheDir, "--offline", "--quiet", "--seed", SEED] },
    { label: "baseline (Bun.serve floor)", cmd: [baselineBin] },
  ];
  const startups: Startups = [];
  for (const sc of startCases) {
    const ms: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const s = await startServer(`start ${i}`, sc.cmd, { timeoutMs: 30_000 });
      ms.push(s.startMs);
      await stop(s.proc);
    }
    startups.push({ label: sc.label, ms });
    log(`${sc.label.padEnd(46)} median ${median(ms).toFixed(1)} ms  (min ${Math.min(...ms).toFixed(1)}, max ${Math.max(...ms).toFixed(1)})`);
  }
  return startups;
}

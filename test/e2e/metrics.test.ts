// GET /metrics (issue 7 §5) of the compiled binary: a strict Prometheus text-format parse, llamasim_* counters
// equal to the ledger and /sim/stats, judge and unmatched requests counted apart, the latency histogram
// counting every request served, llama-server's token counters equal to the replies' usage, and 501 without
// --metrics.
import { afterAll, describe, expect, test } from "bun:test";
import { postJson, stopAll, type Sim } from "./harness.ts";
import { parseExposition, value, type Family } from "../fixtures/prometheus.ts";
import { aimeItems, bodyFor, chat, getStats, pool, readLedger, startEmbedded } from "./sim-http.ts";

afterAll(stopAll);

const AIME = aimeItems();

/** llama-eval's LLM-judge request (eval-clients.md), quoting a reply. */
function judgeBody(response: string): Record<string, unknown> {
  const system =
    "You are an answer extraction system. Your task is to extract the answer from the model's response.\n\n" +
    "Here are some examples of extracted answers to demonstrate what you are supposed to output:\n\n" +
    "Example 1: 42\nExample 2: -123\nExample 3: 999\n\n" +
    "When extracting the answer, provide only the extracted answer itself, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.";
  const user =
    `Extract the answer from the following response:\n\n"${response}"\n\n` +
    "Please provide only the extracted answer, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.";
  return { model: "llama", temperature: 0, messages: [{ role: "system", content: system }, { role: "user", content: user }] };
}

async function scrape(sim: Sim): Promise<Map<string, Family>> {
  const res = await fetch(`${sim.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4");
  expect(Number(res.headers.get("process-start-time-unix"))).toBeGreaterThan(1_600_000_000);
  return parseExposition(await res.text());
}

const VERDICTS = ["correct", "wrong", "no-answer", "error"] as const;

describe("GET /metrics with --metrics", () => {
  test("parses strictly; replies, judge and unmatched counters, token counters and the latency histogram match what was served", async () => {
    const sim = await startEmbedded("aime", ["--success-rate", "0.5", "--seed", "23", "--metrics", "--allow-override"]);
    try {
      let served = 0;
      const count = <T>(r: T): T => {
        served++;
        return r;
      };
      // Phase 1: 150 question requests (n = 1), 10 forced no-answer, 5 forced errors; 12 judge requests;
      // 9 unmatched prompts; 3 health checks. 32 in flight, mixed.
      type Job = { kind: "question" | "judge" | "unmatched" | "health"; i: number };
      const jobs: Job[] = [
        ...Array.from({ length: 150 }, (_, i) => ({ kind: "question" as const, i })),
        ...Array.from({ length: 12 }, (_, i) => ({ kind: "judge" as const, i })),
        ...Array.from({ length: 9 }, (_, i) => ({ kind: "unmatched" as const, i })),
        ...Array.from({ length: 3 }, (_, i) => ({ kind: "health" as const, i })),
      ].sort((a, b) => ((a.i * 7919 + a.kind.length) % 101) - ((b.i * 7919 + b.kind.length) % 101));
      let promptTokens = 0;
      let completionTokens = 0;
      let replies = 0;
      await pool(jobs, 32, async ({ kind, i }) => {
        if (kind === "health") return expect(count(await fetch(`${sim.url}/health`)).status).toBe(200);
        if (kind === "unmatched") return expect(count(await chat(sim, { messages: [{ role: "user", content: `What is the capital of France? (${i})` }] })).status).toBe(400);
        if (kind === "judge") {
          const r = count(await chat(sim, judgeBody(`Let me think.\n\nThe answer is \\boxed{${100 + i}}.`)));
          expect(r.status).toBe(200);
          return expect(r.body!.choices[0]!.message.content).toBe(String(100 + i));
        }
        const outcome = i % 15 === 0 ? "no-answer" : i % 30 === 7 ? "error" : undefined;
        const r = count(await chat(sim, bodyFor("aime", AIME[i % AIME.length]!), outcome ? { "X-Sim-Outcome": outcome } : {}));
        expect(r.status).toBe(outcome === "error" ? 500 : 200);
        if (r.body) {
          promptTokens += r.body.usage.prompt_tokens;
          completionTokens += r.body.usage.completion_tokens;
          replies++;
        }
      });
      expect(served).toBe(174);

      const families = await scrape(sim);
      served++;
      const { records, pages } = await readLedger(sim);
      const stats = await getStats(sim);
      served += pages.length + 1;
      expect(records).toHaveLength(150);
      const byVerdict = Object.fromEntries(VERDICTS.map((v) => [v, records.filter((r) => r.verdict === v).length]));
      expect(byVerdict["no-answer"]).toBe(10);
      expect(byVerdict.error).toBe(5);
      for (const verdict of VERDICTS) {
        // A verdict never given has no series rather than a 0 one.
        const sample = value(families, "llamasim_replies_total", { dataset: "aime", verdict });
        expect({ verdict, n: sample ?? 0 }).toEqual({ verdict, n: byVerdict[verdict]! });
      }
      expect(families.get("llamasim_replies_total")!.type).toBe("counter");
      expect(value(families, "llamasim_judge_requests_total")).toBe(12);
      expect(value(families, "llamasim_unmatched_total")).toBe(9);
      expect(stats.judge_requests).toBe(12);
      expect(stats.unmatched_requests).toBe(9);

      // The histogram counts every request served before this scrape (the scrape itself is not yet done).
      const h = "llamasim_request_duration_seconds";
      expect(families.get(h)!.type).toBe("histogram");
      const latencyCount = value(families, `${h}_count`)!;
      const latencySum = value(families, `${h}_sum`)!;
      console.log(
        `metrics: replies_total ${JSON.stringify(byVerdict)} = ledger; judge 12, unmatched 9; latency histogram _count ${latencyCount} for 174 requests served, _sum ${latencySum.toFixed(4)} s`,
      );
      expect(latencyCount).toBe(174);
      expect(latencySum).toBeGreaterThan(0);
      expect(latencySum).toBeLessThan(174 * 10);

      // llama-server's token counters: the scored 200 replies' usage (judge replies are not scored).
      expect(replies).toBe(145);
      expect(value(families, "llamacpp:prompt_tokens_total")).toBe(promptTokens);
      expect(value(families, "llamacpp:tokens_predicted_total")).toBe(completionTokens);
      for (const [name, type] of [
        ["llamacpp:prompt_tokens_total", "counter"],
        ["llamacpp:n_decode_total", "counter"],
        ["llamacpp:requests_processing", "gauge"],
        ["llamacpp:requests_deferred", "gauge"],
      ] as const) {
        expect({ name, type: families.get(name)?.type }).toEqual({ name, type });
      }

      // Phase 2: n = 3 choices are three replies; POST /sim/reset clears /sim/stats but never a Prometheus counter.
      for (const item of AIME.slice(0, 4)) expect((await chat(sim, bodyFor("aime", item, { n: 3 }))).status).toBe(200);
      expect((await fetch(`${sim.url}/sim/reset`, { method: "POST" })).status).toBe(200);
      served += 5;
      const after = await scrape(sim);
      const total = (f: Map<string, Family>) => VERDICTS.reduce((s, verdict) => s + (value(f, "llamasim_replies_total", { dataset: "aime", verdict }) ?? 0), 0);
      expect(total(after)).toBe(150 + 12);
      expect(value(after, `${h}_count`)).toBe(served);
      expect((await getStats(sim)).totals.scored).toBe(0);
    } finally {
      await sim.stop();
    }
  });

  test("without --metrics GET /metrics is a 501 not_supported_error, as llama-server", async () => {
    const sim = await startEmbedded("aime", ["--seed", "1"]);
    try {
      const res = await fetch(`${sim.url}/metrics`);
      expect(res.status).toBe(501);
      const body = (await res.json()) as { error: { code: number; type: string; message: string } };
      expect(body.error).toMatchObject({ code: 501, type: "not_supported_error" });
      expect(body.error.message).toContain("--metrics");
      // The simulator's own routes still answer.
      expect((await postJson(`${sim.url}/v1/chat/completions`, bodyFor("aime", AIME[0]!))).status).toBe(200);
      expect((await getStats(sim)).totals.scored).toBe(1);
    } finally {
      await sim.stop();
    }
  });
});

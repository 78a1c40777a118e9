import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { backoffDelay, CONCURRENCY, fetchSplit, parseRetryAfter, USER_AGENT } from "../../src/dataset/hub.ts";
import { DatasetError } from "../../src/dataset/types.ts";
import { startFakeDatasetsServer } from "../fixtures/fake-datasets-server.ts";
import { hubOptions } from "./helpers.ts";

const server = startFakeDatasetsServer();
afterAll(() => server.stop());
beforeEach(() => {
  server.setFaults({});
  server.requests.length = 0;
});

const AIME = { repo: "AI-MO/aimo-validation-aime", config: "default", split: "train" };
const GSM8K_TRAIN = { repo: "openai/gsm8k", config: "main", split: "train" };
const opts = (extra = {}) => hubOptions(server.url, "/nonexistent-cache-unused", extra);

describe("fetchSplit paging", () => {
  test("a split that fits one page takes one request with the API's parameters and headers", async () => {
    const got = await fetchSplit(AIME, opts());
    expect(got.rows).toHaveLength(90);
    expect(got.numRowsTotal).toBe(90);
    expect(got.partial).toBe(false);
    expect(got.requests).toBe(1);
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.params).toEqual({ dataset: AIME.repo, config: "default", split: "train", offset: "0", length: "100" });
    expect(req.userAgent).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^llama-sim\/\d+\.\d+\.\d+/);
    expect(req.authorization).toBeNull();
  });

  test("7473 rows take 75 pages, every offset once, rows in row_idx order", async () => {
    const got = await fetchSplit(GSM8K_TRAIN, opts());
    expect(got.rows).toHaveLength(7473);
    expect(server.requests).toHaveLength(75);
    const offsets = server.requests.map((r) => Number(r.params.offset)).sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: 75 }, (_, i) => i * 100));
    const file = (await Bun.file(`${import.meta.dir}/../../../shared/datasets/gsm8k/main/train.jsonl`).text()).trim().split("\n");
    expect(got.rows[0]).toEqual(JSON.parse(file[0]!));
    expect(got.rows[7472]).toEqual(JSON.parse(file[7472]!));
    expect(got.rows[4321]).toEqual(JSON.parse(file[4321]!));
  });

  test("pages shorter than requested are followed by row count", async () => {
    server.setFaults({ pageSize: 30 });
    const got = await fetchSplit(AIME, opts());
    expect(got.rows.map((r) => r.id)).toEqual(Array.from({ length: 90 }, (_, i) => i));
    expect(server.requests.map((r) => r.params.offset).sort()).toEqual(["0", "30", "60"]);
  });

  test("progress: a live status line per page, cleared at the end; no per-page log lines", async () => {
    const status: string[] = [];
    const o = opts({ progress: true, status: (line: string) => void status.push(line) });
    await fetchSplit({ repo: "openai/gsm8k", config: "main", split: "test" }, o);
    expect(status[0]).toBe("fetching openai/gsm8k: page 1/14");
    expect(status).toContain("fetching openai/gsm8k: page 14/14");
    expect(status.at(-1)).toBe("");
    expect(o.lines).toHaveLength(2);
    expect(o.lines[1]).toMatch(/^fetched 1319 rows of openai\/gsm8k \(main\/test\) in \d+\.\d s \(14 requests\)$/);
  });

  test("without progress the status line is never drawn", async () => {
    const status: string[] = [];
    const o = opts({ progress: false, status: (line: string) => void status.push(line) });
    await fetchSplit({ repo: "openai/gsm8k", config: "main", split: "test" }, o);
    expect(status).toEqual([]);
    expect(o.lines).toHaveLength(2);
  });
});

describe("fetchSplit retries", () => {
  test("429 with Retry-After: 1 waits about a second, then succeeds", async () => {
    server.setFaults({ tooManyRequests: 1, retryAfter: "1" });
    const o = opts();
    const started = performance.now();
    const got = await fetchSplit(AIME, o);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(got.rows).toHaveLength(90);
    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(o.lines.some((l) => l.includes("429: too many requests; retrying in 1.0 s (attempt 2/4)"))).toBe(true);
  });

  test("429 without Retry-After backs off (quickly, here) and succeeds", async () => {
    server.setFaults({ tooManyRequests: 3 });
    const got = await fetchSplit(AIME, opts());
    expect(got.rows).toHaveLength(90);
    expect(server.requests.map((r) => r.status)).toEqual([429, 429, 429, 200]);
  });

  test("500 ResponseNotReady twice, then success", async () => {
    server.setFaults({ notReady: 2 });
    const o = opts();
    const got = await fetchSplit(AIME, o);
    expect(got.rows).toHaveLength(90);
    expect(server.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(o.lines.filter((l) => l.includes("500 ResponseNotReady"))).toHaveLength(2);
  });

  test("retries give up after the configured attempts with a one-line error", async () => {
    server.setFaults({ tooManyRequests: 100 });
    const err = await fetchSplit(AIME, opts({ retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } })).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toBe(
      "datasets-server kept failing for AI-MO/aimo-validation-aime (default/train) (429: too many requests); gave up after 3 attempts",
    );
    expect(server.requests).toHaveLength(3);
  });

  test("a server that is not there is retried as a network error, then reported", async () => {
    const gone = startFakeDatasetsServer();
    const url = gone.url;
    await gone.stop();
    const err = await fetchSplit(AIME, hubOptions(url, "/unused")).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toContain(`cannot reach ${url}`);
    expect(err.message).toContain("gave up after 4 attempts");
  });
});

describe("fetchSplit fails fast", () => {
  test("401: gated or private, set HF_TOKEN; exactly one request", async () => {
    server.setFaults({ unauthorized: true });
    const err = await fetchSplit(AIME, opts()).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toBe(
      "dataset AI-MO/aimo-validation-aime is gated or private (or does not exist): datasets-server answered 401; set HF_TOKEN to a token with access",
    );
    expect(server.requests).toHaveLength(1);
  });

  test("HF_TOKEN is sent as a Bearer token", async () => {
    server.setFaults({ requireToken: "hf_secret" });
    const got = await fetchSplit(AIME, opts({ token: "hf_secret" }));
    expect(got.rows).toHaveLength(90);
    expect(server.requests[0]!.authorization).toBe("Bearer hf_secret");
    const err = await fetchSplit(AIME, opts({ token: "hf_wrong" })).catch((e) => e);
    expect(err.message).toContain("although HF_TOKEN was sent");
    expect(server.requests).toHaveLength(2);
  });

  test("an unknown dataset answers 401 like the real API does without a token", async () => {
    const err = await fetchSplit({ repo: "nobody/no-such-dataset", config: "default", split: "train" }, opts()).catch((e) => e);
    expect(err.message).toContain("dataset nobody/no-such-dataset is gated or private (or does not exist)");
  });

  test("404 unknown split names dataset, config, split and the server's text", async () => {
    const err = await fetchSplit({ ...AIME, split: "nope" }, opts()).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toBe(
      "no such dataset, config or split: dataset=AI-MO/aimo-validation-aime config=default split=nope (datasets-server 404 ResponseNotFound: Not found.)",
    );
    expect(server.requests).toHaveLength(1);
  });

  test("422 is not retried and carries the server's message", async () => {
    const err = await fetchSplit({ ...AIME, config: "" }, opts()).catch((e) => e);
    expect(err.message).toBe(
      "datasets-server rejected the request for AI-MO/aimo-validation-aime (/train) (422 MissingRequiredParameter: Parameter 'config' is required)",
    );
    expect(server.requests).toHaveLength(1);
  });

  test.each(["html", "shape"] as const)("a malformed 200 (%s) is a DatasetError, not retried", async (malformed) => {
    server.setFaults({ malformed });
    const err = await fetchSplit(AIME, opts()).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toStartWith("datasets-server sent an unexpected /rows body for AI-MO/aimo-validation-aime (default/train) at offset 0: ");
    expect(err.message).toEndWith(malformed === "html" ? "not JSON" : 'no "rows" array');
    expect(server.requests).toHaveLength(1);
  });

  test("a failure on a later page stops the remaining pages", async () => {
    server.setFaults({ unauthorizedAfter: 1 });
    const err = await fetchSplit(GSM8K_TRAIN, opts()).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toContain("gated or private");
    // The first page, then at most one request per worker, not the other 74 pages.
    expect(server.requests[0]!.status).toBe(200);
    expect(server.requests.length).toBeGreaterThan(1);
    expect(server.requests.length).toBeLessThanOrEqual(1 + CONCURRENCY);
    expect(server.requests.slice(1).every((r) => r.status === 401)).toBe(true);
  });
});

describe("retry timing helpers", () => {
  test("parseRetryAfter: seconds, HTTP date, junk", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
  });

  test("backoffDelay: full jitter under an exponential, capped ceiling", () => {
    const policy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 };
    expect(backoffDelay(1, policy, () => 0.999999)).toBeCloseTo(500, 0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(1000);
    expect(backoffDelay(10, policy, () => 1)).toBe(30_000);
    expect(backoffDelay(4, policy, () => 0)).toBe(0);
  });
});

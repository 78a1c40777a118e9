import { VERSION } from "../version.ts";
import { isRow } from "./file.ts";
import type { Row } from "./rows.ts";
import { DatasetError, type HubOptions } from "./types.ts";

export interface HubCoords {
  readonly repo: string;
  readonly config: string;
  readonly split: string;
}

export interface FetchedSplit {
  /** Raw rows in row_idx order. */
  readonly rows: Row[];
  readonly numRowsTotal: number;
  readonly partial: boolean;
  /** HTTP requests made, retries included. */
  readonly requests: number;
}

export type RetryPolicy = NonNullable<HubOptions["retry"]>;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 };
export const USER_AGENT = `llama-sim/${VERSION}`;
/** The API's maximum page length. */
export const PAGE_LENGTH = 100;
/** Pages in flight at once: enough to hide latency, few enough not to trip HF's rate limits. */
export const CONCURRENCY = 4;
const REQUEST_TIMEOUT_MS = 60_000;
/** A Retry-After beyond this is treated as this: waiting longer than a couple of minutes helps no one. */
const RETRY_AFTER_CEILING_MS = 120_000;

/** Describes the coordinates for messages: `AI-MO/aimo-validation-aime (default/train)`. */
export function describeCoords(c: HubCoords): string {
  return `${c.repo} (${c.config}/${c.split})`;
}

/** Retry-After as milliseconds to wait: delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const when = Date.parse(text);
  return Number.isNaN(when) ? undefined : Math.max(0, when - nowMs);
}

/** Exponential back-off with full jitter: uniform in [0, min(max, base * 2^(retry-1))]. `retry` counts from 1. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
}

/** Downloads a whole split through GET /rows, paging concurrently once the first page tells the total. */
export async function fetchSplit(coords: HubCoords, opts: HubOptions): Promise<FetchedSplit> {
  const client = new PageClient(coords, opts);
  const label = describeCoords(coords);
  const started = performance.now();
  opts.log(`fetching ${label} from ${client.base}`);
  try {
    const first = await client.page(0);
    client.done = 1;
    const total = first.numRowsTotal;
    const byIndex = new Map<number, Row>();
    let partial = first.partial;
    const keep = (page: Page) => {
      partial ||= page.partial;
      for (const [idx, row] of page.rows) byIndex.set(idx, row);
    };
    keep(first);
    // Plan the remaining pages with the server's own page size, then fill any holes short pages left.
    const step = first.rows.length;
    const offsets: number[] = [];
    if (step > 0) for (let o = step; o < total; o += step) offsets.push(o);
    client.planned = 1 + offsets.length;
    client.tick();
    const fetchAndKeep = async (offset: number) => {
      keep(await client.page(offset));
      client.done++;
      client.tick();
    };
    await pool(offsets, CONCURRENCY, fetchAndKeep, client);
    // An empty first page means the server has nothing to give, whatever the total says.
    for (let hole = step > 0 ? firstHole(byIndex, total) : undefined; hole !== undefined; hole = firstHole(byIndex, total)) {
      client.planned++;
      const before = byIndex.size;
      await fetchAndKeep(hole);
      if (byIndex.size === before) break; // an empty or repeated page: the server has no more
    }
    const rows = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
    client.clearStatus();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    opts.log(`fetched ${rows.length} rows of ${label} in ${seconds} s (${client.requests} requests)`);
    if (rows.length < total) opts.log(`warning: datasets-server lists ${total} rows for ${label} but served ${rows.length}`);
    if (partial) opts.log(`warning: datasets-server serves only part of ${label} (partial: true)`);
    return { rows, numRowsTotal: total, partial, requests: client.requests };
  } catch (err) {
    client.cancelled = true;
    client.clearStatus();
    throw err;
  }
}

interface Page {
  readonly rows: [number, Row][];
  readonly numRowsTotal: number;
  readonly partial: boolean;
}

function firstHole(byIndex: Map<number, Row>, total: number): number | undefined {
  if (byIndex.size >= total) return undefined;
  for (let i = 0; i < total; i++) if (!byIndex.has(i)) return i;
  return undefined;
}

/** Runs `work` over `items` with at most `limit` in flight; stops taking new items once one fails. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>, client: PageClient) {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !client.cancelled) await work(items[next++]!);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  } catch (err) {
    client.cancelled = true;
    throw err;
  }
}

/** One split's page fetches: URL building, retries, error mapping, progress. */
class PageClient {
  readonly base: string;
  requests = 0;
  planned = 1;
  done = 0;
  cancelled = false;
  private readonly label: string;
  private readonly retry: RetryPolicy;
  private readonly headers: Record<string, string>;
  private readonly status: (line: string) => void;
  private drawn = false;

  constructor(
    private readonly coords: HubCoords,
    private readonly opts: HubOptions,
  ) {
    this.base = opts.datasetsServer.replace(/\/+$/, "");
    this.label = describeCoords(coords);
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.headers = { Accept: "application/json", "User-Agent": USER_AGENT };
    if (opts.token) this.headers.Authorization = `Bearer ${opts.token}`;
    this.status = opts.status ?? drawOnStderr;
  }

  tick(): void {
    if (!this.opts.progress || this.cancelled) return;
    this.drawn = true;
    this.status(`fetching ${this.coords.repo}: page ${this.done}/${this.planned}`);
  }

  clearStatus(): void {
    if (this.drawn) this.status("");
    this.drawn = false;
  }

  /** A log line that does not get tangled with the progress line. */
  private warn(line: string): void {
    this.clearStatus();
    this.opts.log(line);
  }

  async page(offset: number): Promise<Page> {
    const url = this.url(offset);
    let lastProblem = "";
    for (let attempt = 1; ; attempt++) {
      if (this.cancelled) throw new DatasetError(`fetching ${this.label} was cancelled`);
      let wait: number | undefined;
      this.requests++;
      try {
        const res = await fetch(url, { headers: this.headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        const body = await res.text();
        if (res.ok) {
          return this.parse(body, offset);
        }
        if (!isRetryable(res.status)) throw this.failure(res, body);
        lastProblem = `${res.status}${errorCode(res)}: ${errorText(body)}`;
        wait = parseRetryAfter(res.headers.get("retry-after"));
      } catch (err) {
        if (err instanceof DatasetError) throw err;
        lastProblem = `cannot reach ${this.base}: ${(err as Error).message}`;
      }
      if (attempt >= this.retry.attempts) {
        throw new DatasetError(
          `datasets-server kept failing for ${this.label} (${lastProblem}); gave up after ${attempt} attempts`,
        );
      }
      const delay = Math.min(wait ?? backoffDelay(attempt, this.retry), RETRY_AFTER_CEILING_MS);
      this.warn(`datasets-server: ${lastProblem}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1}/${this.retry.attempts})`);
      await Bun.sleep(delay);
    }
  }

  private url(offset: number): string {
    let url: URL;
    try {
      url = new URL(`${this.base}/rows`);
    } catch {
      throw new DatasetError(`invalid datasets-server URL: ${this.opts.datasetsServer}`);
    }
    const { repo, config, split } = this.coords;
    for (const [k, v] of Object.entries({ dataset: repo, config, split, offset: String(offset), length: String(PAGE_LENGTH) })) {
      url.searchParams.set(k, v);
    }
    return url.href;
  }

  private parse(body: string, offset: number): Page {
    const bad = (why: string) =>
      new DatasetError(`datasets-server sent an unexpected /rows body for ${this.label} at offset ${offset}: ${why}`);
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      throw bad("not JSON");
    }
    if (!isRow(value)) throw bad("not a JSON object");
    const { rows, num_rows_total: total, partial } = value;
    if (!Array.isArray(rows)) throw bad('no "rows" array');
    if (typeof total !== "number" || !Number.isInteger(total) || total < 0) throw bad('no "num_rows_total" count');
    const out: [number, Row][] = rows.map((item: unknown, i: number) => {
      if (!isRow(item) || !isRow(item.row)) throw bad(`rows[${i}] has no "row" object`);
      return [typeof item.row_idx === "number" ? item.row_idx : offset + i, item.row];
    });
    return { rows: out, numRowsTotal: total, partial: partial === true };
  }

  private failure(res: Response, body: string): DatasetError {
    const detail = `${res.status}${errorCode(res)}: ${errorText(body)}`;
    const { repo, config, split } = this.coords;
    switch (res.status) {
      case 401:
        return new DatasetError(
          `dataset ${repo} is gated or private (or does not exist): datasets-server answered 401` +
            (this.opts.token ? " although HF_TOKEN was sent; check that HF_TOKEN is a valid token" : "; set HF_TOKEN to a token with access"),
        );
      case 404:
        if (res.headers.get("x-error-code") === "ExternalAuthenticatedError") {
          return new DatasetError(`dataset ${repo} is gated or private and HF_TOKEN has no access to it (datasets-server ${detail})`);
        }
        return new DatasetError(`no such dataset, config or split: dataset=${repo} config=${config} split=${split} (datasets-server ${detail})`);
      case 501:
        return new DatasetError(`datasets-server cannot serve ${this.label} (${detail})`);
      default:
        return new DatasetError(`datasets-server rejected the request for ${this.label} (${detail})`);
    }
  }
}

/** 408, 429 and 5xx are worth retrying, except 501 (the viewer will never serve this dataset). */
function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

function errorCode(res: Response): string {
  const code = res.headers.get("x-error-code");
  return code ? ` ${code}` : "";
}

/** The server's `{"error": ...}` message, or the start of a plain-text body, on one line. */
function errorText(body: string): string {
  let text = body;
  try {
    const value: unknown = JSON.parse(body);
    if (isRow(value) && typeof value.error === "string") text = value.error;
  } catch {
    // plain-text error page
  }
  text = text.replace(/\s+/g, " ").trim();
  return text === "" ? "(empty body)" : text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function drawOnStderr(line: string): void {
  process.stderr.write(`\r\x1b[K${line}`);
}

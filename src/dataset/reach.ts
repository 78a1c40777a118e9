// Can the datasets-server be reached at all? Asked once before downloading, so that an air-gapped machine
// falls back to the embedded snapshot in at most a few seconds instead of after six retries with back-off.
// The probe is an HTTP request (through any proxy fetch honours): a DNS failure, a refused connection or no
// response within the timeout means unreachable; ANY response, even an error status, means reachable — a
// reachable server's 401/404 must stay an error, never turn into a silent fallback.
import { USER_AGENT } from "./hub.ts";
import type { Reachability } from "./types.ts";

/** How long to wait for the probe's response headers. */
export const PROBE_TIMEOUT_MS = 3_000;

/** Probes `{datasetsServer}/healthcheck` (the datasets-server's own health route; any status counts). */
export async function probeDatasetsServer(datasetsServer: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<Reachability> {
  let url: string;
  try {
    url = new URL(`${datasetsServer.replace(/\/+$/, "")}/healthcheck`).href;
  } catch {
    return { reachable: false, reason: `invalid URL ${datasetsServer}` };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    // No token: the health route needs none, and the token should travel no further than it must.
    const res = await fetch(url, { headers: { "User-Agent": USER_AGENT }, signal: controller.signal, redirect: "manual" });
    void res.body?.cancel().catch(() => {});
    return { reachable: true };
  } catch (error) {
    return { reachable: false, reason: controller.signal.aborted ? `no response within ${seconds(timeoutMs)}` : describeNetworkError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** One probe per server for the whole start-up, however many datasets ask. */
export function memoisedProbe(timeoutMs = PROBE_TIMEOUT_MS): (datasetsServer: string) => Promise<Reachability> {
  const seen = new Map<string, Promise<Reachability>>();
  return (server) => {
    let result = seen.get(server);
    if (result === undefined) {
      result = probeDatasetsServer(server, timeoutMs);
      seen.set(server, result);
    }
    return result;
  };
}

/** A short, stable description of a fetch failure: "DNS lookup failed", "connection refused", else its message. */
export function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
    case "EAI_FAIL":
      return "DNS lookup failed";
    case "ECONNREFUSED":
    case "ConnectionRefused":
      return "connection refused";
    case "ECONNRESET":
    case "ConnectionClosed":
      return "connection closed";
    case "ENETUNREACH":
    case "EHOSTUNREACH":
    case "EADDRNOTAVAIL":
      return "network unreachable";
    default:
      return message.split("\n")[0]!.trim() || String(code ?? "network error");
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

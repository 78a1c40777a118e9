import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Paths served without a key, compared with the whole request path as llama-server does, so with
 * --api-prefix the prefixed /health is not public (its list is not prefixed).
 */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(["/health", "/v1/health", "/models", "/v1/models", "/api/tags", "/"]);

/** llama-server's 401, in its middleware's key order (message, type, code). */
export const UNAUTHORIZED_BODY = JSON.stringify({ error: { message: "Invalid API Key", type: "authentication_error", code: 401 } });

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** SHA-256 digests of the configured keys, made once per key list. */
const digestCache = new WeakMap<readonly string[], readonly Buffer[]>();
function keyDigests(keys: readonly string[]): readonly Buffer[] {
  let digests = digestCache.get(keys);
  if (digests === undefined) digestCache.set(keys, (digests = keys.map(digest)));
  return digests;
}

/**
 * Whether a request may pass: no keys configured, a public path, or a configured key given as
 * `Authorization: Bearer KEY`, as a bare `Authorization: KEY` (newer llama-server) or as
 * `X-Api-Key: KEY`. Every candidate is compared with every key through equal-length SHA-256
 * digests and timingSafeEqual, without stopping at the first match, so the time taken says
 * nothing about how much of a key was right.
 */
export function isAuthorized(keys: readonly string[], path: string, headers: Headers): boolean {
  if (keys.length === 0 || PUBLIC_PATHS.has(path)) return true;
  const authorization = headers.get("authorization");
  const candidates: string[] = [];
  if (authorization !== null) {
    candidates.push(authorization);
    if (authorization.startsWith("Bearer ")) candidates.push(authorization.slice("Bearer ".length));
  }
  const xApiKey = headers.get("x-api-key");
  if (xApiKey !== null) candidates.push(xApiKey);
  let ok = false;
  for (const candidate of candidates) {
    const given = digest(candidate);
    for (const key of keyDigests(keys)) ok = timingSafeEqual(given, key) || ok;
  }
  return ok;
}

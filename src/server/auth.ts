/**
 * Paths served without a key, compared with the whole request path as llama-server does, so with
 * --api-prefix the prefixed /health is not public (its list is not prefixed).
 */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(["/health", "/v1/health", "/models", "/v1/models", "/api/tags", "/"]);

/** llama-server's 401, in its middleware's key order (message, type, code). */
export const UNAUTHORIZED_BODY = JSON.stringify({ error: { message: "Invalid API Key", type: "authentication_error", code: 401 } });

// Bun's own SHA-256 rather than node:crypto: loading that module cost ~6 ms of every start-up.
const digest = (text: string): Uint8Array => Bun.SHA256.hash(text) as Uint8Array;

/** Whether two 32-byte digests are equal, reading every byte whatever differs (no early exit). */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** SHA-256 digests of the configured keys, made once per key list. */
const digestCache = new WeakMap<readonly string[], readonly Uint8Array[]>();
function keyDigests(keys: readonly string[]): readonly Uint8Array[] {
  let digests = digestCache.get(keys);
  if (digests === undefined) digestCache.set(keys, (digests = keys.map(digest)));
  return digests;
}

/**
 * Whether a request may pass: no keys configured, a public path, or a configured key given as
 * `Authorization: Bearer KEY`, as a bare `Authorization: KEY` (newer llama-server) or as
 * `X-Api-Key: KEY`. Every candidate is compared with every key through equal-length SHA-256
 * digests compared byte by byte in full, without stopping at the first match, so the time taken says
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
    for (const key of keyDigests(keys)) ok = sameDigest(given, key) || ok;
  }
  return ok;
}

import { afterAll, describe, expect, test } from "bun:test";
import { describeNetworkError, memoisedProbe, probeDatasetsServer } from "../../src/dataset/reach.ts";
import { startFakeDatasetsServer, startSilentServer } from "../fixtures/fake-datasets-server.ts";

const server = startFakeDatasetsServer();
const silent = startSilentServer();
afterAll(async () => {
  silent.stop();
  await server.stop();
});

async function refusedUrl(): Promise<string> {
  const gone = startFakeDatasetsServer();
  await gone.stop();
  return gone.url;
}

describe("probeDatasetsServer", () => {
  test("a server that answers is reachable, whatever the status; the probe sends no token", async () => {
    expect(await probeDatasetsServer(server.url)).toEqual({ reachable: true });
    expect(server.requests.at(-1)).toMatchObject({ path: "/healthcheck", status: 200, authorization: null });
    // A 404 for the health route still proves the server is there.
    expect(await probeDatasetsServer(`${server.url}/some/prefix`)).toEqual({ reachable: true });
    expect(server.requests.at(-1)).toMatchObject({ path: "/some/prefix/healthcheck", status: 404 });
  });

  test("refused: unreachable at once, with a short reason", async () => {
    const started = performance.now();
    expect(await probeDatasetsServer(await refusedUrl())).toEqual({ reachable: false, reason: "connection refused" });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("a host that does not resolve (.invalid never does): DNS lookup failed", async () => {
    expect(await probeDatasetsServer("http://llama-sim-test.invalid")).toEqual({ reachable: false, reason: "DNS lookup failed" });
  });

  test("a black hole that accepts but never answers: unreachable after the timeout, not later", async () => {
    const started = performance.now();
    expect(await probeDatasetsServer(silent.url, 300)).toEqual({ reachable: false, reason: "no response within 0.3 s" });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    expect(silent.connections()).toBeGreaterThan(0);
  });

  test("an unparsable URL is unreachable, not a crash", async () => {
    expect(await probeDatasetsServer("not a url")).toEqual({ reachable: false, reason: "invalid URL not a url" });
  });
});

describe("memoisedProbe", () => {
  test("one probe per server, however often asked", async () => {
    const probe = memoisedProbe();
    const before = server.requests.filter((r) => r.path === "/healthcheck").length;
    const results = await Promise.all([probe(server.url), probe(server.url), probe(server.url)]);
    expect(results).toEqual([{ reachable: true }, { reachable: true }, { reachable: true }]);
    expect(server.requests.filter((r) => r.path === "/healthcheck").length).toBe(before + 1);
  });

  test("an unreachable answer is kept too: a second dataset does not wait again", async () => {
    const probe = memoisedProbe(200);
    const first = performance.now();
    await probe(silent.url);
    const between = performance.now();
    expect(await probe(silent.url)).toEqual({ reachable: false, reason: "no response within 0.2 s" });
    expect(performance.now() - between).toBeLessThan(50);
    expect(between - first).toBeGreaterThanOrEqual(190);
  });
});

describe("describeNetworkError", () => {
  const error = (code: string, message = "x") => Object.assign(new Error(message), { code });
  test.each([
    ["ENOTFOUND", error("ENOTFOUND", "getaddrinfo ENOTFOUND x"), "DNS lookup failed"],
    ["EAI_AGAIN", error("EAI_AGAIN"), "DNS lookup failed"],
    ["ECONNREFUSED", error("ECONNREFUSED"), "connection refused"],
    ["ECONNRESET", error("ECONNRESET"), "connection closed"],
    ["EHOSTUNREACH", error("EHOSTUNREACH"), "network unreachable"],
    ["another code: the message's first line", error("CERT_HAS_EXPIRED", "certificate has expired\nmore"), "certificate has expired"],
  ] as const)("%s", (_, err, expected) => {
    expect(describeNetworkError(err)).toBe(expected);
  });
});

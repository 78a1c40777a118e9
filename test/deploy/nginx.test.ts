// deploy/nginx/llama-sim.conf: the directives that balancing llama-sim replicas depends on, the
// scale test's rewrite of it (bench/scale/nginx-config.ts), and, when nginx is installed, `nginx -t`.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mainConfig, siteConfig } from "../../bench/scale/nginx-config.ts";
import { DEFAULTS } from "../../src/config.ts";
import { ROOT } from "../e2e/harness.ts";
import { binaryHelp, find, flagsOf, helpHasFlag, nginxBytes, nginxSeconds, one, parseNginx, resolveRun, type Directive } from "./parse.ts";

const text = readFileSync(join(ROOT, "deploy/nginx/llama-sim.conf"), "utf8");
const top = parseNginx(text);
const upstream = one(top, "upstream");
const server = one(top, "server");
const location = find(server.block!, "location").find((l) => l.args[0] === "/")!;
const value = (block: readonly Directive[], name: string) => one(block, name).args.join(" ");
/** llama-sim closes idle connections after --timeout, which Bun caps at 255 s. */
const LLAMA_SIM_MAX_IDLE_SECONDS = 255;

describe("nginx config: balancing", () => {
  test("one upstream with least_conn and several replicas, each skipped for a while once it refuses", () => {
    expect(find(upstream.block!, "least_conn")).toHaveLength(1);
    const servers = find(upstream.block!, "server");
    expect(servers.length).toBeGreaterThanOrEqual(2);
    for (const s of servers) {
      expect(s.args[0]).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(s.args).toContain("max_fails=1");
      expect(s.args.some((a) => a.startsWith("fail_timeout="))).toBe(true);
    }
    expect(value(location.block!, "proxy_pass")).toBe(`http://${upstream.args[0]}`);
  });

  test("keep-alive to the replicas: keepalive connections, HTTP/1.1 and an empty Connection header", () => {
    expect(Number(value(upstream.block!, "keepalive"))).toBeGreaterThanOrEqual(32); // llama-eval's 32 workers
    expect(value(location.block!, "proxy_http_version")).toBe("1.1");
    const headers = find(location.block!, "proxy_set_header").map((d) => d.args);
    expect(headers).toContainEqual(["Connection", '""']);
    // nginx must close an idle upstream connection before llama-sim does, or it may reuse a closing one.
    expect(nginxSeconds(value(upstream.block!, "keepalive_timeout"))).toBeLessThan(LLAMA_SIM_MAX_IDLE_SECONDS);
  });

  test("server-sent events pass unbuffered; long generations do not time out", () => {
    expect(value(location.block!, "proxy_buffering")).toBe("off");
    expect(value(location.block!, "proxy_cache")).toBe("off");
    expect(nginxSeconds(value(location.block!, "proxy_read_timeout"))).toBeGreaterThanOrEqual(DEFAULTS.timeoutSeconds);
    expect(nginxSeconds(value(location.block!, "proxy_send_timeout"))).toBeGreaterThanOrEqual(DEFAULTS.timeoutSeconds);
  });

  test("failed connections go to the next replica, but a POST already sent is not replayed", () => {
    const next = one(location.block!, "proxy_next_upstream").args;
    expect(next).toContain("error");
    expect(next).not.toContain("non_idempotent");
  });

  test("listens on llama-server's port and admits llama-sim's largest body", () => {
    expect(value(server.block!, "listen")).toBe(String(DEFAULTS.port));
    expect(nginxBytes(value(server.block!, "client_max_body_size"))).toBe(DEFAULTS.maxBodyBytes);
  });

  test("every response names the replica that answered (X-Upstream), errors included", () => {
    expect(one(location.block!, "add_header").args).toEqual(["X-Upstream", "$upstream_addr", "always"]);
  });

  test("the replica command in the comments uses flags --help lists and starts fixed mode", async () => {
    const line = /^#\s+\.\/llama-sim (.*?)(?: &)?$/m.exec(text)![1]!.split(/\s+/);
    const help = await binaryHelp();
    for (const flag of flagsOf(line)) expect({ flag, listed: helpHasFlag(help, flag) }).toEqual({ flag, listed: true });
    const config = resolveRun(line, {});
    expect(config.decision.mode).toBe("fixed");
    expect(config.decision.metrics).toBe(true);
    // The example's ports are the upstream's.
    expect(find(upstream.block!, "server").map((s) => s.args[0])).toContain(`127.0.0.1:${config.port}`);
  });
});

describe("the scale test's rewrite of the config", () => {
  const site = siteConfig(text, 41000, [42001, 42002, 42003, 42004]);
  const parsed = parseNginx(site);

  test("replaces the upstream servers (keeping their options) and the listen port, and nothing else", () => {
    const servers = find(one(parsed, "upstream").block!, "server");
    const options = find(upstream.block!, "server")[0]!.args.slice(1);
    expect(servers.map((s) => s.args)).toEqual([42001, 42002, 42003, 42004].map((p) => [`127.0.0.1:${p}`, ...options]));
    expect(value(one(parsed, "server").block!, "listen")).toBe("127.0.0.1:41000");
    const strip = (ds: readonly Directive[]): unknown => ds.filter((d) => d.name !== "listen" && !(d.name === "server" && !d.block)).map((d) => ({ ...d, block: d.block && strip(d.block) }));
    expect(strip(parsed)).toEqual(strip(top));
    // Comments survive too: the rewrite is line-based.
    expect(site.split("\n").filter((l) => l.trim().startsWith("#"))).toEqual(text.split("\n").filter((l) => l.trim().startsWith("#")));
  });

  test("a template without upstream servers or listen is refused", () => {
    expect(() => siteConfig("server {\n    listen 80;\n}\n", 1, [2])).toThrow(/no `server 127.0.0.1:PORT/);
    expect(() => siteConfig("upstream u {\n    server 127.0.0.1:1;\n}\n", 1, [2])).toThrow(/no `listen PORT;`/);
  });

  const dir = mkdtempSync(join(tmpdir(), "llama-sim-nginx-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const nginx = Bun.which("nginx") ?? (Bun.which("/usr/sbin/nginx") ? "/usr/sbin/nginx" : null);

  test.skipIf(nginx === null)("nginx -t accepts the generated nginx.conf around the shipped file", () => {
    writeFileSync(join(dir, "site.conf"), site);
    writeFileSync(join(dir, "nginx.conf"), mainConfig({ dir, listenPort: 41000, upstreamPorts: [42001], workers: 1 }, join(dir, "site.conf")));
    const result = Bun.spawnSync([nginx!, "-t", "-q", "-p", dir, "-c", join(dir, "nginx.conf")], { stderr: "pipe" });
    expect({ code: result.exitCode, stderr: result.stderr.toString() }).toEqual({ code: 0, stderr: "" });
  });
});

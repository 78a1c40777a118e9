// Turns deploy/nginx/llama-sim.conf (the file users copy into conf.d) into a complete nginx.conf
// that runs unprivileged from a temporary directory, balancing the given replica ports. The
// scale test runs exactly the shipped directives; only the addresses and the file paths change.

export interface NginxRun {
  /** Directory for the pid file, logs and nginx's temporary files (must exist). */
  readonly dir: string;
  /** Port nginx listens on (127.0.0.1). */
  readonly listenPort: number;
  /** Replica ports, in order. */
  readonly upstreamPorts: readonly number[];
  /** nginx worker processes. */
  readonly workers: number;
}

const SERVER_LINE = /^([ \t]*)server[ \t]+127\.0\.0\.1:\d+([ \t][^;\n]*)?;[ \t]*$/gm;
const LISTEN_LINE = /^([ \t]*)listen[ \t]+\d+;[ \t]*$/m;

/** The shipped site file with its example upstream servers and listen port replaced. */
export function siteConfig(template: string, listenPort: number, upstreamPorts: readonly number[]): string {
  const servers = [...template.matchAll(SERVER_LINE)];
  if (servers.length === 0) throw new Error("the nginx template has no `server 127.0.0.1:PORT ...;` line in its upstream");
  if (!LISTEN_LINE.test(template)) throw new Error("the nginx template has no `listen PORT;` line");
  // Every replica gets the options (max_fails, fail_timeout, ...) of the template's first server line.
  const [, indent, options] = servers[0]!;
  const lines = upstreamPorts.map((port) => `${indent}server 127.0.0.1:${port}${options ?? ""};`).join("\n");
  // The first server line becomes the list; the others go, with their line breaks.
  let out = "";
  let last = 0;
  servers.forEach((m, i) => {
    out += template.slice(last, m.index) + (i === 0 ? lines : "");
    last = m.index! + m[0].length + (i > 0 && template[m.index! + m[0].length] === "\n" ? 1 : 0);
  });
  out += template.slice(last);
  return out.replace(LISTEN_LINE, (_, indent: string) => `${indent}listen 127.0.0.1:${listenPort};`);
}

/** A whole nginx.conf around the site file: pid, logs and temporary files under `run.dir`. */
export function mainConfig(run: NginxRun, sitePath: string): string {
  const d = run.dir;
  return [
    `worker_processes ${run.workers};`,
    `pid ${d}/nginx.pid;`,
    `error_log ${d}/error.log warn;`,
    "events { worker_connections 4096; }",
    "http {",
    // $upstream_addr lists every replica tried for a request ("A, B" when A refused).
    `    log_format scale '$status $upstream_addr $upstream_status $request_time';`,
    `    access_log ${d}/access.log scale;`,
    `    client_body_temp_path ${d}/client_body;`,
    `    proxy_temp_path ${d}/proxy;`,
    `    fastcgi_temp_path ${d}/fastcgi;`,
    `    uwsgi_temp_path ${d}/uwsgi;`,
    `    scgi_temp_path ${d}/scgi;`,
    `    include ${sitePath};`,
    "}",
    "",
  ].join("\n");
}

// deploy/README.md: every llama-sim command line it shows uses flags the binary's --help lists and
// starts (or merges) what the text says, and every metric its PromQL names is one /metrics serves.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Metrics } from "../../src/server/metrics.ts";
import { ROOT } from "../e2e/harness.ts";
import { binaryHelp, flagsOf, helpHasFlag, resolveRun } from "./parse.ts";

const readme = readFileSync(join(ROOT, "deploy/README.md"), "utf8");
/** Fenced blocks of one language, continuation lines joined. */
const blocks = (lang: string) => [...readme.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!.replace(/\\\n\s*/g, " "));
const shell = blocks("sh").join("\n").split("\n");

/** The arguments after `./llama-sim` or after the image name in `docker run`, up to a shell operator. */
function commandLines(): { line: string; args: string[] }[] {
  const out: { line: string; args: string[] }[] = [];
  for (const line of shell) {
    const m = /(?:\.\/llama-sim|docker run .*? llama-sim:[\w.]+)((?: [^&|;>]*)?)/.exec(line);
    if (m) out.push({ line, args: m[1]!.trim().split(/\s+/).filter((a) => a !== "") });
  }
  return out;
}

describe("deploy/README.md", () => {
  test("every llama-sim command line uses flags --help lists", async () => {
    const help = await binaryHelp();
    const lines = commandLines();
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const { line, args } of lines) {
      const own = args[0] === "stats" ? [] : flagsOf(args);
      for (const flag of own) expect({ line, flag, listed: helpHasFlag(help, flag) }).toEqual({ line, flag, listed: true });
    }
  });

  test("the server command lines start fixed mode with a pinned seed (variables substituted)", () => {
    const servers = commandLines().filter((c) => c.args[0] !== "stats" && c.args.includes("--mode"));
    expect(servers.length).toBeGreaterThanOrEqual(3);
    for (const { line, args } of servers) {
      const config = resolveRun(args.map((a) => a.replace(/\$port/g, "8034")), {});
      expect({ line, mode: config.decision.mode, seedGiven: config.seedGiven }).toEqual({ line, mode: "fixed", seedGiven: true });
    }
  });

  test("the stats command lines have the stats subcommand's flags", () => {
    const stats = commandLines().filter((c) => c.args[0] === "stats");
    expect(stats.length).toBeGreaterThanOrEqual(2);
    for (const { args } of stats) for (const flag of flagsOf(args)) expect(["--ledger", "--rate", "--mode", "--json"]).toContain(flag);
  });

  test("every metric the PromQL names is one llama-sim serves on /metrics", () => {
    const served = new Set(
      new Metrics()
        .render()
        .split("\n")
        .filter((l) => l.startsWith("# TYPE "))
        .flatMap((l) => {
          const [, , name, type] = l.split(" ");
          return type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!];
        }),
    );
    const promql = blocks("promql").join("\n").split("\n").filter((l) => !l.startsWith("#")).join("\n");
    const named = [...promql.matchAll(/\b(llamasim_[a-z_]+|llamacpp:[a-z_]+)/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(5);
    for (const name of named) expect({ name, served: served.has(name) }).toEqual({ name, served: true });
  });
});

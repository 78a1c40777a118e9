// The Dockerfile and .dockerignore, checked without a Docker engine (none runs on this machine): the
// stages and what each does, the runtime user, port, health check and entrypoint flags (against the
// binary's --help), and the build step itself, run on exactly the files the build context admits.
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS } from "../../src/config.ts";
import { ROOT } from "../e2e/harness.ts";
import { binaryHelp, dockerignoreAllows, execForm, flagsOf, helpHasFlag, parseCopy, parseDockerfile, resolveRun, type Stage } from "./parse.ts";

const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const stages = parseDockerfile(dockerfile);
const final = stages.at(-1)!;
const build = stages[0]!;
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
const single = (stage: Stage, op: string) => {
  const found = ops(stage, op);
  expect(found.map((i) => i.op)).toEqual([op]);
  return found[0]!;
};

describe("Dockerfile: stages", () => {
  test("multi-stage: a build stage first, a distroless runtime last; every image pinned to a version tag", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).toBe("build");
    expect(final.image).toMatch(/^gcr\.io\/distroless\/[\w-]+:nonroot$/);
    for (const stage of stages) expect(stage.image).toMatch(/^[\w./-]+:(?!latest)[\w.-]+$/);
  });

  test("the build stage installs with npm ci (the Bun pinned in package-lock.json) and compiles as the Makefile does", () => {
    const runs = ops(build, "RUN").map((i) => i.args);
    expect(runs).toContain("npm ci --no-audit --no-fund");
    const compile = runs.find((r) => r.includes("bun build"))!;
    // The Makefile's recipe for ./llama-sim: the same bun flags and entry point.
    const makefile = readFileSync(join(ROOT, "Makefile"), "utf8");
    const recipe = /^llama-sim:.*\n\t(.*)$/m.exec(makefile)![1]!;
    // Flags with their values (--format=esm, not --format cjs): a value given apart would not be compared.
    const bunFlags = (cmd: string) => cmd.split(/\s+/).filter((w) => /^--(compile|minify|sourcemap|target|bytecode|format)/.test(w));
    for (const cmd of [compile, recipe]) expect(cmd).not.toMatch(/--(format|target)(\s|$)/);
    expect(bunFlags(compile)).toEqual(bunFlags(recipe));
    // Every build of the binary names the same entry points: main.ts loads start.ts, start.ts the worker.
    const entries = (cmd: string) => cmd.split(/\s+/).filter((w) => /^src\/.*\.ts$/.test(w));
    const release = /\$\(BUN\) build --compile [^\n]*--target=bun-\$\$target ([^\n]*)--outfile/.exec(makefile)![1]!;
    const npmBuild = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.build!;
    const want = ["src/main.ts", "src/start.ts", "src/server/worker.ts"];
    for (const cmd of [compile, recipe, release, npmBuild]) expect(entries(cmd)).toEqual(want);
    // package.json's build (for `npm run build`) makes the same binary as the Makefile.
    expect(bunFlags(npmBuild)).toEqual(bunFlags(recipe));
    expect(compile).toContain('--define LLAMA_SIM_COMMIT="\\"${LLAMA_SIM_COMMIT}\\""');
    expect(ops(build, "ARG").map((i) => i.args)).toContain("LLAMA_SIM_COMMIT=unknown");
  });

  test("the runtime stage is the binary alone: copied from the build stage, no RUN (distroless has no shell)", () => {
    expect(ops(final, "RUN")).toEqual([]);
    const copies = ops(final, "COPY").map((i) => parseCopy(i.args));
    const binary = copies.find((c) => c.options.from === build.name && c.sources[0] === "/out/llama-sim")!;
    expect(binary.dest).toBe("/llama-sim");
    // Everything else copied in comes from a named stage, never from the build context.
    for (const c of copies) expect(stages.some((s) => s.name === c.options.from)).toBe(true);
  });

  test("the health check's wget is busybox from a static (musl) busybox image", () => {
    const wgetStage = stages.find((s) => s.image.startsWith("busybox:"))!;
    expect(wgetStage.image).toMatch(/^busybox:[\d.]+-musl$/);
    const copy = ops(final, "COPY").map((i) => parseCopy(i.args)).find((c) => c.options.from === wgetStage.name)!;
    expect(copy.sources).toEqual(["/bin/wget"]);
  });
});

describe("Dockerfile: runtime settings", () => {
  test("runs as a non-root user: distroless's nonroot (65532), as the Kubernetes securityContext says", () => {
    const user = single(final, "USER").args;
    expect(user).toBe("65532:65532");
    const deployment = readFileSync(join(ROOT, "deploy/kubernetes/deployment.yaml"), "utf8");
    expect(deployment).toContain("runAsUser: 65532");
    // The ledger directory is handed to that user.
    const ledgerDir = ops(final, "COPY").map((i) => parseCopy(i.args)).find((c) => c.dest === "/var/lib/llama-sim")!;
    expect(ledgerDir.options.chown).toBe("65532:65532");
  });

  test("EXPOSE is llama-sim's default port", () => {
    expect(single(final, "EXPOSE").args).toBe(String(DEFAULTS.port));
  });

  test("HEALTHCHECK: exec form, the copied wget, GET /health on the exposed port, failing within its timeout", () => {
    const hc = single(final, "HEALTHCHECK").args;
    const m = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(\[.*\])$/.exec(hc)!;
    const options = Object.fromEntries(m[1]!.trim().split(/\s+/).map((o) => o.slice(2).split("=") as [string, string]));
    expect(Object.keys(options).sort()).toEqual(["interval", "retries", "start-period", "timeout"]);
    const cmd = execForm(m[2]!);
    const copied = ops(final, "COPY").map((i) => parseCopy(i.args).dest);
    expect(copied).toContain(cmd[0]!);
    expect(cmd).toContain("-q");
    // wget's own timeout (-T) below Docker's, so a hung server fails the check rather than timing it out.
    const wgetTimeout = Number(cmd[cmd.indexOf("-T") + 1]);
    expect(wgetTimeout).toBeGreaterThan(0);
    expect(wgetTimeout).toBeLessThan(Number(options.timeout!.replace(/s$/, "")));
    expect(cmd.at(-1)).toBe(`http://127.0.0.1:${single(final, "EXPOSE").args}/health`);
  });

  test("ENTRYPOINT: the binary with flags that --help lists, listening on every interface", async () => {
    const entry = execForm(single(final, "ENTRYPOINT").args);
    expect(entry[0]).toBe("/llama-sim");
    const help = await binaryHelp();
    for (const flag of flagsOf(entry.slice(1))) expect({ flag, listed: helpHasFlag(help, flag) }).toEqual({ flag, listed: true });
    const config = resolveRun(entry.slice(1), {});
    expect(config.host).toBe("0.0.0.0");
    expect(config.port).toBe(DEFAULTS.port);
  });

  test("the usage example in the Dockerfile's header starts the server with flags --help lists", async () => {
    const example = /docker run .* llama-sim:[\w.]+ (.*)$/m.exec(dockerfile)![1]!.split(/\s+/);
    const help = await binaryHelp();
    for (const flag of flagsOf(example)) expect({ flag, listed: helpHasFlag(help, flag) }).toEqual({ flag, listed: true });
    const entry = execForm(single(final, "ENTRYPOINT").args);
    expect(resolveRun([...entry.slice(1), ...example], {}).decision.mode).toBe("fixed");
  });
});

describe("Dockerfile: build context", () => {
  const allows = dockerignoreAllows(readFileSync(join(ROOT, ".dockerignore"), "utf8"));
  const contextEntries = readdirSync(ROOT).filter(allows).sort();

  test(".dockerignore admits only what the build needs: no node_modules, binaries, .git, tests", () => {
    expect(contextEntries).toEqual(["data", "package-lock.json", "package.json", "src", "tsconfig.json"]);
    for (const path of ["node_modules", "llama-sim", "dist", ".git", "test", "bench", "deploy", "Dockerfile"]) expect(allows(path)).toBe(false);
    expect(allows("src/main.ts")).toBe(true);
  });

  test("every COPY from the context names files the context admits", () => {
    for (const stage of stages) {
      for (const ins of ops(stage, "COPY")) {
        const copy = parseCopy(ins.args);
        if (copy.options.from !== undefined) continue;
        for (const source of copy.sources) expect({ source, admitted: allows(source) && existsSync(join(ROOT, source)) }).toEqual({ source, admitted: true });
      }
    }
  });

  const work = mkdtempSync(join(tmpdir(), "llama-sim-docker-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("the build stage's compile step, run on exactly the admitted files, makes a binary that runs", () => {
    const src = join(work, "src-root");
    for (const entry of contextEntries) cpSync(join(ROOT, entry), join(src, entry), { recursive: true });
    // npm ci's result, without the network: the installed node_modules.
    symlinkSync(join(ROOT, "node_modules"), join(src, "node_modules"));
    const compile = ops(build, "RUN").map((i) => i.args).find((r) => r.includes("bun build"))!;
    const out = join(work, "out");
    const result = Bun.spawnSync(["sh", "-c", compile.replaceAll("/out/", `${out}/`)], {
      cwd: src,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LLAMA_SIM_COMMIT: "abcd1234" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect({ code: result.exitCode, stderr: result.exitCode === 0 ? "" : result.stderr.toString() }).toEqual({ code: 0, stderr: "" });
    // The RUN line runs --version after compiling: the commit from the build argument.
    expect(result.stdout.toString()).toContain("(commit abcd1234,");
    expect(existsSync(join(out, "ledger"))).toBe(true);
  }, 120_000);
});

// Small parsers for the deployment files: Dockerfile instructions, .dockerignore allowlists, nginx
// directives, and llama-sim command lines checked against the binary's --help. Only the syntax the
// shipped files use; anything else fails loudly so a later edit cannot slip past the tests.
import { parseCli } from "../../src/cli.ts";
import { ignoredNotice } from "../../src/llama-args.ts";
import type { Config } from "../../src/config.ts";
import { runToExit } from "../e2e/harness.ts";

// ---------------------------------------------------------------------------------------------------------
// Dockerfile

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, ... */
  readonly op: string;
  /** Everything after the instruction word, continuation lines joined with a space. */
  readonly args: string;
  /** 1-based line of the instruction word. */
  readonly line: number;
}

export interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(#|$)/.test(lines[i]!)) continue;
    const start = i;
    let joined = lines[i]!;
    // A trailing backslash continues the instruction; comment lines inside it are skipped (Docker does too).
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i]!)) continue;
      joined = `${joined.replace(/\\\s*$/, "")} ${lines[i]!.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(joined);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: not an instruction: ${joined}`);
    instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  const stages: { image: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: unexpected FROM: ${ins.args}`);
      stages.push({ image: m[1]!, name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.op !== "ARG") throw new Error(`Dockerfile line ${ins.line}: ${ins.op} before the first FROM`);
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

/** The JSON array of an exec-form instruction (ENTRYPOINT, CMD, HEALTHCHECK ... CMD). */
export function execForm(args: string): string[] {
  const value: unknown = JSON.parse(args);
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new Error(`not an exec-form array: ${args}`);
  return value;
}

/** `--from=x --chown=y src... dest` -> options, sources and destination. */
export function parseCopy(args: string): { options: Record<string, string>; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const options: Record<string, string> = {};
  while (words[0]?.startsWith("--")) {
    const [key, value] = words.shift()!.slice(2).split("=", 2);
    options[key!] = value ?? "";
  }
  if (words.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { options, sources: words.slice(0, -1), dest: words.at(-1)! };
}

// ---------------------------------------------------------------------------------------------------------
// .dockerignore: an allowlist of `*` followed by `!name` / `!name/` lines

export function dockerignoreAllows(text: string): (path: string) => boolean {
  const rules: { negate: boolean; prefix: string | null }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line === "*") rules.push({ negate: false, prefix: null });
    else if (/^![\w.-]+\/?$/.test(line)) rules.push({ negate: true, prefix: line.slice(1).replace(/\/$/, "") });
    else throw new Error(`.dockerignore: the test only understands "*" and "!name" lines (got "${line}")`);
  }
  return (path: string) => {
    let included = true;
    for (const rule of rules) {
      const matches = rule.prefix === null || path === rule.prefix || path.startsWith(`${rule.prefix}/`);
      if (matches) included = rule.negate;
    }
    return included;
  };
}

// ---------------------------------------------------------------------------------------------------------
// nginx: directives as nested blocks

export interface Directive {
  readonly name: string;
  readonly args: string[];
  readonly block?: Directive[];
}

export function parseNginx(text: string): Directive[] {
  const tokens: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|#[^\n]*|([{};])|([^\s{};"'#]+)/g;
  for (const m of text.matchAll(re)) {
    if (m[0].startsWith("#")) continue;
    tokens.push(m[1] !== undefined ? `"${m[1]}"` : m[2] !== undefined ? `'${m[2]}'` : m[0]);
  }
  let pos = 0;
  const block = (): Directive[] => {
    const out: Directive[] = [];
    while (pos < tokens.length && tokens[pos] !== "}") {
      const words: string[] = [];
      while (pos < tokens.length && !["{", ";", "}"].includes(tokens[pos]!)) words.push(tokens[pos++]!);
      const end = tokens[pos++];
      if (words.length === 0) throw new Error(`nginx: empty directive before "${end}"`);
      if (end === "{") {
        out.push({ name: words[0]!, args: words.slice(1), block: block() });
        if (tokens[pos++] !== "}") throw new Error(`nginx: unclosed block ${words[0]}`);
      } else if (end === ";") out.push({ name: words[0]!, args: words.slice(1) });
      else throw new Error(`nginx: directive ${words[0]} not ended by ";"`);
    }
    return out;
  };
  const top = block();
  if (pos < tokens.length) throw new Error("nginx: unbalanced }");
  return top;
}

export const find = (ds: readonly Directive[], name: string): Directive[] => ds.filter((d) => d.name === name);
export const one = (ds: readonly Directive[], name: string): Directive => {
  const found = find(ds, name);
  if (found.length !== 1) throw new Error(`expected one ${name} directive, found ${found.length}`);
  return found[0]!;
};

/** nginx time ("600s", "5m", "60") in seconds. */
export function nginxSeconds(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new Error(`not an nginx time: ${text}`);
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"]!;
  return Number(m[1]) * scale;
}

/** nginx size ("1m", "16k", "1024") in bytes. */
export function nginxBytes(text: string): number {
  const m = /^(\d+)([kKmMgG])?$/.exec(text);
  if (!m) throw new Error(`not an nginx size: ${text}`);
  return Number(m[1]) * ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]?.toLowerCase() ?? ""] ?? 1);
}

// ---------------------------------------------------------------------------------------------------------
// llama-sim command lines

let helpCache: string | undefined;
/** `./llama-sim --help` from the compiled binary (as built by `make llama-sim`). */
export async function binaryHelp(): Promise<string> {
  if (helpCache === undefined) {
    const result = await runToExit(["--help"]);
    if (result.exitCode !== 0) throw new Error(`llama-sim --help exited ${result.exitCode}: ${result.stderr}`);
    helpCache = result.stdout;
  }
  return helpCache;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether --help lists this flag (long or short spelling) as one of its own. */
export function helpHasFlag(help: string, flag: string): boolean {
  return new RegExp(`(^|[\\s,])${escape(flag)}(?=[\\s,)]|$)`, "m").test(help);
}

/** Whether --help names this environment variable. */
export function helpHasEnv(help: string, name: string): boolean {
  return new RegExp(`\\b${escape(name)}\\b`).test(help);
}

/** The flags (words starting with -) of an argument list, without their values. */
export const flagsOf = (args: readonly string[]): string[] => args.filter((a) => /^--?[a-z]/.test(a)).map((a) => a.split("=")[0]!);

/**
 * Resolves a command line and environment as the binary would; throws on a bad value, an unknown
 * flag or a llama-server flag that llama-sim ignores (all mistakes in a deployment file).
 */
export function resolveRun(args: readonly string[], env: Record<string, string>): Config {
  const result = parseCli(args, env);
  if (result.kind !== "run") throw new Error(`${args.join(" ")} does not start the server (${result.kind})`);
  const notice = ignoredNotice(result.config);
  if (notice) throw new Error(`ignored flags: ${notice}`);
  return result.config;
}

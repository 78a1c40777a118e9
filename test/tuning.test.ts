import { describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PURGE_DELAY, startedAs, tunedRestart, tuneAllocator, type TuningHost } from "../src/tuning.ts";

const never = (() => {
  throw new Error("execve called");
}) as unknown as TuningHost["execve"];

const host = (over: Partial<TuningHost> = {}): TuningHost => ({
  env: { HOME: "/home/u", PATH: "/bin" },
  main: "/$bunfs/root/llama-sim",
  execPath: "/opt/llama-sim",
  argv: ["bun", "/$bunfs/root/llama-sim", "--port", "8080", "--alias", "a b"],
  execve: never,
  ...over,
});

describe("tunedRestart", () => {
  test("a compiled binary restarts itself with the same arguments and the purge delay off", () => {
    const r = tunedRestart(host())!;
    expect(r.file).toBe("/opt/llama-sim");
    expect(r.args).toEqual(["/opt/llama-sim", "--port", "8080", "--alias", "a b"]);
    expect(r.env).toEqual({ HOME: "/home/u", PATH: "/bin", [PURGE_DELAY]: "-1" });
  });

  test("a purge delay the user set, even an empty one, is left alone", () => {
    expect(tunedRestart(host({ env: { [PURGE_DELAY]: "10" } }))).toBeUndefined();
    expect(tunedRestart(host({ env: { [PURGE_DELAY]: "" } }))).toBeUndefined();
  });

  test("a run from source, or a runtime without execve, runs as it is", () => {
    expect(tunedRestart(host({ main: "/work/src/main.ts" }))).toBeUndefined();
    expect(tunedRestart(host({ execve: undefined }))).toBeUndefined();
  });

  test("an execve that fails leaves the process serving untuned", () => {
    const calls: string[][] = [];
    const failing = ((file: string, args: string[]) => {
      calls.push([file, ...args]);
      throw new Error("EACCES");
    }) as unknown as TuningHost["execve"];
    expect(() => tuneAllocator(host({ execve: failing }))).not.toThrow();
    expect(calls).toEqual([["/opt/llama-sim", "/opt/llama-sim", "--port", "8080", "--alias", "a b"]]);
  });
});

describe("startedAs: restarting through the name the process was started by", () => {
  test("a symlink to this binary is kept, so ps and pkill still see that name", () => {
    const dir = mkdtempSync(join(tmpdir(), "llama-sim-tuning-"));
    try {
      const binary = join(dir, "llama-sim");
      copyFileSync("/bin/true", binary);
      chmodSync(binary, 0o755);
      symlinkSync(binary, join(dir, "sim-alias"));
      expect(startedAs(join(dir, "sim-alias"), binary)).toEqual({ file: join(dir, "sim-alias"), argv0: join(dir, "sim-alias") });
      // The binary's own path, spelled with "./" too, is itself.
      const spelled = `${dir}/./llama-sim`;
      expect(startedAs(spelled, binary)).toEqual({ file: spelled, argv0: spelled });
      // ".." after a symlinked directory leads where the link points, not back up the path as written:
      // here x -> a/real, so x/../llama-sim is a/llama-sim, another program.
      mkdirSync(join(dir, "a", "real"), { recursive: true });
      copyFileSync("/bin/false", join(dir, "a", "llama-sim"));
      symlinkSync(join(dir, "a", "real"), join(dir, "x"));
      expect(startedAs(`${dir}/x/../llama-sim`, binary)).toBeUndefined();
      // Another program named as argv0 (exec -a) is never what gets run.
      expect(startedAs("/bin/sh", binary)).toBeUndefined();
      expect(startedAs("no-such-program-anywhere", binary)).toBeUndefined();
      const r = tunedRestart({ ...host({ execPath: binary }), startedAs: startedAs(join(dir, "sim-alias"), binary) })!;
      expect(r.file).toBe(join(dir, "sim-alias"));
      expect(r.args.slice(0, 2)).toEqual([join(dir, "sim-alias"), "--port"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  ConfigError,
  DEFAULTS,
  defaultCacheDir,
  parseBoolEnv,
  parseByteCount,
  parsePort,
  parseRate,
  parseSeed,
  parseUrl,
} from "../src/config.ts";

/** Runs `fn`, expecting a ConfigError; returns it for further checks. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.name).toBe("ConfigError");
    expect(e.message).not.toContain("\n");
    return e;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

describe("DEFAULTS", () => {
  test("match llama-sim's documented defaults", () => {
    expect(DEFAULTS.host).toBe("127.0.0.1");
    expect(DEFAULTS.port).toBe(8033);
    expect(DEFAULTS.successRate).toBe(0.8);
    expect(DEFAULTS.alias).toBe("llama");
    expect(DEFAULTS.dataset).toBe("aime");
    expect(DEFAULTS.maxBodyBytes).toBe(1024 * 1024);
    expect(DEFAULTS.datasetsServer).toBe("https://datasets-server.huggingface.co");
  });
});

describe("parseRate", () => {
  test.each([
    ["0", 0],
    ["1", 1],
    ["0.8", 0.8],
    [" 0.25 ", 0.25],
    ["1e-1", 0.1],
    ["1.0", 1],
  ])("accepts %p", (text, value) => {
    expect(parseRate(text, "--success-rate")).toBe(value);
  });

  test.each(["1.5", "-0.1", "abc", "", "  ", "NaN", "Infinity", "0.5x", "1.0000001", "0x1", "0b1", "0o1"])("rejects %p naming the flag", (text) => {
    const e = configError(() => parseRate(text, "--success-rate"));
    expect(e.message).toContain("--success-rate");
    expect(e.message).toContain(JSON.stringify(text));
  });

  test("property: every double in [0, 1] round-trips through its string form", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (p) => {
        expect(parseRate(String(p), "X")).toBe(p === 0 ? 0 : p); // -0 prints as "0"
      }),
    );
  });

  test("property: every finite number outside [0, 1] is rejected", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.double({ min: 1, max: 1e300, minExcluded: true, noNaN: true }), fc.double({ max: -Number.MIN_VALUE, min: -1e300, noNaN: true })),
        (p) => {
          expect(() => parseRate(String(p), "X")).toThrow(ConfigError);
        },
      ),
    );
  });
});

describe("parsePort", () => {
  test.each([
    ["0", 0],
    ["80", 80],
    ["8033", 8033],
    ["65535", 65535],
    [" 9000 ", 9000],
  ])("accepts %p", (text, value) => {
    expect(parsePort(text, "--port")).toBe(value);
  });

  test.each(["abc", "70000", "65536", "-1", "1.5", "", "80x", "0x50", "1e3"])("rejects %p naming the flag", (text) => {
    const e = configError(() => parsePort(text, "LLAMA_ARG_PORT"));
    expect(e.message).toContain("LLAMA_ARG_PORT");
  });
});

describe("parseSeed", () => {
  test.each([
    ["0", 0],
    ["42", 42],
    ["4294967295", 4294967295],
    [" 7 ", 7],
  ])("accepts %p", (text, value) => {
    expect(parseSeed(text, "--seed")).toBe(value);
  });

  test.each(["-1", "4294967296", "1.5", "abc", "", "1e3", "99999999999999999999"])("rejects %p naming the flag", (text) => {
    const e = configError(() => parseSeed(text, "--seed"));
    expect(e.message).toContain("--seed");
  });

  test("property: every uint32 round-trips", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => parseSeed(String(n), "--seed") === n));
  });
});

describe("parseByteCount", () => {
  test.each([
    ["1", 1],
    ["1048576", 1048576],
    ["1MiB", 1024 ** 2],
    ["1mib", 1024 ** 2],
    ["1M", 1024 ** 2],
    ["1MB", 1024 ** 2],
    ["64KiB", 64 * 1024],
    ["64k", 64 * 1024],
    ["2 KiB", 2048],
    ["1GiB", 1024 ** 3],
  ])("accepts %p", (text, value) => {
    expect(parseByteCount(text, "--max-body-bytes")).toBe(value);
  });

  test.each(["0", "0MiB", "-1", "abc", "", "1.5MiB", "1TiB", "MiB", "99999999999999999999"])("rejects %p naming the flag", (text) => {
    const e = configError(() => parseByteCount(text, "--max-body-bytes"));
    expect(e.message).toContain("--max-body-bytes");
  });
});

describe("parseUrl", () => {
  test("accepts http and https and drops trailing slashes", () => {
    expect(parseUrl("https://datasets-server.huggingface.co", "--datasets-server")).toBe("https://datasets-server.huggingface.co");
    expect(parseUrl("http://127.0.0.1:8000/", "--datasets-server")).toBe("http://127.0.0.1:8000");
    expect(parseUrl("http://mirror.example/api//", "--datasets-server")).toBe("http://mirror.example/api");
  });

  test.each(["ftp://x", "file:///etc/passwd", "not a url", "", "localhost:8000/x y"])("rejects %p naming the flag", (text) => {
    const e = configError(() => parseUrl(text, "--datasets-server"));
    expect(e.message).toContain("--datasets-server");
  });
});

describe("parseBoolEnv", () => {
  test.each(["1", "true", "TRUE", "on", "enabled", " yes "])("%p is true", (text) => {
    expect(parseBoolEnv(text, "X")).toBe(true);
  });
  test.each(["0", "false", "False", "off", "disabled", "no", ""])("%p is false", (text) => {
    expect(parseBoolEnv(text, "X")).toBe(false);
  });
  test.each(["maybe", "2", "y", "truthy"])("%p is an error naming the variable", (text) => {
    const e = configError(() => parseBoolEnv(text, "LLAMA_SIM_OFFLINE"));
    expect(e.message).toContain("LLAMA_SIM_OFFLINE");
  });
});

describe("defaultCacheDir", () => {
  test("uses an absolute XDG_CACHE_HOME first", () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/xdg/cache", HOME: "/home/u" })).toBe("/xdg/cache/llama-sim");
  });
  test("falls back to HOME/.cache when XDG_CACHE_HOME is unset, empty or relative", () => {
    expect(defaultCacheDir({ HOME: "/home/u" })).toBe("/home/u/.cache/llama-sim");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "", HOME: "/home/u" })).toBe("/home/u/.cache/llama-sim");
    // The XDG spec says relative paths are invalid and must be ignored.
    expect(defaultCacheDir({ XDG_CACHE_HOME: "rel/cache", HOME: "/home/u" })).toBe("/home/u/.cache/llama-sim");
  });
  test("with neither, lands in a temporary directory", () => {
    expect(defaultCacheDir({})).toBe("/tmp/llama-sim-cache");
    expect(defaultCacheDir({ TMPDIR: "/var/tmp" })).toBe("/var/tmp/llama-sim-cache");
  });
});

// make bench's CPU split: reading JSC's jitdump, and splitting perf's call chains into layers and JS functions.
import { afterAll, describe, expect, test } from "bun:test";
import { splitSamples } from "../../bench/lib/cpu-split.ts";
import { codeAt, functionOf, parseJitdump, type JitCode } from "../../bench/lib/jitdump.ts";
import { cleanup } from "../../bench/lib/procs.ts";
import { cpuSplitSection, type CpuSplitSide } from "../../bench/scenarios/cpu-split.ts";

// The scenario's module brings bench/lib/procs.ts, which makes a temp dir on import; bun test does not run its exit hook.
afterAll(cleanup);

const HEADER = 40;

/** A jitdump as the perf spec lays it out: header, then records of id, size, timestamp and body. */
function jitdump(records: { id: number; body: Uint8Array }[], cutLast = 0, header = HEADER): Uint8Array {
  const size = header + records.reduce((n, r) => n + 16 + r.body.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x4a695444, true);
  view.setUint32(4, 1, true);
  view.setUint32(8, header, true);
  let at = header;
  for (const r of records) {
    view.setUint32(at, r.id, true);
    view.setUint32(at + 4, 16 + r.body.length, true);
    bytes.set(r.body, at + 16);
    at += 16 + r.body.length;
  }
  return bytes.subarray(0, size - cutLast);
}

function codeLoad(address: number, size: number, name: string, vma = address): { id: number; body: Uint8Array } {
  const text = new TextEncoder().encode(name);
  const body = new Uint8Array(40 + text.length + 1 + 8); // fields, name, NUL, a few bytes of "code"
  const view = new DataView(body.buffer);
  view.setUint32(0, 1234, true); // pid
  view.setUint32(4, 1234, true); // tid
  view.setBigUint64(8, BigInt(vma), true);
  view.setBigUint64(16, BigInt(address), true); // code address
  view.setBigUint64(24, BigInt(size), true);
  view.setBigUint64(32, 7n, true); // code index
  body.set(text, 40);
  return { id: 0, body };
}

describe("parseJitdump", () => {
  test("reads every code load, sorted by address, skipping other records", () => {
    const codes = parseJitdump(
      jitdump([
        codeLoad(0x7f0000002000, 0x100, "JSC-FTL: answerPrompt#ByGn3G:[0x1->0x2, FTLFunctionCall, 412]"),
        { id: 2, body: new Uint8Array(24) }, // JIT_CODE_DEBUG_INFO: not a load
        codeLoad(0x7f0000001000, 0x80, "JSC-Thunk: CallTrampoline"),
      ]),
    );
    expect(codes).toEqual([
      { start: 0x7f0000001000, end: 0x7f0000001080, name: "JSC-Thunk: CallTrampoline" },
      { start: 0x7f0000002000, end: 0x7f0000002100, name: "JSC-FTL: answerPrompt#ByGn3G:[0x1->0x2, FTLFunctionCall, 412]" },
    ]);
  });

  test("a later load at the same address replaces the earlier one (JIT memory reused)", () => {
    const codes = parseJitdump(jitdump([codeLoad(0x7f0000001000, 0x80, "JSC-DFG: old#A"), codeLoad(0x7f0000001000, 0x40, "JSC-FTL: new#B")]));
    expect(codes).toEqual([{ start: 0x7f0000001000, end: 0x7f0000001040, name: "JSC-FTL: new#B" }]);
  });

  test("a later load overlapping earlier ones at another start replaces them; loads it does not touch stay", () => {
    const codes = parseJitdump(
      jitdump([
        codeLoad(0x7f0000001030, 0x10, "JSC-Thunk: stale, under the next"),
        codeLoad(0x7f0000001000, 0x100, "JSC-DFG: stale#A"),
        codeLoad(0x7f0000002000, 0x80, "JSC-FTL: kept#K"),
        codeLoad(0x7f0000001010, 0x10, "JSC-FTL: new#B"),
        codeLoad(0x7f00000010f0, 0x20, "JSC-FTL: next#C"),
      ]),
    );
    expect(codes).toEqual([
      { start: 0x7f0000001010, end: 0x7f0000001020, name: "JSC-FTL: new#B" },
      { start: 0x7f00000010f0, end: 0x7f0000001110, name: "JSC-FTL: next#C" },
      { start: 0x7f0000002000, end: 0x7f0000002080, name: "JSC-FTL: kept#K" },
    ]);
    expect(codeAt(codes, 0x7f0000001040)).toBeUndefined(); // freed with stale#A
  });

  test("a record cut short by the process's end is dropped, the rest kept", () => {
    const codes = parseJitdump(jitdump([codeLoad(0x7f0000001000, 0x80, "JSC-FTL: kept#A"), codeLoad(0x7f0000003000, 0x80, "JSC-FTL: cut#B")], 5));
    expect(codes.map((c) => c.name)).toEqual(["JSC-FTL: kept#A"]);
  });

  test("refuses a file that is not a jitdump", () => {
    expect(() => parseJitdump(new Uint8Array(64))).toThrow("not a little-endian jitdump");
    // A big-endian machine's file: the magic's bytes reversed.
    const big = jitdump([codeLoad(0x7f0000001000, 0x80, "JSC-FTL: f#A")]);
    new DataView(big.buffer).setUint32(0, 0x4a695444, false);
    expect(() => parseJitdump(big)).toThrow("not a little-endian jitdump");
  });

  test("records start where the header's size says, and the code is at the code address, not the vma", () => {
    const codes = parseJitdump(jitdump([codeLoad(0x7f0000001000, 0x80, "JSC-FTL: f#A", 0x1000)], 0, 48));
    expect(codes).toEqual([{ start: 0x7f0000001000, end: 0x7f0000001080, name: "JSC-FTL: f#A" }]);
  });

  test("a record whose size is smaller than its own header ends the file", () => {
    const bytes = jitdump([codeLoad(0x7f0000001000, 0x80, "JSC-FTL: kept#A"), { id: 2, body: new Uint8Array(8) }, codeLoad(0x7f0000003000, 0x80, "JSC-FTL: after#B")]);
    const second = HEADER + 16 + codeLoad(0, 0, "JSC-FTL: kept#A").body.length;
    new DataView(bytes.buffer).setUint32(second + 4, 8, true); // corrupt: a size of 8 would loop or misread
    expect(parseJitdump(bytes).map((c) => c.name)).toEqual(["JSC-FTL: kept#A"]);
  });
});

describe("codeAt", () => {
  const codes: JitCode[] = [
    { start: 100, end: 150, name: "a" },
    { start: 200, end: 260, name: "b" },
  ];
  test("start inclusive, end exclusive, nothing in gaps or outside", () => {
    expect(codeAt(codes, 100)?.name).toBe("a");
    expect(codeAt(codes, 149)?.name).toBe("a");
    expect(codeAt(codes, 150)).toBeUndefined();
    expect(codeAt(codes, 199)).toBeUndefined();
    expect(codeAt(codes, 259)?.name).toBe("b");
    expect(codeAt(codes, 260)).toBeUndefined();
    expect(codeAt(codes, 99)).toBeUndefined();
    expect(codeAt([], 100)).toBeUndefined();
  });
});

describe("functionOf", () => {
  test("names JS functions of every tier and regexes; stubs have none", () => {
    expect(functionOf("JSC-FTL: answerPrompt#ByGn3G:[0x7f->0x7f, FTLFunctionCall, 412]")).toBe("answerPrompt");
    expect(functionOf("JSC-DFG: #onAnswer#DHfK1d:[0x1->0x2, DFGFunctionCall, 90]")).toBe("#onAnswer");
    expect(functionOf("JSC-Baseline: readJsonBody#BxC7Mg")).toBe("readJsonBody");
    expect(functionOf("JSC-YarrJIT: /answer(?:\\s*:|[ \\t]+is)/i")).toBe("regex /answer(?:\\s*:|[ \\t]+is)/i");
    expect(functionOf("JSC-FTL: #EhOHDR:[0x1->0x2]")).toBe("(anonymous)");
    expect(functionOf("JSC-Thunk: CallTrampoline")).toBeUndefined();
    expect(functionOf("JSC-InlineCache: GetByVal Load handler")).toBeUndefined();
    expect(functionOf("JSC-FTLThunk: unspecified")).toBeUndefined();
    expect(functionOf("JSC-DFGOSRExit: unspecified")).toBeUndefined();
    expect(functionOf("not a JSC name")).toBeUndefined();
  });
});

describe("splitSamples", () => {
  const MAIN = 500;
  const JS_A = 0x7f0000001000; // "parse" in FTL
  const JS_B = 0x7f0000002000; // "handle" in DFG
  const STUB = 0x7f0000003000; // a call thunk
  const codes: JitCode[] = [
    { start: JS_A, end: JS_A + 0x100, name: "JSC-FTL: parse#AAAAAA:[0x1->0x2]" },
    { start: JS_B, end: JS_B + 0x100, name: "JSC-DFG: handle#BBBBBB" },
    { start: STUB, end: STUB + 0x100, name: "JSC-Thunk: CallTrampoline" },
  ];
  const hex = (n: number) => n.toString(16);
  const sample = (tid: number, frames: [number, string][]) =>
    `${tid} \n${frames.map(([ip, dso]) => `\t    ${hex(ip)} (${dso})`).join("\n")}\n`;
  const JIT = "/tmp/perf-500.map";
  const BIN = "/opt/llama-sim";

  test("puts each sample in one layer and charges JS-called work to the JS function, past stubs", () => {
    const script = [
      sample(MAIN, [[JS_A + 8, JIT], [JS_B + 8, JIT]]), // JS: parse's own code
      sample(MAIN, [[JS_A + 9, JIT], [JS_B + 9, JIT]]), // JS again
      sample(MAIN, [[0x1bfc3c7, BIN], [STUB + 4, JIT], [JS_B + 16, JIT]]), // native under a thunk under handle
      sample(MAIN, [[0xffffffff8160d8c9, "[kernel.kallsyms]"], [0x21729, "/usr/lib/x86_64-linux-gnu/libc.so.6"], [JS_A + 1, JIT]]), // syscall from parse
      sample(MAIN, [[0xffffffff8160d8c9, "[kernel.kallsyms]"], [0x304a9c2, BIN]]), // kernel under the runtime
      sample(MAIN, [[0x304a9c2, BIN], [0x1843101, BIN]]), // runtime, no JS
      sample(MAIN, [[STUB + 1, JIT], [0x1843101, BIN]]), // a stub with no JS caller
      sample(501, [[JS_A + 1, JIT]]), // another thread
    ].join("\n");
    const s = splitSamples(script, codes, MAIN);
    expect(s).toMatchObject({ samples: 8, js: 3, nativeFromJs: 1, kernel: 2, runtime: 1, otherThreads: 1 });
    expect(s.js + s.nativeFromJs + s.kernel + s.runtime + s.otherThreads).toBe(s.samples);
    const byName = Object.fromEntries(s.functions.map((f) => [f.name, f]));
    expect(byName.parse).toEqual({ name: "parse", js: 2, native: 0, kernel: 1 });
    expect(byName.handle).toEqual({ name: "handle", js: 0, native: 1, kernel: 0 });
    expect(byName["(JIT stubs with no JS caller)"]).toEqual({ name: "(JIT stubs with no JS caller)", js: 1, native: 0, kernel: 0 });
    expect(s.functions[0]!.name).toBe("parse"); // most samples first
  });

  test("a stub at the leaf is its JS caller's JS; kernel frames under JS are the kernel's, charged to the JS", () => {
    const script = [
      sample(MAIN, [[STUB + 2, JIT], [JS_B + 8, JIT], [0x1843101, BIN]]), // inline cache run for handle
      sample(MAIN, [[0xffffffff8160d8c9, "[kernel.kallsyms]"], [STUB + 2, JIT], [JS_A + 8, JIT]]), // fault in a stub for parse
    ].join("\n");
    const s = splitSamples(script, codes, MAIN);
    expect(s).toMatchObject({ samples: 2, js: 1, kernel: 1, nativeFromJs: 0, runtime: 0 });
    expect(s.functions).toEqual([
      { name: "handle", js: 1, native: 0, kernel: 0 },
      { name: "parse", js: 0, native: 0, kernel: 1 },
    ]);
  });

  test("a kernel module's sample is the kernel's, by its address", () => {
    const s = splitSamples(sample(MAIN, [[0xffffffffc0a1b2c3, "[nf_conntrack]"], [0xffffffff8160d8c9, "[kernel.kallsyms]"], [0x304a9c2, BIN]]), codes, MAIN);
    expect(s).toMatchObject({ samples: 1, kernel: 1, runtime: 0 });
  });

  test("a caller's return address is looked up one byte back; the user address under the kernel is not", () => {
    const script = [
      // handle's last instruction calls native code: the return address is handle's end.
      sample(MAIN, [[0x1bfc3c7, BIN], [JS_B + 0x100, JIT], [JS_A + 8, JIT]]),
      // A page fault on parse's first instruction: that address itself is parse's.
      sample(MAIN, [[0xffffffff8160d8c9, "[kernel.kallsyms]"], [JS_A, JIT], [0x1843101, BIN]]),
    ].join("\n");
    const byName = Object.fromEntries(splitSamples(script, codes, MAIN).functions.map((f) => [f.name, f]));
    expect(byName.handle).toEqual({ name: "handle", js: 0, native: 1, kernel: 0 });
    expect(byName.parse).toEqual({ name: "parse", js: 0, native: 0, kernel: 1 });
  });

  test("a sample with no call chain counts as the runtime's; text that is not a sample is counted as unreadable", () => {
    const s = splitSamples(`${MAIN} \n\nnot a sample\n\n`, codes, MAIN);
    expect(s).toMatchObject({ samples: 1, runtime: 1, js: 0, kernel: 0, nativeFromJs: 0, otherThreads: 0, unreadable: 1 });
  });

  test("a call-chain line in another format is counted as unreadable (the sample still counts)", () => {
    const s = splitSamples(sample(MAIN, [[JS_A + 8, JIT]]) + "\t    7f0000001009 parse+0x9 (/tmp/perf-500.map)\n", codes, MAIN);
    expect(s).toMatchObject({ samples: 1, js: 1, unreadable: 1 });
  });

  test("functions that share a name stay apart, told apart by JSC's hash", () => {
    const RUN_B = 0x7f0000004000;
    const withTwoRuns: JitCode[] = [
      ...codes,
      { start: 0x7f0000005000, end: 0x7f0000005100, name: "JSC-FTL: run#AhGweK:[0x1->0x2, FTLFunctionCall, 10]" },
      { start: RUN_B, end: RUN_B + 0x100, name: "JSC-DFG: run#ECUF8F:[0x3->0x4, DFGFunctionCall, 12]" },
      { start: 0x7f0000006000, end: 0x7f0000006100, name: "JSC-DFG: run#AhGweK:[0x5->0x6, DFGFunctionCall, 10]" },
    ].sort((a, b) => a.start - b.start); // as parseJitdump returns them
    const script = [
      sample(MAIN, [[0x7f0000005008, JIT]]),
      sample(MAIN, [[0x7f0000006008, JIT]]), // the same function at another tier
      sample(MAIN, [[RUN_B + 8, JIT]]),
      sample(MAIN, [[JS_A + 8, JIT]]),
    ].join("\n");
    const names = splitSamples(script, withTwoRuns, MAIN).functions.map((f) => [f.name, f.js]);
    expect(names).toEqual([["run (#AhGweK)", 2], ["run (#ECUF8F)", 1], ["parse", 1]]);
  });
});

describe("cpuSplitSection", () => {
  const side = (label: string, cpuUsPerRequest: number, functions: CpuSplitSide["split"]["functions"]): CpuSplitSide => ({
    label,
    requests: 1000,
    cpuUsPerRequest,
    split: { samples: 100, kernel: 40, runtime: 30, js: 20, nativeFromJs: 5, otherThreads: 5, unreadable: 0, functions },
  });
  const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());

  test("layers are shares of the measured CPU and add up to it; a regex's | does not split its row", () => {
    const r = { dataset: "GSM8K", floor: side("baseline", 30, []), sim: side("llama-sim", 20, [{ name: "regex /a|b/", js: 10, native: 0, kernel: 0 }]) };
    const lines = cpuSplitSection(r);
    const layerRows = lines.filter((l) => /^\| (kernel|Bun's runtime|native code|JS \(|other threads)/.test(l)).map(cells);
    expect(layerRows.map((c) => Number(c[2]))).toEqual([8, 6, 1, 4, 1]); // kernel 40%, runtime 30%, native 5%, JS 20%, others 5% of 20 µs
    expect(layerRows.reduce((n, c) => n + Number(c[1]), 0)).toBeCloseTo(30, 9);
    expect(cells(lines.find((l) => l.startsWith("| total"))!)).toEqual(["total", "30.00", "20.00", "-10.00"]);
    const fn = cells(lines.find((l) => l.includes("`regex"))!);
    expect(fn).toHaveLength(5);
    expect(fn.slice(1)).toEqual(["2.00", "0.00", "0.00", "2.00"]);
  });

  test("a skipped split says why", () => {
    expect(cpuSplitSection({ skipped: "perf not found" })).toContain("Skipped: perf not found.");
  });
});

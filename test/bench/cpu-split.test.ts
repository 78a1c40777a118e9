// make bench's CPU split: reading JSC's jitdump, and splitting perf's call chains into layers and JS functions.
import { describe, expect, test } from "bun:test";
import { splitSamples } from "../../bench/lib/cpu-split.ts";
import { codeAt, functionOf, parseJitdump, type JitCode } from "../../bench/lib/jitdump.ts";

const HEADER = 40;

/** A jitdump as the perf spec lays it out: header, then records of id, size, timestamp and body. */
function jitdump(records: { id: number; body: Uint8Array }[], cutLast = 0): Uint8Array {
  const size = HEADER + records.reduce((n, r) => n + 16 + r.body.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x4a695444, true);
  view.setUint32(4, 1, true);
  view.setUint32(8, HEADER, true);
  let at = HEADER;
  for (const r of records) {
    view.setUint32(at, r.id, true);
    view.setUint32(at + 4, 16 + r.body.length, true);
    bytes.set(r.body, at + 16);
    at += 16 + r.body.length;
  }
  return bytes.subarray(0, size - cutLast);
}

function codeLoad(address: number, size: number, name: string): { id: number; body: Uint8Array } {
  const text = new TextEncoder().encode(name);
  const body = new Uint8Array(40 + text.length + 1 + 8); // fields, name, NUL, a few bytes of "code"
  const view = new DataView(body.buffer);
  view.setUint32(0, 1234, true); // pid
  view.setUint32(4, 1234, true); // tid
  view.setBigUint64(8, BigInt(address), true); // vma
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

  test("a record cut short by the process's end is dropped, the rest kept", () => {
    const codes = parseJitdump(jitdump([codeLoad(0x7f0000001000, 0x80, "JSC-FTL: kept#A"), codeLoad(0x7f0000003000, 0x80, "JSC-FTL: cut#B")], 5));
    expect(codes.map((c) => c.name)).toEqual(["JSC-FTL: kept#A"]);
  });

  test("refuses a file that is not a jitdump", () => {
    expect(() => parseJitdump(new Uint8Array(64))).toThrow("not a little-endian jitdump");
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

  test("a sample with no call chain counts as the runtime's; text that is not a sample is ignored", () => {
    const s = splitSamples(`${MAIN} \n\nnot a sample\n\n`, codes, MAIN);
    expect(s).toMatchObject({ samples: 1, runtime: 1, js: 0, kernel: 0, nativeFromJs: 0, otherThreads: 0 });
  });
});

// JavaScriptCore's jitdump (BUN_JSC_useJITDump=1): the address range and name of every piece of code
// the JIT emits, so that a `perf` sample inside JIT code can be named. Format: the Linux perf jitdump
// spec (tools/perf/Documentation/jitdump-specification.txt); only JIT_CODE_LOAD records are read,
// JSC writes no moves.

export interface JitCode {
  readonly start: number;
  readonly end: number;
  /** As JSC names it, e.g. "JSC-FTL: answerPrompt#ByGn3G:[0x…->0x…, FTLFunctionCall, 412]". */
  readonly name: string;
}

const MAGIC = 0x4a695444; // "JiTD", as written on a little-endian machine
const CODE_LOAD = 0;

/**
 * The code loads of a jitdump file, sorted by address. A load replaces every earlier one it overlaps: JSC
 * frees code (jettisoned, recompiled) and reuses its memory, at the same start or not, and logs no unloads.
 */
export function parseJitdump(bytes: Uint8Array): JitCode[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 40 || view.getUint32(0, true) !== MAGIC) throw new Error("not a little-endian jitdump file");
  const live: JitCode[] = []; // sorted, disjoint: ends ascend as starts do
  const decoder = new TextDecoder();
  // Records: id u32, total size u32, timestamp u64; a load then has pid u32, tid u32, vma u64,
  // code address u64, code size u64, code index u64, the name (NUL-terminated) and the code.
  for (let at = view.getUint32(8, true); at + 16 <= bytes.length; ) {
    const id = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    if (size < 16 || at + size > bytes.length) break; // a record cut short by the process's end
    if (id === CODE_LOAD && size > 56) {
      const start = Number(view.getBigUint64(at + 32, true));
      const length = Number(view.getBigUint64(at + 40, true));
      let nul = at + 56;
      while (nul < at + size && bytes[nul] !== 0) nul++;
      const code = { start, end: start + length, name: decoder.decode(bytes.subarray(at + 56, nul)) };
      let lo = 0; // the first live code ending after this one starts
      for (let hi = live.length; lo < hi; ) {
        const mid = (lo + hi) >> 1;
        if (live[mid]!.end <= start) lo = mid + 1;
        else hi = mid;
      }
      let past = lo;
      while (past < live.length && live[past]!.start < code.end) past++;
      live.splice(lo, past - lo, code);
    }
    at += size;
  }
  return live;
}

/** The code containing `address` (the last one starting at or before it), or undefined. */
export function codeAt(codes: readonly JitCode[], address: number): JitCode | undefined {
  let lo = 0;
  let hi = codes.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (codes[mid]!.start <= address) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const code = codes[best];
  return code && address < code.end ? code : undefined;
}

/**
 * The JS function a piece of JIT code belongs to, or undefined for JSC's stubs (thunks, inline caches, OSR
 * exits), which run on behalf of their caller. `name` is what a reader knows it by ("answerPrompt",
 * "regex /…/"); `id` tells functions of the same name apart: the name with JSC's hash of its code
 * ("run#AhGweK", the same at every tier), or a regex's text.
 */
export function jsFunction(code: string): { readonly id: string; readonly name: string } | undefined {
  const m = /^JSC-(\w+): (.*)$/s.exec(code);
  if (!m) return undefined;
  const [, tier, rest] = m;
  if (tier === "YarrJIT") return { id: `regex ${rest}`, name: `regex ${rest}` };
  if (tier !== "FTL" && tier !== "DFG" && tier !== "Baseline" && tier !== "LLInt") return undefined;
  const fn = rest!.replace(/#[A-Za-z0-9]+:?(\[.*)?$/s, "").trim();
  return { id: rest!.replace(/:\[.*$/s, ""), name: fn === "" ? "(anonymous)" : fn };
}

/** {@link jsFunction}'s name. */
export const functionOf = (code: string): string | undefined => jsFunction(code)?.name;

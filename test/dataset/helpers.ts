import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HubOptions } from "../../src/dataset/types.ts";

/** Tiny delays so retry tests take milliseconds. */
export const FAST_RETRY = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 } as const;

export interface Recorder {
  readonly lines: string[];
  readonly log: (line: string) => void;
}

export function recorder(): Recorder {
  const lines: string[] = [];
  return { lines, log: (line) => void lines.push(line) };
}

export function hubOptions(datasetsServer: string, cacheDir: string, extra: Partial<HubOptions> = {}): HubOptions & Recorder {
  const rec = recorder();
  return { datasetsServer, cacheDir, offline: false, progress: false, retry: FAST_RETRY, ...rec, ...extra };
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = "llama-sim-dataset-"): { readonly path: string; readonly cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

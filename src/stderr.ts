import { writeSync } from "node:fs";

/** Writes all of `text` to stderr synchronously, waiting out a full pipe rather than dropping lines. */
export function writeStderr(text: string): void {
  let bytes = Buffer.from(text);
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(2, bytes));
    } catch (error) {
      if ((error as { code?: string }).code !== "EAGAIN") return; // stderr closed: nothing to do
      Bun.sleepSync(1);
    }
  }
}

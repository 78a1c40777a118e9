/**
 * `new Date().toISOString()` for ledger records, built at most once per millisecond: at thousands
 * of replies a second most of them share a millisecond, and the string is the same one.
 */
let lastMs = -1;
let lastIso = "";

export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

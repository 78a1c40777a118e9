// Gold answers arrive in several shapes (AIME "033", GSM8K worked solutions, MATH LaTeX, JSON ints);
// graders compare against one canonical string, so normalise once at load time.

const SIGNED_INTEGER = /^[+-]?\d+$/;
const DECIMAL_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;
// `^\circ`, `^{\circ}` and `°`, possibly with spaces, at the end of the answer.
const DEGREE_SUFFIX = /\s*(?:\^\s*\\circ|\^\s*\{\s*\\circ\s*\}|°)\s*$/;

/** True when `a` (trimmed) is an optionally signed run of decimal digits, e.g. "33", "-7", "033". */
export function isIntegerAnswer(a: string): boolean {
  return SIGNED_INTEGER.test(a.trim());
}

/** The canonical gold answer for a raw dataset cell. */
export function canonicalAnswer(raw: unknown): string {
  if (raw === null || raw === undefined) return "";
  if (typeof raw === "number" || typeof raw === "bigint") return canonicalText(String(raw));
  if (typeof raw === "string") return canonicalText(raw);
  if (typeof raw === "boolean") return String(raw);
  return JSON.stringify(raw);
}

function canonicalText(raw: string): string {
  let text = raw.trim();
  const hashes = text.lastIndexOf("####");
  if (hashes !== -1) {
    // GSM8K: the final answer follows the last "####", sometimes with thousands separators, which stay:
    // clients take the gold as written there ("43,500"), and a reply states it the same way.
    text = text.slice(hashes + 4).trim();
  }
  const withoutDegrees = text.replace(DEGREE_SUFFIX, "");
  if (withoutDegrees !== text && DECIMAL_NUMBER.test(withoutDegrees)) text = withoutDegrees;
  return SIGNED_INTEGER.test(text) ? canonicalInteger(text) : text;
}

/** "033" -> "33", "-007" -> "-7", "+5" -> "5", "-0" -> "0"; keeps arbitrarily long integers exact. */
function canonicalInteger(text: string): string {
  const negative = text.startsWith("-");
  const digits = text.replace(/^[+-]/, "").replace(/^0+(?=\d)/, "");
  return negative && digits !== "0" ? `-${digits}` : digits;
}

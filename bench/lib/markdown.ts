// Markdown for bench/RESULTS.md.

/** A table's lines, then a blank line. */
export function markdownTable(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`), ""];
}

/** A difference with its sign, "+1.20" or "-0.50". */
export const signed = (x: number, digits = 2) => `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;

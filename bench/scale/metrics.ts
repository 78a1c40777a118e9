// Reads llama-sim's Prometheus counters the way `sum by (verdict) (llamasim_replies_total)` would.

/** Sample lines of one metric: labels (as a string map) and value. */
export function samples(text: string, metric: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(metric)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of a counter over every series, or over those whose `label` equals `value`. */
export function sumOf(text: string, metric: string, where?: { label: string; value: string }): number {
  return samples(text, metric)
    .filter((s) => where === undefined || s.labels[where.label] === where.value)
    .reduce((sum, s) => sum + s.value, 0);
}

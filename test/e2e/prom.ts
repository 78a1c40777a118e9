// A strict Prometheus text-format (0.0.4) parser for the e2e tests, copied from test/server/metrics.test.ts
// (where it is itself tested against malformed input) so that /metrics of the compiled binary is checked by
// the same oracle.
// ---------------------------------------------------------------------------------------------
// A strict parser for the Prometheus text exposition format 0.0.4: every line is HELP, TYPE or a
// sample (no blank lines, no other comments); names follow [a-zA-Z_:][a-zA-Z0-9_:]*, label names
// [a-zA-Z_][a-zA-Z0-9_]*; label values allow only the \\ \" \n escapes; HELP allows \\ and \n;
// each family has one HELP and one TYPE before its samples, and its samples are contiguous;
// histograms have increasing `le`, non-decreasing cumulative counts, +Inf equal to _count, and _sum.
// ---------------------------------------------------------------------------------------------

export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help?: string;
  type?: MetricType;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

function parseFloatStrict(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: bad value ${JSON.stringify(text)}`);
  if (text === "NaN") return NaN;
  if (text.endsWith("Inf")) return text.startsWith("-") ? -Infinity : Infinity;
  return Number(text);
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new Error(`${where}: bad escape in HELP`);
  });
}

/** Parses `{a="x",b="y"}` starting at text[0] === "{"; returns the labels and the rest. */
function parseLabels(text: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === "}") return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf("=", i);
    if (eq === -1) throw new Error(`${where}: label without '='`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: repeated label ${name}`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let value = "";
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === "\n") throw new Error(`${where}: raw newline in label value`);
      if (c === '"') break;
      if (c === "\\") {
        const e = text[j + 1];
        if (e === "\\") value += "\\";
        else if (e === '"') value += '"';
        else if (e === "n") value += "\n";
        else throw new Error(`${where}: bad escape \\${e} in label value`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`${where}: expected ',' or '}' after a label`);
  }
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (sampleName.endsWith(suffix)) {
      const base = families.get(sampleName.slice(0, -suffix.length));
      if (base?.type === "histogram" || base?.type === "summary") return base;
    }
  }
  return families.get(sampleName);
}

export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("output must end with a newline");
  const families = new Map<string, Family>();
  const finished = new Set<string>();
  let current: Family | undefined;
  const seen = new Set<string>();
  text.slice(0, -1).split("\n").forEach((line, index) => {
    const where = `line ${index + 1}`;
    const enter = (family: Family) => {
      if (current !== family) {
        if (current) finished.add(current.name);
        if (finished.has(family.name)) throw new Error(`${where}: family ${family.name} is not contiguous`);
        current = family;
      }
    };
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, "HELP" | "TYPE", string, string | undefined];
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${JSON.stringify(name)}`);
      let family = families.get(name);
      if (!family) families.set(name, (family = { name, samples: [] }));
      enter(family);
      if (family.samples.length > 0) throw new Error(`${where}: ${kind} after samples of ${name}`);
      if (kind === "HELP") {
        if (family.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        family.help = unescapeHelp(rest ?? "", where);
      } else {
        if (family.type !== undefined) throw new Error(`${where}: second TYPE for ${name}`);
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest ?? "")) throw new Error(`${where}: bad type ${rest}`);
        family.type = rest as MetricType;
      }
      return;
    }
    if (line.startsWith("#") || line.trim() === "") throw new Error(`${where}: unexpected line ${JSON.stringify(line)}`);
    const nameMatch = /^[^{\s]+/.exec(line);
    const name = nameMatch?.[0] ?? "";
    if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${JSON.stringify(name)}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) ({ labels, rest } = parseLabels(rest, where));
    const parts = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (!parts) throw new Error(`${where}: expected ' VALUE [TIMESTAMP]' after the name, got ${JSON.stringify(rest)}`);
    const value = parseFloatStrict(parts[1]!, where);
    const family = familyOf(name, families);
    if (!family || !family.type || family.help === undefined) throw new Error(`${where}: sample ${name} without HELP and TYPE`);
    enter(family);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    seen.add(key);
    if (family.type === "counter" && !(value >= 0)) throw new Error(`${where}: counter ${name} is negative or NaN`);
    if (family.type !== "histogram" && name !== family.name) throw new Error(`${where}: ${name} in family ${family.name}`);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) {
    if (family.type === undefined || family.help === undefined) throw new Error(`${family.name}: missing HELP or TYPE`);
    if (family.type === "histogram") checkHistogram(family);
  }
  return families;
}

function checkHistogram(family: Family): void {
  const buckets = family.samples.filter((s) => s.name === `${family.name}_bucket`);
  const sum = family.samples.filter((s) => s.name === `${family.name}_sum`);
  const count = family.samples.filter((s) => s.name === `${family.name}_count`);
  if (sum.length !== 1 || count.length !== 1) throw new Error(`${family.name}: needs one _sum and one _count`);
  if (buckets.length === 0) throw new Error(`${family.name}: no buckets`);
  let lastLe = -Infinity;
  let lastCount = 0;
  for (const b of buckets) {
    const le = b.labels.le;
    if (le === undefined) throw new Error(`${family.name}: bucket without le`);
    const bound = parseFloatStrict(le, family.name);
    if (!(bound > lastLe)) throw new Error(`${family.name}: le not increasing at ${le}`);
    if (b.value < lastCount) throw new Error(`${family.name}: bucket counts decrease at le=${le}`);
    lastLe = bound;
    lastCount = b.value;
  }
  if (lastLe !== Infinity) throw new Error(`${family.name}: last bucket is not +Inf`);
  if (lastCount !== count[0]!.value) throw new Error(`${family.name}: +Inf bucket ${lastCount} != _count ${count[0]!.value}`);
}

export const value = (families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined =>
  [...families.values()]
    .flatMap((f) => f.samples)
    .find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()))?.value;


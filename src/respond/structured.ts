/**
 * Structured output: the reply as a JSON document valid against the schema the client asked for
 * (response_format json_object / json_schema, llama-server's own `json_schema` field, a tool's
 * parameters), with the answer in the field that plainly holds it, as a grammar-constrained model
 * would write it. Every choice is deterministic or keyed by (seed, keys), so replies replay.
 */
import { below } from "../decide/random.ts";
import {
  asSchema,
  deref,
  isMultipleOf,
  isSchemaObject,
  itemSchemaAt,
  jsonEqual,
  mergeSchemas,
  numericBounds,
  patternRegExp,
  propertySchema,
  validateWithin,
  type Budget,
  type JsonSchema,
  type JsonType,
  type JsonValue,
  type SchemaObject,
} from "./schema.ts";
import { sampleFor } from "./regex-sample.ts";

export { validateAgainstSchema, type JsonSchema, type JsonValue } from "./schema.ts";

/**
 * What the request asks the reply to be. `json_object` without a schema means "any JSON", and
 * gets `{"reasoning": …, "answer": …}`; with one (llama-server reads `response_format.schema`)
 * it is a schema like `json_schema`'s. `name` and `strict` are read but, as in llama-server, change nothing.
 */
export interface ResponseFormat {
  readonly type: "json_object" | "json_schema";
  readonly schema: JsonSchema | undefined;
  readonly name?: string | undefined;
  readonly strict?: boolean | undefined;
}

/** Field names that plainly hold the final answer (compared lower-case, without `_`/`-`/spaces). */
const ANSWER_FIELDS = new Set(["answer", "finalanswer", "result", "solution", "value", "choice", "letter", "finalresult", "answerletter", "correctanswer"]);
/** Field names that hold the working. */
const REASONING_FIELDS = new Set(["reasoning", "explanation", "steps", "thoughts", "thought", "thinking", "rationale", "reason", "justification", "chainofthought", "work"]);

const fieldKey = (name: string) => name.toLowerCase().replace(/[\s_-]/g, "");
export const isAnswerField = (name: string) => ANSWER_FIELDS.has(fieldKey(name));
export const isReasoningField = (name: string) => REASONING_FIELDS.has(fieldKey(name));

/** What a position in the document should carry. */
type Hint = { readonly kind: "answer" } | { readonly kind: "reasoning"; readonly text: string } | { readonly kind: "plain"; readonly name: string };

interface Context {
  readonly root: JsonSchema;
  readonly answer: string | undefined;
  readonly reasoning: string;
  readonly seed: number;
  readonly keys: readonly number[];
  /** Positions generated so far: a client's schema must not make one reply take unbounded work. */
  steps: number;
  /** Validation work, shared by every check of one reply. */
  readonly budget: Budget;
  /**
   * Characters strings may still take: minLength and minItems are the client's to set, and a reply
   * never outgrows the slot's context anyway (it is cut there, finish_reason "length").
   */
  chars: number;
}

/** What one reply's strings may take in all: a few times the largest context's text (131,072 tokens of ~4 characters). */
const MAX_CHARS = 1 << 21;

/** Whether `value` satisfies `schema`, charged to the reply's budget. */
const satisfies = (value: unknown, schema: JsonSchema, ctx: Context) => validateWithin(value, schema, ctx.root, ctx.budget).length === 0;

/** Past this depth unions prefer their null branch and arrays their minimum, so recursive schemas end. */
const SOFT_DEPTH = 10;
const HARD_DEPTH = 40;
/** Past this many positions (unions backtrack), or this much checking, everything left is null. */
const MAX_STEPS = 20_000;
const MAX_VISITS = 1_000_000;
/** Keeps these draws apart from other draws on the same keys. */
const SALT = 0x15c4e3a;

/** The reply as one JSON document (compact, as llama-server's grammar-constrained output usually is). */
export function jsonReply(format: ResponseFormat, answer: string | undefined, reasoning: string, seed: number, keys: readonly number[]): string {
  return JSON.stringify(jsonValue(format.schema, answer, reasoning, seed, keys));
}

/**
 * The value itself. No schema, `{}` or `true`: `{"reasoning", "answer"}`, the answer a number when
 * it is a plain number. Otherwise an instance of the schema (see `instanceOf`).
 */
export function jsonValue(schema: JsonSchema | undefined, answer: string | undefined, reasoning: string, seed: number, keys: readonly number[]): JsonValue {
  if (schema === undefined || schema === true || (isSchemaObject(schema) && Object.keys(schema).every((k) => k === "$schema" || k === "title" || k === "description"))) {
    return { reasoning, answer: answer === undefined ? null : naturalAnswer(answer) };
  }
  return instanceOf(schema, answer, reasoning, seed, keys);
}

/**
 * An instance of `schema`: required properties always, optional ones only when they hold the
 * answer or the reasoning; the answer in answer-named fields (answer, final_answer, result,
 * solution, value, choice, letter; or, at the root, the only non-reasoning field; or the root
 * itself when it is a scalar), coerced to the field's type; the reasoning in reasoning-named
 * fields (a string, or one step per item for an array). Unions take their first branch that
 * yields a valid value. For a satisfiable schema of the subset schema.ts validates, the result
 * is valid; for an unsatisfiable one it is the nearest attempt.
 */
export function instanceOf(schema: JsonSchema, answer: string | undefined, reasoning: string, seed: number, keys: readonly number[]): JsonValue {
  const ctx: Context = { root: schema, answer, reasoning, seed, keys, steps: 0, budget: { visits: 0, max: MAX_VISITS }, chars: MAX_CHARS };
  return generate(schema, { kind: "answer" }, ctx, "$", 0, 0, true);
}

function generate(schema: JsonSchema, hint: Hint, ctx: Context, path: string, depth: number, variant: number, atRoot = false): JsonValue {
  if (depth > HARD_DEPTH || schema === false || ++ctx.steps > MAX_STEPS || ctx.budget.visits > ctx.budget.max) return null;
  const target = deref(schema, ctx.root);
  if (target === false) return null;
  if (!isSchemaObject(target)) return unconstrained(hint, ctx, variant);
  const s = flattenAllOf(target, ctx.root);
  if (Object.hasOwn(s, "const")) return s.const as JsonValue;
  if (Array.isArray(s.enum)) return pickEnum(s, hint, ctx, variant);
  const union = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (union !== undefined && union.length > 0) return generateUnion(s, union, hint, ctx, path, depth, variant, atRoot);
  const valid = (v: JsonValue) => satisfies(v, s, ctx);
  if (wantsNull(hint, ctx, depth) && valid(null)) return null;
  switch (chooseType(s, hint, ctx, depth)) {
    case "null":
      return null;
    case "boolean":
      return generateBoolean(hint, ctx, path);
    case "integer":
      return generateNumber(s, hint, ctx, variant, true);
    case "number":
      return generateNumber(s, hint, ctx, variant, false);
    case "string":
      return generateString(s, hint, ctx, variant);
    case "array":
      return generateArray(s, hint, ctx, path, depth);
    case "object":
      return generateObject(s, hint, ctx, path, depth, atRoot);
    default:
      return null; // a type no JSON value has: refused when the request is read (schemaError), never reached
  }
}

/** allOf folded into one schema (properties and required unioned, other keywords overlaid). */
function flattenAllOf(s: SchemaObject, root: JsonSchema, depth = 0): SchemaObject {
  if (!Array.isArray(s.allOf) || depth > HARD_DEPTH) return s;
  const { allOf, ...rest } = s;
  let merged: SchemaObject = rest;
  for (const part of allOf as unknown[]) {
    const sub = deref(asSchema(part), root);
    if (isSchemaObject(sub)) merged = mergeSchemas(merged, flattenAllOf(sub, root, depth + 1));
  }
  return merged;
}

function generateUnion(s: SchemaObject, union: unknown[], hint: Hint, ctx: Context, path: string, depth: number, variant: number, atRoot: boolean): JsonValue {
  const { anyOf, oneOf, ...parent } = s;
  const valid = (v: JsonValue) => satisfies(v, s, ctx);
  if (wantsNull(hint, ctx, depth) && valid(null)) return null;
  // The first branch whose value is valid, preferring one that keeps the answer as it is
  // (anyOf [integer ≤ 10, string] takes "33" as a string rather than clamping it to 10).
  let firstValid: JsonValue | undefined;
  let first: JsonValue | undefined;
  for (const branch of union) {
    const sub = deref(asSchema(branch), ctx.root);
    const merged = sub === true ? parent : isSchemaObject(sub) ? mergeSchemas(parent, sub) : false;
    const candidate = generate(merged, hint, ctx, path, depth + 1, variant, atRoot);
    first ??= candidate;
    if (!valid(candidate)) continue;
    if (hint.kind !== "answer" || keepsAnswer(candidate, ctx.answer)) return candidate;
    firstValid ??= candidate;
  }
  return firstValid ?? first ?? null;
}

/** A value that states the answer unchanged (objects and arrays hold it somewhere inside). */
function keepsAnswer(value: JsonValue, answer: string | undefined): boolean {
  if (answer === undefined) return value === null;
  if (typeof value === "string") return value === answer;
  if (typeof value === "number") return value === answerNumber(answer);
  return typeof value === "object" && value !== null;
}

/** A null where the answer is missing (a reply that gives up), or deep in a recursive schema. */
function wantsNull(hint: Hint, ctx: Context, depth: number): boolean {
  return (hint.kind === "answer" && ctx.answer === undefined) || depth > SOFT_DEPTH;
}

function declaredTypes(s: SchemaObject): JsonType[] {
  if (typeof s.type === "string") return [s.type as JsonType];
  if (Array.isArray(s.type)) return s.type.filter((t): t is JsonType => typeof t === "string");
  // No type: read it off the keywords present.
  if (s.properties !== undefined || s.required !== undefined || s.additionalProperties !== undefined || s.patternProperties !== undefined) return ["object"];
  if (s.items !== undefined || s.prefixItems !== undefined || s.minItems !== undefined || s.maxItems !== undefined) return ["array"];
  if (s.minLength !== undefined || s.maxLength !== undefined || s.pattern !== undefined || s.format !== undefined) return ["string"];
  if (s.minimum !== undefined || s.maximum !== undefined || s.multipleOf !== undefined || s.exclusiveMinimum !== undefined || s.exclusiveMaximum !== undefined) return ["number"];
  return [];
}

/** Of the types the schema allows, the one that suits what the position carries. */
function chooseType(s: SchemaObject, hint: Hint, ctx: Context, depth: number): JsonType {
  const types = declaredTypes(s);
  const preference: JsonType[] =
    hint.kind === "answer"
      ? answerNumber(ctx.answer) !== undefined && isPlainNumber(ctx.answer ?? "")
        ? [Number.isInteger(answerNumber(ctx.answer)) ? "integer" : "number", "number", "integer", "string", "boolean", "array", "object", "null"]
        : ["string", "number", "integer", "boolean", "array", "object", "null"]
      : hint.kind === "reasoning"
        ? ["string", "array", "object", "number", "integer", "boolean", "null"]
        : ["string", "object", "array", "integer", "number", "boolean", "null"];
  if (types.length === 0) return hint.kind === "answer" && isPlainNumber(ctx.answer ?? "") ? "number" : "string";
  if (depth > SOFT_DEPTH && types.includes("null")) return "null";
  return preference.find((t) => types.includes(t)) ?? types[0]!;
}

/** A position with no constraint at all. */
function unconstrained(hint: Hint, ctx: Context, variant: number): JsonValue {
  switch (hint.kind) {
    case "answer":
      return ctx.answer === undefined ? null : naturalAnswer(ctx.answer);
    case "reasoning":
      return hint.text;
    case "plain":
      return filler(hint.name, variant);
  }
}

function pickEnum(s: SchemaObject, hint: Hint, ctx: Context, variant: number): JsonValue {
  const options = (s.enum as unknown[]).filter((e) => satisfies(e, { ...s, enum: undefined }, ctx)) as JsonValue[];
  if (options.length === 0) return (s.enum as JsonValue[])[0] ?? null;
  if (hint.kind === "answer" && ctx.answer !== undefined) {
    const match = options.find((e) => sameAnswer(e, ctx.answer!));
    if (match !== undefined) return match;
  }
  return options[variant % options.length]!;
}

/** "C" matches "c", "(C)" and "C."; 12 matches "12" and "12.0". */
function sameAnswer(option: JsonValue, answer: string): boolean {
  if (typeof option === "number") return answerNumber(answer) === option;
  if (typeof option !== "string") return false;
  const norm = (x: string) => x.trim().replace(/^\(?\s*|\s*[).:]?\s*$/g, "").toLowerCase();
  return norm(option) === norm(answer);
}

function generateBoolean(hint: Hint, ctx: Context, path: string): boolean {
  if (hint.kind === "answer" && ctx.answer !== undefined) {
    if (/^\s*(true|yes)\s*$/i.test(ctx.answer)) return true;
    if (/^\s*(false|no)\s*$/i.test(ctx.answer)) return false;
  }
  return below(2, ctx.seed, [...ctx.keys, SALT, hashString(path)]) === 1;
}

function generateNumber(s: SchemaObject, hint: Hint, ctx: Context, variant: number, integer: boolean): number {
  const fromAnswer = hint.kind === "answer" ? answerNumber(ctx.answer) : undefined;
  let v = fromAnswer ?? variant;
  const { lo, loExclusive, hi, hiExclusive } = numericBounds(s);
  const step = typeof s.multipleOf === "number" && s.multipleOf > 0 ? s.multipleOf : undefined;
  if (integer) v = Math.round(v);
  // Smallest and largest allowed values, approximately for exclusive real bounds.
  let min = lo;
  let max = hi;
  if (integer) {
    min = loExclusive ? Math.floor(lo) + 1 : Math.ceil(lo);
    max = hiExclusive ? Math.ceil(hi) - 1 : Math.floor(hi);
  } else {
    if (loExclusive) min = Number.isFinite(hi) ? lo + (hi - lo) / 2 : lo + 1;
    if (hiExclusive) max = Number.isFinite(lo) ? hi - (hi - lo) / 2 : hi - 1;
  }
  if (fromAnswer === undefined && Number.isFinite(min) && v < min) v = min;
  v = Math.min(Math.max(v, min), max);
  if (step !== undefined) v = snapToMultiple(v, step, min, max, integer);
  return Number.isFinite(v) ? v : 0;
}

function snapToMultiple(v: number, step: number, min: number, max: number, integer: boolean): number {
  const tidy = (x: number) => Number(x.toPrecision(12));
  const ok = (x: number) => x >= min && x <= max && (!integer || Number.isInteger(x)) && isMultipleOf(x, step);
  for (const candidate of [Math.round(v / step), Math.ceil(v / step), Math.floor(v / step), Math.ceil(min / step), Math.floor(max / step)]) {
    const x = tidy(candidate * step);
    if (ok(x)) return x;
  }
  // An integer field with a fractional step: the first common multiple at or after min.
  if (integer) for (let k = Math.ceil(min / step); k < Math.ceil(min / step) + 1000; k++) if (ok(tidy(k * step))) return tidy(k * step);
  return tidy(Math.round(v / step) * step);
}

const FORMAT_SAMPLES: Readonly<Record<string, string>> = {
  email: "student@example.com",
  "date-time": "2024-01-01T00:00:00Z",
  date: "2024-01-01",
  time: "00:00:00",
  uri: "https://example.com/",
  url: "https://example.com/",
  hostname: "example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  duration: "PT1M",
};

function generateString(s: SchemaObject, hint: Hint, ctx: Context, variant: number): string {
  const format = typeof s.format === "string" ? s.format : undefined;
  let base: string;
  if (hint.kind === "answer") base = ctx.answer ?? "";
  else if (hint.kind === "reasoning") base = hint.text;
  else if (format === "uuid") base = uuid(ctx, variant);
  else base = format !== undefined && FORMAT_SAMPLES[format] !== undefined ? FORMAT_SAMPLES[format] : filler(hint.name, variant);
  if (variant > 0 && hint.kind !== "plain") base = `${base} (${variant + 1})`;
  const pattern = typeof s.pattern === "string" ? patternRegExp(s.pattern) : undefined;
  const fit = (text: string) => fitLength(text, s, ctx.chars);
  let chosen = fit(base);
  if (pattern !== undefined && !pattern.test(chosen)) {
    // Last, a string built from the pattern itself, as a grammar-constrained model would write one.
    const candidates = [ctx.answer ?? "", ...Object.values(FORMAT_SAMPLES), "a", "A", "0", "1", "abc", "ABC", "x1", "", sampleFor(s.pattern as string) ?? ""];
    chosen = candidates.map(fit).find((c) => pattern.test(c)) ?? chosen;
  }
  ctx.chars -= chosen.length;
  return chosen;
}

/** Cut or pad (by code points) into minLength..maxLength; padding takes at most `room` characters. */
function fitLength(text: string, s: SchemaObject, room: number): string {
  let chars = [...text];
  if (typeof s.maxLength === "number" && chars.length > s.maxLength) chars = chars.slice(0, Math.max(0, s.maxLength));
  if (typeof s.minLength === "number" && chars.length < s.minLength) {
    const pad = Math.max(0, Math.min(s.minLength - chars.length, room - chars.length));
    return chars.join("") + (chars.length === 0 ? "x" : ".").repeat(pad);
  }
  return chars.join("");
}

function generateArray(s: SchemaObject, hint: Hint, ctx: Context, path: string, depth: number): JsonValue[] {
  const steps = hint.kind === "reasoning" ? reasoningSteps(hint.text) : undefined;
  const minItems = typeof s.minItems === "number" ? s.minItems : 0;
  const tupleLength = Array.isArray(s.prefixItems) ? s.prefixItems.length : Array.isArray(s.items) ? s.items.length : 0;
  // A closed tuple (draft 7 additionalItems:false, 2020 items:false) cannot grow past its prefix.
  const closed = (Array.isArray(s.prefixItems) && s.items === false) || (Array.isArray(s.items) && s.additionalItems === false);
  let maxItems = typeof s.maxItems === "number" ? s.maxItems : Infinity;
  if (closed) maxItems = Math.min(maxItems, tupleLength);
  let count = depth > SOFT_DEPTH ? minItems : Math.max(minItems, steps?.length ?? 1, tupleLength);
  count = Math.max(0, Math.min(count, maxItems));
  const unique = s.uniqueItems === true;
  const items: JsonValue[] = [];
  for (let i = 0; i < count; i++) {
    // A schema's minItems may ask for more than any reply holds: stop where the work or size budget ends.
    if (ctx.steps > MAX_STEPS || ctx.chars <= 0) break;
    const itemHint: Hint = steps !== undefined ? { kind: "reasoning", text: steps[Math.min(i, steps.length - 1)] ?? "" } : hint.kind === "plain" ? { kind: "plain", name: singular(hint.name) } : hint;
    let item = generate(itemSchemaAt(s, i), itemHint, ctx, `${path}[${i}]`, depth + 1, unique ? i : 0);
    // uniqueItems: try further variants before giving up on a distinct item.
    for (let v = i + 1; unique && items.some((x) => jsonEqual(x, item)) && v < i + 50; v++) item = generate(itemSchemaAt(s, i), itemHint, ctx, `${path}[${i}]`, depth + 1, v);
    if (unique && items.some((x) => jsonEqual(x, item)) && items.length >= minItems) break;
    // The work budget ran out inside this item: it is no valid item, so the array ends before it.
    if (ctx.steps > MAX_STEPS && item === null) break;
    items.push(item);
  }
  return items;
}

function generateObject(s: SchemaObject, hint: Hint, ctx: Context, path: string, depth: number, atRoot: boolean): Record<string, JsonValue> {
  const properties = isSchemaObject(s.properties) ? s.properties : {};
  const names = Object.keys(properties);
  const required = new Set(Array.isArray(s.required) ? s.required.filter((k): k is string => typeof k === "string") : []);
  // The field that holds the answer: answer-named ones; failing those, at the root (or in an
  // object that is itself the answer), the only field that is not reasoning.
  const answerNamed = names.filter(isAnswerField);
  const others = names.filter((n) => !isReasoningField(n));
  const soleAnswer = answerNamed.length === 0 && (atRoot || hint.kind === "answer") && others.length === 1 ? others[0] : undefined;
  const roleOf = (name: string): Hint => {
    if (isAnswerField(name) || name === soleAnswer) return { kind: "answer" };
    if (isReasoningField(name)) return { kind: "reasoning", text: hint.kind === "reasoning" ? hint.text : ctx.reasoning };
    // Inside one reasoning step (an item of `steps`), its text fields carry that step.
    if (hint.kind === "reasoning") return hint;
    return { kind: "plain", name };
  };
  const chosen = names.filter((n) => required.has(n) || (depth <= SOFT_DEPTH && roleOf(n).kind !== "plain"));
  for (const n of required) if (!chosen.includes(n)) chosen.push(n);
  const minProperties = typeof s.minProperties === "number" ? s.minProperties : 0;
  for (const n of names) if (chosen.length < minProperties && !chosen.includes(n)) chosen.push(n);
  for (let i = 1; chosen.length < minProperties && s.additionalProperties !== false && i < 1000; i++) if (!chosen.includes(`extra_${i}`)) chosen.push(`extra_${i}`);
  const out: Record<string, JsonValue> = {};
  for (const name of chosen) {
    const subs = propertySchema(s, name);
    const sub = subs.length === 0 ? true : subs.length === 1 ? subs[0]! : { allOf: subs };
    const value = generate(sub, roleOf(name), ctx, `${path}.${name}`, depth + 1, 0);
    // An optional field that cannot be filled validly is better left out.
    if (!required.has(name) && !satisfies(value, sub, ctx)) continue;
    out[name] = value;
  }
  return out;
}

/** The working as steps: its lines, or its sentences when it is one paragraph. */
export function reasoningSteps(text: string): string[] {
  const lines = text.split(/\n+/).map((l) => l.trim()).filter((l) => l !== "");
  if (lines.length > 1) return lines;
  const sentences = (lines[0] ?? "").split(/(?<=[.!?])\s+(?=[A-Z0-9$\\])/).filter((x) => x !== "");
  return sentences.length > 0 ? sentences : [""];
}

/** An answer as a model would write it into free JSON: a number when it is a plain number, else the text. */
export function naturalAnswer(answer: string): JsonValue {
  return isPlainNumber(answer) ? Number(answer) : answer;
}

function isPlainNumber(text: string): boolean {
  if (!/^-?(0|[1-9]\d*)(\.\d+)?$/.test(text)) return false;
  const n = Number(text);
  return Number.isFinite(n) && (Number.isSafeInteger(n) || !Number.isInteger(n));
}

/**
 * The number an answer states, for a numeric field: a plain number, one written with thousands
 * separators, a dollar sign or a percent sign, `a/b` or `\frac{a}{b}`; else the first number in it.
 */
export function answerNumber(answer: string | undefined): number | undefined {
  if (answer === undefined) return undefined;
  const t = answer.trim().replace(/^\\?\$|\\?\$$|\\?%$|\^\\circ$|\^\{\\circ\}$/g, "").replace(/(\d),(?=\d{3}\b)/g, "$1").trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return finite(Number(t));
  const frac = /^(-?)\\[dt]?frac\{(-?\d+)\}\{(\d+)\}$/.exec(t) ?? /^(-?)(\d+)\s*\/\s*(\d+)$/.exec(t);
  if (frac !== null && Number(frac[3]) !== 0) return finite((frac[1] === "-" ? -1 : 1) * (Number(frac[2]) / Number(frac[3])));
  const any = /-?\d+(\.\d+)?/.exec(t);
  return any === null ? undefined : finite(Number(any[0]));
}

const finite = (n: number) => (Number.isFinite(n) ? n : undefined);

function filler(name: string, variant: number): string {
  const base = name === "" ? "n/a" : name.replace(/[_-]+/g, " ").trim() || "n/a";
  return variant > 0 ? `${base} ${variant + 1}` : base;
}

const singular = (name: string) => name.replace(/ies$/, "y").replace(/s$/, "");

function uuid(ctx: Context, variant: number): string {
  let hex = "";
  for (let i = 0; i < 32; i++) hex += below(16, ctx.seed, [...ctx.keys, SALT, 0x0dd, variant, i]).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** FNV-1a: a stable 32-bit key for a path or a token. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

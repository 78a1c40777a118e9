/**
 * The JSON Schema subset that clients send for structured output and tool parameters (hand-written
 * schemas, zod-to-json-schema, zod v4's toJSONSchema, the openai SDK's zodResponseFormat): the
 * types, $ref lookup and a validator. structured.ts builds instances; this file only reads schemas.
 */

/** A JSON Schema: an object of keywords, or `true`/`false` (anything / nothing). */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type SchemaObject = { readonly [keyword: string]: unknown };

export const isSchemaObject = (value: unknown): value is SchemaObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** Nesting allowed while following $refs: a cycle of refs that consumes no value stops here. */
const MAX_DEPTH = 64;

/**
 * The schema a local `$ref` points to: `#`, `#/$defs/Name`, `#/definitions/Name` or any JSON
 * pointer into the root (percent-encoded, `~0`/`~1` escaped, as zod's helpers write them).
 * Remote or unresolvable refs read as `true` (anything): nothing to check them against.
 */
export function resolveRef(ref: string, root: JsonSchema): JsonSchema {
  if (!ref.startsWith("#")) return true;
  const pointer = ref.slice(1);
  if (pointer === "") return root;
  if (!pointer.startsWith("/")) return true;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    let token: string;
    try {
      token = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    } catch {
      return true;
    }
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isSchemaObject(node) && Object.hasOwn(node, token)) node = node[token];
    else return true;
  }
  return typeof node === "boolean" || isSchemaObject(node) ? node : true;
}

/** A schema with its `$ref` followed and any sibling keywords laid over the target (2019+ semantics). */
export function deref(schema: JsonSchema, root: JsonSchema, depth = 0): JsonSchema {
  if (!isSchemaObject(schema) || typeof schema.$ref !== "string" || depth > MAX_DEPTH) return schema;
  const { $ref, ...siblings } = schema;
  const target = deref(resolveRef($ref as string, root), root, depth + 1);
  if (Object.keys(siblings).length === 0) return target;
  if (target === true) return siblings;
  if (target === false) return false;
  return mergeSchemas(target, siblings);
}

/**
 * Both schemas at once, for allOf and for a union branch under its parent's keywords: properties
 * and required are unioned (a property both define must satisfy both), other keywords overlaid.
 */
export function mergeSchemas(a: SchemaObject, b: SchemaObject): SchemaObject {
  const merged: Record<string, unknown> = { ...a, ...b };
  if (isSchemaObject(a.properties) && isSchemaObject(b.properties)) {
    const properties: Record<string, unknown> = { ...a.properties, ...b.properties };
    for (const key of Object.keys(a.properties)) if (Object.hasOwn(b.properties, key)) properties[key] = { allOf: [a.properties[key], b.properties[key]] };
    merged.properties = properties;
  }
  if (Array.isArray(a.required) && Array.isArray(b.required)) merged.required = [...new Set([...a.required, ...b.required])];
  return merged;
}

export type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";

export function typeOf(value: unknown): JsonType | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return "boolean";
    case "number":
      return Number.isFinite(value) ? (Number.isInteger(value) ? "integer" : "number") : undefined;
    case "string":
      return "string";
    case "object":
      return Array.isArray(value) ? "array" : "object";
    default:
      return undefined;
  }
}

function hasType(value: unknown, type: unknown): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

/** Equality of JSON values, object keys in any order (for enum, const, uniqueItems). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const bo = b as Record<string, unknown>;
  return ka.length === Object.keys(bo).length && ka.every((k) => Object.hasOwn(bo, k) && jsonEqual((a as Record<string, unknown>)[k], bo[k]));
}

const codePoints = (s: string) => [...s].length;

/** A `pattern`, compiled once; an invalid one is ignored (undefined), as lenient validators do. */
const patterns = new Map<string, RegExp | undefined>();
export function patternRegExp(source: string): RegExp | undefined {
  if (!patterns.has(source)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(source, "u");
    } catch {
      re = undefined;
    }
    patterns.set(source, re);
  }
  return patterns.get(source);
}

/** Draft 4 writes exclusive bounds as booleans beside minimum/maximum; draft 6+ as numbers. */
export function numericBounds(s: SchemaObject): { lo: number; loExclusive: boolean; hi: number; hiExclusive: boolean } {
  let lo = -Infinity;
  let loExclusive = false;
  let hi = Infinity;
  let hiExclusive = false;
  if (typeof s.minimum === "number") {
    lo = s.minimum;
    loExclusive = s.exclusiveMinimum === true;
  }
  if (typeof s.exclusiveMinimum === "number" && s.exclusiveMinimum >= lo) {
    lo = s.exclusiveMinimum;
    loExclusive = true;
  }
  if (typeof s.maximum === "number") {
    hi = s.maximum;
    hiExclusive = s.exclusiveMaximum === true;
  }
  if (typeof s.exclusiveMaximum === "number" && s.exclusiveMaximum <= hi) {
    hi = s.exclusiveMaximum;
    hiExclusive = true;
  }
  return { lo, loExclusive, hi, hiExclusive };
}

export function isMultipleOf(value: number, step: number): boolean {
  if (step <= 0) return true;
  const q = value / step;
  return Math.abs(q - Math.round(q)) < 1e-9 * Math.max(1, Math.abs(q));
}

/**
 * Every way `value` breaks `schema`, as "path: problem" lines; empty when it is valid. Covers
 * type (one or several, plus OpenAPI's `nullable`), enum, const, string lengths and pattern,
 * numeric bounds and multipleOf, items/prefixItems/additionalItems, min/maxItems, uniqueItems,
 * properties, required, additionalProperties, patternProperties, min/maxProperties, allOf,
 * anyOf, oneOf, not and local $refs. `format` is an annotation, as in most validators.
 */
export function validateAgainstSchema(value: unknown, schema: JsonSchema, root: JsonSchema = schema): string[] {
  return validateWithin(value, schema, root, { visits: 0, max: MAX_VISITS });
}

/**
 * Work allowed for checking: nested unions make it exponential in their depth, and schemas come
 * from clients, so once `max` (value, schema) pairs have been visited every check fails.
 */
export interface Budget {
  visits: number;
  readonly max: number;
}

const MAX_VISITS = 200_000;

/** validateAgainstSchema, charging its work to a budget shared by several checks. */
export function validateWithin(value: unknown, schema: JsonSchema, root: JsonSchema, budget: Budget): string[] {
  const errors: string[] = [];
  check(value, schema, root, "$", errors, 0, budget);
  return errors;
}

function check(value: unknown, schema: JsonSchema, root: JsonSchema, path: string, errors: string[], depth: number, budget: Budget): void {
  if (depth > MAX_DEPTH) {
    errors.push(`${path}: schema nesting too deep`);
    return;
  }
  if (++budget.visits > budget.max) {
    errors.push(`${path}: schema too complex to check`);
    return;
  }
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${path}: no value is allowed here`);
    return;
  }
  if (!isSchemaObject(schema)) return;
  if (typeof schema.$ref === "string") check(value, resolveRef(schema.$ref, root), root, path, errors, depth + 1, budget);
  checkType(value, schema, path, errors);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => jsonEqual(e, value))) errors.push(`${path}: not one of the enum values`);
  if (Object.hasOwn(schema, "const") && !jsonEqual(schema.const, value)) errors.push(`${path}: not the const value ${JSON.stringify(schema.const)}`);
  if (typeof value === "string") checkString(value, schema, path, errors);
  if (typeof value === "number") checkNumber(value, schema, path, errors);
  if (Array.isArray(value)) checkArray(value, schema, root, path, errors, depth, budget);
  else if (isSchemaObject(value)) checkObject(value, schema, root, path, errors, depth, budget);
  checkCombinators(value, schema, root, path, errors, depth, budget);
}

function checkType(value: unknown, schema: SchemaObject, path: string, errors: string[]): void {
  const type = schema.type;
  if (type === undefined) return;
  if (value === null && schema.nullable === true) return;
  const types = Array.isArray(type) ? type : [type];
  if (!types.some((t) => hasType(value, t))) errors.push(`${path}: expected ${types.join(" or ")}, got ${typeOf(value) ?? typeof value}`);
}

function checkString(value: string, s: SchemaObject, path: string, errors: string[]): void {
  const length = codePoints(value);
  if (typeof s.minLength === "number" && length < s.minLength) errors.push(`${path}: shorter than ${s.minLength} characters`);
  if (typeof s.maxLength === "number" && length > s.maxLength) errors.push(`${path}: longer than ${s.maxLength} characters`);
  if (typeof s.pattern === "string" && patternRegExp(s.pattern)?.test(value) === false) errors.push(`${path}: does not match /${s.pattern}/`);
}

function checkNumber(value: number, s: SchemaObject, path: string, errors: string[]): void {
  const { lo, loExclusive, hi, hiExclusive } = numericBounds(s);
  if (loExclusive ? value <= lo : value < lo) errors.push(`${path}: below the minimum ${lo}`);
  if (hiExclusive ? value >= hi : value > hi) errors.push(`${path}: above the maximum ${hi}`);
  if (typeof s.multipleOf === "number" && !isMultipleOf(value, s.multipleOf)) errors.push(`${path}: not a multiple of ${s.multipleOf}`);
}

/** The schema for array position i: prefixItems (2020) or array-form items (draft 7), then the rest. */
export function itemSchemaAt(s: SchemaObject, i: number): JsonSchema {
  const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : undefined;
  if (prefix !== undefined && i < prefix.length) return asSchema(prefix[i]);
  const rest = Array.isArray(s.prefixItems) ? s.items : Array.isArray(s.items) ? s.additionalItems : s.items;
  return rest === undefined ? true : asSchema(rest);
}

export const asSchema = (value: unknown): JsonSchema => (typeof value === "boolean" || isSchemaObject(value) ? value : true);

function checkArray(value: unknown[], s: SchemaObject, root: JsonSchema, path: string, errors: string[], depth: number, budget: Budget): void {
  if (typeof s.minItems === "number" && value.length < s.minItems) errors.push(`${path}: fewer than ${s.minItems} items`);
  if (typeof s.maxItems === "number" && value.length > s.maxItems) errors.push(`${path}: more than ${s.maxItems} items`);
  value.forEach((item, i) => check(item, itemSchemaAt(s, i), root, `${path}[${i}]`, errors, depth + 1, budget));
  if (s.uniqueItems === true && value.some((a, i) => value.findIndex((b) => jsonEqual(a, b)) !== i)) errors.push(`${path}: items are not unique`);
}

/** The schema for an object's member `key`: properties, else matching patternProperties, else additionalProperties. */
export function propertySchema(s: SchemaObject, key: string): JsonSchema[] {
  const found: JsonSchema[] = [];
  if (isSchemaObject(s.properties) && Object.hasOwn(s.properties, key)) found.push(asSchema(s.properties[key]));
  if (isSchemaObject(s.patternProperties)) {
    for (const [pattern, sub] of Object.entries(s.patternProperties)) if (patternRegExp(pattern)?.test(key)) found.push(asSchema(sub));
  }
  if (found.length === 0 && s.additionalProperties !== undefined) found.push(asSchema(s.additionalProperties));
  return found;
}

function checkObject(value: SchemaObject, s: SchemaObject, root: JsonSchema, path: string, errors: string[], depth: number, budget: Budget): void {
  const keys = Object.keys(value);
  if (Array.isArray(s.required)) for (const key of s.required) if (typeof key === "string" && !Object.hasOwn(value, key)) errors.push(`${path}: missing required property '${key}'`);
  if (typeof s.minProperties === "number" && keys.length < s.minProperties) errors.push(`${path}: fewer than ${s.minProperties} properties`);
  if (typeof s.maxProperties === "number" && keys.length > s.maxProperties) errors.push(`${path}: more than ${s.maxProperties} properties`);
  for (const key of keys) {
    for (const sub of propertySchema(s, key)) check(value[key], sub, root, `${path}.${key}`, errors, depth + 1, budget);
  }
}

function checkCombinators(value: unknown, s: SchemaObject, root: JsonSchema, path: string, errors: string[], depth: number, budget: Budget): void {
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) check(value, asSchema(sub), root, path, errors, depth + 1, budget);
  const passes = (sub: unknown) => {
    const inner: string[] = [];
    check(value, asSchema(sub), root, path, inner, depth + 1, budget);
    return inner.length === 0;
  };
  if (Array.isArray(s.anyOf) && !s.anyOf.some(passes)) errors.push(`${path}: matches none of anyOf`);
  if (Array.isArray(s.oneOf)) {
    const matched = s.oneOf.filter(passes).length;
    if (matched !== 1) errors.push(`${path}: matches ${matched} of oneOf, not exactly one`);
  }
  if (s.not !== undefined && passes(s.not)) errors.push(`${path}: matches a 'not' schema`);
}

const TYPE_NAMES: ReadonlySet<string> = new Set(["null", "boolean", "integer", "number", "string", "array", "object"]);
/** Keywords whose value is one subschema, and those whose value is a list or a map of them. */
const SUBSCHEMA = ["additionalProperties", "not", "contains", "propertyNames", "additionalItems", "unevaluatedItems", "unevaluatedProperties", "if", "then", "else"];
const SUBSCHEMA_LISTS = ["anyOf", "oneOf", "allOf", "prefixItems"];
const SUBSCHEMA_MAPS = ["properties", "$defs", "definitions", "patternProperties", "dependentSchemas"];

/** A pattern JavaScript can compile, with the u flag (JSON Schema's dialect) or without (what older clients write, e.g. `[\w-.]`). */
function validPattern(pattern: unknown): boolean {
  if (typeof pattern !== "string") return false;
  for (const flags of ["u", ""]) {
    try {
      new RegExp(pattern, flags);
      return true;
    } catch {
      // try the next dialect
    }
  }
  return false;
}

/**
 * Why no value can be generated for a schema, as llama-server's json_schema_to_grammar refuses it
 * (400 "JSON schema conversion failed: Unrecognized schema: …"): a `type` that is not a JSON type,
 * an `enum` with no value, a `required` or `enum` of the wrong shape. undefined when it is usable.
 */
export function schemaError(schema: JsonSchema, depth = 0): string | undefined {
  if (!isSchemaObject(schema)) return undefined;
  // Deeper than any schema clients write; walking it (here, in the generator, in the validator) would exhaust the stack.
  if (depth > MAX_DEPTH) return `schema nested deeper than ${MAX_DEPTH} levels`;
  const types = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];
  if (types.some((t) => typeof t !== "string" || !TYPE_NAMES.has(t)) || (Array.isArray(schema.type) && schema.type.length === 0)) {
    return `Unrecognized schema: ${JSON.stringify(schema)}`;
  }
  if (schema.enum !== undefined && (!Array.isArray(schema.enum) || schema.enum.length === 0)) return `'enum' must be a non-empty array: ${JSON.stringify(schema)}`;
  if (schema.pattern !== undefined && !validPattern(schema.pattern)) return `'pattern' is not a regular expression: ${JSON.stringify(schema.pattern)}`;
  if (typeof schema.minimum === "number" && typeof schema.maximum === "number" && schema.minimum > schema.maximum) {
    return `'minimum' is above 'maximum', no number fits: ${JSON.stringify(schema)}`;
  }
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((r) => typeof r === "string"))) {
    return `'required' must be an array of strings: ${JSON.stringify(schema)}`;
  }
  const subschemas: unknown[] = [];
  for (const key of SUBSCHEMA) if (schema[key] !== undefined) subschemas.push(schema[key]);
  // items: one subschema, or (drafts 4-7) a tuple of them.
  if (Array.isArray(schema.items)) subschemas.push(...(schema.items as unknown[]));
  else if (schema.items !== undefined) subschemas.push(schema.items);
  for (const key of SUBSCHEMA_LISTS) if (Array.isArray(schema[key])) subschemas.push(...(schema[key] as unknown[]));
  for (const key of SUBSCHEMA_MAPS) if (isSchemaObject(schema[key])) subschemas.push(...Object.values(schema[key] as SchemaObject));
  for (const sub of subschemas) {
    const error = typeof sub === "boolean" || isSchemaObject(sub) ? schemaError(sub, depth + 1) : `a subschema must be an object or a boolean: ${JSON.stringify(sub)}`;
    if (error !== undefined) return error;
  }
  return undefined;
}

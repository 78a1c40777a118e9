// Reads a harness's per-case grades: llama-eval's state JSON (any of its versions), a bare array of
// cases, or JSON Lines of {response, correct}.

export interface HarnessCase {
  /** The harness's case id (task_id, case_id, id, the key in a map, or "#N"). */
  readonly id: string;
  /** The reply content the harness graded; null when it has none (pending, or the request failed). */
  readonly response: string | null;
  readonly correct: boolean;
  /** The answer the harness extracted, when it saved one. */
  readonly answer: string | null;
  /** The harness's gold answer, when it saved one. */
  readonly expected: string | null;
}

// Field spellings across llama-eval versions (current: response/answer/expected; the first state
// files: pred/extracted/gold) and other harnesses' JSONL.
const RESPONSE_KEYS = ["response", "pred", "completion", "output"] as const;
const ANSWER_KEYS = ["answer", "extracted", "extracted_answer"] as const;
const EXPECTED_KEYS = ["expected", "gold", "target"] as const;
const ID_KEYS = ["task_id", "case_id", "id"] as const;

type Json = Record<string, unknown>;

/** Parses the file's text; throws an Error whose message names what is wrong (and the line, for JSONL). */
export function parseHarness(text: string): HarnessCase[] {
  let whole: unknown;
  let isJson = true;
  try {
    whole = JSON.parse(text);
  } catch {
    isJson = false;
  }
  const cases: HarnessCase[] = [];
  if (isJson) {
    collectCases(whole, undefined, cases, 0);
  } else {
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new Error(`line ${i + 1} is not JSON (expected a JSON state file or JSON Lines of {response, correct})`);
      }
      if (!isCase(value)) throw new Error(`line ${i + 1} has no "response" and boolean "correct"`);
      cases.push(toCase(value, `#${cases.length + 1}`));
    });
  }
  if (cases.length === 0) throw new Error(`no graded cases found (objects with "response" and a boolean "correct")`);
  return cases;
}

/**
 * Finds case objects wherever the state file keeps them: `task_states.cases` (a map keyed by task
 * id), `cases`/`results` maps or arrays, the first version's `task_states.<task>.cases.<task>[]`,
 * or a top-level array.
 */
function collectCases(value: unknown, key: string | undefined, into: HarnessCase[], depth: number): void {
  if (depth > 8 || typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) collectCases(item, undefined, into, depth + 1);
    return;
  }
  if (isCase(value)) {
    into.push(toCase(value, key ?? `#${into.length + 1}`));
    return;
  }
  for (const [childKey, child] of Object.entries(value)) collectCases(child, childKey, into, depth + 1);
}

function isCase(value: unknown): value is Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Json;
  return RESPONSE_KEYS.some((k) => k in v) && gradeOf(v.correct) !== undefined;
}

function gradeOf(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  return undefined;
}

function toCase(v: Json, fallbackId: string): HarnessCase {
  const id = ID_KEYS.map((k) => v[k]).find((x) => typeof x === "string" || typeof x === "number");
  const response = first(v, RESPONSE_KEYS);
  return {
    id: id === undefined ? fallbackId : String(id),
    response: typeof response === "string" ? response : null,
    correct: gradeOf(v.correct)!,
    answer: text(first(v, ANSWER_KEYS)),
    expected: text(first(v, EXPECTED_KEYS)),
  };
}

function first(v: Json, keys: readonly string[]): unknown {
  for (const k of keys) if (v[k] !== undefined && v[k] !== null) return v[k];
  return undefined;
}

/** Numbers are kept as text; empty strings mean "none". */
function text(value: unknown): string | null {
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value !== "string") return null;
  return value.trim() === "" ? null : value.trim();
}

import { extname } from "node:path";
import { csvToRows } from "./csv.ts";
import type { Row } from "./rows.ts";
import { DatasetError } from "./types.ts";

const FILE_EXTENSIONS = [".jsonl", ".json", ".csv"] as const;

/** Reads a local dataset file into raw rows; every failure is a one-line DatasetError naming the file. */
export async function readRowsFile(path: string): Promise<Row[]> {
  const ext = extname(path).toLowerCase();
  if (!(FILE_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new DatasetError(
      `unsupported dataset file type "${ext || "(no extension)"}": ${path} (use ${FILE_EXTENSIONS.join(", ")})`,
    );
  }
  const file = Bun.file(path);
  if (!(await file.exists())) throw new DatasetError(`dataset file not found: ${path}`);
  let text: string;
  try {
    text = await file.text();
  } catch (err) {
    throw new DatasetError(`cannot read dataset file ${path}: ${(err as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // spreadsheet exports often start with a BOM
  if (ext === ".jsonl") return parseJsonl(text, path);
  if (ext === ".json") return parseJsonRows(text, path);
  try {
    return csvToRows(text);
  } catch (err) {
    throw new DatasetError(`${path}: bad CSV: ${(err as Error).message}`);
  }
}

/** One JSON object per line; blank lines are allowed. */
function parseJsonl(text: string, path: string): Row[] {
  const rows: Row[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new DatasetError(`${path}:${i + 1}: not valid JSON: ${(err as Error).message}`);
    }
    if (!isRow(value)) throw new DatasetError(`${path}:${i + 1}: expected a JSON object, got ${describe(value)}`);
    rows.push(value);
  });
  return rows;
}

/** An array of objects, `{"rows": [...]}`, or a datasets-server /rows body (`rows[].row`). */
function parseJsonRows(text: string, path: string): Row[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(value) ? value : isRow(value) && Array.isArray(value.rows) ? value.rows : undefined;
  if (list === undefined) {
    throw new DatasetError(`${path}: expected an array of objects or an object with a "rows" array`);
  }
  return list.map((item: unknown, i: number) => {
    const row = isServerRow(item) ? item.row : item;
    if (!isRow(row)) throw new DatasetError(`${path}: row ${i} is ${describe(row)}, not an object`);
    return row;
  });
}

export function isRow(value: unknown): value is Row {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isServerRow(value: unknown): value is { row: Row } {
  return isRow(value) && typeof value.row_idx === "number" && isRow(value.row);
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

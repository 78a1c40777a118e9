import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { csvToRows, parseCsv } from "../../src/dataset/csv.ts";
import { readRowsFile } from "../../src/dataset/file.ts";
import { loadDataset } from "../../src/dataset/load.ts";
import { DatasetError } from "../../src/dataset/types.ts";
import { SHARED_DATASETS } from "../fixtures/fake-datasets-server.ts";
import { hubOptions, tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(dir.cleanup);
let n = 0;
async function writeTemp(ext: string, text: string): Promise<string> {
  const path = join(dir.path, `f${n++}${ext}`);
  await Bun.write(path, text);
  return path;
}

describe("parseCsv (RFC 4180)", () => {
  test("quoted commas, doubled quotes, embedded LF and CRLF, CRLF record ends", () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","line1\nline2\r\nline3"\r\nplain,,\r\n';
    expect(parseCsv(text)).toEqual([
      ["a", "b", "c"],
      ["x, y", 'say "hi"', "line1\nline2\r\nline3"],
      ["plain", "", ""],
    ]);
  });

  test("no trailing newline, empty quoted field, LF-only", () => {
    expect(parseCsv('h1,h2\n"",z')).toEqual([
      ["h1", "h2"],
      ["", "z"],
    ]);
  });

  test("an unterminated quote is an error", () => {
    expect(() => parseCsv('a\n"open')).toThrow("unterminated quoted field");
  });

  test("csvToRows keys by header and skips blank lines", () => {
    expect(csvToRows("q,a\n\n1+1?,2\n")).toEqual([{ q: "1+1?", a: "2" }]);
  });
});

describe("readRowsFile", () => {
  test("AIME jsonl from the shared datasets: 90 rows with the HF fields", async () => {
    const rows = await readRowsFile(join(SHARED_DATASETS, "aimo-validation-aime/train.jsonl"));
    expect(rows).toHaveLength(90);
    expect(Object.keys(rows[0]!)).toEqual(["id", "problem", "solution", "answer", "url"]);
    expect(rows[6]!.answer).toBe("033");
  });

  test("jsonl: blank lines are fine; a bad line is reported as file:line", async () => {
    const ok = await writeTemp(".jsonl", '{"problem":"a","answer":"1"}\n\n  \n{"problem":"b","answer":"2"}\n');
    expect(await readRowsFile(ok)).toHaveLength(2);
    const bad = await writeTemp(".jsonl", '{"problem":"a","answer":"1"}\n\n{"problem": oops}\n');
    await expect(readRowsFile(bad)).rejects.toThrow(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3: not valid JSON`));
    const notObject = await writeTemp(".jsonl", "[1,2]\n");
    await expect(readRowsFile(notObject)).rejects.toThrow(`${notObject}:1: expected a JSON object, got an array`);
  });

  test("json: an array, an object with rows, or a datasets-server /rows body", async () => {
    const row = { problem: "p", answer: "7" };
    expect(await readRowsFile(await writeTemp(".json", JSON.stringify([row])))).toEqual([row]);
    expect(await readRowsFile(await writeTemp(".json", JSON.stringify({ rows: [row] })))).toEqual([row]);
    const body = { features: [], rows: [{ row_idx: 0, row, truncated_cells: [] }], num_rows_total: 1, num_rows_per_page: 100, partial: false };
    expect(await readRowsFile(await writeTemp(".json", JSON.stringify(body)))).toEqual([row]);
    const wrong = await writeTemp(".json", '{"data": []}');
    await expect(readRowsFile(wrong)).rejects.toThrow('expected an array of objects or an object with a "rows" array');
    await expect(readRowsFile(await writeTemp(".json", "[1"))).rejects.toThrow("not valid JSON");
  });

  test("csv with a BOM, quoted commas, newlines and CRLF loads through loadDataset", async () => {
    const csv = '\uFEFFQuestion,Answer\r\n"What is 2,000 + 1, in total?",2001\r\n"Two\r\nlines ""quoted""",  033 \r\n';
    const path = await writeTemp(".csv", csv);
    const opts = hubOptions("http://unused.invalid", dir.path, { offline: true });
    const ds = await loadDataset({ kind: "file", path, fields: {} }, opts);
    expect(ds).toMatchObject({ name: path, origin: "file", partial: false });
    expect(ds.questions).toEqual([
      { index: 0, id: "0", text: "What is 2,000 + 1, in total?", answer: "2001", dataset: path },
      { index: 1, id: "1", text: 'Two\r\nlines "quoted"', answer: "33", dataset: path },
    ]);
  });

  test("missing file and unknown extension are clear errors", async () => {
    const missing = join(dir.path, "nope.jsonl");
    await expect(readRowsFile(missing)).rejects.toThrow(new DatasetError(`dataset file not found: ${missing}`));
    await expect(readRowsFile(join(dir.path, "data.parquet"))).rejects.toThrow('unsupported dataset file type ".parquet"');
    await expect(readRowsFile(join(dir.path, "data"))).rejects.toThrow("(no extension)");
  });
});

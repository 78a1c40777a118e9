// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks; records end in CRLF or LF.

/** Splits CSV text into records of fields. A trailing line break does not make an extra empty record. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    record.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") endField();
    else if (c === "\r" && text[i + 1] === "\n") {
      endRecord();
      i++;
    } else if (c === "\n" || c === "\r") endRecord();
    else field += c;
    i++;
  }
  if (quoted) throw new SyntaxError("unterminated quoted field at end of file");
  if (field !== "" || record.length > 0) endRecord();
  return records;
}

/** Rows keyed by the header record; blank lines are ignored, short records leave missing fields out. */
export function csvToRows(text: string): Record<string, string>[] {
  const [header, ...records] = parseCsv(text).filter((r) => !(r.length === 1 && r[0] === ""));
  if (header === undefined) return [];
  return records.map((record) => {
    const row: Record<string, string> = {};
    header.forEach((name, i) => {
      const value = record[i];
      if (value !== undefined) row[name] = value;
    });
    return row;
  });
}

// The format of the snapshots in data/ (written by scripts/snapshot.ts, embedded by embedded.ts): JSON Lines,
// a header object first, then one object per question as the loader produced it (no solutions, no raw rows).
import { DatasetError, type Question } from "./types.ts";

export const SNAPSHOT_FORMAT = 1;

export interface SnapshotHeader {
  readonly llama_sim_snapshot: typeof SNAPSHOT_FORMAT;
  /** The preset this is a snapshot of, with the coordinates it was loaded with. */
  readonly preset: string;
  readonly repo: string;
  /** Config(s), joined by "+" as in the banner. */
  readonly config: string;
  readonly split: string;
  /** YYYY-MM-DD: the day this content was taken (kept when regenerating gives the same questions). */
  readonly date: string;
  readonly questions: number;
  /** sha256 (hex) of the question lines, each with its "\n". */
  readonly sha256: string;
}

export interface Snapshot {
  readonly header: SnapshotHeader;
  /** Index = position in the snapshot; `dataset` unset (the loader sets it). */
  readonly questions: Question[];
}

/** One question line: the loader's fields that matter, in a fixed key order. */
interface QuestionLine {
  readonly id: string;
  readonly question: string;
  readonly answer: string;
  readonly choices?: readonly string[];
  readonly difficulty?: number;
}

export function questionLines(questions: readonly Question[]): string {
  return questions
    .map((q) => {
      const line: QuestionLine = {
        id: q.id,
        question: q.text,
        answer: q.answer,
        ...(q.choices !== undefined ? { choices: q.choices } : {}),
        ...(q.difficulty !== undefined ? { difficulty: q.difficulty } : {}),
      };
      return `${JSON.stringify(line)}\n`;
    })
    .join("");
}

export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/** The whole file: header line, then the question lines. */
export function formatSnapshot(
  meta: Omit<SnapshotHeader, "llama_sim_snapshot" | "questions" | "sha256">,
  questions: readonly Question[],
): string {
  const body = questionLines(questions);
  const header: SnapshotHeader = { llama_sim_snapshot: SNAPSHOT_FORMAT, ...meta, questions: questions.length, sha256: sha256Hex(body) };
  return `${JSON.stringify(header)}\n${body}`;
}

/** Only the first line, for listings that need no questions. */
export function parseSnapshotHeader(text: string, label: string): SnapshotHeader {
  const end = text.indexOf("\n");
  let value: unknown;
  try {
    value = JSON.parse(end === -1 ? text : text.slice(0, end));
  } catch {
    throw new DatasetError(`snapshot ${label}: the first line is not a JSON header`);
  }
  const h = value as Partial<SnapshotHeader>;
  if (h?.llama_sim_snapshot !== SNAPSHOT_FORMAT) throw new DatasetError(`snapshot ${label}: not a format ${SNAPSHOT_FORMAT} snapshot header`);
  for (const key of ["preset", "repo", "config", "split", "date", "sha256"] as const) {
    if (typeof h[key] !== "string") throw new DatasetError(`snapshot ${label}: header has no ${key}`);
  }
  if (typeof h.questions !== "number") throw new DatasetError(`snapshot ${label}: header has no question count`);
  return h as SnapshotHeader;
}

/** Header and questions; `verify` also checks the checksum (tests and the script; start-up trusts the binary). */
export function parseSnapshot(text: string, label: string, verify = false): Snapshot {
  const header = parseSnapshotHeader(text, label);
  const body = text.slice(text.indexOf("\n") + 1);
  if (verify && sha256Hex(body) !== header.sha256) throw new DatasetError(`snapshot ${label}: checksum mismatch`);
  const questions: Question[] = [];
  for (const [i, line] of body.split("\n").entries()) {
    if (line === "") continue;
    let q: QuestionLine;
    try {
      q = JSON.parse(line) as QuestionLine;
    } catch {
      throw new DatasetError(`snapshot ${label}:${i + 2}: not valid JSON`);
    }
    questions.push({
      index: questions.length,
      id: q.id,
      text: q.question,
      answer: q.answer,
      ...(q.choices !== undefined ? { choices: q.choices } : {}),
      ...(q.difficulty !== undefined ? { difficulty: q.difficulty } : {}),
    });
  }
  if (questions.length !== header.questions) {
    throw new DatasetError(`snapshot ${label}: ${questions.length} questions, the header says ${header.questions}`);
  }
  return { header, questions };
}

// Several datasets served from one index: one question list with a dense index and unique ids.
import type { LoadedPart } from "./load.ts";
import { DatasetError, type Dataset, type Origin, type Question } from "./types.ts";

/** When parts come from different places, the dataset-level origin names the first of these that occurs. */
const ORIGIN_PRIORITY: readonly Origin[] = ["file", "hub", "embedded", "cache"];

/**
 * Concatenates the parts in order. With several parts every id is prefixed by its dataset's name ("gsm8k/12");
 * any id that still repeats (a file with duplicate ids) gets "#2", "#3", ... so that ids name one question.
 */
export function combineParts(loaded: readonly LoadedPart[]): Dataset {
  if (loaded.length === 0) throw new DatasetError("no dataset given");
  const several = loaded.length > 1;
  const used = new Set<string>();
  const questions: Question[] = [];
  for (const { part, questions: own } of loaded) {
    for (const q of own) {
      const id = uniqueId(several ? `${part.name}/${q.id}` : q.id, used);
      questions.push({ ...q, index: questions.length, id });
    }
  }
  const parts = loaded.map((l) => l.part);
  const origins = new Set(parts.map((p) => p.origin));
  return {
    name: parts.map((p) => p.name).join(", "),
    config: parts.map((p) => p.config).join(", "),
    split: parts.map((p) => p.split).join(", "),
    origin: ORIGIN_PRIORITY.find((o) => origins.has(o))!,
    partial: parts.some((p) => p.partial),
    parts,
    questions,
  };
}

function uniqueId(id: string, used: Set<string>): string {
  let candidate = id;
  for (let n = 2; used.has(candidate); n++) candidate = `${id}#${n}`;
  used.add(candidate);
  return candidate;
}

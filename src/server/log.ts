import type { ChatOutcome } from "./chat.ts";

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly outcome: ChatOutcome | undefined;
  readonly ms: number;
  /** Why the request failed, for error replies. */
  readonly error?: string;
}

/** What a reply was: `q=17 correct`, `q=17 no-answer`, `judge`, `unmatched`. */
function describeOutcome(outcome: ChatOutcome): string {
  if (outcome.kind === "judge") return " judge";
  if (outcome.kind === "echo") return " unmatched";
  const verdict = outcome.plan?.verdict ?? (outcome.correct ? "correct" : "wrong");
  return ` q=${outcome.questionId} ${verdict}`;
}

/** One line per request: `POST /v1/chat/completions 200 q=17 correct 0.21ms`. */
export function formatRequestLine(record: RequestRecord): string {
  const what = record.outcome
    ? describeOutcome(record.outcome)
    : record.error
      ? ` error=${JSON.stringify(record.error.length > 120 ? `${record.error.slice(0, 117)}...` : record.error)}`
      : "";
  return `${new Date().toISOString()} ${record.method} ${record.path} ${record.status}${what} ${record.ms.toFixed(2)}ms`;
}

/**
 * Batches log lines: one write per event-loop turn instead of one per request, which matters
 * at tens of thousands of requests a second. Writes are synchronous and whole, so nothing is
 * lost or reordered when the process exits right after a flush.
 */
export class LineBuffer {
  #lines: string[] = [];
  #scheduled = false;

  constructor(private readonly write: (chunk: string) => void) {}

  readonly push = (line: string): void => {
    this.#lines.push(line);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.flush);
    }
  };

  readonly flush = (): void => {
    this.#scheduled = false;
    if (this.#lines.length === 0) return;
    const chunk = `${this.#lines.join("\n")}\n`;
    this.#lines = [];
    this.write(chunk);
  };
}

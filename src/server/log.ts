import type { ChatOutcome } from "./chat.ts";

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly outcome: ChatOutcome | undefined;
  readonly ms: number;
}

/** One line per request: `POST /v1/chat/completions 200 q=17 correct 0.21ms`. */
export function formatRequestLine(record: RequestRecord): string {
  const what = record.outcome ? ` q=${record.outcome.questionId} ${record.outcome.correct ? "correct" : "wrong"}` : "";
  return `${new Date().toISOString()} ${record.method} ${record.path} ${record.status}${what} ${record.ms.toFixed(2)}ms`;
}

import type { Dataset } from "../dataset/types.ts";
import type { Decider } from "../decide/decide.ts";
import type { AnswerPool } from "../respond/wrong.ts";

/** Everything a request handler needs, built once at start-up by main.ts. */
export interface ServerContext {
  readonly dataset: Dataset;
  /** Index of the dataset question carried by these message texts, if any. */
  readonly findQuestion: (texts: readonly string[]) => number | undefined;
  readonly decider: Decider;
  readonly pool: AnswerPool;
  readonly alias: string;
  readonly fingerprint: string;
  readonly maxBodyBytes: number;
  /** Seconds allowed to receive a request body (--read-timeout). */
  readonly readTimeoutSeconds: number;
  /** Called once per request with its log line; undefined when --quiet. */
  readonly log: ((line: string) => void) | undefined;
}

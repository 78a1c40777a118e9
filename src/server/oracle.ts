import { type Ledger, type LedgerLike, type Verdict } from "../decide/records.ts";
import { Tally, type LiveTally } from "../decide/tally.ts";
import { simulatedTimings, type Timings } from "../respond/timings.ts";
import { replyFacts, replyHash } from "../respond/text-memo.ts";
import { isoNow } from "./clock.ts";
import type { Answer } from "./answer.ts";
import type { Metrics } from "./metrics.ts";

/**
 * What the simulator meant, kept three ways: the ledger (per reply, optionally on disk), the tally
 * behind /sim/stats, and the Prometheus counters. Judge and unmatched requests are counted apart.
 */
export class Oracle<L extends LedgerLike = Ledger> {
  constructor(
    readonly ledger: L,
    readonly metrics: Metrics | undefined,
    /** A SharedTally when --threads-http workers answer together. */
    readonly tally: LiveTally = new Tally(),
  ) {}

  /**
   * Records every choice of one completion, before its reply is sent: a crash after that loses nothing answered.
   * `timingsOf` gives a reply's simulated timings when latency is simulated (--ttft-ms, --tps); else the default speeds'.
   */
  onAnswers(id: string, answers: readonly Answer[], timingsOf?: (answer: Answer) => Timings): void {
    for (let choice = 0; choice < answers.length; choice++) this.#onAnswer(answers[choice]!, id, choice, timingsOf);
  }

  onUnmatched(): void {
    this.tally.onUnmatched();
    this.metrics?.onUnmatched();
  }

  /** An X-Sim-Outcome: error reply: recorded, then answered with a 500. */
  onInjectedError(dataset: string, question: string, attempt: number, gold: string): void {
    const record = this.ledger.append({
      time: new Date().toISOString(),
      id: "-",
      dataset,
      question,
      attempt,
      choice: 0,
      gold,
      given: null,
      written: null,
      form: "none",
      style: "none",
      format: "none",
      verdict: "error",
      latency_ms: 0,
      response_hash: "",
    });
    this.tally.add(record);
    this.metrics?.onReply({ dataset, verdict: "error", promptTokens: 0, completionTokens: 0, promptMs: 0, predictedMs: 0 });
  }

  #onAnswer(answer: Answer, id: string, choice: number, timingsOf: ((answer: Answer) => Timings) | undefined): void {
    const outcome = answer.outcome;
    if (outcome.kind === "judge") {
      this.tally.onJudge();
      this.metrics?.onJudge();
      return;
    }
    if (outcome.kind === "echo") return this.onUnmatched();
    const plan = outcome.plan!;
    const timings = timingsOf?.(answer) ?? simulatedTimings(answer.promptTokens, answer.completionTokens);
    // The verdict of what was delivered: answerPrompt made it no-answer when a stop string or the token limit cut the answer off.
    const verdict: Verdict = plan.verdict;
    // A short reply's hash, remembered with its text, comes with its two words for the ring (no string read).
    const facts = replyFacts(answer.content);
    // A draft with seq first: the ledger numbers it in place rather than copying it.
    const record = this.ledger.appendDraft({
      seq: 0,
      time: isoNow(), // the same string as new Date().toISOString(), made once per millisecond
      id,
      dataset: outcome.dataset!,
      question: outcome.questionId,
      attempt: outcome.attempt!,
      choice,
      gold: plan.gold,
      given: plan.given,
      written: plan.written,
      form: plan.form,
      style: plan.style,
      format: plan.format,
      verdict,
      // Simulated generation time: what a real server would have taken for this reply.
      latency_ms: Math.round((timings.prompt_ms + timings.predicted_ms) * 1000) / 1000,
      response_hash: replyHash(answer.content), // the same facts' hash, or responseHash of a long reply
    }, facts?.hashHigh, facts?.hashLow);
    this.tally.add(record, outcome.index);
    this.metrics?.onReply({
      dataset: record.dataset,
      verdict,
      promptTokens: answer.promptTokens,
      completionTokens: answer.completionTokens,
      promptMs: timings.prompt_ms,
      predictedMs: timings.predicted_ms,
    });
  }
}

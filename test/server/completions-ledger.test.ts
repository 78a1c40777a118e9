// The text-completion routes share the chat route's answer path, so their replies are recorded too:
// one ledger record per prompt, with the reply's id, and the same counts in the tally.
import { describe, expect, test } from "bun:test";
import { Ledger as RecordLedger, responseHash } from "../../src/decide/records.ts";
import { Oracle } from "../../src/server/oracle.ts";
import { dropInContext, jsonOf, post, send } from "./dropin-helpers.ts";
import { QUESTIONS } from "./helpers.ts";

function withOracle() {
  const oracle = new Oracle(new RecordLedger({ keep: 100 }), undefined);
  return { ctx: { ...dropInContext({ rate: 1 }), oracle }, oracle };
}

describe("the ledger records text completions", () => {
  test("/v1/completions: one record per prompt, under the reply's id, hashing the text the client got", async () => {
    const { ctx, oracle } = withOracle();
    const body = await jsonOf(await send(ctx, post("/v1/completions", { prompt: [QUESTIONS[0]!.text, QUESTIONS[3]!.text] })));
    const result = body as unknown as { id: string; choices: { text: string }[] };
    const { records } = oracle.ledger.page(0, 10);
    expect(records.map((r) => [r.question, r.choice, r.verdict])).toEqual([
      [QUESTIONS[0]!.id, 0, "correct"],
      [QUESTIONS[3]!.id, 1, "correct"],
    ]);
    expect(records.every((r) => r.id === result.id)).toBe(true);
    expect(records[1]!.response_hash).toBe(responseHash(result.choices[1]!.text));
    expect(oracle.tally.stats({ configuredRate: 1, mode: "random" }).totals.correct).toBe(2);
  });

  test("/completion (native): recorded as well", async () => {
    const { ctx, oracle } = withOracle();
    const response = await send(ctx, post("/completion", { prompt: QUESTIONS[2]!.text }));
    expect(response.status).toBe(200);
    expect(oracle.ledger.page(0, 10).records.map((r) => r.question)).toEqual([QUESTIONS[2]!.id]);
  });
});

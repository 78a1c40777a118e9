// A chat completion's SSE events, as llama-server sends them: all at once, or as a table rendered event by
// event for a paced stream.
import { simulatedTimingsJson } from "../respond/timings.ts";
import { streamLogprobs } from "../respond/logprobs.ts";
import { memoByText } from "../respond/text-memo.ts";
import { splitIntoPieces } from "../respond/tokens.ts";
import { toolCallDeltas } from "../respond/tools.ts";
import type { Answer } from "./answer.ts";
import { modelJson, usageJson } from "./chat-json.ts";
import type { ServerContext } from "./context.ts";
import { cutsOf, pieceOf, pieceOrdinal, type EventTable } from "./event-table.ts";
import { SSE_DONE } from "./sse.ts";

/** How a stream is laid out: its final timings. */
export interface StreamLayout {
  /** The `timings` JSON; by default the simulated speeds' figures for the first choice. */
  readonly timings?: string;
  /**
   * timings_per_token: the timings JSON after `tokens` generated tokens of a choice, carried by every
   * token's chunk (never the role chunk); undefined = no per-token timings.
   */
  readonly progress?: (promptTokens: number, tokens: number) => string;
}

/** The chunks of one stream: llama-server's JSON for each kind of event, sharing the stream's meta fields. */
function chunkWriter(ctx: ServerContext, id: string, answers: readonly Answer[], topN: number | undefined, layout: StreamLayout) {
  const first = answers[0]!;
  const created = Math.floor(Date.now() / 1000);
  const meta = `"created":${created},"id":"${id}",${modelJson(ctx)},"object":"chat.completion.chunk"`;
  // Every delta event ends with the meta fields: one tail shared by the stream, written after each head (split-events.ts).
  const tail = `,${meta}}\n\n`;
  const timings = layout.timings ?? simulatedTimingsJson(first.promptTokens, first.completionTokens);
  const seed = ctx.decider.seed;
  const progress = layout.progress;
  return {
    tail,
    /** The tail of a token's chunk: the shared one, or with the timings once `tokens` of the choice are generated. */
    tokenTail: progress === undefined ? () => tail : (answer: Answer, tokens: number) => `,${meta},"timings":${progress(answer.promptTokens, tokens)}}\n\n`,
    // Each delta event's head (up to the shared tail); an event is its head + tail.
    heads: {
      role: (index: number) => (index === 0 ? ROLE_HEAD : deltaHead(index, ROLE_DELTA)),
      reasoning: (index: number, piece: string) => deltaHead(index, `{"reasoning_content":${JSON.stringify(piece)}}`),
      content: (index: number, answer: Answer, piece: string, position: number) =>
        deltaHead(index, `${contentDelta(piece)}${topN ? `,"logprobs":${JSON.stringify(streamLogprobs(piece, position, topN, seed, answer.keys))}` : ""}`),
      tool: (index: number, body: unknown) => deltaHead(index, JSON.stringify(body)),
    },
    /** The finish chunk; the last one before [DONE] carries `timings`. */
    finish: (index: number, answer: Answer, withTimings: boolean) =>
      `data: {"choices":[{"finish_reason":"${answer.finishReason}","index":${index},"delta":{}}],${meta}${withTimings ? `,"timings":${timings}` : ""}}\n\n`,
    usage: () => `data: {"choices":[],${meta},"usage":${usageJson(first.promptTokens, first.completionTokens)},"timings":${timings}}\n\n`,
  };
}

/** An event's opening, up to the stream's shared tail: one choice's delta. */
const deltaHead = (index: number, delta: string): string => `data: {"choices":[{"finish_reason":null,"index":${index},"delta":${delta}}]`;
const ROLE_DELTA = `{"role":"assistant","content":null}`;
const ROLE_HEAD = deltaHead(0, ROLE_DELTA);
const contentDelta = (piece: string): string => `{"content":${JSON.stringify(piece)}}`;

/**
 * A reply text's content events for choice 0 up to the shared tail, split as splitIntoPieces splits it:
 * made once per text (short replies repeat), which saves the split, the escaping and most of each
 * event's rope (a third of a 17-event stream's rendering).
 */
// 256 texts a generation (two kept): an entry holds an event per piece (up to ~12 KB for a 512-character text), so the table stays a few MB.
const contentHeads = memoByText((text) => splitIntoPieces(text).map((piece) => deltaHead(0, contentDelta(piece))), 256);

/**
 * The SSE events as llama-server sends them: per choice a role chunk with `content: null`,
 * `reasoning_content` deltas, then `content` deltas, one per piece of text, and a finish chunk
 * with an empty delta; then the usage chunk if asked, then [DONE]. `timings` rides on the last
 * chunk before [DONE]. As head/tail pairs (server/split-events.ts): a delta event's head and the
 * stream's shared tail, or a whole event and "".
 */
export function streamEventParts(ctx: ServerContext, id: string, answers: readonly Answer[], includeUsage: boolean, topN?: number, layout: StreamLayout = {}): string[] {
  const chunk = chunkWriter(ctx, id, answers, topN, layout);
  const { heads, tail, tokenTail } = chunk;
  const parts: string[] = [];
  answers.forEach((answer, index) => {
    parts.push(heads.role(index), tail);
    // Characters of this choice generated so far, for per-token timings (estimateTokens' four to a token).
    let text = 0;
    const token = (head: string, piece: number) => parts.push(head, tokenTail(answer, Math.max(1, Math.round((text += piece) / 4))));
    if (answer.reasoningContent) for (const piece of splitIntoPieces(answer.reasoningContent)) token(heads.reasoning(index, piece), piece.length);
    if (index === 0 && !topN && layout.progress === undefined) for (const head of contentHeads(answer.content)) parts.push(head, tail);
    else splitIntoPieces(answer.content).forEach((piece, position) => token(heads.content(index, answer, piece, position), piece.length));
    if (answer.toolCalls) for (const delta of toolCallDeltas(answer.toolCalls)) token(heads.tool(index, delta), delta.tool_calls[0].function.arguments.length);
    parts.push(chunk.finish(index, answer, !includeUsage && index === answers.length - 1), "");
  });
  if (includeUsage) parts.push(chunk.usage(), "");
  parts.push(SSE_DONE, "");
  return parts;
}

// A paced stream's events as a table (server/event-table.ts): one code and one piece number per event.
const ROLE = 0;
const REASONING = 1;
const CONTENT = 2;
const TOOL = 3;
const FINISH = 4;
const USAGE = 5;
const DONE = 6;

/**
 * The same events as streamEventParts (joined) for a paced stream, rendered only when each is sent, with each
 * event's token ordinal: a choice's pieces are spread over its tokens, its role chunk comes with
 * the first token and its finish chunk one step after the last; usage and [DONE] after the longest.
 */
export function pacedStreamTable(
  ctx: ServerContext,
  id: string,
  answers: readonly Answer[],
  includeUsage: boolean,
  topN: number | undefined,
  timings: string,
  tokenSized: boolean,
  progress?: StreamLayout["progress"],
): { readonly table: EventTable; readonly ordinals: Float64Array } {
  const chunk = chunkWriter(ctx, id, answers, topN, { timings, progress });
  const { heads, tail, tokenTail } = chunk;
  const choices = answers.map((answer) => ({
    answer,
    reasoning: cutsOf(answer.reasoningContent, tokenSized),
    content: cutsOf(answer.content, tokenSized),
    tools: answer.toolCalls ? toolCallDeltas(answer.toolCalls) : [],
  }));
  const total = choices.reduce((n, c) => n + 2 + c.reasoning.length + c.content.length + c.tools.length, 0) + (includeUsage ? 1 : 0) + 1;
  const codes = new Int32Array(total);
  const pieces = new Int32Array(total);
  const ordinals = new Float64Array(total);
  let e = 0;
  const put = (index: number, kind: number, piece: number, ordinal: number) => {
    codes[e] = (index << 3) | kind;
    pieces[e] = piece;
    ordinals[e++] = ordinal;
  };
  choices.forEach((c, index) => {
    const count = c.reasoning.length + c.content.length + c.tools.length;
    const tokens = c.answer.completionTokens;
    put(index, ROLE, 0, 1);
    let j = 0;
    for (let k = 0; k < c.reasoning.length; k++) put(index, REASONING, k, pieceOrdinal(j++, count, tokens));
    for (let k = 0; k < c.content.length; k++) put(index, CONTENT, k, pieceOrdinal(j++, count, tokens));
    for (let k = 0; k < c.tools.length; k++) put(index, TOOL, k, pieceOrdinal(j++, count, tokens));
    put(index, FINISH, 0, tokens + 1);
  });
  const longest = Math.max(...answers.map((a) => a.completionTokens));
  if (includeUsage) put(0, USAGE, 0, longest + 1);
  put(0, DONE, 0, longest + 1);
  // An event's token ordinal, as the count of tokens generated with it (per-token timings).
  const tokensAt = (i: number, answer: Answer) => Math.max(1, Math.min(answer.completionTokens, Math.floor(ordinals[i]!)));
  const render = (i: number): string => {
    const index = codes[i]! >> 3;
    const k = pieces[i]!;
    const c = choices[index]!;
    switch (codes[i]! & 7) {
      case ROLE:
        return heads.role(index) + tail;
      case REASONING:
        return heads.reasoning(index, pieceOf(c.answer.reasoningContent!, c.reasoning, k)) + tokenTail(c.answer, tokensAt(i, c.answer));
      case CONTENT:
        return heads.content(index, c.answer, pieceOf(c.answer.content, c.content, k), k) + tokenTail(c.answer, tokensAt(i, c.answer));
      case TOOL:
        return heads.tool(index, c.tools[k]) + tokenTail(c.answer, tokensAt(i, c.answer));
      case FINISH:
        return chunk.finish(index, c.answer, !includeUsage && index === answers.length - 1);
      case USAGE:
        return chunk.usage();
      default:
        return SSE_DONE;
    }
  };
  return { table: { length: total, render }, ordinals };
}

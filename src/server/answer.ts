import type { ReasoningFormat } from "../config.ts";
import type { Verdict } from "../decide/decide.ts";
import { detectJudge } from "../judge/detect.ts";
import { judgeReply } from "../judge/reply.ts";
import { composeReply, type ComposedReply, type ReplyPlan } from "../respond/compose.ts";
import { continueFrom } from "../respond/prefill.ts";
import { answerLine, type AnswerFormat } from "../respond/format.ts";
import { applyStop, layoutForStops, statementKept, type ReplyText } from "../respond/stop.ts";
import { jsonReply, type ResponseFormat } from "../respond/structured.ts";
import { toolCallReply, type ToolCall, type ToolChoice, type ToolSpec } from "../respond/tools.ts";
import { completeWithin } from "../respond/render.ts";
import { estimateTokens } from "../respond/tokens.ts";
import type { ServerContext } from "./context.ts";
import { HttpError, invalidRequest } from "./errors.ts";

/** One message of a prompt, reduced to what the simulator reads. */
export interface PromptMessage {
  readonly role: string;
  readonly text: string;
}

/** What any completion route (chat, /completion, /v1/completions) asks of the answer path. */
export interface AnswerRequest {
  readonly messages: readonly PromptMessage[];
  /** n_predict / max_tokens / max_completion_tokens, already resolved; undefined or negative = no limit. */
  readonly maxTokens: number | undefined;
  readonly temperature?: number;
  /** The request's `seed` field. */
  readonly seed?: number;
  /** The request's `reasoning_format`, else the server's --reasoning-format. */
  readonly reasoningFormat?: ReasoningFormat;
  /** Whether the reply is streamed (deepseek-legacy keeps thoughts inline only then). */
  readonly stream?: boolean;
  /** X-Sim-Outcome, passed only under --allow-override. */
  readonly override?: Verdict;
  /** Stop strings: the reply ends before the first one. */
  readonly stop?: readonly string[];
  /** A trailing assistant message: the reply continues it. */
  readonly prefill?: string;
  /** JSON output (response_format / json_schema). */
  readonly responseFormat?: ResponseFormat;
  readonly tools?: readonly ToolSpec[];
  readonly toolChoice?: ToolChoice;
}

/** What the request log, the ledger and the metrics learn about a reply. */
export interface ChatOutcome {
  /** "question": a dataset question was answered; "judge": a judge request; "echo": an unmatched prompt echoed. */
  readonly kind: "question" | "judge" | "echo";
  readonly questionId: string;
  readonly correct: boolean;
  /** For questions: the dataset it came from, its attempt number and what the reply meant. */
  readonly dataset?: string;
  readonly attempt?: number;
  /** The question's index in the dataset (the tally counts by it). */
  readonly index?: number;
  readonly plan?: ReplyPlan;
}

/** The reply of one choice, before any route formats it. */
export interface Answer {
  readonly content: string;
  /** Thoughts split out of content (llama-server's reasoning_content); undefined when there are none or they stay inline. */
  readonly reasoningContent: string | undefined;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly finishReason: "stop" | "length" | "tool_calls";
  /** The stop string that ended the reply (llama-server's stop_type "word"), when one did. */
  readonly stoppingWord?: string;
  /** Function calls instead of prose (tool_choice required or named). */
  readonly toolCalls?: readonly ToolCall[];
  readonly outcome: ChatOutcome;
  /** Keys of the decision, for any further choice about this reply's presentation (logprobs). */
  readonly keys: readonly number[];
}

/** Chat template overhead per message in a typical Llama-3 template. */
const TOKENS_PER_MESSAGE = 4;

export function promptTokens(messages: readonly PromptMessage[]): number {
  let sum = 0;
  for (const m of messages) sum += estimateTokens(m.text) + TOKENS_PER_MESSAGE;
  return sum;
}

/** The messages' texts, in order (what the matcher and the reply composer read). */
function textsOf(messages: readonly PromptMessage[]): string[] {
  const texts = new Array<string>(messages.length);
  for (let i = 0; i < messages.length; i++) texts[i] = messages[i]!.text;
  return texts;
}

const ECHO_REPLY =
  "Hello! I am llama-sim, a simulated model: I answer the questions of the benchmark I was started with. " +
  "This prompt carries none of them, so here is a short generic reply.";

/**
 * Finds what a prompt asks and writes the reply: shared by every completion route. A judge request
 * is recognised first (it quotes a reply, and may quote the question too) and never scored.
 */
export function answerPrompt(ctx: ServerContext, request: AnswerRequest): Answer {
  const tokensIn = promptTokens(request.messages);
  // One array of texts for the matcher and the composer (it reads the answer format and options from them).
  const texts = textsOf(request.messages);
  const index = ctx.findQuestion(texts);
  // A judge's request may quote the question too: it is recognised first, and the question found only
  // tells it where the quoted question is (no cue word inside it counts).
  const question = index === undefined ? undefined : ctx.question(index);
  const judge = detectJudge(request.messages, question?.text);
  if (judge !== undefined) {
    const reply = judgeReply(judge);
    const text = request.responseFormat ? jsonReply(request.responseFormat, reply.text, "", 0, [0]) : reply.text;
    return plain(text, tokensIn, request, { kind: "judge", questionId: "-", correct: reply.correct ?? false });
  }
  if (index === undefined || question === undefined) {
    if (ctx.reply.onUnmatched === "error") ctx.oracle?.onUnmatched();
    if (ctx.reply.onUnmatched === "echo") return plain(ECHO_REPLY, tokensIn, request, { kind: "echo", questionId: "-", correct: false });
    throw invalidRequest(
      `no dataset question matched the request: the prompt must contain one of the ${ctx.dataset.questions.length} questions of ${ctx.dataset.name} in full`,
    );
  }
  const decision = ctx.decider.decide(index, { temperature: request.temperature, requestSeed: request.seed, override: request.override });
  if (decision.forced === "error") {
    ctx.oracle?.onInjectedError(question.dataset ?? ctx.dataset.name, question.id, decision.attempt, question.answer);
    throw new HttpError(500, "server_error", "injected error (X-Sim-Outcome: error)");
  }
  const composed = composeReply({
    question,
    texts,
    outcome: decision.forced === "no-answer" ? "no-answer" : decision.correct ? "correct" : "wrong",
    seed: ctx.decider.seed,
    keys: decision.keys,
    pool: ctx.poolFor(question),
    options: ctx.reply,
  });
  // A prefill makes llama-server parse nothing out of the reply: thoughts stay inline.
  const format = request.prefill !== undefined ? "none" : (request.reasoningFormat ?? ctx.reply.reasoningFormat);
  const inline = composed.thinkInline || format === "none" || (format === "deepseek-legacy" && request.stream === true);
  // The composed reply is its own plan (a ComposedReply is a ReplyPlan) and its own text (thoughts, body): no copies.
  const split: ReplyText = composed;
  let plan: ReplyPlan = composed;
  const seed = ctx.decider.seed;
  const stated = plan.written ?? undefined;
  let calls = request.tools?.length ? toolCallReply(request.tools, request.toolChoice ?? "auto", stated, split.thoughts ?? composed.body, seed, decision.keys) : undefined;
  let limited: Limited;
  if (calls !== undefined) {
    const cut = limitCalls(inline ? undefined : split.thoughts, calls.tool_calls, request.maxTokens);
    calls = { tool_calls: cut.calls };
    limited = cut.limited;
  } else if (request.responseFormat !== undefined) {
    // Grammar-constrained output is JSON from the first token: no inline thoughts before it.
    const json = jsonReply(request.responseFormat, stated, split.thoughts ?? composed.body, seed, decision.keys);
    limited = limitReply(inline ? undefined : split.thoughts, json, false, request, stated, undefined);
  } else if (wholeReply(composed, request)) {
    // What limitReply would give, from the token count the short reply came with: its text is not read (a cold line a request).
    limited = { content: composed.body, reasoningContent: undefined, completionTokens: composed.bodyTokens!, finishReason: "stop", stoppingWord: undefined, kept: true };
  } else {
    const stops = request.stop;
    // Laid out around stop strings only when there are some (no closure or copy on the usual path).
    const reply =
      stated === undefined || stops === undefined || stops.length === 0
        ? split
        : layoutForStops(split, answerLine(plan.format, stated), stops, (r: ReplyText) => limitReply(r.thoughts, r.body, inline, { ...request, maxTokens: undefined }, stated, plan.format).kept);
    limited = limitReply(reply.thoughts, reply.body, inline, request, stated, plan.format);
  }
  // A reply whose answer a stop string or the token limit cut off gives none, whatever it meant to say.
  if (!limited.kept && plan.verdict !== "no-answer") {
    plan = { verdict: "no-answer", gold: plan.gold, given: plan.given, written: plan.written, form: plan.form, style: plan.style, format: plan.format };
  }
  const outcome: ChatOutcome = {
    kind: "question",
    questionId: question.id,
    correct: plan.verdict === "correct",
    dataset: question.dataset ?? ctx.dataset.name,
    attempt: decision.attempt,
    index,
    plan,
  };
  // Object literals rather than spreads: a spread copies property by property at run time.
  if (calls !== undefined && calls.tool_calls.length > 0) {
    const { content, reasoningContent, completionTokens, finishReason } = limited;
    return { content, reasoningContent, completionTokens, finishReason, toolCalls: calls.tool_calls, keys: decision.keys, promptTokens: tokensIn, outcome };
  }
  return {
    content: limited.content,
    reasoningContent: limited.reasoningContent,
    completionTokens: limited.completionTokens,
    finishReason: limited.finishReason,
    stoppingWord: limited.stoppingWord,
    keys: decision.keys,
    promptTokens: tokensIn,
    outcome,
  };
}

function plain(text: string, tokensIn: number, request: AnswerRequest, outcome: ChatOutcome): Answer {
  const limited = limitReply(undefined, text, false, request);
  const { content, reasoningContent, completionTokens, finishReason, stoppingWord } = limited;
  return { content, reasoningContent, completionTokens, finishReason, stoppingWord, promptTokens: tokensIn, outcome, keys: [0] };
}

/**
 * Tool calls under the token limit, generated after the thoughts: a limit reached inside the thoughts
 * leaves no call; one reached inside the arguments leaves them cut (not valid JSON) with finish_reason
 * "length", as llama-server keeps partial calls. Either way the answer was not delivered.
 */
function limitCalls(thoughts: string | undefined, calls: readonly ToolCall[], limit: number | undefined): { calls: ToolCall[]; limited: Limited } {
  const thinking = estimateTokens(thoughts ?? "");
  const args = calls.reduce((n, c) => n + estimateTokens(c.function.arguments), 0);
  if (limit === undefined || limit < 0 || thinking + args <= limit) {
    return { calls: [...calls], limited: { content: "", reasoningContent: thoughts, completionTokens: thinking + args, finishReason: "tool_calls", kept: true } };
  }
  if (thinking >= limit) {
    const t = completeWithin(thoughts ?? "", limit);
    return { calls: [], limited: { content: "", reasoningContent: t.content || undefined, completionTokens: t.completionTokens, finishReason: "length", kept: false } };
  }
  // Four characters a token, as completeWithin cuts text.
  let room = (limit - thinking) * 4;
  const kept: ToolCall[] = [];
  for (const call of calls) {
    if (room <= 0) break;
    const text = call.function.arguments.slice(0, room);
    room -= text.length;
    kept.push({ ...call, function: { ...call.function, arguments: text } });
  }
  return { calls: kept, limited: { content: "", reasoningContent: thoughts, completionTokens: limit, finishReason: "length", kept: false } };
}

/** A reply cut to the token limit; `reasoningContent` may be absent (completeWithin's result, passed on as it is). */
type Cut = Pick<Answer, "content" | "completionTokens" | "finishReason"> & { readonly reasoningContent?: string };
/** A reply as generated, and whether its answer statement (when it has one) came out whole. */
type Limited = Cut & { readonly stoppingWord?: string; readonly kept: boolean };

/**
 * Whether limitReply would leave the composed reply as it is: no thoughts, prefill or stop strings, and a
 * known token count within the limit. (The reply then never reaches the token limit, so its answer is whole.)
 */
function wholeReply(composed: ComposedReply, request: AnswerRequest): boolean {
  const tokens = composed.bodyTokens;
  const limit = request.maxTokens;
  return (
    tokens !== undefined &&
    composed.thoughts === undefined &&
    request.prefill === undefined &&
    (request.stop === undefined || request.stop.length === 0) &&
    (limit === undefined || limit < 0 || tokens <= limit)
  );
}

/**
 * The reply as generated: a prefill is continued, stop strings end it, then the token limit.
 * `written`: the answer as the reply writes it, stated in `format`'s line (undefined: as it is, in
 * JSON); `kept` says whether a cut left the statement readable.
 */
function limitReply(thoughts: string | undefined, body: string, inline: boolean, request: AnswerRequest, written?: string, format?: AnswerFormat): Limited {
  const stops = request.stop ?? [];
  if (thoughts !== undefined && thoughts !== "" && inline) {
    body = `<think>\n${thoughts}\n</think>\n\n${body}`;
    thoughts = undefined;
  }
  if (request.prefill !== undefined) body = continueFrom(request.prefill, body);
  const whole = body;
  let stoppingWord: string | undefined;
  if (stops.length > 0) {
    if (thoughts) {
      const t = applyStop(thoughts, stops);
      if (t.stopped) return limited(cutTokens(t.text, "", request.maxTokens), t.word, written === undefined);
    }
    const b = applyStop(body, stops);
    body = b.text;
    stoppingWord = b.word;
  }
  const cut = cutTokens(thoughts, body, request.maxTokens);
  // Only a cut can lose the answer; the statement is written out only then.
  const kept = written === undefined || cut.content.length >= whole.length || answerReadable(whole, cut.content, written, format);
  // A stop string ends the reply only if the token limit did not end it first.
  return limited(cut, cut.finishReason === "length" ? undefined : stoppingWord, kept);
}

/**
 * Whether a cut reply still states its answer: its statement (format's line without the final
 * period, which no grader needs) ends within the content; where the reply holds no such line (a
 * prefill's continuation, JSON), the answer itself does.
 */
function answerReadable(whole: string, content: string, written: string, format: AnswerFormat | undefined): boolean {
  const line = format === undefined ? undefined : answerLine(format, written).replace(/\.$/, "");
  return (line !== undefined && statementKept(whole, content, line)) || ((line === undefined || !whole.includes(line)) && statementKept(whole, content, written));
}

/** A cut reply with its stopping word and whether its answer survived, as one literal (no spread copies on the hot path). */
function limited(cut: Cut, stoppingWord: string | undefined, kept: boolean): Limited {
  return { content: cut.content, reasoningContent: cut.reasoningContent, completionTokens: cut.completionTokens, finishReason: cut.finishReason, stoppingWord, kept };
}

/**
 * Applies the token limit to thoughts and answer together, as a model generates them: a limit
 * reached inside the thoughts leaves no answer at all (finish_reason "length").
 */
function cutTokens(thoughts: string | undefined, body: string, limit: number | undefined): Cut {
  if (thoughts === undefined || thoughts === "") return completeWithin(body, limit);
  const t = completeWithin(thoughts, limit);
  if (t.finishReason === "length") return { content: "", reasoningContent: t.content, completionTokens: t.completionTokens, finishReason: "length" };
  const rest = limit === undefined || limit < 0 ? undefined : limit - t.completionTokens;
  const c = completeWithin(body, rest);
  return { content: c.content, reasoningContent: thoughts, completionTokens: t.completionTokens + c.completionTokens, finishReason: c.finishReason };
}

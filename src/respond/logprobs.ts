/**
 * Token log-probabilities in llama-server's chat shape (`choices[i].logprobs.content[]`): per
 * token `{id, token, bytes, logprob, top_logprobs: [{id, token, bytes, logprob}]}`, keys in that
 * order. The values are invented but plausible: every logprob is ≤ 0, the probabilities of a
 * position sum to at most 1, the chosen token is the most likely one and heads its own
 * `top_logprobs`, the alternatives are distinct tokens in descending order. Each entry is a pure
 * function of (piece, position, topN, seed, keys), so a stream and a plain reply agree.
 */
import { uniform } from "../decide/random.ts";
import { hashString } from "./structured.ts";

export interface TopLogprob {
  readonly id: number;
  readonly token: string;
  readonly bytes: number[];
  readonly logprob: number;
}

export interface TokenLogprob extends TopLogprob {
  readonly top_logprobs: TopLogprob[];
}

/** llama-server's most alternatives per token (OpenAI's top_logprobs cap). */
export const MAX_TOP_LOGPROBS = 20;
/** Token ids fall in a Llama-3-sized vocabulary. */
const VOCAB_SIZE = 128256;
/** llama-server writes a probability of 0 as the lowest float, not -inf. */
const LOWEST_FLOAT = -3.4028234663852886e38;
const SALT = 0x10960b5;

/** Common tokens the alternatives are drawn from, after variants of the chosen piece. */
const COMMON_TOKENS: readonly string[] = [
  " the", " a", " to", " of", " and", " is", " in", " that", " we", " it", " this", " for", " so", " be", " with", " as", " on", " by",
  " can", " not", " are", " from", " at", " an", " each", " which", " then", " there", " if", " one", " two", " three", " number",
  " answer", " value", " total", " let", " find", " first", " next", ".", ",", ":", "\n", "\n\n", " =", " +", " -", " \\", "$", " $",
  "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", " (", ")", " Let", " The", " We", " So",
];

const encoder = new TextEncoder();

/** A stable token id for a piece of text (the same piece always gets the same id). */
export function tokenId(piece: string): number {
  return hashString(piece) % VOCAB_SIZE;
}

/** id and bytes of the common tokens, computed once: they recur in every entry. */
const COMMON: readonly { readonly token: string; readonly id: number; readonly bytes: readonly number[] }[] = COMMON_TOKENS.map((token) => ({
  token,
  id: tokenId(token),
  bytes: Array.from(encoder.encode(token)),
}));

/** A step through COMMON that visits every token (coprime with its length). */
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const STRIDE = [7, 11, 13, 17, 1].find((k) => gcd(k, COMMON.length) === 1)!;

function top(token: string, logprob: number): TopLogprob {
  return { id: tokenId(token), token, bytes: Array.from(encoder.encode(token)), logprob };
}

/** Near-misses of the chosen piece a model would also consider: other spacing, casing, a shorter prefix. */
function variants(piece: string): string[] {
  const bare = piece.trimStart();
  const out = [bare === piece ? ` ${piece}` : bare, piece.toLowerCase(), piece.toUpperCase(), piece.slice(0, Math.max(1, Math.ceil(piece.length / 2)))];
  if (bare.length > 0) out.push(piece.replace(bare[0]!, bare[0]!.toUpperCase() === bare[0] ? bare[0]!.toLowerCase() : bare[0]!.toUpperCase()));
  return out;
}

/** The entry for the piece at `position` of the reply, with `topN` (0..20) alternatives including itself. */
export function tokenLogprob(piece: string, position: number, topN: number, seed: number, keys: readonly number[]): TokenLogprob {
  const n = Math.max(0, Math.min(MAX_TOP_LOGPROBS, Math.floor(topN)));
  const drawKeys = [...keys, SALT, position, 0];
  const draw = (j: number) => {
    drawKeys[drawKeys.length - 1] = j;
    return uniform(seed, drawKeys);
  };
  // The chosen token: usually confident, now and then a close call.
  const u = draw(0);
  const chosen = 1 - 0.9 * u * u * u;
  const logprob = (p: number) => (p > 0 ? Math.fround(Math.log(p)) : LOWEST_FLOAT);
  const self = top(piece, logprob(chosen));
  if (n === 0) return { ...self, top_logprobs: [] };
  const tops: TopLogprob[] = [self];
  const seenTokens = new Set([piece]);
  const seenIds = new Set([self.id]);
  // Alternatives: the piece's variants, then common tokens, each taken with a keyed chance so
  // that the list differs from token to token; never a repeated token or id.
  let previous = chosen;
  let remaining = 1 - chosen;
  const add = (token: string, id: number, bytes: readonly number[] | undefined) => {
    if (token === "" || seenTokens.has(token) || seenIds.has(id)) return;
    const p = Math.min(previous, remaining * (0.3 + 0.6 * draw(tops.length)));
    previous = p;
    remaining -= p;
    seenTokens.add(token);
    seenIds.add(id);
    tops.push({ id, token, bytes: bytes === undefined ? Array.from(encoder.encode(token)) : [...bytes], logprob: logprob(p) });
  };
  for (const v of variants(piece)) if (tops.length < n && draw(100 + tops.length) < 0.7) add(v, tokenId(v), undefined);
  const start = Math.floor(draw(200) * COMMON.length);
  for (let i = 0; tops.length < n && i < COMMON.length; i++) {
    const c = COMMON[(start + i * STRIDE) % COMMON.length]!;
    add(c.token, c.id, c.bytes);
  }
  return { ...self, top_logprobs: tops };
}

/** `logprobs.content` for a whole reply split into pieces (tokens.ts `splitIntoPieces`). */
export function chatLogprobs(pieces: readonly string[], topN: number, seed: number, keys: readonly number[]): TokenLogprob[] {
  return pieces.map((piece, i) => tokenLogprob(piece, i, topN, seed, keys));
}

/** The `logprobs` object of one stream chunk carrying the piece at `position`: `{content: [entry]}`. */
export function streamLogprobs(piece: string, position: number, topN: number, seed: number, keys: readonly number[]): { content: TokenLogprob[] } {
  return { content: [tokenLogprob(piece, position, topN, seed, keys)] };
}

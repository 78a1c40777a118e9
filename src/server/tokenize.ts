import { detokenize, isValidToken, N_VOCAB, pieceForDisplay, tokenize } from "../respond/tokenizer.ts";
import { invalidRequest } from "./errors.ts";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** A boolean option read leniently, as llama-server's json_value(): the wrong type means the default. */
const option = (body: Json, key: string, fallback: boolean) => (typeof body[key] === "boolean" ? (body[key] as boolean) : fallback);

function checkTokenIds(ids: readonly unknown[], where: string): number[] {
  return ids.map((id, i) => {
    if (typeof id !== "number" || !isValidToken(id)) throw invalidRequest(`${where}[${i}] must be a token id from 0 to ${N_VOCAB - 1}`);
    return id;
  });
}

/**
 * llama-server's tokenize_mixed: a string, or an array of strings and token ids. BOS (add_special)
 * is added only when the content is a string or its first element is one.
 */
export function tokenizeMixed(content: unknown, addSpecial: boolean, parseSpecial: boolean, where: string): number[] {
  if (typeof content === "string") return tokenize(content, { addSpecial, parseSpecial });
  if (!Array.isArray(content)) throw invalidRequest(`'${where}' must be a string or an array of strings and token ids`);
  const ids: number[] = [];
  content.forEach((part, i) => {
    if (typeof part === "string") ids.push(...tokenize(part, { addSpecial: addSpecial && i === 0, parseSpecial }));
    else if (typeof part === "number" && isValidToken(part)) ids.push(part);
    else throw invalidRequest(`${where}[${i}] must be a string or a token id from 0 to ${N_VOCAB - 1}`);
  });
  return ids;
}

/** POST /tokenize: `{"tokens":[ids]}`, or `[{id, piece}]` with with_pieces; no `content` gives no tokens. */
export function tokenizeBody(body: unknown): string {
  if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
  if (body.content === undefined) return '{"tokens":[]}';
  const ids = tokenizeMixed(body.content, option(body, "add_special", false), option(body, "parse_special", true), "content");
  if (!option(body, "with_pieces", false)) return JSON.stringify({ tokens: ids });
  return JSON.stringify({ tokens: ids.map((id) => ({ id, piece: pieceForDisplay(id) })) });
}

/** POST /detokenize: `{"content": text}`; no `tokens` gives "". */
export function detokenizeBody(body: unknown): string {
  if (!isObject(body)) throw invalidRequest("request body must be a JSON object");
  if (body.tokens === undefined) return '{"content":""}';
  if (!Array.isArray(body.tokens)) throw invalidRequest("'tokens' must be an array of token ids");
  return JSON.stringify({ content: detokenize(checkTokenIds(body.tokens, "tokens")) });
}

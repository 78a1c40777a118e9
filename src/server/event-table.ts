import { splitIntoPieces } from "../respond/tokens.ts";
import { tokenCuts } from "./pacing.ts";

/**
 * A paced stream's events, rendered only when each is sent. Thousands of streams stay open for
 * seconds: holding every chunk's JSON (or a closure and a string per piece) would keep millions
 * of small objects alive, and the garbage collector's pauses then show up as late tokens. A table
 * keeps a few typed arrays and the answers' text per stream instead.
 */
export interface EventTable {
  readonly length: number;
  render(index: number): string;
}

/** A table over events already rendered (tests, small streams). */
export function tableOf(events: readonly string[]): EventTable {
  return { length: events.length, render: (i) => events[i]! };
}

/** Where a text is cut into streamed pieces: each piece's end offset. */
export type Cuts = Int32Array;

const NO_CUTS: Cuts = new Int32Array(0);

/** The cuts of `text`: token-sized (one chunk per token, paced at --tps) or splitIntoPieces' word pieces. */
export function cutsOf(text: string | undefined, tokenSized: boolean): Cuts {
  if (!text) return NO_CUTS;
  if (tokenSized) return tokenCuts(text);
  const pieces = splitIntoPieces(text);
  const cuts = new Int32Array(pieces.length);
  let end = 0;
  pieces.forEach((piece, j) => (cuts[j] = end += piece.length));
  return cuts;
}

/** The j-th piece of `text` cut at `cuts`. */
export const pieceOf = (text: string, cuts: Cuts, j: number): string => text.slice(j === 0 ? 0 : cuts[j - 1]!, cuts[j]!);

/**
 * Events put in the order their tokens come out (`ordinals`, 1 = the first token). One sequence's
 * ordinals never decrease; several (n choices) interleave, as llama-server's parallel slots
 * interleave them; a stable sort keeps each sequence's own order.
 */
export function inTokenOrder(table: EventTable, ordinals: Float64Array): { readonly table: EventTable; readonly ordinals: Float64Array } {
  let sorted = true;
  for (let i = 1; i < ordinals.length && sorted; i++) sorted = ordinals[i - 1]! <= ordinals[i]!;
  if (sorted) return { table, ordinals };
  const order = Int32Array.from({ length: ordinals.length }, (_, i) => i).sort((a, b) => ordinals[a]! - ordinals[b]! || a - b);
  return {
    table: { length: table.length, render: (i) => table.render(order[i]!) },
    ordinals: Float64Array.from(order, (i) => ordinals[i]!),
  };
}

/**
 * Token ordinal of piece `piece` (0-based) of a sequence whose `pieces` chunks carry `tokens`
 * tokens: they come out evenly over tokens 1..tokens (one per token when the pieces are token-sized).
 */
export function pieceOrdinal(piece: number, pieces: number, tokens: number): number {
  if (pieces <= 1 || tokens <= 1) return 1;
  return 1 + (piece * (tokens - 1)) / (pieces - 1);
}

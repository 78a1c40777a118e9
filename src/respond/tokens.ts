/**
 * Token counts without a tokenizer: about four characters per token for English and
 * LaTeX under common BPE vocabularies. Harnesses only sum and divide these numbers.
 */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.round(text.length / 4));
}

/** Pieces of roughly one token each, for streaming: a word with its leading space. */
export function splitIntoPieces(text: string): string[] {
  return text.match(/\s*\S{1,8}|\s+$/gu) ?? [];
}

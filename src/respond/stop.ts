/**
 * Stop strings, as llama-server applies them: generation ends where the earliest stop string
 * begins, and neither the stop string nor anything after it is returned. Empty strings never
 * match (llama-server drops them). Apply it to the raw text the model generates, before any
 * reasoning is split out: llama-server matches stop strings on the token stream, thoughts included.
 */
export interface StopResult {
  /** The text up to (not including) the earliest stop string; all of it when none occurs. */
  readonly text: string;
  readonly stopped: boolean;
  /** The stop string that matched (the first listed among those starting at the same place). */
  readonly word?: string;
}

export function applyStop(text: string, stops: readonly string[]): StopResult {
  let at = -1;
  let word: string | undefined;
  for (const stop of stops) {
    if (stop === "") continue;
    const i = text.indexOf(stop);
    if (i !== -1 && (at === -1 || i < at)) {
      at = i;
      word = stop;
    }
  }
  if (word === undefined) return { text, stopped: false };
  return { text: text.slice(0, at), stopped: true, word };
}

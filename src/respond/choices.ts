/**
 * Multiple choice (GPQA): clients shuffle the options with their own seed, so the correct
 * letter is known only from the prompt. These read the lettered options back out of it.
 */
export interface ShownOption {
  readonly letter: string;
  readonly text: string;
}

const LETTERS = "ABCDEFGHIJ";

// `A) x`, `(A) x`, `A. x`, `A: x`, with optional Markdown bold around the label (`**A)** x`).
// Lines are split at \r and \n only; the dotAll flag lets an option's text hold U+2028 and U+2029 (GPQA has some).
// The text is taken greedily to the end of the line and trimmed in code: a lazy `(.*?)[ \t]*$` backtracks
// quadratically on a line with a long run of spaces inside.
const OPTION_LINE = /^[ \t]*(?:\*\*)?(?:\(([A-J])\)|([A-J])[).:])(?:\*\*)?(?:[ \t]+(.*))?$/s;

// Template lines that follow the last option without a blank line (lm-eval's "(D) x\nAnswer:",
// "Let's think step by step: "): they end the options instead of continuing the last one.
const SCAFFOLD_LINE =
  /^[ \t]*(?:\*\*)?(?:answer|final answer|question|problem|choices|options|solution|explanation|reasoning|let's think|let us think|think step by step|the answer is|please|remember)\b/i;

interface Run {
  options: { letter: string; lines: string[] }[];
}

/**
 * The lettered options shown in the prompt. A run is consecutive letters from A, at least two;
 * an option's text runs on until the next option line, a blank line or a template line
 * ("Answer:", "Let's think step by step"). Other lines between options (the rest of a
 * multi-paragraph option) do not end the run; a new `A` line, a letter out of order or the end
 * of a message does. Few-shot prompts show several runs; the last one is the question asked.
 */
export function shownOptions(texts: readonly string[]): ShownOption[] {
  let last: Run | undefined;
  let current: Run | undefined;
  // Whether the current option still takes continuation lines (no blank or template line since it began).
  let open = false;
  const close = () => {
    if (current && current.options.length >= 2) last = current;
    current = undefined;
    open = false;
  };
  // Messages are separate blocks: a run never spans two of them.
  for (const text of texts) {
    for (const line of text.split(/\r\n|\r|\n/)) {
      const option = OPTION_LINE.exec(line);
      if (option) {
        const letter = (option[1] ?? option[2])!;
        const body = (option[3] ?? "").trim();
        if (current && letter === LETTERS[current.options.length]) {
          current.options.push({ letter, lines: [body] });
          open = true;
          continue;
        }
        close();
        if (letter === "A") {
          current = { options: [{ letter, lines: [body] }] };
          open = true;
        }
        continue;
      }
      if (line.trim() === "" || SCAFFOLD_LINE.test(line)) open = false;
      else if (current && open) current.options.at(-1)!.lines.push(line.trim());
    }
    close();
  }
  return (last?.options ?? []).map(({ letter, lines }) => ({ letter, text: lines.join("\n").trim() }));
}

/** Whitespace, case, LaTeX `$` and trailing punctuation do not make a different option. */
function normalise(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/\$/g, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[\s.,;:!?]+$/, "")
    .toLowerCase();
}

/** lm-eval's GPQA preprocessing drops bracketed text ("spiro[4.5]" -> "spiro") before showing options. */
function loose(text: string): string {
  return normalise(dropBrackets(text.replace(/ \[title\]/g, ". ")));
}

/**
 * Python's re.sub(r"\[.*?\]", "", text): each "[" up to the nearest "]" on the same line. Written
 * as a scan because the regex retries every "[" of a long unclosed run, in quadratic time.
 */
function dropBrackets(text: string): string {
  let out = "";
  let from = 0;
  // The nearest "]" and line end at or after `at`, each found again only once `at` passes it: linear overall.
  let close = -1;
  let lineEnd = -1;
  for (let at = text.indexOf("["); at !== -1; ) {
    if (close < at) close = text.indexOf("]", at);
    if (close === -1) break;
    if (lineEnd < at) lineEnd = text.indexOf("\n", at);
    if (lineEnd === -1) lineEnd = text.length;
    if (lineEnd < close) {
      // No "]" left on this line, so no "[" of it closes: go on from the next line.
      at = text.indexOf("[", lineEnd);
      continue;
    }
    out += text.slice(from, at);
    from = close + 1;
    at = text.indexOf("[", from);
  }
  return out + text.slice(from);
}

/** The single option for which `accept` holds, or undefined when none or several do. */
function only(options: readonly ShownOption[], accept: (o: ShownOption) => boolean): string | undefined {
  const found = options.filter(accept);
  return found.length === 1 ? found[0]!.letter : undefined;
}

/**
 * The shown letter that carries `optionText`: an exact match first (so options differing only in
 * case stay apart), then a normalised one, then as lm-eval shows it (bracketed text dropped), then
 * the one option whose text and `optionText` agree up to where the shorter ends at a word boundary
 * (an option cut at a blank line, or run on into template text).
 */
export function letterOf(options: readonly ShownOption[], optionText: string): string | undefined {
  const exact = options.find((o) => o.text === optionText || o.text === optionText.trim());
  if (exact) return exact.letter;
  const wanted = normalise(optionText);
  if (wanted === "") return undefined;
  const normalised = options.find((o) => normalise(o.text) === wanted);
  if (normalised) return normalised.letter;
  // The first, as lm-eval's own gold is the first shown option equal to the correct one.
  const wantedLoose = loose(optionText);
  const bracketsDropped = wantedLoose === "" ? undefined : options.find((o) => loose(o.text) === wantedLoose);
  if (bracketsDropped) return bracketsDropped.letter;
  return only(options, (o) => {
    const shown = normalise(o.text);
    return shown !== "" && (shown.startsWith(`${wanted} `) || wanted.startsWith(`${shown} `));
  });
}

// "The answer is (B)" in few-shot targets, 'finish with "the answer is (X)"' (lm-eval's GPQA, MMLU-Pro).
const PARENTHESISED_ANSWER = /\banswer(?:[ \t]+is|[ \t]*:)[ \t]*\((?:[A-J]|X)\)/i;
// Options labelled "(A) …", "(B) …" on their own lines.
const PARENTHESISED_LABELS = /^[ \t]*\(A\)[ \t][^]*?^[ \t]*\(B\)[ \t]/m;

/**
 * How the prompt writes an option letter as an answer: "asked" when its instruction or examples put
 * the answer letter in parentheses, "labels" when only the options are labelled "(A)"; undefined when
 * neither. lm-eval's GPQA tasks grade "(B)" (and read "The answer is (B)." first).
 */
export function parenthesisedLetters(texts: readonly string[]): "asked" | "labels" | undefined {
  let labels = false;
  for (const text of texts) {
    if (PARENTHESISED_ANSWER.test(text)) return "asked";
    if (!labels && PARENTHESISED_LABELS.test(text)) labels = true;
  }
  return labels ? "labels" : undefined;
}

/**
 * An approximate tokenizer for /tokenize, /detokenize and token-id prompts. It is not a real
 * model's BPE, but it behaves like one where clients can tell: ids are stable across runs and
 * versions, `detokenize(tokenize(s)) === s` for every string (lone surrogates included), special
 * tokens are Llama 3's, and English or LaTeX comes out at roughly four characters a token.
 *
 * Text is cut like a GPT-style pre-tokenizer (words with their leading space, digit groups of up to
 * three, runs of symbols, whitespace runs), and each piece gets an id from a reversible layout:
 *
 *   0..255          single bytes (UTF-8 fallback for anything outside ASCII)
 *   256..2303       lone UTF-16 surrogates (not encodable in UTF-8; JSON can still carry them)
 *   2304..2323      runs of 1-16 spaces, 1-4 newlines
 *   2400..4511      1-2 ASCII symbols, with or without a leading space
 *   4600..6819      1-3 digits, with or without a leading space
 *   7000..16999     common words and word parts (WORD_TEXT, then DATASET_WORDS), in four case/space variants
 *   17000..17999    LaTeX commands (\\frac, \\sqrt, ...), with or without a leading space
 *   18000..127667   1-3 letters (lower, Capitalised or UPPER), with or without a leading space
 *   128000..        Llama 3's special tokens
 */

import { DATASET_WORDS, LATEX_COMMANDS } from "./tokenizer-vocab.ts";

export const N_VOCAB = 128256;
export const BOS_ID = 128000;
export const EOS_ID = 128009;

/** Llama 3's special tokens that a chat template uses. */
export const SPECIAL_TOKENS: ReadonlyMap<number, string> = new Map([
  [128000, "<|begin_of_text|>"],
  [128001, "<|end_of_text|>"],
  [128006, "<|start_header_id|>"],
  [128007, "<|end_header_id|>"],
  [128008, "<|eom_id|>"],
  [128009, "<|eot_id|>"],
]);

const SURROGATE_BASE = 256;
const SPACE_BASE = 2304; // 16 ids: 1..16 spaces
const NEWLINE_BASE = SPACE_BASE + 16; // 4 ids: 1..4 newlines
const SYMBOL_BASE = 2400;
const DIGIT_BASE = 4600;
const WORD_BASE = 7000;
const LATEX_BASE = 17000;
const LETTER_BASE = 18000;

const MAX_SPACES = 16;
const MAX_NEWLINES = 4;

/** Printable ASCII that is neither a letter, a digit nor a space: 32 characters. */
const SYMBOLS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const SYMBOLS_PER_VARIANT = 32 + 32 * 32;
const DIGITS_PER_VARIANT = 10 + 100 + 1000;
/** Letter chunks of length 1, 2, 3 over a-z: 26 + 676 + 17576. */
const LETTERS_PER_VARIANT = 26 + 26 * 26 + 26 * 26 * 26;
/** lower, Capitalised, UPPER; times with/without a leading space. */
const LETTER_VARIANTS = 6;

/**
 * Common English and mathematical words and word parts, lower case, then DATASET_WORDS. The order
 * fixes the ids: new words go at the very end (after DATASET_WORDS), never in between. Pieces of
 * four letters or more are what make text come out near four characters a token.
 */
const WORD_TEXT =
  "the of and to in is that for it as with was on be by this are or from at an which have not but " +
  "all were one can there their has had been more will would when what who how many much each other " +
  "than then them these some into only also over such after first two three four five six seven eight " +
  "nine ten hundred thousand number numbers find value values answer problem question solution solve " +
  "let suppose given where real positive negative integer integers sum product total equal equals " +
  "greater less least most remainder divided divisible divisor divisors prime primes square squares " +
  "root roots triangle circle angle angles side sides length area volume point points line lines " +
  "probability expected ratio fraction fractions digit digits base order ordered pairs pair possible " +
  "compute calculate determine therefore because since thus hence follows following step steps work " +
  "through think about check case cases consider note need using used each every both either neither " +
  "between among within without under above below right left same different largest smallest " +
  "function functions polynomial coefficient coefficients sequence series term terms rational " +
  "expression equation equations system mean median mode average count counting ways choose random " +
  "select selected chosen distinct different minimum maximum times plus minus modulo mod " +
  "frac boxed cdot sqrt left right begin end text mathrm dfrac pi theta alpha beta gamma infty " +
  "final correct careful carefully reason reasoning simplify simplified gives give get make made so " +
  "ing tion ment ness able ible ally ated ating ation ative ence ance ical ious ular ther ould ight " +
  "ever ward wards ship full ized izes ize ise ised ening ered ering " +
  DATASET_WORDS;

// ---------------------------------------------------------------------------------------------------------
// Tables built on first use: at load they cost ~20 ms of every start-up (the compiled binary's time
// to its first /health), and only /tokenize, /detokenize, token-id prompts, `return_tokens` and the
// native /completion's streamed tokens need them. Their range checks run then too (tests cover them).

interface Tables {
  /** piece text -> id, for word pieces. */
  readonly pieceIds: Map<string, number>;
  /** id -> piece text, for word pieces. */
  readonly wordPieces: readonly string[];
  readonly wordEnd: number;
  readonly latex: readonly string[];
  /** `\\cmd` or ` \\cmd` -> id. */
  readonly latexIds: Map<string, number>;
  readonly latexEnd: number;
  readonly maxLatex: number;
  /** The longest word piece (without its leading space), to bound the longest-match search. */
  readonly maxWord: number;
}

let built: Tables | undefined;
const tables = (): Tables => (built ??= buildTables());

function buildTables(): Tables {
  // A repeated word keeps its first place: ids never move when the list grows.
  const words = [...new Set(WORD_TEXT.trim().split(/\s+/))];
  const pieceIds = new Map<string, number>();
  const wordPieces: string[] = [];
  for (const word of words) {
    const base = WORD_BASE + wordPieces.length;
    const capital = word[0]!.toUpperCase() + word.slice(1);
    wordPieces.push(word, ` ${word}`, capital, ` ${capital}`);
    [word, ` ${word}`, capital, ` ${capital}`].forEach((piece, i) => {
      if (!pieceIds.has(piece)) pieceIds.set(piece, base + i);
    });
  }
  const wordEnd = WORD_BASE + wordPieces.length;
  if (wordEnd > LATEX_BASE) throw new Error("tokenizer: WORD_TEXT and DATASET_WORDS overflow their id range");
  const latex = LATEX_COMMANDS.trim().split(/\s+/);
  const latexIds = new Map<string, number>();
  latex.forEach((command, i) => {
    latexIds.set(command, LATEX_BASE + 2 * i);
    latexIds.set(` ${command}`, LATEX_BASE + 2 * i + 1);
  });
  const latexEnd = LATEX_BASE + 2 * latex.length;
  if (latexEnd > LETTER_BASE) throw new Error("tokenizer: LATEX_COMMANDS overflows its id range");
  let maxLatex = 0;
  for (const c of latex) maxLatex = Math.max(maxLatex, c.length);
  let maxWord = 0;
  for (const w of words) maxWord = Math.max(maxWord, w.length);
  return { pieceIds, wordPieces, wordEnd, latex, latexIds, latexEnd, maxLatex, maxWord };
}

const SPECIAL_IDS = new Map([...SPECIAL_TOKENS].map(([id, text]) => [text, id]));
const SPECIAL_PATTERN = new RegExp([...SPECIAL_TOKENS.values()].map((s) => s.replace(/[|]/g, "\\|")).join("|"), "g");

const UTF8 = new TextEncoder();
const UTF8_DECODER = new TextDecoder();

// ---------------------------------------------------------------------------------------------------------
// Character classes (by UTF-16 code unit).

const isLower = (c: number) => c >= 97 && c <= 122;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isLetter = (c: number) => isLower(c) || isUpper(c);
const isDigit = (c: number) => c >= 48 && c <= 57;
const symbolIndex = (c: number) => (c < 128 ? SYMBOLS.indexOf(String.fromCharCode(c)) : -1);
/** Characters a leading space can attach to: letters, digits, symbols. */
const isWordStart = (c: number) => isLetter(c) || isDigit(c) || symbolIndex(c) >= 0;

export interface TokenizeOptions {
  /** Prepend BOS, as llama-server's add_special (the model adds BOS, not EOS). */
  readonly addSpecial?: boolean;
  /** Read `<|...|>` special token texts as their ids (llama-server's default); else as plain text. */
  readonly parseSpecial?: boolean;
}

/** Token ids of a text. */
export function tokenize(text: string, options: TokenizeOptions = {}): number[] {
  const ids: number[] = options.addSpecial ? [BOS_ID] : [];
  if (options.parseSpecial === false) {
    tokenizePlain(text, ids);
    return ids;
  }
  let at = 0;
  for (const match of text.matchAll(SPECIAL_PATTERN)) {
    tokenizePlain(text.slice(at, match.index), ids);
    ids.push(SPECIAL_IDS.get(match[0])!);
    at = match.index + match[0].length;
  }
  tokenizePlain(text.slice(at), ids);
  return ids;
}

function tokenizePlain(text: string, ids: number[]): void {
  const n = text.length;
  let i = 0;
  let end = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    // A single space before a word-like character belongs to that word, as in GPT-style tokenizers.
    const spaced = c === 32 && i + 1 < n && isWordStart(text.charCodeAt(i + 1));
    const start = spaced ? i + 1 : i;
    const first = text.charCodeAt(start);
    if (isLetter(first)) i = letters(text, start, spaced, ids);
    else if (first === 92 && isLetter(text.charCodeAt(start + 1)) && (end = latex(text, start, spaced, ids)) > 0) i = end;
    else if (isDigit(first)) i = digits(text, start, spaced, ids);
    else if (symbolIndex(first) >= 0) i = symbols(text, start, spaced, ids);
    else if (c === 32) i = run(text, i, 32, MAX_SPACES, SPACE_BASE, ids, true);
    else if (c === 10) i = run(text, i, 10, MAX_NEWLINES, NEWLINE_BASE, ids, false);
    else i = fallback(text, i, ids);
  }
}

/** A run of one repeated character, in chunks; spaces leave the last one for a following word. */
function run(text: string, i: number, char: number, max: number, base: number, ids: number[], leaveLast: boolean): number {
  let end = i;
  while (end < text.length && text.charCodeAt(end) === char) end++;
  if (leaveLast && end < text.length && end - i > 1 && isWordStart(text.charCodeAt(end))) end--;
  for (let left = end - i; left > 0; left -= max) ids.push(base + Math.min(left, max) - 1);
  return end;
}

/** A known LaTeX command (the longest that fits the letters after the backslash): its end, or -1. */
function latex(text: string, start: number, spaced: boolean, ids: number[]): number {
  let end = start + 1;
  while (end < text.length && isLetter(text.charCodeAt(end))) end++;
  const { maxLatex, latexIds } = tables();
  for (let length = Math.min(maxLatex, end - start); length >= 2; length--) {
    const id = latexIds.get((spaced ? " " : "") + text.slice(start, start + length));
    if (id !== undefined) {
      ids.push(id);
      return start + length;
    }
  }
  return -1;
}

/** Letters: the longest word piece first, else a chunk of up to three letters of one case shape. */
function letters(text: string, start: number, spaced: boolean, ids: number[]): number {
  let end = start;
  while (end < text.length && isLetter(text.charCodeAt(end))) end++;
  let i = start;
  let first = true;
  while (i < end) {
    const space = first && spaced ? " " : "";
    const id = longestWord(text, i, end, space);
    if (id !== undefined) {
      ids.push(id.id);
      i += id.length;
    } else {
      const chunk = letterChunk(text, i, end);
      ids.push(LETTER_BASE + (chunk.variant * 2 + (space ? 1 : 0)) * LETTERS_PER_VARIANT + chunk.code);
      i += chunk.length;
    }
    first = false;
  }
  return end;
}

function longestWord(text: string, i: number, end: number, space: string): { id: number; length: number } | undefined {
  // Pieces of up to three letters are no better than a letter chunk (one token either way).
  const { maxWord, pieceIds } = tables();
  for (let length = Math.min(maxWord, end - i); length >= 4; length--) {
    const id = pieceIds.get(space + text.slice(i, i + length));
    if (id !== undefined) return { id, length };
  }
  return undefined;
}

/** Up to three letters that are all lower, Capitalised (first upper, rest lower) or all UPPER. */
function letterChunk(text: string, i: number, end: number): { variant: number; code: number; length: number } {
  // variant 0 = lower, 1 = Capitalised, 2 = UPPER; a single upper-case letter counts as Capitalised.
  let variant = isUpper(text.charCodeAt(i)) ? 1 : 0;
  let length = 1;
  while (length < 3 && i + length < end) {
    const upper = isUpper(text.charCodeAt(i + length));
    if (variant === 0 && upper) break;
    if (variant !== 0 && length === 1) variant = upper ? 2 : 1;
    else if (variant !== 0 && (variant === 2) !== upper) break;
    length++;
  }
  let code = 0;
  for (let k = 0; k < length; k++) code = code * 26 + ((text.charCodeAt(i + k) | 32) - 97);
  const offset = length === 1 ? 0 : length === 2 ? 26 : 26 + 676;
  return { variant, code: offset + code, length };
}

/** Digits in groups of up to three from the left, as Llama 3 splits numbers. */
function digits(text: string, start: number, spaced: boolean, ids: number[]): number {
  let i = start;
  let first = true;
  while (i < text.length && isDigit(text.charCodeAt(i))) {
    let length = 1;
    while (length < 3 && isDigit(text.charCodeAt(i + length))) length++;
    const value = Number(text.slice(i, i + length));
    const offset = length === 1 ? 0 : length === 2 ? 10 : 110;
    ids.push(DIGIT_BASE + (first && spaced ? DIGITS_PER_VARIANT : 0) + offset + value);
    i += length;
    first = false;
  }
  return i;
}

/** Symbols in pairs. */
function symbols(text: string, start: number, spaced: boolean, ids: number[]): number {
  let i = start;
  let first = true;
  while (i < text.length && symbolIndex(text.charCodeAt(i)) >= 0) {
    const a = symbolIndex(text.charCodeAt(i));
    const b = i + 1 < text.length ? symbolIndex(text.charCodeAt(i + 1)) : -1;
    const code = b >= 0 ? 32 + a * 32 + b : a;
    ids.push(SYMBOL_BASE + (first && spaced ? SYMBOLS_PER_VARIANT : 0) + code);
    i += b >= 0 ? 2 : 1;
    first = false;
  }
  return i;
}

/** One code point as UTF-8 bytes, or a lone surrogate as its own id. */
function fallback(text: string, i: number, ids: number[]): number {
  const point = text.codePointAt(i)!;
  const width = point > 0xffff ? 2 : 1;
  if (point >= 0xd800 && point <= 0xdfff) {
    ids.push(SURROGATE_BASE + (point - 0xd800));
    return i + 1;
  }
  for (const byte of UTF8.encode(text.slice(i, i + width))) ids.push(byte);
  return i + width;
}

// ---------------------------------------------------------------------------------------------------------
// Ids back to text.

/** Whether an id is inside the vocabulary (ids in unused ranges are valid and read as empty). */
export function isValidToken(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < N_VOCAB;
}

/** A token's text, or its raw byte when it is a byte id (UTF-8 fallback). */
export function tokenPiece(id: number): string | Uint8Array {
  if (id < SURROGATE_BASE) return Uint8Array.of(id);
  if (id < SURROGATE_BASE + 2048) return String.fromCharCode(0xd800 + id - SURROGATE_BASE);
  if (id >= SPACE_BASE && id < SPACE_BASE + MAX_SPACES) return " ".repeat(id - SPACE_BASE + 1);
  if (id >= NEWLINE_BASE && id < NEWLINE_BASE + MAX_NEWLINES) return "\n".repeat(id - NEWLINE_BASE + 1);
  if (id >= SYMBOL_BASE && id < SYMBOL_BASE + 2 * SYMBOLS_PER_VARIANT) {
    const spaced = id - SYMBOL_BASE >= SYMBOLS_PER_VARIANT;
    const code = (id - SYMBOL_BASE) % SYMBOLS_PER_VARIANT;
    const text = code < 32 ? SYMBOLS[code]! : SYMBOLS[Math.floor((code - 32) / 32)]! + SYMBOLS[(code - 32) % 32]!;
    return spaced ? ` ${text}` : text;
  }
  if (id >= DIGIT_BASE && id < DIGIT_BASE + 2 * DIGITS_PER_VARIANT) {
    const spaced = id - DIGIT_BASE >= DIGITS_PER_VARIANT;
    const code = (id - DIGIT_BASE) % DIGITS_PER_VARIANT;
    const text = code < 10 ? String(code) : code < 110 ? String(code - 10).padStart(2, "0") : String(code - 110).padStart(3, "0");
    return spaced ? ` ${text}` : text;
  }
  const t = tables();
  if (id >= WORD_BASE && id < t.wordEnd) return t.wordPieces[id - WORD_BASE]!;
  if (id >= LATEX_BASE && id < t.latexEnd) return `${(id - LATEX_BASE) % 2 ? " " : ""}${t.latex[(id - LATEX_BASE) >> 1]}`;
  if (id >= LETTER_BASE && id < LETTER_BASE + LETTER_VARIANTS * LETTERS_PER_VARIANT) return letterPiece(id - LETTER_BASE);
  return SPECIAL_TOKENS.get(id) ?? "";
}

function letterPiece(index: number): string {
  const variant = Math.floor(index / LETTERS_PER_VARIANT);
  let code = index % LETTERS_PER_VARIANT;
  const length = code < 26 ? 1 : code < 26 + 676 ? 2 : 3;
  code -= length === 1 ? 0 : length === 2 ? 26 : 26 + 676;
  let text = "";
  for (let k = 0; k < length; k++) {
    text = String.fromCharCode(97 + (code % 26)) + text;
    code = Math.floor(code / 26);
  }
  const shape = variant >> 1;
  if (shape === 1) text = text[0]!.toUpperCase() + text.slice(1);
  else if (shape === 2) text = text.toUpperCase();
  return variant & 1 ? ` ${text}` : text;
}

/** The text of token ids; byte ids are gathered and decoded as UTF-8 together. */
export function detokenize(ids: readonly number[]): string {
  let out = "";
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) out += UTF8_DECODER.decode(Uint8Array.from(bytes));
    bytes = [];
  };
  for (const id of ids) {
    const piece = tokenPiece(id);
    if (typeof piece === "string") {
      flush();
      out += piece;
    } else {
      bytes.push(piece[0]!);
    }
  }
  flush();
  return out;
}

/**
 * A token's piece as /tokenize's `with_pieces` shows it: the text when it is valid UTF-8 on its
 * own, else its bytes (a lone surrogate as the 3 bytes WTF-8 would give it).
 */
export function pieceForDisplay(id: number): string | number[] {
  const piece = tokenPiece(id);
  if (typeof piece !== "string") return piece[0]! < 0x80 ? String.fromCharCode(piece[0]!) : [piece[0]!];
  const unit = piece.length === 1 ? piece.charCodeAt(0) : 0;
  if (unit >= 0xd800 && unit <= 0xdfff) return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)];
  return piece;
}

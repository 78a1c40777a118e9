// What the chain-of-thought generator (reasoning.ts) takes from a problem: its numbers, fractions,
// short LaTeX variables, a few content words and topic hints. Regex work happens once per problem
// text (memoised), not once per request.
import type { Num } from "./reasoning-math.ts";

export interface Facts {
  /** Distinct numbers in order of appearance (at most MAX_NUMBERS). */
  readonly numbers: readonly Num[];
  /** Fractions written as \frac{p}{q} or p/q. */
  readonly fractions: readonly { readonly num: number; readonly den: number }[];
  /** Short variables from math mode: single letters and point names such as ABC. */
  readonly variables: readonly string[];
  /** Lowercase content words from the prose, for remarks when there are no numbers. */
  readonly words: readonly string[];
  readonly topics: Topics;
}

export interface Topics {
  readonly remainder: boolean;
  /** "divided by 1000" or "mod 1000" style: a natural modulus to reduce by. */
  readonly modulus: number | undefined;
  readonly probability: boolean;
  readonly geometry: boolean;
  readonly counting: boolean;
  readonly coprime: boolean;
  readonly money: boolean;
  readonly time: boolean;
}

const MAX_NUMBERS = 16;
const MAX_VARIABLES = 8;
const MAX_WORDS = 8;
const MEMO_SIZE = 512;

const NUMBER = /(?<![\w)}\].,])-?[1-9]\d{0,2}(?:,\d{3})+(?![\d,])|(?<![\w)}\]])-?\d+(?:\.\d+)?|\d+(?:\.\d+)?/g;
const FRACTION = /\\[dt]?frac\{(\d+)\}\{(\d+)\}|\\[dt]?frac(\d)(\d)|(?<![\d.])(\d+)\/(\d+)(?![\d.])/g;
const MATH = /\$\$([^$]{1,400})\$\$|\$([^$]{1,160})\$|\\\[([\s\S]{1,400}?)\\\]|\\\(([\s\S]{1,160}?)\\\)/g;
const COMMAND_WITH_TEXT = /\\(?:text|textbf|textit|mathrm|mbox|operatorname|label|begin|end)\s*\{[^}]*\}/g;
const COMMAND = /\\[A-Za-z]+/g;
const IDENT = /[A-Za-z]+/g;
const PROSE_WORD = /[a-z]{3,}/g;
const WORD = /\b[a-z]{5,}\b/g;
/** "$2 per egg", not the math "$2$" or "$2,$". */
const CURRENCY = /\$\d[\d,]*(?:\.\d+)?(?=\s|[.,;:!?)](?:\s|$)|$)/;

const STOPWORDS = new Set(
  (
    "about above after again against along among another answer around because before being below between both " +
    "cannot could della during each either every exactly following found further given having however other others " +
    "otherwise their there these those three through under until where whether which while whose would write written " +
    "should shall might since still such than that them then they this thus total using value values what when with " +
    "within without number numbers equal equals following positive negative integer integers least greatest smallest " +
    "largest possible compute determine express simplest always first second third times where answer answers following " +
    "enter letter correct choose option options please point points"
  ).split(" "),
);

const memo = new Map<string, Facts>();

/** The facts of a problem, memoised by its text (bounded: the oldest entry goes first). */
export function factsOf(problem: string): Facts {
  const hit = memo.get(problem);
  if (hit) return hit;
  const facts = extract(problem);
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!);
  memo.set(problem, facts);
  return facts;
}

function extract(problem: string): Facts {
  const lower = problem.toLowerCase();
  return {
    numbers: numbersOf(problem),
    fractions: fractionsOf(problem),
    variables: variablesOf(problem),
    words: wordsOf(problem),
    topics: {
      remainder: lower.includes("remainder"),
      modulus: modulusOf(lower),
      probability: lower.includes("probability") || lower.includes("random"),
      // Not "square": "perfect square" is number theory.
      geometry: /triangle|circle|polygon|rectangle|hexagon|angle|perpendicular|tangent|radius|area/.test(lower),
      counting: lower.includes("how many") || lower.includes("number of"),
      coprime: lower.includes("relatively prime") || lower.includes("m+n") || lower.includes("m + n"),
      money: lower.includes("dollar") || lower.includes("cents") || CURRENCY.test(problem),
      time: /\b(?:hours?|minutes?|days?|weeks?|years?)\b/.test(lower),
    },
  };
}

const MODULUS = /(?:divided by|modulo|mod|pmod\{)\s*\$?\s*(\d{1,6})\b/;

function modulusOf(lower: string): number | undefined {
  const m = MODULUS.exec(lower);
  const n = m ? Number(m[1]) : NaN;
  return n >= 2 ? n : undefined;
}

/** Word problems spell small numbers out ("She eats three for breakfast"). */
const NUMBER_WORDS: Record<string, number> = {
  two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  fifteen: 15, twenty: 20, thirty: 30, forty: 40, fifty: 50, hundred: 100, dozen: 12, twice: 2, half: 2, triple: 3,
};
const NUMBER_WORD = new RegExp(`\\b(?:${Object.keys(NUMBER_WORDS).join("|")})\\b`, "gi");

function numbersOf(problem: string): Num[] {
  const seen = new Set<string>();
  const out: Num[] = [];
  const spelled = [...problem.matchAll(NUMBER_WORD)].map((m) => String(NUMBER_WORDS[m[0].toLowerCase()]));
  for (const m of [...problem.matchAll(NUMBER), ...spelled.map((w) => [w] as const)]) {
    const text = m[0].replaceAll(",", "");
    if (text.replace("-", "").length > 15) continue; // beyond float exactness: not hand arithmetic
    const v = Number(text);
    if (!Number.isFinite(v)) continue;
    const dot = text.indexOf(".");
    const n: Num = { v: v === 0 ? 0 : v, d: dot < 0 ? 0 : Math.min(6, text.length - dot - 1) };
    const key = `${n.v}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(n);
    if (out.length >= MAX_NUMBERS) break;
  }
  return out;
}

function fractionsOf(problem: string): { num: number; den: number }[] {
  const out: { num: number; den: number }[] = [];
  for (const m of problem.matchAll(FRACTION)) {
    const num = Number(m[1] ?? m[3] ?? m[5]);
    const den = Number(m[2] ?? m[4] ?? m[6]);
    if (den === 0 || num > 1e6 || den > 1e6) continue;
    if (out.some((f) => f.num === num && f.den === den)) continue;
    out.push({ num, den });
    if (out.length >= 6) break;
  }
  return out;
}

function variablesOf(problem: string): string[] {
  const out: string[] = [];
  for (const m of problem.matchAll(MATH)) {
    const body = mathBody(m);
    if (body === undefined) continue;
    for (const [id] of body.matchAll(IDENT)) {
      const isPoint = id.length <= 5 && id === id.toUpperCase();
      if (id.length !== 1 && !isPoint) continue;
      if (!out.includes(id)) out.push(id);
      if (out.length >= MAX_VARIABLES) return out;
    }
  }
  return out;
}

/** A math segment's body without commands, or undefined when it is prose between two dollar amounts. */
function mathBody(m: RegExpMatchArray): string | undefined {
  const body = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? "").replace(COMMAND_WITH_TEXT, " ").replace(COMMAND, " ");
  // "$2 per egg and $3" is currency around prose, not math.
  return (body.match(PROSE_WORD)?.length ?? 0) >= 2 ? undefined : body;
}

function wordsOf(problem: string): string[] {
  const prose = problem.replace(MATH, (...m) => (mathBody(m as unknown as RegExpMatchArray) === undefined ? m[0] : " "));
  const out: string[] = [];
  for (const [w] of prose.matchAll(WORD)) {
    // Adverbs ("respectively") and participles ("divided") read badly in "the ___ and the ___".
    if (w.length > 14 || w.endsWith("ly") || (w.endsWith("ed") && !w.endsWith("eed")) || STOPWORDS.has(w) || out.includes(w)) continue;
    out.push(w);
    if (out.length >= MAX_WORDS) break;
  }
  // Plural nouns read best in "the ___ and the ___": put them first.
  const plural = (w: string) => w.endsWith("s") && !/(?:ss|us|is)$/.test(w);
  return [...out.filter(plural), ...out.filter((w) => !plural(w))];
}

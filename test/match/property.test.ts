/**
 * Property tests against a brute-force oracle.
 *
 * Questions are short token sequences over a tiny alphabet (so that suffixes, overlaps, shared prefixes,
 * repeats and near misses are common). Request texts are drawn over that alphabet plus filler tokens no
 * question contains, plus message boundaries, then rendered with random whitespace and case. The oracle
 * looks for every occurrence of every question's full token sequence and applies the documented rules
 * (latest end, ties to the longest, duplicates to the first index, short questions only as a whole message).
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { BOUNDARY, DEFAULT_MIN_TOKENS, type Match, QuestionIndex, normalizeText, tokenize } from "../../src/match/index.ts";
import { TOKEN_PATTERN } from "../../src/match/normalize.ts";
import { cursorTokens } from "./fixtures.ts";

const QUESTION_TOKENS = ["a", "b", "c", "7", "+", "("];
const FILLER_TOKENS = ["x", "yy", "?", "\\", "42"];
const isWord = (t: string) => /^[\p{L}\p{N}]/u.test(t);

/** Render tokens as text that tokenises back to them: random whitespace (at least one between words) and case. */
function render(tokens: readonly string[], seps: readonly number[], upper: readonly boolean[]): string {
  const WS = ["", " ", "\n", "  ", "\t", "\u00a0", " \r\n "];
  let out = "";
  tokens.forEach((t, i) => {
    let sep = WS[seps[i % seps.length]! % WS.length]!;
    if (i > 0 && sep === "" && isWord(t) && isWord(tokens[i - 1]!)) sep = " ";
    out += (i > 0 ? sep : "") + (upper[i % upper.length] ? t.toUpperCase() : t);
  });
  return out;
}

function oracle(questions: readonly (readonly string[])[], text: readonly string[], minTokens: number): Match | undefined {
  const first = new Map<string, number>();
  questions.forEach((q, i) => {
    const key = q.join("\u0001");
    if (q.length > 0 && !first.has(key)) first.set(key, i);
  });
  let best: Match | undefined;
  for (const [key, qi] of first) {
    const q = key.split("\u0001");
    for (let s = 0; s + q.length <= text.length; s++) {
      if (!q.every((t, k) => text[s + k] === t)) continue;
      const end = s + q.length;
      if (q.length < minTokens) {
        const wholeMessage = (s === 0 || text[s - 1] === BOUNDARY) && (end === text.length || text[end] === BOUNDARY);
        if (!wholeMessage) continue;
      }
      if (best === undefined || end > best.end || (end === best.end && q.length > best.end - best.start)) {
        best = { question: qi, start: s, end };
      }
    }
  }
  return best;
}

const questionArb = fc.array(fc.constantFrom(...QUESTION_TOKENS), { minLength: 1, maxLength: 6 });
const questionsArb = fc.array(questionArb, { minLength: 1, maxLength: 8 });
const layoutArb = {
  seps: fc.array(fc.nat(20), { minLength: 1, maxLength: 16 }),
  upper: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
};

describe("properties", () => {
  test("a question embedded in text that holds no question token is found as that question", () => {
    fc.assert(
      fc.property(
        questionsArb,
        fc.nat(),
        fc.array(fc.constantFrom(...FILLER_TOKENS), { maxLength: 12 }),
        fc.array(fc.constantFrom(...FILLER_TOKENS), { maxLength: 12 }),
        layoutArb.seps,
        layoutArb.upper,
        fc.constantFrom(1, DEFAULT_MIN_TOKENS),
        (questions, pick, prefix, suffix, seps, upper, minTokens) => {
          const index = new QuestionIndex(questions.map((q) => q.join(" ")), { minTokens });
          const qi = pick % questions.length;
          const q = questions[qi]!;
          const canonical = questions.findIndex((other) => other.join(" ") === q.join(" "));
          const tokens = [...prefix, ...q, ...suffix];
          const m = index.find(render(tokens, seps, upper));
          if (q.length < minTokens && prefix.length + suffix.length > 0) expect(m).toBeUndefined();
          else expect(m).toEqual({ question: canonical, start: prefix.length, end: prefix.length + q.length });
        },
      ),
      { numRuns: 400 },
    );
  });

  test("any text: the result is exactly the oracle's (so no full question present means no match)", () => {
    // Text pieces: single tokens (question alphabet, filler, message boundary) and slices of the questions
    // themselves, so that overlaps, near misses and questions ending inside other questions are common.
    const piece = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...QUESTION_TOKENS).map((t) => ({ token: t })) },
      { weight: 1, arbitrary: fc.constantFrom(...FILLER_TOKENS).map((t) => ({ token: t })) },
      { weight: 1, arbitrary: fc.constant({ token: BOUNDARY }) },
      { weight: 4, arbitrary: fc.record({ question: fc.nat(), from: fc.nat(), length: fc.nat(7) }) },
    );
    fc.assert(
      fc.property(
        questionsArb,
        fc.array(piece, { maxLength: 16 }),
        layoutArb.seps,
        layoutArb.upper,
        fc.constantFrom(1, 1, 2, DEFAULT_MIN_TOKENS, 5),
        fc.boolean(),
        (questions, pieces, seps, upper, minTokens, asMessages) => {
          const text = pieces.flatMap((p) => {
            if ("token" in p) return [p.token];
            const q = questions[p.question % questions.length]!;
            const from = p.from % q.length;
            return q.slice(from, from + p.length);
          });
          const index = new QuestionIndex(questions.map((q) => q.join(" ")), { minTokens });
          const expected = oracle(questions, text, minTokens);
          let input: string | string[];
          if (asMessages) {
            // The same token stream as a messages array split at its boundaries.
            const messages: string[][] = [[]];
            for (const t of text) t === BOUNDARY ? messages.push([]) : messages.at(-1)!.push(t);
            input = messages.map((m) => render(m, seps, upper));
          } else input = render(text, seps, upper);
          const r = index.scan(input);
          expect(r.match).toEqual(expected);
          expect(r.tokens).toBe(text.length);
          expect(r.steps).toBeLessThanOrEqual(3 * r.tokens);
        },
      ),
      { numRuns: 1500 },
    );
  });

  test("the hand-written tokeniser agrees with TOKEN_PATTERN on arbitrary Unicode", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (raw) => {
        const s = normalizeText(raw);
        expect(cursorTokens(s)).toEqual(s.match(TOKEN_PATTERN) ?? []);
      }),
      { numRuns: 1000 },
    );
  });

  test("tokens joined with spaces tokenise back to themselves", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (raw) => {
        const tokens = tokenize(raw);
        expect(tokenize(tokens.join(" "))).toEqual(tokens);
      }),
      { numRuns: 500 },
    );
  });

  test("normalising is idempotent, and upper- or lower-casing any Unicode text does not change its tokens", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (raw) => {
        const s = normalizeText(raw);
        expect(normalizeText(s)).toBe(s);
        const tokens = tokenize(raw);
        expect(tokenize(raw.toUpperCase())).toEqual(tokens);
        expect(tokenize(raw.toLowerCase())).toEqual(tokens);
      }),
      { numRuns: 1000 },
    );
  });

  test("ASCII text: case and whitespace rewrites do not change the tokens", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."aZ09 \n\t.,$\\{}()+-=^_'\"?"), maxLength: 60 }), (s) => {
        const tokens = tokenize(s);
        expect(tokenize(s.toUpperCase())).toEqual(tokens);
        expect(tokenize(s.replace(/\s+/g, " \r\n\t "))).toEqual(tokens);
      }),
      { numRuns: 500 },
    );
  });
});

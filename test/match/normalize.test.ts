import { describe, expect, test } from "bun:test";
import { BOUNDARY, TOKEN_PATTERN, TokenCursor, normalizeText, requestText, tokenHash, tokenize } from "../../src/match/normalize.ts";
import { cursorTokens } from "./fixtures.ts";

describe("tokenize", () => {
  test("whitespace is dropped; punctuation and LaTeX symbols are one token each", () => {
    const expected = ["find", "$", "p", "(", "0", ")", "$", "+", "q", "(", "0", ")", "."];
    expect(tokenize("Find  $P(0)$\n+Q(0).")).toEqual(expected);
    expect(tokenize("find $ p ( 0 ) $ + q(0) .")).toEqual(expected);
    expect(tokenize("\\boxed{033}")).toEqual(["\\", "boxed", "{", "033", "}"]);
    expect(tokenize("x^4y^3")).toEqual(["x", "^", "4y", "^", "3"]);
  });

  test("whitespace between letters or digits still separates words", () => {
    expect(tokenize("2 x")).toEqual(["2", "x"]);
    expect(tokenize("2x")).toEqual(["2x"]);
  });

  test("empty and blank text have no tokens", () => {
    expect(tokenize("")).toEqual([]);
    expect(tokenize(" \n\t\r\u00a0\u3000")).toEqual([]);
  });

  test("case, NFKC, typographic quotes and invisible characters do not matter", () => {
    expect(tokenize("JANET’S DUCKS")).toEqual(tokenize("Janet's ducks"));
    expect(tokenize("“quoted” ‘text’")).toEqual(tokenize('"quoted" \'text\''));
    expect(tokenize("ﬁnd ＡＢＣ　１２")).toEqual(tokenize("find ABC 12"));
    expect(tokenize("non\u00a0breaking\u202fspaces")).toEqual(tokenize("non breaking spaces"));
    expect(tokenize("zero\u200bwidth soft\u00adhyphen \ufeffbom")).toEqual(tokenize("zerowidth softhyphen bom"));
    expect(tokenize("STRASSE")).toEqual(tokenize("straße"));
    expect(tokenize("ẞ")).toEqual(tokenize("ß"));
    expect(tokenize("ΟΔΟΣ")).toEqual(tokenize("οδος"));
    expect(tokenize("…")).toEqual([".", ".", "."]);
  });

  test("nothing looser: dashes, digits and letters keep their identity", () => {
    expect(tokenize("a-b")).not.toEqual(tokenize("a–b"));
    expect(tokenize("x1")).not.toEqual(tokenize("x 1"));
    expect(tokenize("\\frac{1}{2}")).not.toEqual(tokenize("1/2"));
  });

  test("non-BMP characters and combining marks", () => {
    expect(tokenize("𝑥+𝑦")).toEqual(["x", "+", "y"]); // NFKC maps mathematical italic to ASCII
    expect(tokenize("😀😀")).toEqual(["😀", "😀"]);
    expect(tokenize("x\u0304 = 1")).toEqual(["x\u0304", "=", "1"]);
    expect(tokenize("\ud800 a")).toEqual(["\ud800", "a"]); // a lone surrogate is one token
  });

  test("the message boundary is a token of its own", () => {
    expect(tokenize(requestText(["a b", "c"]))).toEqual(["a", "b", BOUNDARY, "c"]);
    expect(requestText(["x"])).toBe("x");
  });

  test("normalizeText is idempotent on typical text", () => {
    const s = normalizeText("Janet’s ﬁrst STRASSE ẞ 𝑥 \u200b");
    expect(normalizeText(s)).toBe(s);
  });

  test("TokenCursor reports offsets and the hash tokenHash computes", () => {
    const s = normalizeText("ab  (c)😀d");
    const c = new TokenCursor(s);
    const seen: [string, boolean][] = [];
    while (c.next()) seen.push([s.slice(c.start, c.end), c.hash === tokenHash(s, c.start, c.end)]);
    expect(seen).toEqual([
      ["ab", true],
      ["(", true],
      ["c", true],
      [")", true],
      ["😀", true],
      ["d", true],
    ]);
  });

  test("agrees with TOKEN_PATTERN on a mixed sample", () => {
    const s = normalizeText("Let $x,y$ ∈ ℝ; x² + y² = 1 — «ok» 日本語テキスト ١٢٣ \t\u0007 end\ud83d");
    expect(cursorTokens(s)).toEqual(s.match(TOKEN_PATTERN) ?? []);
  });
});

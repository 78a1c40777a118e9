import { describe, expect, test } from "bun:test";
import { canonicalAnswer, isIntegerAnswer } from "../../src/dataset/answer.ts";

describe("canonicalAnswer", () => {
  const cases: [unknown, string][] = [
    ["116", "116"],
    ["  116\n", "116"],
    ["033", "33"],
    ["004", "4"],
    ["000", "0"],
    ["-007", "-7"],
    ["+5", "5"],
    ["-0", "0"],
    ["35", "35"],
    [33, "33"],
    [0, "0"],
    [-12, "-12"],
    [2.5, "2.5"],
    ["Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", "72"],
    ["#### 1,000", "1,000"], // as GSM8K writes it, which clients take as the gold
    ["so 1,080 total\n#### 1,080", "1,080"],
    ["#### 109,200,000", "109,200,000"],
    ["a #### b #### 018", "18"],
    ["#### -3", "-3"],
    ["336^\\circ", "336"],
    ["336^{\\circ}", "336"],
    ["336 ^ {\\circ}", "336"],
    ["336°", "336"],
    ["90^\\circ", "90"],
    ["12.5^\\circ", "12.5"],
    ["x^\\circ", "x^\\circ"],
    ["\\frac{14}{3}", "\\frac{14}{3}"],
    [" \\left( 3, \\frac{\\pi}{2} \\right) ", "\\left( 3, \\frac{\\pi}{2} \\right)"],
    ["1,-2", "1,-2"],
    ["1,000", "1,000"], // thousands separators are a GSM8K-solution convention only
    ["\\text{Evelyn}", "\\text{Evelyn}"],
    ["12345678901234567890123", "12345678901234567890123"],
    [null, ""],
    [undefined, ""],
    ["", ""],
    [true, "true"],
  ];
  test.each(cases)("%p -> %p", (raw, expected) => {
    expect(canonicalAnswer(raw)).toBe(expected);
  });
});

describe("isIntegerAnswer", () => {
  test.each([
    ["33", true],
    ["-7", true],
    ["033", true],
    [" 12 ", true],
    ["3.5", false],
    ["\\frac{1}{2}", false],
    ["", false],
    ["1,000", false],
  ] as const)("%p -> %p", (a, expected) => {
    expect(isIntegerAnswer(a)).toBe(expected);
  });
});

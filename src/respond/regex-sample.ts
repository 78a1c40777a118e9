/**
 * A string that matches a JSON Schema `pattern` (zod's `.regex()`, hand-written schemas), as
 * llama-server's grammar would force one: the pattern is parsed (the ECMA-262 subset schemas use:
 * literals, escapes, classes, groups, alternation, quantifiers, anchors) and walked, taking each
 * quantifier's least count (one round of a short `*` or `?`, so the sample looks like the field) and
 * each alternation's first branch. Undefined for what it cannot read (back-references, lookaround):
 * the caller then keeps its own candidates.
 */

/** A parsed pattern: sequences of alternatives of atoms with counts. */
type Node =
  | { readonly kind: "alt"; readonly options: readonly Node[][] }
  | { readonly kind: "char"; readonly pick: string }
  | { readonly kind: "repeat"; readonly node: Node; readonly min: number };

/** The longest a quantifier's least count may be: a client's {100000} must not make one reply unbounded. */
const MAX_REPEAT = 4096;
/** The longest sample: nested quantifiers multiply ((?:a{4096}){4096}), so the rendering itself is bounded. */
const MAX_SAMPLE = 1 << 16;

class Unsupported extends Error {}

class Parser {
  #at = 0;
  constructor(readonly source: string) {}

  parse(): Node {
    const node = this.#alternation();
    if (this.#at < this.source.length) throw new Unsupported(`unexpected ${this.source[this.#at]}`);
    return node;
  }

  #peek(): string | undefined {
    return this.source[this.#at];
  }

  #alternation(): Node {
    const options: Node[][] = [this.#sequence()];
    while (this.#peek() === "|") {
      this.#at++;
      options.push(this.#sequence());
    }
    return { kind: "alt", options };
  }

  #sequence(): Node[] {
    const out: Node[] = [];
    for (let c = this.#peek(); c !== undefined && c !== "|" && c !== ")"; c = this.#peek()) {
      if (c === "^" || c === "$") {
        this.#at++; // anchors: a schema pattern is matched anywhere, the sample is the whole string
        continue;
      }
      out.push(this.#quantified(this.#atom()));
    }
    return out;
  }

  #atom(): Node {
    const c = this.source[this.#at++]!;
    if (c === "(") {
      if (this.#peek() === "?") {
        const kind = this.source.slice(this.#at, this.#at + 2);
        if (kind === "?:") this.#at += 2;
        else if (/^\?<[A-Za-z]/.test(this.source.slice(this.#at, this.#at + 3))) this.#at = this.source.indexOf(">", this.#at) + 1;
        else throw new Unsupported("lookaround");
      }
      const inner = this.#alternation();
      if (this.source[this.#at++] !== ")") throw new Unsupported("unclosed group");
      return inner;
    }
    if (c === "[") return this.#charClass();
    if (c === ".") return { kind: "char", pick: "a" };
    if (c === "\\") return this.#escape();
    if ("*+?".includes(c)) throw new Unsupported("nothing to repeat");
    return { kind: "char", pick: c };
  }

  #escape(): Node {
    const e = this.source[this.#at++];
    if (e === undefined) throw new Unsupported("trailing backslash");
    if (ESCAPES[e] === undefined && /[1-9k]/.test(e)) throw new Unsupported("back-reference");
    return { kind: "char", pick: this.#escapedChar(e) };
  }

  /** The character an escape whose letter `e` was just read stands for: a class's sample, a hex code, or the literal (\. \- \/ \( …). */
  #escapedChar(e: string): string {
    return e === "u" || e === "x" ? this.#hexChar(e) : (ESCAPES[e] ?? e);
  }

  /** The character of a `\uXXXX` or `\xXX` escape whose letter was just read. */
  #hexChar(e: string): string {
    const hex = this.source.slice(this.#at, this.#at + (e === "u" ? 4 : 2));
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== (e === "u" ? 4 : 2)) throw new Unsupported("bad hex escape");
    this.#at += hex.length;
    return String.fromCharCode(Number.parseInt(hex, 16));
  }

  /** `[...]`: the first character the class allows (for a negated class, one it does not list). */
  #charClass(): Node {
    const negated = this.#peek() === "^";
    if (negated) this.#at++;
    const listed: string[] = [];
    let first: string | undefined;
    for (let i = 0; ; i++) {
      const c = this.source[this.#at++];
      if (c === undefined) throw new Unsupported("unclosed class");
      if (c === "]" && i > 0) break;
      let ch = c;
      if (c === "\\") {
        const e = this.source[this.#at++]!;
        ch = this.#escapedChar(e);
        if ("dwsDWS".includes(e)) {
          first ??= ch;
          listed.push(...CLASS_MEMBERS[e]!);
          continue;
        }
      }
      if (this.#peek() === "-" && this.source[this.#at + 1] !== "]") {
        this.#at++;
        let end = this.source[this.#at++]!;
        if (end === "\\") end = this.#escapedChar(this.source[this.#at++]!);
        first ??= ch;
        for (let code = ch.charCodeAt(0); code <= end.charCodeAt(0) && listed.length < 512; code++) listed.push(String.fromCharCode(code));
        continue;
      }
      first ??= ch;
      listed.push(ch);
    }
    if (!negated) return { kind: "char", pick: first ?? "a" };
    const free = [..."axyzAXYZ0123456789_-"].find((ch) => !listed.includes(ch));
    if (free === undefined) throw new Unsupported("negated class with no free character");
    return { kind: "char", pick: free };
  }

  #quantified(node: Node): Node {
    const c = this.#peek();
    let min: number | undefined;
    if (c === "*") min = 0;
    else if (c === "+") min = 1;
    else if (c === "?") min = 0;
    else if (c === "{") {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(this.source.slice(this.#at));
      if (m === null) return node; // a literal "{"
      this.#at += m[0].length - 1;
      min = Number(m[1]);
    }
    if (min === undefined) return node;
    this.#at++;
    if (this.#peek() === "?" || this.#peek() === "+") this.#at++; // lazy or possessive: same least count
    if (min > MAX_REPEAT) throw new Unsupported("repeat too long");
    return { kind: "repeat", node, min };
  }
}

const ESCAPES: Readonly<Record<string, string>> = { d: "0", w: "a", s: " ", D: "a", W: "-", S: "a", n: "\n", t: "\t", r: "\r", f: "\f", v: "\v", b: "", B: "" };
const CLASS_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  d: [..."0123456789"],
  w: [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"],
  s: [" ", "\t", "\n"],
  D: ["a"],
  W: ["-"],
  S: ["a"],
};

function render(node: Node): string {
  switch (node.kind) {
    case "char":
      return node.pick;
    case "repeat": {
      // A `*` or `?` of nothing is fine for a match; one round makes the sample look like the field.
      const once = render(node.node);
      const times = Math.max(node.min, node.min === 0 && once.length <= 8 ? 1 : 0);
      if (once.length * times > MAX_SAMPLE) throw new Unsupported("sample too long");
      return once.repeat(times);
    }
    case "alt": {
      const text = node.options[0]!.map(render).join("");
      if (text.length > MAX_SAMPLE) throw new Unsupported("sample too long");
      return text;
    }
  }
}

/** A string matching `pattern` (checked), or undefined when the pattern is beyond the subset or the walk misses. */
export function sampleFor(pattern: string): string | undefined {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, "u");
  } catch {
    try {
      regex = new RegExp(pattern);
    } catch {
      return undefined;
    }
  }
  let sample: string;
  try {
    sample = render(new Parser(pattern).parse());
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  return regex.test(sample) ? sample : undefined;
}

/**
 * Finding which dataset question a chat request carries.
 *
 * All questions are compiled once, at start-up, into an Aho–Corasick automaton over token ids (see
 * ./normalize.ts for what a token is). Scanning a request then costs time linear in the request's length
 * and independent of the number of questions: each request token makes one goto attempt, failure-link
 * follows amortise to at most one per token (each follow shortens the current depth, each token adds at
 * most one), and at most one output is looked at per token. {@link QuestionIndex.scan} counts these steps
 * so tests can check the bound without timing anything.
 *
 * A match means a question's WHOLE token sequence occurs contiguously in the request. There is no
 * similarity score and no threshold: a prompt that quotes part of a question, changes a word, or stitches
 * two questions together does not match.
 *
 * Memory layout (typed arrays only, no per-node objects or maps). Nodes are numbered in depth-first
 * preorder, which the build gets for free by inserting the questions' token sequences in sorted order;
 * a node's first child is then always `node + 1`, so that edge costs nothing to store. Per node:
 * - `label`, the token id of the edge into it (2 bytes while the vocabulary fits 16 bits, else 4);
 * - three bits: has a child (`node + 1`), has more children, has an output;
 * - the failure link, stored only when it is not the root (a bitset with a rank directory, and a packed
 *   array of the non-root links: about 0.25 + 4·f bytes, f being the share of non-root links, 0.2–0.4
 *   on real benchmarks).
 * That is about 4–5 bytes a node. The second and later children of a node (at most one per distinct
 * question) live in an open-addressing hash table keyed by (parent, token); the root's children are a
 * direct array by token id. The output of a node — the longest question that is a suffix of the node's
 * path, found through the output (dictionary) links — is precomputed and kept only for nodes that have
 * one, in a second small hash table. Only the longest output at a position is ever needed, because the
 * result is the match ending latest, ties going to the longest.
 */

import { BOUNDARY_CODE, TokenCursor, normalizeText, requestText, tokenHash } from "./normalize";

export { BOUNDARY, normalizeText, requestText, tokenize } from "./normalize";

/**
 * A question found in a request. `start` and `end` are TOKEN offsets (`end` exclusive) into the token
 * sequence that `tokenize(text)` returns for the scanned text (for a `string[]` input, for
 * `requestText(parts)`), where each message boundary counts as one token.
 */
export interface Match {
  /** Position of the question in the array the index was built from (the first one, for duplicates). */
  readonly question: number;
  readonly start: number;
  readonly end: number;
}

export interface ScanResult {
  readonly match: Match | undefined;
  /** Tokens in the scanned text, boundaries included. */
  readonly tokens: number;
  /**
   * Automaton work done: goto attempts + failure-link follows + outputs looked at. At most
   * 3 × `tokens` by construction (the linear-time guarantee), whatever the input.
   */
  readonly steps: number;
}

export interface IndexStats {
  /** Questions given to the index, duplicates and empty ones included. */
  readonly questions: number;
  /** Distinct, non-empty token sequences compiled into the automaton. */
  readonly indexed: number;
  /** Questions whose token sequence equals an earlier question's; they match as the earlier one. */
  readonly duplicates: number;
  /** Questions with no tokens at all (blank text); they can never match. */
  readonly empty: number;
  /** Indexed questions shorter than `minTokens`; they match only as a whole message (see options). */
  readonly short: number;
  readonly minTokens: number;
  /** Total tokens over the indexed questions. */
  readonly tokens: number;
  /** Distinct tokens over all questions. */
  readonly vocabulary: number;
  /** Automaton states, root included. */
  readonly nodes: number;
  /** Goto edges kept in the hash table (all but the first child of each node). */
  readonly extraEdges: number;
  /** States with an output (a question ends there, directly or as a suffix). */
  readonly outputNodes: number;
  /** Exact size of the automaton's typed arrays. */
  readonly indexBytes: number;
  /** Rough estimate of the vocabulary map (strings and entries). */
  readonly vocabularyBytes: number;
  /** indexBytes + vocabularyBytes. */
  readonly bytes: number;
  /** Wall time of the constructor, milliseconds. */
  readonly buildMs: number;
}

export interface QuestionIndexOptions {
  /**
   * Questions with fewer tokens than this are "short": a few tokens such as `2 + 2` occur by chance in
   * unrelated prompts, so a short question matches only when it is the entire text of one message
   * (no template around it). Longer questions match anywhere. Default {@link DEFAULT_MIN_TOKENS}; 1
   * turns the rule off.
   */
  readonly minTokens?: number;
}

export const DEFAULT_MIN_TOKENS = 3;

/** Token id of a request token absent from every question. */
const UNKNOWN = -1;

/** Smallest power of two ≥ 2·n (load factor ≤ 1/2), at least 2. */
function tableSize(n: number): number {
  let size = 2;
  while (size < 2 * n) size *= 2;
  return size;
}

function hashPair(a: number, b: number): number {
  let h = Math.imul(a ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}

function hashOne(a: number): number {
  let h = Math.imul(a, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

const bitWords = (nodes: number) => (nodes + 31) >>> 5;

export class QuestionIndex {
  /** Questions whose token sequence repeats an earlier one (they match as the earlier index). */
  readonly duplicates: number;
  readonly stats: IndexStats;

  private readonly vocab: Vocabulary;
  private readonly minTokens: number;
  /** Token count per question (0 for empty; a duplicate has its original's). */
  private readonly qLen: Int32Array;
  /** Token id of the edge into each node (unused for the root). */
  private readonly label: Uint16Array | Int32Array;
  /** Children of the root, by token id (0 = none): the root is where most scan steps start. */
  private readonly rootNext: Int32Array;
  /** Bit per node: `node + 1` is its (first) child. */
  private readonly hasChild: Uint32Array;
  /** Bit per node: it has further children, in the edge table. */
  private readonly moreChildren: Uint32Array;
  /** Bit per node: some question ends here (itself or as a suffix), see the output table. */
  private readonly hasOutput: Uint32Array;
  /** Bit per node: its failure link is not the root. */
  private readonly failSet: Uint32Array;
  /** Non-root failure links before each 32-node word of `failSet`. */
  private readonly failRank: Int32Array;
  /** The non-root failure links, in node order. */
  private readonly failTo: Int32Array;
  private readonly edgeMask: number;
  private readonly edgeParent: Int32Array;
  /** Child node per slot, 0 = empty (the root is nobody's child). */
  private readonly edgeChild: Int32Array;
  private readonly outMask: number;
  /** Node per slot, 0 = empty (the root never has an output: empty questions are not indexed). */
  private readonly outNode: Int32Array;
  private readonly outQuestion: Int32Array;

  /** Same as `new QuestionIndex(questions, options)`. */
  static build(questions: readonly string[], options?: QuestionIndexOptions): QuestionIndex {
    return new QuestionIndex(questions, options);
  }

  /** @param questions question texts; a question's position in this array is its index. */
  constructor(questions: readonly string[], options: QuestionIndexOptions = {}) {
    const t0 = performance.now();
    const minTokens = options.minTokens ?? DEFAULT_MIN_TOKENS;
    if (!Number.isInteger(minTokens) || minTokens < 1) throw new RangeError(`minTokens must be a positive integer, got ${minTokens}`);
    this.minTokens = minTokens;
    const n = questions.length;

    // 1. Tokenise every question into one pool of token ids.
    const vocabBuilder = new VocabularyBuilder();
    const offsets = new Int32Array(n + 1);
    let pool = new Int32Array(1024);
    let used = 0;
    for (let i = 0; i < n; i++) {
      offsets[i] = used;
      const s = normalizeText(questions[i]!);
      const cursor = new TokenCursor(s);
      while (cursor.next()) {
        const a = cursor.start;
        const b = cursor.end;
        if (b - a === 1 && s.charCodeAt(a) === BOUNDARY_CODE) continue;
        const id = vocabBuilder.intern(s, a, b, cursor.hash);
        if (used === pool.length) {
          const bigger = new Int32Array(pool.length * 2);
          bigger.set(pool);
          pool = bigger;
        }
        pool[used++] = id;
      }
    }
    offsets[n] = used;
    const vocab = new Vocabulary(vocabBuilder.tokens);
    this.vocab = vocab;

    const qLen = new Int32Array(n);
    const order: number[] = [];
    let empty = 0;
    let maxLen = 0;
    for (let i = 0; i < n; i++) {
      const len = offsets[i + 1]! - offsets[i]!;
      qLen[i] = len;
      if (len === 0) empty++;
      else order.push(i);
      if (len > maxLen) maxLen = len;
    }
    this.qLen = qLen;

    // 2. Sort the sequences (ties by index, so the first of equal sequences comes first).
    order.sort((a, b) => {
      let pa = offsets[a]!;
      let pb = offsets[b]!;
      const ea = offsets[a + 1]!;
      const eb = offsets[b + 1]!;
      while (pa < ea && pb < eb) {
        const d = pool[pa]! - pool[pb]!;
        if (d !== 0) return d;
        pa++;
        pb++;
      }
      return ea - pa - (eb - pb) || a - b;
    });

    // 3. Insert in sorted order: nodes come out in preorder, each node's first child is node + 1.
    //    Dense per-node arrays here are build-time only.
    const cap = used + 1;
    const label = new Int32Array(cap);
    const parent = new Int32Array(cap);
    const kids = new Uint8Array(cap); // 0, 1 or 2 (= more than one)
    const outQ = new Int32Array(cap).fill(-1);
    const path = new Int32Array(maxLen + 1);
    let extraP = new Int32Array(64);
    let extraC = new Int32Array(64);
    let extra = 0;
    let nodes = 1;
    let prev = -1;
    let duplicates = 0;
    let short = 0;
    let indexedTokens = 0;
    for (const q of order) {
      const a = offsets[q]!;
      const len = qLen[q]!;
      let l = 0;
      if (prev >= 0) {
        const pa = offsets[prev]!;
        const lim = Math.min(len, qLen[prev]!);
        while (l < lim && pool[pa + l] === pool[a + l]) l++;
        if (l === len && l === qLen[prev]) {
          duplicates++;
          continue;
        }
      }
      let node = path[l]!;
      for (let d = l; d < len; d++) {
        const child = nodes++;
        label[child] = pool[a + d]!;
        parent[child] = node;
        if (kids[node] === 0) {
          if (child !== node + 1) throw new Error("QuestionIndex: internal error (trie is not in preorder)");
          kids[node] = 1;
        } else {
          kids[node] = 2;
          if (extra === extraP.length) {
            const p2 = new Int32Array(extra * 2);
            p2.set(extraP);
            extraP = p2;
            const c2 = new Int32Array(extra * 2);
            c2.set(extraC);
            extraC = c2;
          }
          extraP[extra] = node;
          extraC[extra] = child;
          extra++;
        }
        node = child;
        path[d + 1] = child;
      }
      outQ[node] = q;
      prev = q;
      if (len < minTokens) short++;
      indexedTokens += len;
    }
    pool = new Int32Array(0);

    // 4. Goto edges: first children implicit, the root's children in a direct array, the others hashed.
    const words = bitWords(nodes);
    const hasChild = new Uint32Array(words);
    const moreChildren = new Uint32Array(words);
    for (let v = 0; v < nodes; v++) {
      if (kids[v]! >= 1) hasChild[v >>> 5]! |= 1 << (v & 31);
      if (kids[v] === 2) moreChildren[v >>> 5]! |= 1 << (v & 31);
    }
    const compactLabel = vocab.size <= 0x10000 ? new Uint16Array(nodes) : new Int32Array(nodes);
    for (let v = 0; v < nodes; v++) compactLabel[v] = label[v]!;
    this.label = compactLabel;
    this.hasChild = hasChild;
    this.moreChildren = moreChildren;
    const rootNext = new Int32Array(vocab.size);
    if (nodes > 1) rootNext[label[1]!] = 1;
    const edgeSize = tableSize(extra);
    const edgeMask = edgeSize - 1;
    const edgeParent = new Int32Array(edgeSize);
    const edgeChild = new Int32Array(edgeSize);
    for (let k = 0; k < extra; k++) {
      const p = extraP[k]!;
      const c = extraC[k]!;
      if (p === 0) {
        rootNext[label[c]!] = c;
        continue;
      }
      let h = hashPair(p, label[c]!) & edgeMask;
      while (edgeChild[h] !== 0) h = (h + 1) & edgeMask;
      edgeParent[h] = p;
      edgeChild[h] = c;
    }
    this.rootNext = rootNext;
    this.edgeMask = edgeMask;
    this.edgeParent = edgeParent;
    this.edgeChild = edgeChild;

    // 5. Breadth-first order (counting sort by depth; a parent precedes its children in preorder).
    const depth = new Int32Array(nodes);
    const perDepth = new Int32Array(maxLen + 2);
    for (let v = 1; v < nodes; v++) {
      const d = depth[parent[v]!]! + 1;
      depth[v] = d;
      perDepth[d + 1]!++;
    }
    for (let d = 1; d < perDepth.length; d++) perDepth[d]! += perDepth[d - 1]!;
    const bfs = new Int32Array(nodes);
    for (let v = 1; v < nodes; v++) bfs[perDepth[depth[v]!]!++] = v;

    // 6. Failure links, then each node's longest output through the output links.
    const fail = new Int32Array(nodes);
    let nonRootFails = 0;
    for (let k = 0; k < nodes - 1; k++) {
      const v = bfs[k]!;
      const p = parent[v]!;
      if (p !== 0) {
        const c = label[v]!;
        let u = fail[p]!;
        for (;;) {
          const g = this.child(u, c);
          if (g >= 0) {
            fail[v] = g;
            nonRootFails++;
            break;
          }
          if (u === 0) break;
          u = fail[u]!;
        }
      }
      if (outQ[v]! < 0) outQ[v] = outQ[fail[v]!]!;
    }

    // 7. Pack the failure links: a bitset of non-root links, a rank per 32-bit word, the links themselves.
    const failSet = new Uint32Array(words);
    const failRank = new Int32Array(words);
    const failTo = new Int32Array(nonRootFails);
    let packed = 0;
    for (let v = 0; v < nodes; v++) {
      if ((v & 31) === 0) failRank[v >>> 5] = packed;
      if (fail[v] !== 0) {
        failSet[v >>> 5]! |= 1 << (v & 31);
        failTo[packed++] = fail[v]!;
      }
    }
    this.failSet = failSet;
    this.failRank = failRank;
    this.failTo = failTo;

    // 8. Outputs.
    const hasOutput = new Uint32Array(words);
    let outputNodes = 0;
    for (let v = 1; v < nodes; v++) if (outQ[v]! >= 0) outputNodes++;
    const outSize = tableSize(outputNodes);
    const outMask = outSize - 1;
    const outNode = new Int32Array(outSize);
    const outQuestion = new Int32Array(outSize);
    for (let v = 1; v < nodes; v++) {
      const q = outQ[v]!;
      if (q < 0) continue;
      hasOutput[v >>> 5]! |= 1 << (v & 31);
      let h = hashOne(v) & outMask;
      while (outNode[h] !== 0) h = (h + 1) & outMask;
      outNode[h] = v;
      outQuestion[h] = q;
    }
    this.hasOutput = hasOutput;
    this.outMask = outMask;
    this.outNode = outNode;
    this.outQuestion = outQuestion;

    this.duplicates = duplicates;
    const indexBytes = [
      compactLabel, rootNext, hasChild, moreChildren, hasOutput, failSet, failRank, failTo,
      edgeParent, edgeChild, outNode, outQuestion, qLen,
    ].reduce((sum, a) => sum + a.byteLength, 0);
    const vocabularyBytes = vocab.bytes;
    this.stats = {
      questions: n,
      indexed: order.length - duplicates,
      duplicates,
      empty,
      short,
      minTokens,
      tokens: indexedTokens,
      vocabulary: vocab.size,
      nodes,
      extraEdges: extra,
      outputNodes,
      indexBytes,
      vocabularyBytes,
      bytes: indexBytes + vocabularyBytes,
      buildMs: performance.now() - t0,
    };
  }

  /** Goto edge: the child of `node` along token `tok`, or -1. */
  private child(node: number, tok: number): number {
    if (node === 0) return this.rootNext[tok]! || -1;
    const w = node >>> 5;
    const b = 1 << (node & 31);
    if ((this.hasChild[w]! & b) === 0) return -1;
    if (this.label[node + 1] === tok) return node + 1;
    if ((this.moreChildren[w]! & b) === 0) return -1;
    return this.extraChild(node, tok);
  }

  /** A second or later child of `node` along `tok`, from the edge table, or -1. */
  private extraChild(node: number, tok: number): number {
    const mask = this.edgeMask;
    const edgeChild = this.edgeChild;
    let h = hashPair(node, tok) & mask;
    for (;;) {
      const c = edgeChild[h]!;
      if (c === 0) return -1;
      if (this.edgeParent[h] === node && this.label[c] === tok) return c;
      h = (h + 1) & mask;
    }
  }

  /** The longest question ending at a node whose `hasOutput` bit is set. */
  private output(node: number): number {
    const mask = this.outMask;
    let h = hashOne(node) & mask;
    for (;;) {
      if (this.outNode[h] === node) return this.outQuestion[h]!;
      h = (h + 1) & mask;
    }
  }

  /**
   * The question carried by a request, or undefined when none is present in full.
   *
   * `input` is either one text, or the texts of the request's messages (joined as by
   * {@link requestText}, so a question is never found across two messages). When several questions
   * occur — few-shot examples before the asked question, or a question quoted inside a longer one —
   * the one ending latest wins, ties going to the longest.
   */
  find(input: string | readonly string[]): Match | undefined {
    return this.scan(input).match;
  }

  /** {@link find} plus the token and step counts of the scan. */
  scan(input: string | readonly string[]): ScanResult {
    const text = normalizeText(typeof input === "string" ? input : requestText(input));
    const vocab = this.vocab;
    const label = this.label;
    const rootNext = this.rootNext;
    const hasChild = this.hasChild;
    const moreChildren = this.moreChildren;
    const hasOutput = this.hasOutput;
    const failSet = this.failSet;
    const failRank = this.failRank;
    const failTo = this.failTo;
    const qLen = this.qLen;
    const minTokens = this.minTokens;

    let state = 0;
    let steps = 0;
    let pos = 0;
    let segmentStart = 0;
    let bestQ = -1;
    let bestEnd = 0;
    // A short question matched from the start of the current message; it counts only if the message ends here.
    let pendingQ = -1;
    let pendingEnd = 0;
    const cursor = new TokenCursor(text);
    while (cursor.next()) {
      steps++;
      const a = cursor.start;
      if (cursor.end - a === 1 && text.charCodeAt(a) === BOUNDARY_CODE) {
        if (pendingQ >= 0) {
          bestQ = pendingQ;
          bestEnd = pendingEnd;
          pendingQ = -1;
        }
        state = 0;
        pos++;
        segmentStart = pos;
        continue;
      }
      pendingQ = -1;
      pos++;
      const tok = vocab.id(text, a, cursor.end, cursor.hash);
      if (tok < 0) {
        state = 0; // No question contains this token.
        continue;
      }
      // goto, following failure links on a miss.
      for (;;) {
        if (state === 0) {
          state = rootNext[tok]!; // 0 (stay at the root) when no question starts with this token
          break;
        }
        const w = state >>> 5;
        const b = 1 << (state & 31);
        if (hasChild[w]! & b) {
          if (label[state + 1] === tok) {
            state++;
            break;
          }
          if (moreChildren[w]! & b) {
            const next = this.extraChild(state, tok);
            if (next >= 0) {
              state = next;
              break;
            }
          }
        }
        const f = failSet[w]!;
        state = f & b ? failTo[failRank[w]! + popcount(f & (b - 1))]! : 0;
        steps++;
      }
      if (hasOutput[state >>> 5]! & (1 << (state & 31))) {
        steps++;
        const q = this.output(state);
        const len = qLen[q]!;
        if (len >= minTokens) {
          bestQ = q;
          bestEnd = pos;
        } else if (pos - len === segmentStart) {
          pendingQ = q;
          pendingEnd = pos;
        }
      }
    }
    if (pendingQ >= 0) {
      bestQ = pendingQ;
      bestEnd = pendingEnd;
    }
    const match = bestQ < 0 ? undefined : { question: bestQ, start: bestEnd - qLen[bestQ]!, end: bestEnd };
    return { match, tokens: pos, steps };
  }

  /** Number of tokens in question `i` after normalisation (0 for a blank question). */
  questionTokens(i: number): number {
    return this.qLen[i] ?? 0;
  }
}

/**
 * Token string -> id, looked up straight from a slice of the request text (no substring allocated).
 * All token strings are concatenated in one string; an open-addressing table holds id + 1 per slot.
 */
class Vocabulary {
  readonly size: number;
  private readonly chars: string;
  private readonly start: Int32Array;
  private readonly hash: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(tokens: readonly string[]) {
    this.size = tokens.length;
    this.chars = tokens.join("");
    this.start = new Int32Array(this.size + 1);
    this.hash = new Int32Array(this.size);
    const tableSizeV = tableSize(this.size);
    this.mask = tableSizeV - 1;
    this.slots = new Int32Array(tableSizeV);
    let offset = 0;
    for (let id = 0; id < this.size; id++) {
      this.start[id] = offset;
      const end = offset + tokens[id]!.length;
      const h = tokenHash(this.chars, offset, end);
      this.hash[id] = h;
      let slot = h & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = id + 1;
      offset = end;
    }
    this.start[this.size] = offset;
  }

  /** Id of the token `s.slice(a, b)` whose {@link tokenHash} is `h`, or -1 when no question contains it. */
  id(s: string, a: number, b: number, h: number): number {
    const len = b - a;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const e = this.slots[slot]!;
      if (e === 0) return -1;
      const id = e - 1;
      if (this.hash[id] === h) {
        const st = this.start[id]!;
        if (this.start[id + 1]! - st === len) {
          let i = 0;
          while (i < len && this.chars.charCodeAt(st + i) === s.charCodeAt(a + i)) i++;
          if (i === len) return id;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Bytes held: the typed arrays plus the token characters (2 bytes each). */
  get bytes(): number {
    return this.start.byteLength + this.hash.byteLength + this.slots.byteLength + 2 * this.chars.length;
  }
}

/** Assigns token ids while the questions are tokenised (ids in order of first appearance). */
class VocabularyBuilder {
  readonly tokens: string[] = [];
  private hashes: number[] = [];
  private slots = new Int32Array(1024);
  private mask = 1023;

  /** Id of the token `s.slice(a, b)` whose {@link tokenHash} is `h`, added if new. */
  intern(s: string, a: number, b: number, h: number): number {
    const len = b - a;
    let slot = h & this.mask;
    for (;;) {
      const e = this.slots[slot]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.hashes[id] === h) {
        const t = this.tokens[id]!;
        if (t.length === len) {
          let i = 0;
          while (i < len && t.charCodeAt(i) === s.charCodeAt(a + i)) i++;
          if (i === len) return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    const id = this.tokens.length;
    this.tokens.push(s.slice(a, b));
    this.hashes.push(h);
    this.slots[slot] = id + 1;
    if (2 * this.tokens.length > this.slots.length) this.grow();
    return id;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.tokens.length; id++) {
      let slot = this.hashes[id]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

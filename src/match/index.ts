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
 * A scan has two phases ({@link QuestionIndex.scan}): the request's messages become token ids, then
 * the ids run through the automaton. ASCII messages (and ASCII apart from typographic quotes and
 * no-break spaces), nearly every benchmark prompt, skip normalizeText and TokenCursor: their bytes are
 * tokenised in one pass with case folded on the fly, one-character tokens found by a direct table and
 * longer words by an exact key of their last eight characters. The tests check this path and the
 * general one agree on token ids, matches and step counts.
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
 * That is about 4–5 bytes a node. (The bitsets are Int32Array: a Uint32Array element with the top bit
 * set is not an int32, and reading one makes the JIT deoptimise the scan loop.) The second and later
 * children of a node (at most one per distinct question) live in an open-addressing hash table keyed by
 * (parent, token); the root's children are a direct array by token id. The output of a node — the
 * longest question that is a suffix of the node's path, found through the output (dictionary) links —
 * is precomputed and kept only for nodes that have one, in a second small hash table. Only the longest
 * output at a position is ever needed, because the result is the match ending latest, ties going to the
 * longest.
 */

import {
  ASCII_CLASSES,
  BOUNDARY,
  BOUNDARY_CODE,
  SEPARATOR,
  SINGLE,
  TokenCursor,
  WORD,
  asciiBytes,
  normalizeText,
  tokenHash,
} from "./normalize.ts";

export { BOUNDARY, normalizeText, requestText, tokenize } from "./normalize.ts";

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
  /** Goto edges beyond each node's first child (the root's in a direct array, the others hashed). */
  readonly extraEdges: number;
  /** States with an output (a question ends there, directly or as a suffix). */
  readonly outputNodes: number;
  /** Exact size of the automaton's typed arrays (hash tables included, at load ≤ 1/2). */
  readonly indexBytes: number;
  /** The vocabulary: its typed arrays plus 2 bytes per character of its one concatenated string. */
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

export interface ScanOptions {
  /**
   * @internal For tests: false sends every message through the general (Unicode) path, so that the
   * ASCII fast path can be compared with it. Default true.
   */
  readonly asciiFastPath?: boolean;
}

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

/** Token ids in a scanned request, besides vocabulary ids: a token no question contains; a message boundary. */
const UNKNOWN_ID = -1;
const BOUNDARY_ID = -2;

// Scratch buffers for scanning, shared by all indexes (a scan runs to completion before the next).
// Allocated once and never replaced: the JIT then treats the byte buffer as a constant, which makes the
// ASCII tokeniser's loop markedly faster (about 20%). A request with more characters than the id buffer
// gets one of its own; a message too long for the byte buffer takes the general path.
const SCRATCH_IDS = new Int32Array(1 << 15);
const SCRATCH_BYTES = new Uint8Array(1 << 16);

/** `ids` with room for `size` ids, its first `used` ids kept. */
function reserveIds(ids: Int32Array, used: number, size: number): Int32Array {
  if (size <= ids.length) return ids;
  const bigger = new Int32Array(Math.max(size, 2 * ids.length));
  bigger.set(ids.subarray(0, used));
  return bigger;
}

export class QuestionIndex {
  /** Questions whose token sequence repeats an earlier one (they match as the earlier index). */
  readonly duplicates: number;
  readonly stats: IndexStats;

  private readonly vocab: Vocabulary;
  private readonly minTokens: number;
  /** Token count per question (0 for empty; a duplicate has its original's). */
  private readonly qLen: Int32Array;
  private readonly goto: Goto;
  /** Bit per node: its failure link is not the root. */
  private readonly failSet: Int32Array;
  /** Non-root failure links before each 32-node word of `failSet`. */
  private readonly failRank: Int32Array;
  /** The non-root failure links, in node order. */
  private readonly failTo: Int32Array;
  /** Bit per node: some question ends here (itself or as a suffix); which one is in `outputs`. */
  private readonly hasOutput: Int32Array;
  private readonly outputs: IntMap;

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

    const tokenized = tokenizeQuestions(questions);
    this.vocab = tokenized.vocab;
    this.qLen = tokenized.qLen;
    const sorted = sortSequences(tokenized);
    const trie = buildTrie(tokenized, sorted);
    tokenized.pool = new Int32Array(0); // build-time only
    this.goto = new Goto(trie);
    const links = linkFailures(trie, this.goto);
    const packed = packFailures(links.fail);
    this.failSet = packed.failSet;
    this.failRank = packed.failRank;
    this.failTo = packed.failTo;
    this.hasOutput = links.hasOutput;
    this.outputs = links.outputs;

    let short = 0;
    let indexedTokens = 0;
    for (const q of trie.indexed) {
      const len = this.qLen[q]!;
      if (len < minTokens) short++;
      indexedTokens += len;
    }
    this.duplicates = trie.duplicates;
    const indexBytes =
      this.goto.bytes + this.failSet.byteLength + this.failRank.byteLength + this.failTo.byteLength +
      this.hasOutput.byteLength + this.outputs.bytes + this.qLen.byteLength;
    const vocabularyBytes = this.vocab.bytes;
    this.stats = {
      questions: questions.length,
      indexed: trie.indexed.length,
      duplicates: trie.duplicates,
      empty: sorted.empty,
      short,
      minTokens,
      tokens: indexedTokens,
      vocabulary: this.vocab.size,
      nodes: trie.nodes,
      extraEdges: trie.extra,
      outputNodes: this.outputs.size,
      indexBytes,
      vocabularyBytes,
      bytes: indexBytes + vocabularyBytes,
      buildMs: performance.now() - t0,
    };
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

  /**
   * {@link find} plus the token and step counts of the scan.
   *
   * This is the per-request hot path, in two phases: the messages become token ids, then the ids run
   * through the automaton ({@link run}). Two tight loops are faster than one doing both, which keeps
   * too many values live for the JIT to hold in registers. A message of ASCII characters (typographic
   * quotes and no-break spaces allowed) — nearly every benchmark prompt — is tokenised straight from
   * its bytes ({@link Vocabulary.asciiIds}); any other, or one longer than 65,535 characters, goes
   * through normalizeText and {@link TokenCursor}. Between messages goes a boundary id, as the BOUNDARY
   * character of {@link requestText} would tokenise, without building the joined string.
   */
  scan(input: string | readonly string[], options?: ScanOptions): ScanResult {
    const asciiFastPath = options?.asciiFastPath ?? true;
    const vocab = this.vocab;
    let ids: Int32Array = SCRATCH_IDS;
    let count = 0;
    const messages = typeof input === "string" ? 1 : input.length;
    for (let m = 0; m < messages; m++) {
      const raw = typeof input === "string" ? input : input[m]!;
      if (m > 0) {
        ids = reserveIds(ids, count, count + 1);
        ids[count++] = BOUNDARY_ID;
      }
      // At most one token per character.
      let end = -1;
      if (asciiFastPath) {
        ids = reserveIds(ids, count, count + raw.length);
        end = vocab.asciiIds(raw, ids, count);
      }
      if (end < 0) {
        // Inside one message U+FFFF is just a character (ignored, as in questions), never a boundary.
        const normalized = normalizeText(raw);
        const text = typeof input === "string" ? normalized : normalized.replaceAll(BOUNDARY, " ");
        ids = reserveIds(ids, count, count + text.length);
        end = vocab.textIds(text, ids, count);
      }
      count = end;
    }
    return this.run(ids, count);
  }

  /**
   * The automaton over the token ids of a request (the second phase of {@link scan}). Kept to as few
   * live variables as possible: the position is the loop index, and only the rare steps (failure
   * links, outputs) are counted, each token being one step anyway.
   */
  private run(ids: Int32Array, count: number): ScanResult {
    const goto = this.goto;
    const label = goto.label;
    const rootNext = goto.rootNext;
    const hasChild = goto.hasChild;
    const moreChildren = goto.moreChildren;
    const hasOutput = this.hasOutput;
    const failSet = this.failSet;
    const failRank = this.failRank;
    const failTo = this.failTo;
    const qLen = this.qLen;
    const minTokens = this.minTokens;

    let state = 0;
    let rareSteps = 0;
    // Position (in tokens) where the current message starts.
    let segmentStart = 0;
    let bestQ = -1;
    let bestEnd = 0;
    // A short question matched from the start of its message; it counts if its message ends at pendingEnd.
    let pendingQ = -1;
    let pendingEnd = -1;
    for (let t = 0; t < count; t++) {
      const tok = ids[t]!;
      if (tok < 0) {
        // A token no question contains, or a message boundary.
        state = 0;
        if (tok === BOUNDARY_ID) {
          if (pendingEnd === t) {
            bestQ = pendingQ;
            bestEnd = t;
          }
          segmentStart = t + 1;
        }
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
            const next = goto.extraChild(state, tok);
            if (next >= 0) {
              state = next;
              break;
            }
          }
        }
        const f = failSet[w]!;
        state = f & b ? failTo[failRank[w]! + popcount(f & ((b - 1) | 0))]! : 0;
        rareSteps++;
      }
      if (hasOutput[state >>> 5]! & (1 << (state & 31))) {
        rareSteps++;
        const q = this.outputs.get(state);
        const len = qLen[q]!;
        const end = t + 1;
        if (len >= minTokens) {
          bestQ = q;
          bestEnd = end;
        } else if (end - len === segmentStart) {
          pendingQ = q;
          pendingEnd = end;
        }
      }
    }
    if (pendingEnd === count) {
      bestQ = pendingQ;
      bestEnd = count;
    }
    const match = bestQ < 0 ? undefined : { question: bestQ, start: bestEnd - qLen[bestQ]!, end: bestEnd };
    return { match, tokens: count, steps: count + rareSteps };
  }

  /** Number of tokens in question `i` after normalisation (0 for a blank question). */
  questionTokens(i: number): number {
    return this.qLen[i] ?? 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// Build phases. Each is its own function so the JIT optimises its loops; dense per-node arrays made
// here are build-time only.

interface Tokenized {
  vocab: Vocabulary;
  /** Token ids of all questions, back to back (dropped once the trie is built). */
  pool: Int32Array;
  /** Question i is pool[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array;
  qLen: Int32Array;
}

function tokenizeQuestions(questions: readonly string[]): Tokenized {
  const n = questions.length;
  const builder = new VocabularyBuilder();
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
      const id = builder.intern(s, a, b, cursor.hash);
      if (used === pool.length) {
        const bigger = new Int32Array(pool.length * 2);
        bigger.set(pool);
        pool = bigger;
      }
      pool[used++] = id;
    }
  }
  offsets[n] = used;
  const qLen = new Int32Array(n);
  for (let i = 0; i < n; i++) qLen[i] = offsets[i + 1]! - offsets[i]!;
  return { vocab: new Vocabulary(builder.tokens), pool, offsets, qLen };
}

interface Sorted {
  /** Non-empty questions, by token sequence, ties by index. */
  order: Int32Array;
  empty: number;
  maxLen: number;
}

function sortSequences({ pool, offsets, qLen }: Tokenized): Sorted {
  const order: number[] = [];
  let empty = 0;
  let maxLen = 0;
  for (let i = 0; i < qLen.length; i++) {
    const len = qLen[i]!;
    if (len === 0) empty++;
    else order.push(i);
    if (len > maxLen) maxLen = len;
  }
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
  return { order: Int32Array.from(order), empty, maxLen };
}

interface Trie {
  nodes: number;
  vocabSize: number;
  label: Uint16Array | Int32Array;
  hasChild: Int32Array;
  moreChildren: Int32Array;
  /** Second and later children: (parent, child) pairs in creation order. */
  extraP: Int32Array;
  extraC: Int32Array;
  extra: number;
  /** Distinct questions (first index of each token sequence), with the node each ends at. */
  indexed: Int32Array;
  terminal: Int32Array;
  duplicates: number;
}

function buildTrie({ vocab, pool, offsets, qLen }: Tokenized, { order, maxLen }: Sorted): Trie {
  const cap = offsets[offsets.length - 1]! + 1; // every token a new node, plus the root
  const label = vocab.size <= 0x10000 ? new Uint16Array(cap) : new Int32Array(cap);
  const hasChild = new Int32Array(bitWords(cap));
  const moreChildren = new Int32Array(bitWords(cap));
  const indexed = new Int32Array(order.length);
  const terminal = new Int32Array(order.length);
  const path = new Int32Array(maxLen + 1);
  let extraP = new Int32Array(64);
  let extraC = new Int32Array(64);
  let extra = 0;
  let nodes = 1;
  let prev = -1;
  let count = 0;
  let duplicates = 0;
  for (let k = 0; k < order.length; k++) {
    const q = order[k]!;
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
      const w = node >>> 5;
      const b = 1 << (node & 31);
      if ((hasChild[w]! & b) === 0) {
        if (child !== node + 1) throw new Error("QuestionIndex: internal error (trie is not in preorder)");
        hasChild[w]! |= b;
      } else {
        moreChildren[w]! |= b;
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
    indexed[count] = q;
    terminal[count] = node;
    count++;
    prev = q;
  }
  return {
    nodes,
    vocabSize: vocab.size,
    label: nodes < cap ? label.slice(0, nodes) : label,
    hasChild: hasChild.slice(0, bitWords(nodes)),
    moreChildren: moreChildren.slice(0, bitWords(nodes)),
    extraP,
    extraC,
    extra,
    indexed: indexed.slice(0, count),
    terminal: terminal.slice(0, count),
    duplicates,
  };
}

/** The goto function: first children implicit (`node + 1`), the root's children by token, the rest hashed. */
class Goto {
  readonly label: Uint16Array | Int32Array;
  readonly rootNext: Int32Array;
  readonly hasChild: Int32Array;
  readonly moreChildren: Int32Array;
  private readonly edgeMask: number;
  private readonly edgeParent: Int32Array;
  /** Child node per slot, 0 = empty (the root is nobody's child). */
  private readonly edgeChild: Int32Array;

  constructor(trie: Trie) {
    const { label, extraP, extraC, extra } = trie;
    this.label = label;
    this.hasChild = trie.hasChild;
    this.moreChildren = trie.moreChildren;
    const rootNext = new Int32Array(trie.vocabSize);
    if (trie.nodes > 1) rootNext[label[1]!] = 1;
    let rootExtra = 0;
    for (let k = 0; k < extra; k++) if (extraP[k] === 0) rootExtra++;
    const size = tableSize(extra - rootExtra);
    const mask = size - 1;
    const edgeParent = new Int32Array(size);
    const edgeChild = new Int32Array(size);
    for (let k = 0; k < extra; k++) {
      const p = extraP[k]!;
      const c = extraC[k]!;
      if (p === 0) {
        rootNext[label[c]!] = c;
        continue;
      }
      let h = hashPair(p, label[c]!) & mask;
      while (edgeChild[h] !== 0) h = (h + 1) & mask;
      edgeParent[h] = p;
      edgeChild[h] = c;
    }
    this.rootNext = rootNext;
    this.edgeMask = mask;
    this.edgeParent = edgeParent;
    this.edgeChild = edgeChild;
  }

  /** The child of `node` along token `tok`, or -1. */
  child(node: number, tok: number): number {
    if (node === 0) return this.rootNext[tok]! || -1;
    const w = node >>> 5;
    const b = 1 << (node & 31);
    if ((this.hasChild[w]! & b) === 0) return -1;
    if (this.label[node + 1] === tok) return node + 1;
    if ((this.moreChildren[w]! & b) === 0) return -1;
    return this.extraChild(node, tok);
  }

  /** A second or later child of `node` (not the root) along `tok`, from the edge table, or -1. */
  extraChild(node: number, tok: number): number {
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

  get bytes(): number {
    return (
      this.label.byteLength + this.rootNext.byteLength + this.hasChild.byteLength + this.moreChildren.byteLength +
      this.edgeParent.byteLength + this.edgeChild.byteLength
    );
  }
}

interface Links {
  fail: Int32Array;
  hasOutput: Int32Array;
  outputs: IntMap;
}

/**
 * Failure links by breadth-first search (each child's link computed from its parent's), and each node's
 * longest output: its own question if one ends there, else its failure link's output.
 */
function linkFailures(trie: Trie, goto: Goto): Links {
  const { nodes, label, hasChild, moreChildren } = trie;
  // Extra children grouped by parent, to enumerate a node's children.
  const byParent = Array.from({ length: trie.extra }, (_, k) => k).sort((x, y) => trie.extraP[x]! - trie.extraP[y]! || x - y);
  const sortedP = Int32Array.from(byParent, (k) => trie.extraP[k]!);
  const sortedC = Int32Array.from(byParent, (k) => trie.extraC[k]!);

  const hasOutput = new Int32Array(bitWords(nodes));
  const outputs = new IntMap(trie.terminal.length);
  for (let k = 0; k < trie.terminal.length; k++) {
    const v = trie.terminal[k]!;
    hasOutput[v >>> 5]! |= 1 << (v & 31);
    outputs.set(v, trie.indexed[k]!);
  }

  const fail = new Int32Array(nodes);
  const queue = new Int32Array(nodes);
  let head = 0;
  let tail = 0;
  const visit = (r: number, c: number) => {
    if (r !== 0) {
      const t = label[c]!;
      let u = fail[r]!;
      for (;;) {
        const g = goto.child(u, t);
        if (g >= 0) {
          fail[c] = g;
          break;
        }
        if (u === 0) break;
        u = fail[u]!;
      }
      const f = fail[c]!;
      if ((hasOutput[c >>> 5]! & (1 << (c & 31))) === 0 && f !== 0 && hasOutput[f >>> 5]! & (1 << (f & 31))) {
        hasOutput[c >>> 5]! |= 1 << (c & 31);
        outputs.set(c, outputs.get(f));
      }
    }
    queue[tail++] = c;
  };
  if (nodes > 1) queue[tail++] = 0;
  while (head < tail) {
    const r = queue[head++]!;
    const w = r >>> 5;
    const b = 1 << (r & 31);
    if ((hasChild[w]! & b) === 0) continue;
    visit(r, r + 1);
    if ((moreChildren[w]! & b) === 0) continue;
    let lo = 0;
    let hi = sortedP.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sortedP[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < sortedP.length && sortedP[k] === r; k++) visit(r, sortedC[k]!);
  }
  return { fail, hasOutput, outputs };
}

/** Failure links packed: a bitset of the nodes whose link is not the root, a rank per word, the links. */
function packFailures(fail: Int32Array): { failSet: Int32Array; failRank: Int32Array; failTo: Int32Array } {
  const nodes = fail.length;
  let nonRoot = 0;
  for (let v = 0; v < nodes; v++) if (fail[v] !== 0) nonRoot++;
  const words = bitWords(nodes);
  const failSet = new Int32Array(words);
  const failRank = new Int32Array(words);
  const failTo = new Int32Array(nonRoot);
  let packed = 0;
  for (let v = 0; v < nodes; v++) {
    if ((v & 31) === 0) failRank[v >>> 5] = packed;
    const f = fail[v]!;
    if (f !== 0) {
      failSet[v >>> 5]! |= 1 << (v & 31);
      failTo[packed++] = f;
    }
  }
  return { failSet, failRank, failTo };
}

/** Int -> int map over typed arrays (open addressing, linear probing); keys must be ≥ 1. */
class IntMap {
  size = 0;
  private keys: Int32Array;
  private values: Int32Array;
  private mask: number;

  constructor(expected: number) {
    const size = tableSize(expected);
    this.keys = new Int32Array(size);
    this.values = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The value for `key`, or -1. */
  get(key: number): number {
    const mask = this.mask;
    let h = hashOne(key) & mask;
    for (;;) {
      const k = this.keys[h]!;
      if (k === key) return this.values[h]!;
      if (k === 0) return -1;
      h = (h + 1) & mask;
    }
  }

  set(key: number, value: number): void {
    let h = hashOne(key) & this.mask;
    for (;;) {
      const k = this.keys[h]!;
      if (k === key) {
        this.values[h] = value;
        return;
      }
      if (k === 0) break;
      h = (h + 1) & this.mask;
    }
    this.keys[h] = key;
    this.values[h] = value;
    this.size++;
    if (2 * this.size > this.keys.length) this.grow();
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Int32Array(keys.length * 2);
    this.values = new Int32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i]!, values[i]!);
  }

  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }
}

/** Byte classes for {@link Vocabulary.asciiIds}: the ASCII classes, plus the end sentinel and non-ASCII bytes. */
const END = 0;
const NON_ASCII = 4;
/** Never in UTF-8 output, so it can mark the end. */
const END_BYTE = 0xff;
const BYTE_CLASSES = new Uint8Array(256).fill(NON_ASCII);
BYTE_CLASSES.set(ASCII_CLASSES);
BYTE_CLASSES[END_BYTE] = END;

const NOT_ASCII = /[^\x00-\x7f]/;
/**
 * Marks the key of a word longer than eight characters, so that it never equals the key of the
 * eight-character word it ends with (key bytes are ASCII, so their top bit is free).
 */
const LONG_WORD = 1 << 31;

/**
 * Slot of the ASCII word `bytes[a .. a + len)` (folded to lower case) in the word table, from its key
 * (`low`, `high`: see Vocabulary) and, past eight characters, the characters before the key.
 */
function wordHash(low: number, high: number, bytes: Uint8Array, a: number, len: number): number {
  let h = Math.imul(low ^ Math.imul(high, 0x9e3779b1), 0x85ebca6b);
  for (let i = a; i < a + len - 8; i++) h = Math.imul(h ^ (bytes[i]! | 0x20), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}

/**
 * Token string -> id, looked up straight from a slice of the request text (no substring allocated).
 * All token strings are concatenated in one string; an open-addressing table holds id + 1 per slot.
 * ASCII words have a second table for {@link asciiIds}, by exact key.
 */
class Vocabulary {
  readonly size: number;
  private readonly chars: string;
  private readonly start: Int32Array;
  private readonly hash: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Id of each one-character ASCII token by its character code, else -1. */
  private readonly oneChar: Int32Array;
  /**
   * Keys of the ASCII words of two or more characters: their last eight characters packed big-endian,
   * four to an integer, {@link LONG_WORD} set in `keyHigh` past eight characters (all zero for other
   * tokens); and a table of their id + 1 by {@link wordHash}.
   */
  private readonly keyLow: Int32Array;
  private readonly keyHigh: Int32Array;
  private readonly wordSlots: Int32Array;
  private readonly wordMask: number;

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

    this.oneChar = new Int32Array(128).fill(UNKNOWN_ID);
    this.keyLow = new Int32Array(this.size);
    this.keyHigh = new Int32Array(this.size);
    const words: number[] = [];
    for (let id = 0; id < this.size; id++) {
      const t = tokens[id]!;
      if (NOT_ASCII.test(t)) continue; // never equal to an ASCII request token
      if (t.length === 1) {
        this.oneChar[t.charCodeAt(0)] = id;
        continue;
      }
      let low = 0;
      let high = 0;
      for (let k = 0; k < t.length; k++) {
        high = (high << 8) | (low >>> 24);
        low = (low << 8) | t.charCodeAt(k);
      }
      this.keyLow[id] = low;
      this.keyHigh[id] = t.length > 8 ? high | LONG_WORD : high;
      words.push(id);
    }
    this.wordMask = tableSize(words.length) - 1;
    this.wordSlots = new Int32Array(this.wordMask + 1);
    for (const id of words) {
      const t = tokens[id]!;
      const bytes = Uint8Array.from(t, (ch) => ch.charCodeAt(0));
      let slot = wordHash(this.keyLow[id]!, this.keyHigh[id]!, bytes, 0, t.length) & this.wordMask;
      while (this.wordSlots[slot] !== 0) slot = (slot + 1) & this.wordMask;
      this.wordSlots[slot] = id + 1;
    }
  }

  /**
   * Token ids of a text already normalised (see normalizeText), written from `ids[from]` on; returns
   * the index after the last. A BOUNDARY character in the text yields {@link BOUNDARY_ID}. `ids` must
   * have room for one id per character.
   */
  textIds(text: string, ids: Int32Array, from: number): number {
    const cursor = new TokenCursor(text);
    let t = from;
    while (cursor.next()) {
      const a = cursor.start;
      const isBoundary = cursor.end - a === 1 && text.charCodeAt(a) === BOUNDARY_CODE;
      ids[t++] = isBoundary ? BOUNDARY_ID : this.id(text, a, cursor.end, cursor.hash);
    }
    return t;
  }

  /**
   * {@link textIds} of `normalizeText(text)` for a text that is ASCII (or ASCII apart from characters
   * that normalise to ASCII on their own, see asciiBytes), or -1 for any other text, or one too long
   * for the scratch buffer (the caller then takes the general path).
   *
   * For ASCII, normalisation is only lower-casing A–Z, so the text's bytes are tokenised directly, in
   * one pass, case folded on the fly (typed-array reads rather than charCodeAt, no normalised copy, a
   * sentinel byte rather than bounds tests). One-character tokens (half of a math prompt's) come from
   * a direct table. A longer word is looked up by its last eight characters packed into two integers,
   * an exact key, so only words longer than eight characters need comparing character by character.
   */
  asciiIds(text: string, ids: Int32Array, from: number): number {
    const n = text.length;
    const bytes = SCRATCH_BYTES;
    // One byte is kept for the end sentinel.
    if (n >= bytes.length || !asciiBytes(text, bytes)) return -1;
    bytes[n] = END_BYTE;
    const oneChar = this.oneChar;
    const keyLow = this.keyLow;
    const keyHigh = this.keyHigh;
    const slots = this.wordSlots;
    const mask = this.wordMask;
    let i = 0;
    let t = from;
    for (;;) {
      let c = bytes[i]!;
      let k = BYTE_CLASSES[c]!;
      while (k === SEPARATOR) k = BYTE_CLASSES[(c = bytes[++i]!)]!;
      if (k === SINGLE) {
        ids[t++] = oneChar[c]!;
        i++;
        continue;
      }
      if (k !== WORD) return k === END ? t : -1; // the end, or a byte of a non-ASCII character
      // A word. c | 0x20 lower-cases A–Z and leaves a–z and 0–9 as they are.
      const a = i;
      let low = c | 0x20;
      let high = 0;
      c = bytes[++i]!;
      if (BYTE_CLASSES[c] !== WORD) {
        ids[t++] = oneChar[low]!;
        continue;
      }
      do {
        high = (high << 8) | (low >>> 24);
        low = (low << 8) | (c | 0x20);
        c = bytes[++i]!;
      } while (BYTE_CLASSES[c] === WORD);
      const len = i - a;
      if (len > 8) high |= LONG_WORD;
      let slot = wordHash(low, high, bytes, a, len) & mask;
      let tok = UNKNOWN_ID;
      for (;;) {
        const e = slots[slot]!;
        if (e === 0) break;
        const id = e - 1;
        if (keyLow[id] === low && keyHigh[id] === high && (len <= 8 || this.headEquals(id, len, bytes, a))) {
          tok = id;
          break;
        }
        slot = (slot + 1) & mask;
      }
      ids[t++] = tok;
    }
  }

  /** Whether token `id` has length `len` and starts with the `len - 8` characters at `bytes[a..]`. */
  private headEquals(id: number, len: number, bytes: Uint8Array, a: number): boolean {
    const st = this.start[id]!;
    if (this.start[id + 1]! - st !== len) return false;
    for (let j = 0; j < len - 8; j++) if (this.chars.charCodeAt(st + j) !== (bytes[a + j]! | 0x20)) return false;
    return true;
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
    return (
      this.start.byteLength + this.hash.byteLength + this.slots.byteLength + 2 * this.chars.length +
      this.oneChar.byteLength + this.keyLow.byteLength + this.keyHigh.byteLength + this.wordSlots.byteLength
    );
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

// Building the question index: the questions' tokens, sorted into a trie in depth-first preorder, the
// goto function, the failure links and outputs (Aho–Corasick), and the failure links packed. Each phase
// is its own function so the JIT optimises its loops; dense per-node arrays made here are build-time only.
import { BOUNDARY_CODE, TokenCursor, normalizeText } from "./normalize.ts";
import { IntMap, bitWords, hashPair, tableSize } from "./tables.ts";
import { Vocabulary, VocabularyBuilder } from "./vocabulary.ts";

export interface Tokenized {
  vocab: Vocabulary;
  /** Token ids of all questions, back to back (dropped once the trie is built). */
  pool: Int32Array;
  /** Question i is pool[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array;
  qLen: Int32Array;
}

export function tokenizeQuestions(questions: readonly string[]): Tokenized {
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

/**
 * Bit t set when token t occurs in some question after its first token. A template's suffix whose
 * first token is not one of these can complete no question begun before it (template.ts's `clear`).
 */
export function innerTokens({ vocab, offsets, pool }: Tokenized): Int32Array {
  const bits = new Int32Array(bitWords(vocab.size));
  for (let q = 0; q + 1 < offsets.length; q++) {
    for (let i = offsets[q]! + 1; i < offsets[q + 1]!; i++) bits[pool[i]! >>> 5]! |= 1 << (pool[i]! & 31);
  }
  return bits;
}

export interface Sorted {
  /** Non-empty questions, by token sequence, ties by index. */
  order: Int32Array;
  empty: number;
  maxLen: number;
}

export function sortSequences({ pool, offsets, qLen }: Tokenized): Sorted {
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

export interface Trie {
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
  /** Per question, the first question with its token sequence (itself when it is the first), or -1 when it has no tokens. */
  canonical: Int32Array;
  duplicates: number;
}

export function buildTrie({ vocab, pool, offsets, qLen }: Tokenized, { order, maxLen }: Sorted): Trie {
  const cap = offsets[offsets.length - 1]! + 1; // every token a new node, plus the root
  const label = vocab.size <= 0x10000 ? new Uint16Array(cap) : new Int32Array(cap);
  const hasChild = new Int32Array(bitWords(cap));
  const moreChildren = new Int32Array(bitWords(cap));
  const indexed = new Int32Array(order.length);
  const terminal = new Int32Array(order.length);
  const canonical = new Int32Array(qLen.length).fill(-1);
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
        canonical[q] = prev; // ties sort by index, so prev is the group's first
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
    canonical[q] = q;
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
    canonical,
    duplicates,
  };
}

/** The four bit sets of {@link Goto.bits}, in the order each 32-node word holds them. */
export const HAS_CHILD = 0;
export const MORE_CHILDREN = 1;
export const HAS_OUTPUT = 2;
export const FAIL_SET = 3;
/** Integers per 32-node word of {@link Goto.bits}. */
export const BIT_SETS = 4;

/** Copies bit set `set` (one integer per 32-node word) into its place in `bits`. */
export function placeBits(bits: Int32Array, slot: number, set: Int32Array): void {
  for (let w = 0; w < set.length; w++) bits[BIT_SETS * w + slot] = set[w]!;
}

/** The goto function: first children implicit (`node + 1`), the root's children by token, the rest hashed. */
export class Goto {
  readonly label: Uint16Array | Int32Array;
  readonly rootNext: Int32Array;
  /**
   * The automaton's four bits per node, interleaved by 32-node word: has a child, has more than one,
   * some question ends here (itself or as a suffix), and its failure link is not the root. The goto
   * function fills the first two; the index places the other two once its links are made. One
   * 16-byte entry per word rather than four arrays: a scan entering a question's nodes, which with
   * thousands of questions are not in the CPU's caches, misses one cache line instead of three or four.
   */
  readonly bits: Int32Array;
  private readonly edgeMask: number;
  private readonly edgeParent: Int32Array;
  /** Child node per slot, 0 = empty (the root is nobody's child). */
  private readonly edgeChild: Int32Array;

  constructor(trie: Trie) {
    const { label, extraP, extraC, extra } = trie;
    this.label = label;
    this.bits = new Int32Array(BIT_SETS * trie.hasChild.length);
    placeBits(this.bits, HAS_CHILD, trie.hasChild);
    placeBits(this.bits, MORE_CHILDREN, trie.moreChildren);
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
    const at = BIT_SETS * (node >>> 5);
    const b = 1 << (node & 31);
    if ((this.bits[at + HAS_CHILD]! & b) === 0) return -1;
    if (this.label[node + 1] === tok) return node + 1;
    if ((this.bits[at + MORE_CHILDREN]! & b) === 0) return -1;
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
      this.label.byteLength + this.rootNext.byteLength + this.bits.byteLength +
      this.edgeParent.byteLength + this.edgeChild.byteLength
    );
  }
}

export interface Links {
  fail: Int32Array;
  hasOutput: Int32Array;
  outputs: IntMap;
}

/**
 * Failure links by breadth-first search (each child's link computed from its parent's), and each node's
 * longest output: its own question if one ends there, else its failure link's output.
 */
export function linkFailures(trie: Trie, goto: Goto): Links {
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
export function packFailures(fail: Int32Array): { failSet: Int32Array; failRank: Int32Array; failTo: Int32Array } {
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

/**
 * Per question, the node its tokens end at if the template path may answer it (./template.ts), else
 * -1: duplicates, short questions and questions found inside another (their node is some node's
 * failure link) are left to the scan.
 */
export function templateNodes(indexed: Int32Array, terminal: Int32Array, qLen: Int32Array, minTokens: number, fail: Int32Array): Int32Array {
  const failTarget = new Int32Array(bitWords(fail.length));
  for (let v = 1; v < fail.length; v++) {
    const f = fail[v]!;
    failTarget[f >>> 5]! |= 1 << (f & 31);
  }
  const nodes = new Int32Array(qLen.length).fill(-1);
  for (let k = 0; k < indexed.length; k++) {
    const q = indexed[k]!;
    const v = terminal[k]!;
    if (qLen[q]! >= minTokens && (failTarget[v >>> 5]! & (1 << (v & 31))) === 0) nodes[q] = v;
  }
  return nodes;
}

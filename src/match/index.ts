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
import { BOUNDARY, normalizeText } from "./normalize.ts";
import { BIT_SETS, FAIL_SET, HAS_CHILD, HAS_OUTPUT, MORE_CHILDREN, buildTrie, Goto, linkFailures, packFailures, innerTokens, placeBits, sortSequences, templateNodes, tokenizeQuestions } from "./build.ts";
import { IntMap, popcount } from "./tables.ts";
import { TemplatePath } from "./template.ts";
import { BOUNDARY_ID, Vocabulary } from "./vocabulary.ts";

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
  /**
   * A copy of `text`, question `question`'s text (or a text with its tokens), for the template path's
   * table of texts found lately (text-table.ts). Default: the text itself; a server passes the copy its
   * answer path reads (dataset/in-use.ts), so one copy, near the others in use, serves both.
   */
  readonly copyText?: (text: string, question: number) => string;
}

export const DEFAULT_MIN_TOKENS = 3;

export interface ScanOptions {
  /**
   * @internal For tests: false sends every message through the general (Unicode) path, so that the
   * ASCII fast path can be compared with it. Default true.
   */
  readonly asciiFastPath?: boolean;
}

// Scratch ids for scanning, shared by all indexes (a scan runs to completion before the next). A request
// with more characters than the buffer gets one of its own.
const SCRATCH_IDS = new Int32Array(1 << 15);

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
  /** The goto function's bits, with the output and failure bits placed (Goto.bits; which output is in `outputs`). */
  private readonly nodeBits: Int32Array;
  /** Non-root failure links before each 32-node word (of the failure bits). */
  private readonly failRank: Int32Array;
  /** The non-root failure links, in node order. */
  private readonly failTo: Int32Array;
  private readonly outputs: IntMap;
  /** Requests in a template seen before, answered without a scan ({@link question}). */
  private readonly templatePath: TemplatePath;

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
    const inner = innerTokens(tokenized);
    tokenized.pool = new Int32Array(0); // build-time only
    this.goto = new Goto(trie);
    const links = linkFailures(trie, this.goto);
    const packed = packFailures(links.fail);
    this.nodeBits = this.goto.bits;
    placeBits(this.nodeBits, HAS_OUTPUT, links.hasOutput);
    placeBits(this.nodeBits, FAIL_SET, packed.failSet);
    this.failRank = packed.failRank;
    this.failTo = packed.failTo;
    this.outputs = links.outputs;
    const nodes = templateNodes(trie.indexed, trie.terminal, this.qLen, minTokens, links.fail);
    this.templatePath = new TemplatePath(questions, trie.canonical, nodes, inner, {
      walk: (state, ids, quietFrom, onOutput) => this.walk(state, ids, quietFrom, onOutput),
      messageIds: (text) => this.messageIds(text),
    }, options.copyText);

    let short = 0;
    let indexedTokens = 0;
    for (const q of trie.indexed) {
      const len = this.qLen[q]!;
      if (len < minTokens) short++;
      indexedTokens += len;
    }
    this.duplicates = trie.duplicates;
    const indexBytes =
      this.goto.bytes + this.failRank.byteLength + this.failTo.byteLength +
      this.outputs.bytes + this.qLen.byteLength;
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
   * `find(messages)?.question`, faster for a request written in a template seen before.
   *
   * After a scan has found a question in the last message, the text before and after the question's
   * text there is learned as a template (./template.ts). A later last message of prefix + middle +
   * suffix, whose middle is the whole text of a question Q, is answered Q without a scan when:
   * 1. the two joins tokenise cleanly (template.ts's splitsCleanly), so the message's tokens are the
   *    prefix's, Q's and the suffix's, end to end;
   * 2. Q is not short, is the first of its token sequence, and no question contains Q except as its
   *    start (no failure link leads to Q's node: build.ts's templateNodes). Then after the prefix and
   *    Q the automaton is at Q's own node, whatever the prefix and the earlier messages were, and Q is
   *    the longest question ending there;
   * 3. running the suffix's tokens on from Q's node reaches no output: no question ends later. A
   *    suffix that holds no question and whose first token no question has after its own first
   *    token passes for every Q, and is not run (template.ts's `clear`): a question ending inside the
   *    suffix and begun before it would have that token inside it.
   * That is the scan's answer by its own rules (the latest end wins), so the two never differ; any
   * condition failing falls back to the scan. Costs three string comparisons, one table lookup and (for
   * a suffix that is not clear) a few automaton steps instead of tokenising the whole request (make bench: ~2–4 µs a request less).
   */
  question(messages: readonly string[]): number | undefined {
    const last = messages[messages.length - 1];
    if (last === undefined) return undefined;
    const known = this.templatePath.answer(last);
    if (known >= 0) return known;
    const match = this.scan(messages).match;
    if (match !== undefined) this.templatePath.learn(last, match.question);
    return match?.question;
  }

  /** Requests {@link question} answered from a learned template (for tests and the bench). */
  get templateHits(): number {
    return this.templatePath.hits;
  }

  /** Suffix walks the template path ran: none for a template whose suffix is `clear` (./template.ts). */
  get templateWalks(): number {
    return this.templatePath.walks;
  }

  /** The token ids of one message's text, as {@link scan} makes them (a copy: scans share their buffer). */
  private messageIds(text: string): Int32Array {
    const { ids, count } = this.tokenIds([text], true);
    return ids.slice(0, count);
  }

  /** The template path's walk (template.ts's Automaton.walk) over this automaton. */
  private walk(state: number, ids: Int32Array, quietFrom: number, onOutput: (i: number) => boolean): boolean {
    const bits = this.nodeBits;
    for (let i = 0; i < ids.length; i++) {
      if (state === 0 && i >= quietFrom) return true;
      const tok = ids[i]!;
      if (tok < 0) {
        state = 0;
        continue;
      }
      for (;;) {
        if (state === 0) {
          state = this.goto.rootNext[tok]!;
          break;
        }
        const child = this.goto.child(state, tok);
        if (child >= 0) {
          state = child;
          break;
        }
        const w = state >>> 5;
        const b = 1 << (state & 31);
        const f = bits[BIT_SETS * w + FAIL_SET]!;
        state = f & b ? this.failTo[this.failRank[w]! + popcount(f & ((b - 1) | 0))]! : 0;
      }
      if (bits[BIT_SETS * (state >>> 5) + HAS_OUTPUT]! & (1 << (state & 31)) && !onOutput(i)) return false;
    }
    return true;
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
    const { ids, count } = this.tokenIds(input, options?.asciiFastPath ?? true);
    return this.run(ids, count);
  }

  /** The first phase of {@link scan}: the request's token ids, in a scratch buffer shared by all scans. */
  private tokenIds(input: string | readonly string[], asciiFastPath: boolean): { ids: Int32Array; count: number } {
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
    return { ids, count };
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
    const bits = this.nodeBits;
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
        const at = BIT_SETS * w; // the node's word in nodeBits
        if (bits[at + HAS_CHILD]! & b) {
          if (label[state + 1] === tok) {
            state++;
            break;
          }
          if (bits[at + MORE_CHILDREN]! & b) {
            const next = goto.extraChild(state, tok);
            if (next >= 0) {
              state = next;
              break;
            }
          }
        }
        const f = bits[at + FAIL_SET]!;
        state = f & b ? failTo[failRank[w]! + popcount(f & ((b - 1) | 0))]! : 0;
        rareSteps++;
      }
      if (bits[BIT_SETS * (state >>> 5) + HAS_OUTPUT]! & (1 << (state & 31))) {
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

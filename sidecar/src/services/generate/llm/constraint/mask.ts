/**
 * The allowed-token mask: which vocabulary entries may come next from an automaton state.
 *
 * Every token's text is decoded once and the texts are put in a trie, flattened into typed
 * arrays in sorted (depth-first) order, so each trie node's subtree is one contiguous range of
 * `order`. A mask is a walk of the trie against the state, pruned at the first character that
 * may not come. Inside a string (most of a character's text) the walk needs no automaton
 * frames at all: it counts characters, and a subtree whose characters are all plain and whose
 * depth fits in the string's remaining length is taken whole as one range copy. Only the paths
 * that leave the string (a `"` in the token) step the real automaton.
 */
import { advance, advanceText, DONE, type Frame } from "./automaton.js";
import { isPlainChar, type StringNode } from "./grammar.js";

const QUOTE = 0x22;

export class TokenTrie {
  /** Token ids in trie order. */
  readonly order: Int32Array;
  readonly char: Uint16Array;
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  /** order[subStart, ownEnd) end exactly at the node; order[subStart, subEnd) pass through it. */
  readonly subStart: Int32Array;
  readonly ownEnd: Int32Array;
  readonly subEnd: Int32Array;
  /** Whether every character below the node is plain string text, and how deep it goes. */
  readonly plainBelow: Uint8Array;
  readonly depthBelow: Int32Array;
  readonly nodeCount: number;
  readonly vocabSize: number;
  /** The root's child for each ASCII character (-1: none); most states can only start with one. */
  readonly rootAscii: Int32Array;
  /** Each token's length in characters when it is plain string text (at most 254), else 255. */
  readonly plainLength: Uint8Array;
  /** Tokens that are plain string text, shortest first; plainUpTo[n] of them are at most n characters long. */
  readonly plainIds: Int32Array;
  readonly plainUpTo: Int32Array;
  /** Tokens that are plain text, then `"`, then `rest`: grouped by rest, sorted by the plain part's length. */
  readonly exits: { rest: string; prefixLengths: Int32Array; ids: Int32Array }[];

  /** `texts[id]` is the token's text, or null for tokens never allowed (special, partial UTF-8). */
  constructor(texts: readonly (string | null)[]) {
    this.vocabSize = texts.length;
    const ids: number[] = [];
    for (let id = 0; id < texts.length; id++) if (texts[id]) ids.push(id);
    ids.sort((a, b) => (texts[a]! < texts[b]! ? -1 : texts[a]! > texts[b]! ? 1 : a - b));
    this.order = Int32Array.from(ids);
    let capacity = 1;
    for (const id of ids) capacity += texts[id]!.length;
    const char = new Uint16Array(capacity);
    const parent = new Int32Array(capacity).fill(-1);
    const firstChild = new Int32Array(capacity).fill(-1);
    const lastChild = new Int32Array(capacity).fill(-1);
    const nextSibling = new Int32Array(capacity).fill(-1);
    const subStart = new Int32Array(capacity);
    const ownEnd = new Int32Array(capacity);
    const subEnd = new Int32Array(capacity);
    let nodes = 1;
    const path: number[] = [0]; // path[d] = node at depth d of the previous text
    let previous = "";
    for (let k = 0; k < ids.length; k++) {
      const text = texts[ids[k]!]!;
      let common = 0;
      while (common < text.length && common < previous.length && text.charCodeAt(common) === previous.charCodeAt(common)) common++;
      for (let d = path.length - 1; d > common; d--) subEnd[path[d]!] = k;
      path.length = common + 1;
      for (let d = common; d < text.length; d++) {
        const p = path[d]!;
        const n = nodes++;
        char[n] = text.charCodeAt(d);
        parent[n] = p;
        if (firstChild[p]! < 0) firstChild[p] = n;
        else nextSibling[lastChild[p]!] = n;
        lastChild[p] = n;
        subStart[n] = k;
        ownEnd[n] = k;
        path.push(n);
      }
      ownEnd[path[text.length]!] = k + 1;
      previous = text;
    }
    for (const n of path) subEnd[n] = ids.length;
    subStart[0] = 0;
    const plainBelow = new Uint8Array(nodes).fill(1);
    const depthBelow = new Int32Array(nodes);
    // Children are created after their parents, so one backward pass sees each subtree whole.
    for (let n = nodes - 1; n > 0; n--) {
      const p = parent[n]!;
      if (!(plainBelow[n] === 1 && isPlainChar(char[n]!))) plainBelow[p] = 0;
      if (depthBelow[n]! + 1 > depthBelow[p]!) depthBelow[p] = depthBelow[n]! + 1;
    }
    this.nodeCount = nodes;
    this.char = char.slice(0, nodes);
    this.firstChild = firstChild.slice(0, nodes);
    this.nextSibling = nextSibling.slice(0, nodes);
    this.subStart = subStart.slice(0, nodes);
    this.ownEnd = ownEnd.slice(0, nodes);
    this.subEnd = subEnd.slice(0, nodes);
    this.plainBelow = plainBelow;
    this.depthBelow = depthBelow;
    this.rootAscii = new Int32Array(128).fill(-1);
    for (let child = this.firstChild[0]!; child >= 0; child = this.nextSibling[child]!) {
      if (this.char[child]! < 128) this.rootAscii[this.char[child]!] = child;
    }
    const plain: [number, number][] = [];
    const exits = new Map<string, [number, number][]>();
    for (const id of ids) {
      const text = texts[id]!;
      let length = 0;
      let i = 0;
      for (; i < text.length && isPlainChar(text.charCodeAt(i)); i++) if (!isLowSurrogate(text.charCodeAt(i))) length++;
      if (i === text.length) plain.push([length, id]);
      else if (text.charCodeAt(i) === QUOTE) {
        const rest = text.slice(i + 1);
        let group = exits.get(rest);
        if (group === undefined) exits.set(rest, (group = []));
        group.push([length, id]);
      }
    }
    plain.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.plainLength = new Uint8Array(texts.length).fill(255);
    for (const [length, id] of plain) this.plainLength[id] = Math.min(length, 254);
    this.plainIds = Int32Array.from(plain, (p) => p[1]);
    const longest = plain.length > 0 ? plain[plain.length - 1]![0] : 0;
    this.plainUpTo = new Int32Array(longest + 1);
    for (let n = 0, k = 0; n <= longest; n++) {
      while (k < plain.length && plain[k]![0] <= n) k++;
      this.plainUpTo[n] = k;
    }
    this.exits = [...exits].map(([rest, group]) => {
      group.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      return { rest, prefixLengths: Int32Array.from(group, (g) => g[0]), ids: Int32Array.from(group, (g) => g[1]) };
    });
  }
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * Computes masks into a reused id buffer (no allocation per step beyond automaton frames). A
 * mask is the ids in ids[0, count) plus, when `plainLimit` ≥ 0, every token whose
 * `trie.plainLength` is at most `plainLimit` (inside a free string that is most of the
 * vocabulary: the sampler scans for it instead of us copying 150,000 ids).
 */
export class MaskBuilder {
  readonly ids: Int32Array;
  count = 0;
  plainLimit = -1;

  constructor(readonly trie: TokenTrie) {
    this.ids = new Int32Array(trie.vocabSize);
  }

  /** Computes the mask of every token whose whole text may come next from `state`; returns how many. */
  build(state: Frame): number {
    this.count = 0;
    this.plainLimit = -1;
    if (state === DONE) return 0;
    const node = state.node;
    if (node.kind === "string" && state.phase === 1) {
      if (node.pattern === null) this.freeString(state, node);
      else if (node.pattern.asciiOnly) this.walkRootAscii(state);
      else this.walkString(0, state, node, state.count, state.dfa);
    } else this.walkRootAscii(state);
    return this.count + (this.plainLimit >= 0 ? this.trie.plainUpTo[this.plainLimit]! : 0);
  }

  /** The last mask as one list of ids (for tests and tools; the decoder reads the parts). */
  allowedIds(): Int32Array {
    const plain = this.plainLimit >= 0 ? this.trie.plainIds.subarray(0, this.trie.plainUpTo[this.plainLimit]!) : new Int32Array(0);
    const all = new Int32Array(plain.length + this.count);
    all.set(plain);
    all.set(this.ids.subarray(0, this.count), plain.length);
    return all;
  }

  /**
   * Inside a string without a pattern the answer needs no trie walk: the plain tokens short
   * enough for the remaining length (`plainLimit`), and the tokens that close the string,
   * checked once per distinct text after the quote.
   */
  private freeString(state: Frame, node: StringNode): void {
    const t = this.trie;
    const room = Math.min(node.maxLength - state.count, t.plainUpTo.length - 1, 254);
    if (room > 0) this.plainLimit = room;
    const shortest = Math.max(0, node.minLength - state.count);
    if (shortest > node.maxLength - state.count) return;
    const closed = advance({ ...state, count: Math.max(state.count, node.minLength) }, QUOTE);
    if (closed === null) return;
    for (const exit of t.exits) {
      if (exit.rest.length > 0 && advanceText(closed, exit.rest) === null) continue;
      const lengths = exit.prefixLengths;
      for (let i = 0; i < lengths.length; i++) {
        const length = lengths[i]!;
        if (length > node.maxLength - state.count) break;
        if (length >= shortest) this.ids[this.count++] = exit.ids[i]!;
      }
    }
  }

  /** A state whose next character is ASCII: only the root's ASCII children can start a token. */
  private walkRootAscii(state: Frame): void {
    const t = this.trie;
    for (let c = 0; c < 128; c++) {
      const child = t.rootAscii[c]!;
      if (child < 0) continue;
      const next = advance(state, c);
      if (next === null) continue;
      this.acceptOwn(child);
      if (t.firstChild[child]! < 0) continue;
      if (next.node.kind === "string" && next.phase === 1) this.walkString(child, next, next.node, next.count, next.dfa);
      else this.walk(child, next);
    }
  }

  private acceptOwn(node: number): void {
    const t = this.trie;
    for (let i = t.subStart[node]!, end = t.ownEnd[node]!; i < end; i++) this.ids[this.count++] = t.order[i]!;
  }

  private acceptSubtree(node: number): void {
    const t = this.trie;
    const start = t.subStart[node]!;
    const end = t.subEnd[node]!;
    this.ids.set(t.order.subarray(start, end), this.count);
    this.count += end - start;
  }

  private walk(node: number, state: Frame): void {
    const t = this.trie;
    for (let child = t.firstChild[node]!; child >= 0; child = t.nextSibling[child]!) {
      const next = advance(state, t.char[child]!);
      if (next === null) continue;
      this.acceptOwn(child);
      if (t.firstChild[child]! < 0) continue;
      if (next.node.kind === "string" && next.phase === 1) this.walkString(child, next, next.node, next.count, next.dfa);
      else this.walk(child, next);
    }
  }

  /** Below `node`, inside string `frame` that has `count` characters and pattern state `dfa`. */
  private walkString(node: number, frame: Frame, string: StringNode, count: number, dfa: number): void {
    const t = this.trie;
    const max = string.maxLength;
    const pattern = string.pattern;
    for (let child = t.firstChild[node]!; child >= 0; child = t.nextSibling[child]!) {
      const c = t.char[child]!;
      if (c === QUOTE) {
        if (count < string.minLength || (pattern !== null && !pattern.isAccepting(dfa))) continue;
        // Leaving the string: from here on the real automaton decides.
        const after = advance({ ...frame, count, dfa }, c);
        if (after === null) continue;
        this.acceptOwn(child);
        if (t.firstChild[child]! >= 0) this.walk(child, after);
        continue;
      }
      if (!isPlainChar(c)) continue;
      const next = c >= 0xdc00 && c <= 0xdfff ? count : count + 1;
      if (next > max) continue;
      let nextDfa = -1;
      if (pattern !== null) {
        nextDfa = pattern.step(dfa, c);
        if (nextDfa < 0) continue;
      } else if (t.plainBelow[child] === 1 && next + t.depthBelow[child]! <= max) {
        this.acceptSubtree(child);
        continue;
      }
      this.acceptOwn(child);
      if (t.firstChild[child]! >= 0) this.walkString(child, frame, string, next, nextDfa);
    }
  }
}

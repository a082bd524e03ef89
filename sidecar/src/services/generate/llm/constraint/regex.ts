/**
 * The part of JSON Schema's `pattern` the constraint engine can follow character by character:
 * an anchored regular expression (`^…$`) of literal characters, `.`, classes (`[a-z0-9_]`,
 * `[^"]`, `\d`, `\w`, `\s`), groups (`(…)`, `(?:…)`), alternation and the quantifiers `* + ?
 * {n} {n,} {n,m}`. It is compiled to an NFA (Thompson's construction) and walked as a DFA whose
 * states are built on demand and memoised, so a mask walk pays a Map lookup per character.
 * Anything else (back references, look-around, unanchored patterns) is refused by name.
 */

/** Inclusive code-unit ranges. */
type CharSet = { ranges: [number, number][]; negated: boolean };

interface NfaState {
  edges: { set: CharSet; to: number }[];
  eps: number[];
}

export class PatternError extends Error {}

const DIGIT: [number, number][] = [[0x30, 0x39]];
const WORD: [number, number][] = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const SPACE: [number, number][] = [[0x09, 0x0d], [0x20, 0x20]];

function inSet(set: CharSet, c: number): boolean {
  let hit = false;
  for (const [lo, hi] of set.ranges) {
    if (c >= lo && c <= hi) {
      hit = true;
      break;
    }
  }
  return hit !== set.negated;
}

/** Parses a pattern into an NFA; `start` → `accept`. */
class NfaBuilder {
  readonly states: NfaState[] = [];
  private pos = 0;

  constructor(private readonly src: string) {}

  state(): number {
    this.states.push({ edges: [], eps: [] });
    return this.states.length - 1;
  }

  parse(): { start: number; accept: number } {
    const fragment = this.alternation();
    if (this.pos < this.src.length) throw new PatternError(`unexpected "${this.src[this.pos]}" at ${this.pos}`);
    return fragment;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private alternation(): { start: number; accept: number } {
    const branches = [this.sequence()];
    while (this.peek() === "|") {
      this.pos++;
      branches.push(this.sequence());
    }
    if (branches.length === 1) return branches[0]!;
    const start = this.state();
    const accept = this.state();
    for (const b of branches) {
      this.states[start]!.eps.push(b.start);
      this.states[b.accept]!.eps.push(accept);
    }
    return { start, accept };
  }

  private sequence(): { start: number; accept: number } {
    const start = this.state();
    let end = start;
    while (this.pos < this.src.length && this.peek() !== "|" && this.peek() !== ")") {
      const piece = this.quantified(this.atom());
      this.states[end]!.eps.push(piece.start);
      end = piece.accept;
    }
    return { start, accept: end };
  }

  /** Parses one atom and returns a function that builds a fresh copy of it (quantifiers repeat it). */
  private atom(): () => { start: number; accept: number } {
    const c = this.src[this.pos++]!;
    if (c === "(") {
      if (this.src.startsWith("?:", this.pos)) this.pos += 2;
      else if (this.peek() === "?") throw new PatternError("look-around and named groups");
      const begin = this.pos;
      this.alternation();
      if (this.peek() !== ")") throw new PatternError("unclosed group");
      const inner = this.src.slice(begin, this.pos);
      this.pos++;
      return () => new NfaBuilderView(this, inner).build();
    }
    let set: CharSet;
    if (c === "[") set = this.charClass();
    else if (c === ".") set = { ranges: [[0x0a, 0x0a], [0x0d, 0x0d]], negated: true };
    else if (c === "\\") set = this.escape();
    else if ("*+?{".includes(c)) throw new PatternError(`quantifier "${c}" with nothing before it`);
    else if (c === "^" || c === "$") throw new PatternError("anchors inside the pattern");
    else set = { ranges: [[c.charCodeAt(0), c.charCodeAt(0)]], negated: false };
    return () => {
      const start = this.state();
      const accept = this.state();
      this.states[start]!.edges.push({ set, to: accept });
      return { start, accept };
    };
  }

  private escape(): CharSet {
    const e = this.src[this.pos++];
    if (e === undefined) throw new PatternError("trailing backslash");
    if (e === "d") return { ranges: DIGIT, negated: false };
    if (e === "D") return { ranges: DIGIT, negated: true };
    if (e === "w") return { ranges: WORD, negated: false };
    if (e === "W") return { ranges: WORD, negated: true };
    if (e === "s") return { ranges: SPACE, negated: false };
    if (e === "S") return { ranges: SPACE, negated: true };
    if (/[a-zA-Z0-9]/.test(e)) throw new PatternError(`escape \\${e}`);
    return { ranges: [[e.charCodeAt(0), e.charCodeAt(0)]], negated: false };
  }

  private charClass(): CharSet {
    const set: CharSet = { ranges: [], negated: false };
    if (this.peek() === "^") {
      set.negated = true;
      this.pos++;
    }
    let first = true;
    while (this.pos < this.src.length && (this.peek() !== "]" || first)) {
      first = false;
      let lo: number;
      if (this.peek() === "\\") {
        this.pos++;
        const e = this.escapeInClass();
        if (e === undefined) continue;
        lo = e;
      } else lo = this.src.charCodeAt(this.pos++);
      if (this.peek() === "-" && this.src[this.pos + 1] !== "]" && this.pos + 1 < this.src.length) {
        this.pos++;
        const hiChar = this.src[this.pos++]!;
        const hi = hiChar === "\\" ? (this.escapeInClass() ?? -1) : hiChar.charCodeAt(0);
        if (hi < lo) throw new PatternError("class range out of order");
        set.ranges.push([lo, hi]);
      } else set.ranges.push([lo, lo]);
    }
    if (this.peek() !== "]") throw new PatternError("unclosed character class");
    this.pos++;
    set.ranges.push(...this.classRanges.splice(0));
    return set;
  }

  /** An escape inside a class: a literal code, or undefined when it added ranges (\d, \w, \s). */
  private escapeInClass(): number | undefined {
    const e = this.src[this.pos++];
    if (e === undefined) throw new PatternError("trailing backslash");
    const named: Record<string, [number, number][]> = { d: DIGIT, w: WORD, s: SPACE };
    if (named[e] !== undefined) {
      this.classRanges.push(...named[e]);
      return undefined;
    }
    if (/[a-zA-Z0-9]/.test(e)) throw new PatternError(`escape \\${e}`);
    return e.charCodeAt(0);
  }

  /** Ranges that \d, \w, \s add to the class being parsed. */
  private readonly classRanges: [number, number][] = [];

  private quantified(make: () => { start: number; accept: number }): { start: number; accept: number } {
    let min = 1;
    let max = 1;
    const q = this.peek();
    if (q === "*") [min, max] = [0, Infinity];
    else if (q === "+") [min, max] = [1, Infinity];
    else if (q === "?") [min, max] = [0, 1];
    else if (q === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (m === null) throw new PatternError("malformed {n,m}");
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      this.pos += m[0].length - 1;
    } else return make();
    this.pos++;
    if (this.peek() === "?" || this.peek() === "+") throw new PatternError("lazy or possessive quantifiers");
    if (max < min || min > 1000 || (max !== Infinity && max > 1000)) throw new PatternError("a repetition count above 1000");
    const start = this.state();
    let end = start;
    for (let i = 0; i < min; i++) {
      const f = make();
      this.states[end]!.eps.push(f.start);
      end = f.accept;
    }
    if (max === Infinity) {
      const f = make();
      this.states[end]!.eps.push(f.start);
      this.states[f.accept]!.eps.push(f.start);
      const accept = this.state();
      this.states[end]!.eps.push(accept);
      this.states[f.accept]!.eps.push(accept);
      return { start, accept };
    }
    const accept = this.state();
    for (let i = min; i < max; i++) {
      this.states[end]!.eps.push(accept);
      const f = make();
      this.states[end]!.eps.push(f.start);
      end = f.accept;
    }
    this.states[end]!.eps.push(accept);
    return { start, accept };
  }
}

/** Re-parses a group's source into the same state table (so each repetition gets its own states). */
class NfaBuilderView {
  constructor(
    private readonly owner: NfaBuilder,
    private readonly src: string,
  ) {}

  build(): { start: number; accept: number } {
    const sub = new NfaBuilder(this.src);
    const fragment = sub.parse();
    const offset = this.owner.states.length;
    for (const s of sub.states) {
      this.owner.states.push({
        edges: s.edges.map((e) => ({ set: e.set, to: e.to + offset })),
        eps: s.eps.map((t) => t + offset),
      });
    }
    return { start: fragment.start + offset, accept: fragment.accept + offset };
  }
}

/**
 * An anchored pattern as a lazily built DFA over UTF-16 code units. States are small integers;
 * `step` returns -1 for the dead state.
 */
export class PatternDfa {
  readonly start: number;
  private readonly nfa: NfaState[];
  private readonly nfaAccept: number;
  private readonly sets: number[][] = [];
  private readonly ids = new Map<string, number>();
  private readonly accepting: boolean[] = [];
  private readonly transitions: Map<number, number>[] = [];
  /** True when every character the pattern can match is ASCII. */
  readonly asciiOnly: boolean;
  /** One code unit per distinct class boundary: enough letters to find shortest completions. */
  private readonly alphabet: number[];

  constructor(readonly source: string) {
    if (!source.startsWith("^") || !source.endsWith("$") || source.endsWith("\\$")) {
      throw new PatternError("a pattern not anchored with ^ and $");
    }
    const builder = new NfaBuilder(source.slice(1, -1));
    const { start, accept } = builder.parse();
    this.nfa = builder.states;
    this.nfaAccept = accept;
    const letters = new Set<number>();
    let asciiOnly = true;
    for (const s of this.nfa) {
      for (const e of s.edges) {
        if (e.set.negated || e.set.ranges.some(([, hi]) => hi >= 128)) asciiOnly = false;
        if (e.set.negated) letters.add(0x61).add(0x30).add(0x20);
        for (const [lo] of e.set.ranges) letters.add(lo);
      }
    }
    this.asciiOnly = asciiOnly;
    this.alphabet = [...letters].filter((c) => c >= 0x20 && c !== 0x22 && c !== 0x5c).sort((a, b) => a - b);
    this.start = this.intern(this.closure([start]));
  }

  private closure(seeds: number[]): number[] {
    const seen = new Set(seeds);
    const stack = [...seeds];
    while (stack.length > 0) {
      for (const t of this.nfa[stack.pop()!]!.eps) {
        if (!seen.has(t)) {
          seen.add(t);
          stack.push(t);
        }
      }
    }
    return [...seen].sort((a, b) => a - b);
  }

  private intern(set: number[]): number {
    if (set.length === 0) return -1;
    const key = set.join(",");
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.ids.set(key, id);
      this.sets.push(set);
      this.accepting.push(set.includes(this.nfaAccept));
      this.transitions.push(new Map());
    }
    return id;
  }

  step(state: number, c: number): number {
    const memo = this.transitions[state]!;
    const known = memo.get(c);
    if (known !== undefined) return known;
    const targets: number[] = [];
    for (const s of this.sets[state]!) {
      for (const e of this.nfa[s]!.edges) if (inSet(e.set, c)) targets.push(e.to);
    }
    const next = this.intern(this.closure(targets));
    memo.set(c, next);
    return next;
  }

  isAccepting(state: number): boolean {
    return this.accepting[state]!;
  }

  /** The shortest text that takes `state` to an accepting state with at least `atLeast` characters; null if none. */
  shortestCompletion(state: number, atLeast: number): string | null {
    const key = (s: number, n: number): string => `${s}/${n}`;
    const queue: [number, number, string][] = [[state, 0, ""]];
    const seen = new Set([key(state, 0)]);
    while (queue.length > 0) {
      const [s, n, text] = queue.shift()!;
      if (n >= atLeast && this.accepting[s]) return text;
      for (const c of this.alphabet) {
        const t = this.step(s, c);
        const m = Math.min(n + 1, atLeast);
        if (t >= 0 && !seen.has(key(t, m))) {
          seen.add(key(t, m));
          queue.push([t, m, text + String.fromCharCode(c)]);
        }
      }
    }
    return null;
  }
}

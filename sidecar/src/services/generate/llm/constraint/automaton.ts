/**
 * The state of compact JSON being written against a compiled grammar: an immutable stack of
 * frames (a pushdown automaton), advanced one UTF-16 code unit at a time. Immutable so that the
 * mask walk can branch from a state without copying it; a step allocates only the frames it
 * changes.
 */
import { isPlainChar, type ArrayNode, type GrammarNode, type LiteralNode, type LiteralTrie, type ObjectNode, type StringNode } from "./grammar.js";

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * One level of nesting. `phase` 0 means the value has not started. Objects: 1 = between
 * properties (next key or `}`), 2 = inside a key (`lit`), 3 = the value of property `count` comes next. Arrays: 1 = after `[`, 2 = after an
 * item, 3 = after `,`. Strings: 1 = inside (`count` characters so far, `dfa` the pattern state).
 * Literals: 1 = inside (`lit`).
 */
export interface Frame {
  readonly node: GrammarNode;
  readonly parent: Frame | null;
  readonly phase: number;
  /** Objects: index of the next property that may come; arrays: items so far; strings: characters so far. */
  readonly count: number;
  readonly first: boolean;
  readonly dfa: number;
  readonly lit: LiteralTrie | null;
}

/** The state after the whole document: nothing more may follow. */
export const DONE: Frame = Object.freeze({
  node: { kind: "literal", trie: { next: new Map(), end: "", restText: "", restEnd: "" }, path: "" } as LiteralNode,
  parent: null,
  phase: -1,
  count: 0,
  first: false,
  dfa: -1,
  lit: null,
});

function frame(node: GrammarNode, parent: Frame | null, phase: number, count: number, first: boolean, dfa: number, lit: LiteralTrie | null): Frame {
  return { node, parent, phase, count, first, dfa, lit };
}

/** The start state for a document described by `root`. */
export function startState(root: GrammarNode): Frame {
  return frame(root, null, 0, 0, true, -1, null);
}

/** A value of `node` starts with character `c` under `parent`; null if it cannot. */
function begin(node: GrammarNode, parent: Frame | null, c: number): Frame | null {
  return advance(frame(node, parent, 0, 0, true, -1, null), c);
}

/**
 * The parent after the child value on top of it completed. `literal` is the literal the child
 * ended on (a discriminated union switches to its variant after property 0).
 */
function finish(f: Frame, literal: string | null): Frame {
  const parent = f.parent;
  if (parent === null) return DONE;
  if (parent.node.kind === "object" && parent.node.variants !== null && parent.count === 1 && literal !== null) {
    const variant = parent.node.variants.get(literal);
    if (variant !== undefined) return frame(variant, parent.parent, parent.phase, parent.count, parent.first, -1, null);
  }
  return parent;
}

function itemNode(node: ArrayNode, index: number): GrammarNode | null {
  return index < node.prefix.length ? node.prefix[index]! : node.items;
}

/** The state after character `c`, or null when `c` may not come next. */
export function advance(f: Frame, c: number): Frame | null {
  if (f === DONE) return null;
  const node = f.node;
  switch (node.kind) {
    case "string":
      return advanceString(f, node, c);
    case "literal": {
      const lit = f.phase === 0 ? node.trie : f.lit!;
      const next = lit.next.get(c);
      if (next !== undefined) return frame(node, f.parent, 1, 0, false, -1, next);
      if (f.phase === 1 && lit.end !== null) {
        const parent = finish(f, lit.end);
        return parent === DONE ? null : advance(parent, c);
      }
      return null;
    }
    case "object":
      return advanceObject(f, node, c);
    case "array":
      return advanceArray(f, node, c);
  }
}

function advanceString(f: Frame, node: StringNode, c: number): Frame | null {
  if (f.phase === 0) return c === QUOTE ? frame(node, f.parent, 1, 0, false, node.pattern?.start ?? -1, null) : null;
  if (c === QUOTE) {
    if (f.count < node.minLength || (node.pattern !== null && !node.pattern.isAccepting(f.dfa))) return null;
    return finish(f, null);
  }
  if (!isPlainChar(c)) return null;
  // A low surrogate completes a character already counted: maxLength counts code points.
  const count = c >= 0xdc00 && c <= 0xdfff ? f.count : f.count + 1;
  if (count > node.maxLength) return null;
  let dfa = -1;
  if (node.pattern !== null) {
    dfa = node.pattern.step(f.dfa, c);
    if (dfa < 0) return null;
  }
  return frame(node, f.parent, 1, count, false, dfa, null);
}

function mayClose(node: ObjectNode, next: number): boolean {
  for (let j = next; j < node.keys.length; j++) if (node.required[j]) return false;
  return true;
}

function advanceObject(f: Frame, node: ObjectNode, c: number): Frame | null {
  if (f.phase === 0) return c === OPEN_BRACE ? frame(node, f.parent, 1, 0, true, -1, null) : null;
  if (f.phase === 3) return begin(node.values[f.count]!, frame(node, f.parent, 1, f.count + 1, false, -1, null), c);
  if (f.phase === 1 && c === CLOSE_BRACE) return mayClose(node, f.count) ? finish(f, null) : null;
  const lit = f.phase === 1 ? node.keyTries[f.count]![f.first ? 1 : 0]! : f.lit!;
  const next = lit.next.get(c);
  if (next === undefined) return null;
  // Keys end with ':', so a complete key is a leaf: the value of that property comes next.
  if (next.end !== null) return frame(node, f.parent, 3, Number(next.end), false, -1, null);
  return frame(node, f.parent, 2, f.count, f.first, -1, next);
}

function advanceArray(f: Frame, node: ArrayNode, c: number): Frame | null {
  switch (f.phase) {
    case 0:
      return c === OPEN_BRACKET ? frame(node, f.parent, 1, 0, true, -1, null) : null;
    case 1:
    case 3: {
      if (f.phase === 1 && c === CLOSE_BRACKET) return node.minItems === 0 ? finish(f, null) : null;
      const item = itemNode(node, f.count);
      if (item === null || f.count >= node.maxItems) return null;
      return begin(item, frame(node, f.parent, 2, f.count + 1, false, -1, null), c);
    }
    default:
      if (c === CLOSE_BRACKET) return f.count >= node.minItems ? finish(f, null) : null;
      if (c === COMMA && f.count < node.maxItems && itemNode(node, f.count) !== null) return frame(node, f.parent, 3, f.count, false, -1, null);
      return null;
  }
}

/** The state after `text`, or null if some character of it may not come. */
export function advanceText(f: Frame, text: string): Frame | null {
  let state: Frame | null = f;
  for (let i = 0; i < text.length && state !== null; i++) state = advance(state, text.charCodeAt(i));
  return state;
}

const minimalCache = new WeakMap<GrammarNode, string>();

/** The shortest complete value of `node`. */
export function minimalValue(node: GrammarNode): string {
  let text = minimalCache.get(node);
  if (text !== undefined) return text;
  switch (node.kind) {
    case "literal":
      text = node.trie.restText;
      break;
    case "string":
      text = `"${stringFill(node, node.pattern?.start ?? -1, 0)}"`;
      break;
    case "array":
      text = `[${arrayRest(node, 0, false)}`;
      break;
    case "object":
      {
        const pieces = ["{"];
        objectRest(node, 0, true, pieces);
        text = pieces.join("");
      }
      break;
  }
  minimalCache.set(node, text);
  return text;
}

function stringFill(node: StringNode, dfa: number, count: number): string {
  const need = Math.max(0, node.minLength - count);
  return node.pattern === null ? "a".repeat(need) : (node.pattern.shortestCompletion(dfa, need) ?? "");
}

/** The shortest way to finish an array holding `count` items; `afterComma`: item `count` must come next. */
function arrayRest(node: ArrayNode, count: number, afterComma: boolean): string {
  let text = "";
  let n = count;
  if (afterComma) text += minimalValue(itemNode(node, n++)!);
  for (; n < node.minItems; n++) text += `${n === 0 ? "" : ","}${minimalValue(itemNode(node, n)!)}`;
  return `${text}]`;
}

/** The shortest way to finish an object whose next property may be `next`, as pieces. */
function objectRest(node: ObjectNode, next: number, first: boolean, out: string[]): void {
  let current = node;
  for (let j = next; j < current.keys.length; j++) {
    if (!current.required[j]) continue;
    const value = minimalValue(current.values[j]!);
    out.push(`${first ? "" : ","}${JSON.stringify(current.keys[j])}:`, value);
    first = false;
    if (j === 0 && current.variants !== null) current = current.variants.get(value) ?? current;
  }
  out.push("}");
}

/** Appends the pieces that finish the top frame's value; returns the literal it ends on (for unions). */
function frameRest(f: Frame, out: string[]): string | null {
  const node = f.node;
  if (f.phase === 0) {
    const text = minimalValue(node);
    out.push(text);
    return node.kind === "literal" ? text : null;
  }
  switch (node.kind) {
    case "literal":
      if (f.lit!.end !== null) return f.lit!.end;
      out.push(f.lit!.restText);
      return f.lit!.restEnd;
    case "string":
      out.push(`${stringFill(node, f.dfa, f.count)}"`);
      return null;
    case "array":
      out.push(arrayRest(node, f.count, f.phase === 3));
      return null;
    case "object": {
      if (f.phase === 1) {
        objectRest(node, f.count, f.first, out);
        return null;
      }
      let index = f.count;
      if (f.phase === 2) {
        out.push(f.lit!.restText);
        index = Number(f.lit!.restEnd);
      }
      const value = minimalValue(node.values[index]!);
      out.push(value);
      objectRest(index === 0 && node.variants !== null ? node.variants.get(value)! : node, index + 1, false, out);
      return null;
    }
  }
}

/**
 * The shortest text that completes the document from state `f`, as pieces that join to it
 * (empty when complete). Pieces repeat from step to step, so a caller can memoise their token
 * counts and encode them one by one.
 */
export function completionPieces(f: Frame): string[] {
  const out: string[] = [];
  let current: Frame = f;
  while (current !== DONE) current = finish(current, frameRest(current, out));
  return out;
}

/** The shortest text that completes the document from state `f`. */
export function completionText(f: Frame): string {
  return completionPieces(f).join("");
}

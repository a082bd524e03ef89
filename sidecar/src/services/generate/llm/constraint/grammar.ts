/**
 * Compiles a JSON Schema into the grammar the constrained decoder follows: a tree of nodes that
 * says, for compact JSON (no whitespace), which characters may come next. Specialised by the
 * schema: object keys in schema order (required ones cannot be skipped), enums and consts as
 * literal strings, bounded integers and numbers as the set of their literals, strings with
 * min/maxLength and an anchored `pattern`, arrays with prefixItems and min/maxItems, booleans,
 * null, and discriminated unions (anyOf/oneOf of objects whose first property is a distinct
 * const). Anything else is refused at compile time: UNIMPLEMENTED naming the keyword and the
 * JSON path, never a decoder that might write invalid output.
 *
 * Strings never contain `"`, `\` or control characters (so no escapes are ever written).
 */
import { EnsoulError } from "../../../../lib/errors.js";
import { PatternDfa, PatternError } from "./regex.js";

/** A node of a literal trie: the next characters, and the literal that ends here (if one does). */
export interface LiteralTrie {
  next: Map<number, LiteralTrie>;
  end: string | null;
  /** The shortest way from here to the end of a literal, and the literal it reaches. */
  restText: string;
  restEnd: string;
}

export interface LiteralNode {
  kind: "literal";
  trie: LiteralTrie;
  path: string;
}

export interface StringNode {
  kind: "string";
  minLength: number;
  maxLength: number;
  pattern: PatternDfa | null;
  path: string;
}

export interface ArrayNode {
  kind: "array";
  prefix: GrammarNode[];
  items: GrammarNode | null;
  minItems: number;
  maxItems: number;
  path: string;
}

export interface ObjectNode {
  kind: "object";
  keys: string[];
  values: GrammarNode[];
  required: boolean[];
  /** keyTries[next][first ? 1 : 0]: the `,"key":` texts allowed after the property `next - 1`; each ends at its index. */
  keyTries: LiteralTrie[][];
  keyIndex: Map<string, number>;
  /** A discriminated union: after property 0's literal, the object continues as the matching variant. */
  variants: Map<string, ObjectNode> | null;
  path: string;
}

export type GrammarNode = LiteralNode | StringNode | ArrayNode | ObjectNode;

export interface CompileOptions {
  /** Decimal places of a bounded `number` (default 2): 0.7..1.3 becomes "0.7", "0.71", … "1.3". */
  numberDecimals?: number;
  /** The most literals an enumerated integer or number range may have (default 100,000). */
  maxLiterals?: number;
}

const ANNOTATIONS = new Set(["$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"]);
const KEYWORDS: Record<string, Set<string>> = {
  object: new Set(["type", "properties", "required", "additionalProperties"]),
  array: new Set(["type", "items", "prefixItems", "minItems", "maxItems"]),
  string: new Set(["type", "minLength", "maxLength", "pattern", "enum", "const"]),
  integer: new Set(["type", "minimum", "maximum", "enum", "const"]),
  number: new Set(["type", "minimum", "maximum", "enum", "const"]),
  boolean: new Set(["type", "enum", "const"]),
  null: new Set(["type", "enum", "const"]),
};

function unsupported(feature: string, path: string): never {
  throw new EnsoulError("UNIMPLEMENTED", `the constraint compiler does not support ${feature} at ${path || "the schema root"}`, {
    field: path || "$",
  });
}

/** Builds a literal trie over `literals`, each ending with `tag(literal)` as its `end`. */
export function literalTrie(literals: readonly string[], tag: (literal: string) => string = (l) => l): LiteralTrie {
  const root: LiteralTrie = { next: new Map(), end: null, restText: "", restEnd: "" };
  for (const literal of literals) {
    let node = root;
    for (let i = 0; i < literal.length; i++) {
      const c = literal.charCodeAt(i);
      let child = node.next.get(c);
      if (child === undefined) {
        child = { next: new Map(), end: null, restText: "", restEnd: "" };
        node.next.set(c, child);
      }
      node = child;
    }
    node.end = tag(literal);
  }
  fillRest(root);
  return root;
}

function fillRest(node: LiteralTrie): void {
  let best: { text: string; end: string } | null = node.end !== null ? { text: "", end: node.end } : null;
  for (const [c, child] of node.next) {
    fillRest(child);
    const text = String.fromCharCode(c) + child.restText;
    if (best === null || text.length < best.text.length) best = { text, end: child.restEnd };
  }
  node.restText = best?.text ?? "";
  node.restEnd = best?.end ?? "";
}

export class SchemaCompiler {
  private readonly decimals: number;
  private readonly maxLiterals: number;

  constructor(options: CompileOptions = {}) {
    this.decimals = options.numberDecimals ?? 2;
    this.maxLiterals = options.maxLiterals ?? 100_000;
  }

  compile(schema: unknown, path = ""): GrammarNode {
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) unsupported("a schema that is not an object (true/false schemas)", path);
    const s = schema as Record<string, unknown>;
    if (s.anyOf !== undefined || s.oneOf !== undefined) return this.union(s, path);
    const type = s.type;
    if (typeof type !== "string") {
      if (s.enum !== undefined || s.const !== undefined) return this.literals(s, path);
      return unsupported(Array.isArray(type) ? "a list of types" : "a schema without \"type\"", path);
    }
    const allowed = KEYWORDS[type];
    if (allowed === undefined) unsupported(`type "${type}"`, path);
    for (const key of Object.keys(s)) {
      if (!allowed.has(key) && !ANNOTATIONS.has(key)) unsupported(`"${key}" on a ${type}`, path);
    }
    if (s.enum !== undefined || s.const !== undefined) return this.literals(s, path);
    switch (type) {
      case "object":
        return this.object(s, path);
      case "array":
        return this.array(s, path);
      case "string":
        return this.string(s, path);
      case "integer":
      case "number":
        return this.number(s, type, path);
      case "boolean":
        return { kind: "literal", trie: literalTrie(["true", "false"]), path };
      default:
        return { kind: "literal", trie: literalTrie(["null"]), path };
    }
  }

  private literals(s: Record<string, unknown>, path: string): LiteralNode {
    const values = s.const !== undefined ? [s.const] : s.enum;
    if (!Array.isArray(values) || values.length === 0) unsupported("an empty or malformed enum", path);
    const texts = values.map((v) => {
      if (typeof v === "string" && !isPlainText(v)) unsupported(`an enum string with quotes, backslashes or control characters`, path);
      if (v !== null && typeof v === "object") unsupported("object or array enum values", path);
      return JSON.stringify(v);
    });
    return { kind: "literal", trie: literalTrie(texts), path };
  }

  private object(s: Record<string, unknown>, path: string): ObjectNode {
    if (s.additionalProperties !== false) unsupported("objects without \"additionalProperties\": false", path);
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    const keys = Object.keys(properties);
    for (const key of keys) if (!isPlainText(key)) unsupported(`the property name ${JSON.stringify(key)}`, path);
    const requiredList = Array.isArray(s.required) ? (s.required as string[]) : [];
    const absent = requiredList.find((k) => !keys.includes(k));
    if (absent !== undefined) unsupported(`required "${absent}" that is not in properties`, path);
    const values = keys.map((key) => this.compile(properties[key], path === "" ? key : `${path}.${key}`));
    const required = keys.map((key) => requiredList.includes(key));
    const keyIndex = new Map(keys.map((k, i) => [k, i]));
    const keyTries: LiteralTrie[][] = [];
    for (let next = 0; next <= keys.length; next++) {
      const reachable: number[] = [];
      for (let j = next; j < keys.length; j++) {
        reachable.push(j);
        if (required[j]) break;
      }
      const trieFor = (first: boolean): LiteralTrie =>
        literalTrie(
          reachable.map((j) => `${first ? "" : ","}${JSON.stringify(keys[j])}:`),
          (literal) => String(keyIndex.get(JSON.parse(literal.replace(/^,/, "").slice(0, -1)) as string)),
        );
      keyTries.push([trieFor(false), trieFor(true)]);
    }
    return { kind: "object", keys, values, required, keyTries, keyIndex, variants: null, path };
  }

  /** anyOf/oneOf of closed objects that all start with the same required property, a distinct const in each. */
  private union(s: Record<string, unknown>, path: string): ObjectNode {
    const branches = (s.anyOf ?? s.oneOf) as unknown;
    const word = s.anyOf !== undefined ? "anyOf" : "oneOf";
    const extra = Object.keys(s).find((k) => k !== word && !ANNOTATIONS.has(k));
    if (extra !== undefined) unsupported(`"${extra}" beside ${word}`, path);
    if (!Array.isArray(branches) || branches.length === 0) unsupported(`an empty ${word}`, path);
    const nodes = branches.map((b, i) => this.compile(b, `${path}.${word}[${i}]`));
    const variants = new Map<string, ObjectNode>();
    const first = nodes[0]?.kind === "object" ? nodes[0].keys[0] : undefined;
    for (const [i, node] of nodes.entries()) {
      const value = node.kind === "object" ? node.values[0] : undefined;
      const tag = value?.kind === "literal" && value.trie.restEnd !== "" ? literalsOf(value.trie) : [];
      if (node.kind !== "object" || node.keys[0] !== first || !node.required[0] || tag.length !== 1 || variants.has(tag[0]!)) {
        unsupported(`${word} other than objects whose first property is a required const that tells them apart`, `${path}.${word}[${i}]`);
      }
      variants.set(tag[0]!, node);
    }
    const base = nodes[0] as ObjectNode;
    const tags = [...variants.keys()];
    const discriminator: LiteralNode = { kind: "literal", trie: literalTrie(tags), path: `${path}.${first}` };
    return { ...base, values: [discriminator, ...base.values.slice(1)], variants, path };
  }

  private array(s: Record<string, unknown>, path: string): ArrayNode {
    const prefixSchemas = s.prefixItems === undefined ? [] : s.prefixItems;
    if (!Array.isArray(prefixSchemas)) unsupported("a prefixItems that is not a list", path);
    const prefix = prefixSchemas.map((p, i) => this.compile(p, `${path}[${i}]`));
    if (s.items === false && prefix.length === 0) unsupported("\"items\": false without prefixItems", path);
    const items = s.items === undefined || s.items === true ? unsupported("arrays without an \"items\" schema", path) : s.items === false ? null : this.compile(s.items, `${path}[]`);
    const minItems = count(s.minItems, 0, "minItems", path);
    const maxItems = s.maxItems === undefined ? (items === null ? prefix.length : Infinity) : count(s.maxItems, 0, "maxItems", path);
    if (maxItems < minItems || (items === null && minItems > prefix.length)) unsupported("an array that no list satisfies", path);
    return { kind: "array", prefix, items, minItems, maxItems: items === null ? Math.min(maxItems, prefix.length) : maxItems, path };
  }

  private string(s: Record<string, unknown>, path: string): StringNode {
    const minLength = count(s.minLength, 0, "minLength", path);
    const maxLength = s.maxLength === undefined ? Infinity : count(s.maxLength, 0, "maxLength", path);
    let pattern: PatternDfa | null = null;
    if (s.pattern !== undefined) {
      try {
        pattern = new PatternDfa(String(s.pattern));
      } catch (error) {
        if (error instanceof PatternError) unsupported(`${error.message} in the pattern ${JSON.stringify(s.pattern)}`, path);
        throw error;
      }
      if (pattern.shortestCompletion(pattern.start, minLength) === null) unsupported(`a pattern no string of minLength ${minLength} matches`, path);
    }
    if (maxLength < minLength) unsupported("maxLength below minLength", path);
    return { kind: "string", minLength, maxLength, pattern, path };
  }

  private number(s: Record<string, unknown>, type: "integer" | "number", path: string): LiteralNode {
    if (typeof s.minimum !== "number" || typeof s.maximum !== "number") unsupported(`an ${type} without both minimum and maximum`, path);
    const scale = type === "integer" ? 1 : 10 ** this.decimals;
    const lo = Math.ceil(s.minimum * scale - 1e-9);
    const hi = Math.floor(s.maximum * scale + 1e-9);
    if (hi < lo) unsupported(`an ${type} range with no value`, path);
    if (hi - lo + 1 > this.maxLiterals) unsupported(`an ${type} range of more than ${this.maxLiterals} values`, path);
    const texts: string[] = [];
    for (let v = lo; v <= hi; v++) texts.push(type === "integer" ? String(v) : String(Number((v / scale).toFixed(this.decimals))));
    return { kind: "literal", trie: literalTrie(texts), path };
  }
}

function count(value: unknown, fallback: number, keyword: string, path: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) unsupported(`a ${keyword} that is not a non-negative integer`, path);
  return value;
}

/** True for text a JSON string holds without escapes, and that our strings may contain. */
export function isPlainText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isPlainChar(text.charCodeAt(i))) return false;
  return true;
}

export function isPlainChar(c: number): boolean {
  return c >= 0x20 && c !== 0x22 && c !== 0x5c;
}

function literalsOf(trie: LiteralTrie): string[] {
  const out: string[] = [];
  const walk = (node: LiteralTrie): void => {
    if (node.end !== null) out.push(node.end);
    for (const child of node.next.values()) walk(child);
  };
  walk(trie);
  return out;
}

/** Compiles `schema` (the root must describe a value; typically an object). */
export function compileSchema(schema: unknown, options?: CompileOptions): GrammarNode {
  return new SchemaCompiler(options).compile(schema);
}

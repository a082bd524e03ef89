/**
 * A recursive-descent parser for the expression language. Precedence, lowest first:
 *   if c then a else b  ·  or  ·  and  ·  not  ·  comparisons (== != < <= > >= in, not in)
 *   ·  + -  ·  * / %  ·  unary -  ·  postfix (x[a], x[a, b], g.pos, f(a, b))
 * plus the quantifiers `find x in S where c` (the first x, or null), `some x in S where c` and
 * `every x in S where c`, over the arguments of a state variable, constant or multigoal variable,
 * or over a list.
 *
 * Names are resolved while parsing, so a misspelt name fails when the domain loads: a local
 * (parameter, `let`, quantifier variable), else a function (when called), else a constant, else
 * a state variable.
 */
import { exprError, tokenize, type Token } from "./lexer.js";
import type { Assignment, BinaryOp, Expr } from "./ast.js";

/** Nesting deeper than this is refused (the parser and evaluator recurse on it). */
export const MAX_NESTING = 64;

/** What names mean where an expression is parsed. `locals` grows as quantifiers add variables. */
export interface Scope {
  locals: Map<string, number>;
  /** Total local slots used so far in the enclosing frame (quantifier variables add slots). */
  slots: { count: number };
  functions: ReadonlyMap<string, number>;
  constants: ReadonlySet<string>;
}

export const BUILTINS: ReadonlyMap<string, number> = new Map([["len", 1], ["keys", 1]]);

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly tokens: Token[];

  constructor(private readonly source: string, private readonly where: string, private readonly scope: Scope) {
    this.tokens = tokenize(source, where);
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private fail(tok: Token, message: string): never {
    throw exprError(this.where, this.source, tok.col, message);
  }

  private is(text: string): boolean {
    const t = this.peek();
    return (t.kind === "op" || t.kind === "kw") && t.text === text;
  }

  private expect(text: string): Token {
    const t = this.peek();
    if (!this.is(text)) this.fail(t, `expected ${JSON.stringify(text)} but found ${JSON.stringify(t.text)}`);
    this.pos++;
    return t;
  }

  finish<T>(node: T): T {
    const t = this.peek();
    if (t.kind !== "end") this.fail(t, `unexpected ${JSON.stringify(t.text)}`);
    return node;
  }

  private nest<T>(tok: Token, f: () => T): T {
    if (++this.depth > MAX_NESTING) this.fail(tok, `expression nested deeper than ${MAX_NESTING}`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  expr(): Expr {
    const t = this.peek();
    return this.nest(t, () => {
      if (this.is("if")) {
        this.pos++;
        const c = this.expr();
        this.expect("then");
        const a = this.expr();
        this.expect("else");
        const b = this.expr();
        return { k: "if", col: t.col, c, a, b };
      }
      if (this.is("find") || this.is("some") || this.is("every")) return this.quantifier();
      return this.or();
    });
  }

  private quantifier(): Expr {
    const kw = this.peek();
    this.pos++;
    const v = this.peek();
    if (v.kind !== "name") this.fail(v, `expected a variable name after ${kw.text}`);
    this.pos++;
    this.expect("in");
    const src = this.postfix();
    this.expect("where");
    const saved = this.scope.locals.get(v.text);
    const slot = this.scope.slots.count++;
    this.scope.locals.set(v.text, slot);
    const cond = this.expr();
    if (saved === undefined) this.scope.locals.delete(v.text);
    else this.scope.locals.set(v.text, saved);
    return { k: kw.text as "find" | "some" | "every", col: kw.col, name: v.text, slot, src, cond };
  }

  private or(): Expr {
    let a = this.and();
    while (this.is("or")) {
      const t = this.peek();
      this.pos++;
      a = { k: "or", col: t.col, a, b: this.and() };
    }
    return a;
  }

  private and(): Expr {
    let a = this.not();
    while (this.is("and")) {
      const t = this.peek();
      this.pos++;
      a = { k: "and", col: t.col, a, b: this.not() };
    }
    return a;
  }

  private not(): Expr {
    const t = this.peek();
    if (this.is("not")) {
      this.pos++;
      return this.nest(t, () => ({ k: "not", col: t.col, e: this.not() }));
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const a = this.sum();
    const t = this.peek();
    let op: BinaryOp | null = null;
    if (t.kind === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.text)) op = t.text as BinaryOp;
    else if (this.is("in")) op = "in";
    else if (this.is("not") && this.tokens[this.pos + 1]?.text === "in") {
      this.pos++;
      op = "not in";
    }
    if (t.kind === "op" && t.text === "=") this.fail(t, "'=' assigns; compare with '=='");
    if (op === null) return a;
    this.pos++;
    return { k: "bin", col: t.col, op, a, b: this.sum() };
  }

  private sum(): Expr {
    let a = this.product();
    while (this.is("+") || this.is("-")) {
      const t = this.peek();
      this.pos++;
      a = { k: "bin", col: t.col, op: t.text as BinaryOp, a, b: this.product() };
    }
    return a;
  }

  private product(): Expr {
    let a = this.unary();
    while (this.is("*") || this.is("/") || this.is("%")) {
      const t = this.peek();
      this.pos++;
      a = { k: "bin", col: t.col, op: t.text as BinaryOp, a, b: this.unary() };
    }
    return a;
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.is("-")) {
      this.pos++;
      return this.nest(t, () => ({ k: "neg", col: t.col, e: this.unary() }));
    }
    return this.postfix();
  }

  private args(close: string): Expr[] {
    const out: Expr[] = [];
    if (this.is(close)) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.expr());
      if (this.is(",")) {
        this.pos++;
        continue;
      }
      this.expect(close);
      return out;
    }
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      const t = this.peek();
      if (this.is("[")) {
        this.pos++;
        const args = this.args("]");
        if (args.length === 0) this.fail(t, "an index needs at least one argument");
        e = { k: "index", col: t.col, target: e, args };
      } else if (this.is(".")) {
        this.pos++;
        const n = this.peek();
        if (n.kind !== "name") this.fail(n, "expected a variable name after '.'");
        this.pos++;
        e = { k: "field", col: t.col, target: e, name: n.text };
      } else {
        return e;
      }
    }
  }

  private primary(): Expr {
    const t = this.peek();
    this.pos++;
    switch (t.kind) {
      case "num":
        return { k: "lit", col: t.col, v: t.value as number };
      case "str":
        return { k: "lit", col: t.col, v: t.value as string };
      case "kw":
        if (t.text === "true") return { k: "lit", col: t.col, v: true };
        if (t.text === "false") return { k: "lit", col: t.col, v: false };
        if (t.text === "null") return { k: "lit", col: t.col, v: null };
        break;
      case "op":
        if (t.text === "(") {
          const e = this.expr();
          this.expect(")");
          return e;
        }
        if (t.text === "[") return { k: "list", col: t.col, items: this.args("]") };
        break;
      case "name":
        return this.name(t);
      default:
        break;
    }
    return this.fail(t, `unexpected ${JSON.stringify(t.text)}`);
  }

  private name(t: Token): Expr {
    if (this.is("(")) {
      this.pos++;
      const arity = this.scope.functions.get(t.text) ?? BUILTINS.get(t.text);
      if (arity === undefined) this.fail(t, `unknown function ${t.text}`);
      const args = this.args(")");
      if (args.length !== arity) this.fail(t, `${t.text} takes ${arity} argument${arity === 1 ? "" : "s"}, not ${args.length}`);
      return { k: "call", col: t.col, fn: t.text, args };
    }
    const slot = this.scope.locals.get(t.text);
    if (slot !== undefined) return { k: "local", col: t.col, name: t.text, slot };
    if (this.scope.constants.has(t.text)) return { k: "const", col: t.col, name: t.text };
    return { k: "svar", col: t.col, name: t.text };
  }

  assignment(): Assignment {
    const t = this.peek();
    if (t.kind !== "name") this.fail(t, "an effect starts with the state variable it sets");
    if (this.scope.locals.has(t.text) || this.scope.constants.has(t.text)) this.fail(t, `${t.text} is not a state variable; only state variables can be set`);
    this.pos++;
    let args: Expr[] = [];
    if (this.is("[")) {
      const b = this.peek();
      this.pos++;
      args = this.args("]");
      if (args.length === 0) this.fail(b, "an index needs at least one argument");
    }
    this.expect("=");
    return { col: t.col, varName: t.text, args, value: this.expr() };
  }
}

/** Parses one expression; `where` names its place in the document for error messages. */
export function parseExpression(source: string, where: string, scope: Scope): Expr {
  const p = new Parser(source, where, scope);
  return p.finish(p.expr());
}

/** Parses one effect, `var[args] = value`. */
export function parseAssignment(source: string, where: string, scope: Scope): Assignment {
  const p = new Parser(source, where, scope);
  return p.finish(p.assignment());
}

/**
 * Evaluation of the expression language. Each parsed expression is turned once into a tree of
 * small JavaScript closures (no `eval`, no `Function`: only closures over the parsed nodes), then
 * run many times; a closure can only read the state, multigoals and values it is handed and the
 * domain's constants and functions. Truthiness, `and`/`or` (which return an operand) and
 * comparisons follow Python, since the domains it expresses come from GTPyhop's Python; mixing
 * types in `<` or `+` is an error naming the place, the column and the expression.
 *
 * Work is bounded: user function calls nest at most MAX_CALL_DEPTH deep, and calls plus
 * quantifier steps in one evaluation are at most MAX_STEPS, so a hostile domain cannot hang or
 * overflow the planner. (An expression itself is at most 4,096 characters.)
 */
import { EnsoulError } from "../../../lib/errors.js";
import { Multigoal, SCALAR_ARG, type Arg, type State, type Value } from "../state.js";
import type { Assignment, BinaryOp, Compiled, Expr } from "./ast.js";
import { exprError } from "./lexer.js";

export const MAX_CALL_DEPTH = 2000;
export const MAX_STEPS = 5_000_000;

/** A state variable, constant or multigoal variable used as a whole (for `in`, `find`, `len`). */
export class MapRef {
  constructor(readonly name: string, readonly map: ReadonlyMap<Arg, Value> | undefined) {}
}

/** What an expression can evaluate to. */
export type RValue = Value | undefined | Multigoal | MapRef | RValue[];

export interface FunctionDef {
  params: number;
  /** Local slots the body needs (parameters first). */
  slots: number;
  body: Compiled<Expr>;
}

/** Everything an evaluation may read; one per call of an action or method. */
export interface EvalContext {
  state: State;
  constants: ReadonlyMap<string, ReadonlyMap<Arg, Value>>;
  functions: ReadonlyMap<string, FunctionDef>;
  steps: number;
  callDepth: number;
}

type Code = (env: RValue[], ctx: EvalContext) => RValue;

export function truthy(v: RValue): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof MapRef) return v.map !== undefined && v.map.size > 0;
  return true;
}

function describe(v: RValue): string {
  if (v === undefined) return "nothing (no such value)";
  if (v instanceof Multigoal) return `multigoal ${v.name}`;
  if (v instanceof MapRef) return `variable ${v.name}`;
  if (Array.isArray(v)) return "a list";
  return JSON.stringify(v);
}

/** A variable used as a value means its argument-less entry (`flag` reads `flag[""]`). */
function scalar(v: RValue): RValue {
  return v instanceof MapRef ? v.map?.get(SCALAR_ARG) : v;
}

function equal(a: RValue, b: RValue): boolean {
  a = scalar(a);
  b = scalar(b);
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  return a === b;
}

/** One argument: a string or number as it is, true/false/null as their names; else null (an error). */
function argValue(v: RValue): Arg | null {
  if (typeof v === "string" || typeof v === "number") return v;
  if (typeof v === "boolean" || v === null) return String(v);
  return null;
}

function steps(ctx: EvalContext, c: Compiled<unknown>): void {
  if (++ctx.steps > MAX_STEPS) {
    throw new EnsoulError("RESOURCE_EXHAUSTED", `${c.where}: evaluation took more than ${MAX_STEPS} steps`, { field: c.where });
  }
}

/** Turns parsed nodes into closures; `c` is the expression they come from, for error messages. */
class Compiler {
  constructor(private readonly c: Compiled<unknown>) {}

  private fail(col: number, message: string): never {
    throw exprError(this.c.where, this.c.source, col, message);
  }

  /** The argument closure of `var[a]` / `var[a, b]` (joined "a,b"). */
  private arg(args: Expr[], col: number): (env: RValue[], ctx: EvalContext) => Arg {
    const codes = args.map((a) => this.expr(a));
    const fail = () => this.fail(col, "an argument must be a string or a number");
    if (codes.length === 1) {
      const one = codes[0]!;
      return (env, ctx) => argValue(scalar(one(env, ctx))) ?? fail();
    }
    return (env, ctx) => codes.map((k) => String(argValue(scalar(k(env, ctx))) ?? fail())).join(",");
  }

  /**
   * For a node that names a whole map (a state variable, a constant, `goal.var`), a closure that
   * returns the map itself, so `x in v`, `v[x]` and `find x in v` allocate nothing; else null.
   */
  private mapOf(e: Expr): ((env: RValue[], ctx: EvalContext) => ReadonlyMap<Arg, Value> | undefined) | null {
    if (e.k === "svar") {
      const name = e.name;
      return (_env, ctx) => ctx.state.varMap(name);
    }
    if (e.k === "const") {
      const name = e.name;
      return (_env, ctx) => ctx.constants.get(name);
    }
    if (e.k === "field") {
      const target = this.expr(e.target);
      const name = e.name;
      return (env, ctx) => {
        const t = target(env, ctx);
        if (t instanceof Multigoal) return t.varMap(name);
        return this.fail(e.col, `.${name} needs a multigoal, not ${describe(t)}`);
      };
    }
    return null;
  }

  expr(e: Expr): Code {
    switch (e.k) {
      case "lit": {
        const v = e.v;
        return () => v;
      }
      case "local": {
        const slot = e.slot;
        return (env) => env[slot];
      }
      case "const": {
        const name = e.name;
        return (_env, ctx) => new MapRef(name, ctx.constants.get(name));
      }
      case "svar": {
        const name = e.name;
        return (_env, ctx) => new MapRef(name, ctx.state.varMap(name));
      }
      case "index":
        return this.index(e);
      case "field": {
        const target = this.expr(e.target);
        const name = e.name;
        return (env, ctx) => {
          const t = target(env, ctx);
          if (t instanceof Multigoal) return new MapRef(`${t.name}.${name}`, t.varMap(name));
          return this.fail(e.col, `.${name} needs a multigoal, not ${describe(t)}`);
        };
      }
      case "call":
        return this.call(e);
      case "not": {
        const a = this.expr(e.e);
        return (env, ctx) => !truthy(scalar(a(env, ctx)));
      }
      case "neg": {
        const a = this.expr(e.e);
        return (env, ctx) => {
          const v = scalar(a(env, ctx));
          return typeof v === "number" ? -v : this.fail(e.col, `cannot negate ${describe(v)}`);
        };
      }
      case "and": {
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        return (env, ctx) => {
          const x = scalar(a(env, ctx));
          return truthy(x) ? scalar(b(env, ctx)) : x;
        };
      }
      case "or": {
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        return (env, ctx) => {
          const x = scalar(a(env, ctx));
          return truthy(x) ? x : scalar(b(env, ctx));
        };
      }
      case "if": {
        const c = this.expr(e.c);
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        return (env, ctx) => (truthy(scalar(c(env, ctx))) ? a(env, ctx) : b(env, ctx));
      }
      case "list": {
        if (e.items.every((x) => x.k === "lit")) {
          const values = e.items.map((x) => (x as { v: Value }).v);
          return () => values.slice();
        }
        const codes = e.items.map((x) => this.expr(x));
        return (env, ctx) => codes.map((k) => scalar(k(env, ctx)));
      }
      case "find":
      case "some":
      case "every":
        return this.quantifier(e);
      case "bin":
        return this.binary(e.op, e.a, e.b, e.col);
    }
  }

  private index(e: Extract<Expr, { k: "index" }>): Code {
    const arg = this.arg(e.args, e.col);
    const t = e.target;
    // The common case, `var[arg]` on a state variable, constant or `goal.var`, reads the map directly.
    const map = this.mapOf(t);
    if (map !== null) {
      return (env, ctx) => {
        const m = map(env, ctx);
        const k = arg(env, ctx);
        return m === undefined ? undefined : m.get(k);
      };
    }
    const target = this.expr(t);
    const first = this.expr(e.args[0]!);
    return (env, ctx) => {
      const v = target(env, ctx);
      if (v instanceof MapRef) {
        const k = arg(env, ctx);
        return v.map?.get(k);
      }
      if (Array.isArray(v)) {
        const i = scalar(first(env, ctx));
        if (e.args.length !== 1 || typeof i !== "number" || !Number.isInteger(i)) this.fail(e.col, "a list index must be one integer");
        return v[i < 0 ? v.length + i : i];
      }
      return this.fail(e.col, `cannot index ${describe(v)}`);
    };
  }

  private quantifier(e: Extract<Expr, { k: "find" | "some" | "every" }>): Code {
    const srcMap = this.mapOf(e.src);
    const src = this.expr(e.src);
    const cond = this.expr(e.cond);
    const slot = e.slot;
    const kind = e.k;
    return (env, ctx) => {
      const from = srcMap !== null ? new MapRef("", srcMap(env, ctx)) : src(env, ctx);
      let items: Iterable<RValue>;
      if (from instanceof MapRef) items = from.map === undefined ? [] : from.map.keys();
      else if (Array.isArray(from)) items = from;
      else return this.fail(e.col, `cannot go through ${describe(from)}; expected a variable or a list`);
      for (const x of items) {
        steps(ctx, this.c);
        env[slot] = x;
        const ok = truthy(scalar(cond(env, ctx)));
        if (kind === "find" && ok) return x;
        if (kind === "some" && ok) return true;
        if (kind === "every" && !ok) return false;
      }
      return kind === "find" ? null : kind === "every";
    };
  }

  private call(e: Extract<Expr, { k: "call" }>): Code {
    const codes = e.args.map((a) => this.expr(a));
    const name = e.fn;
    if (name === "len") {
      const a = codes[0]!;
      return (env, ctx) => {
        const v = a(env, ctx);
        if (v instanceof MapRef) return v.map?.size ?? 0;
        if (Array.isArray(v) || typeof v === "string") return v.length;
        return this.fail(e.col, `len needs a variable, list or string, not ${describe(v)}`);
      };
    }
    if (name === "keys") {
      const a = codes[0]!;
      return (env, ctx) => {
        const v = a(env, ctx);
        if (v instanceof MapRef) return v.map === undefined ? [] : Array.from(v.map.keys());
        if (Array.isArray(v)) return v;
        return this.fail(e.col, `keys needs a variable or a list, not ${describe(v)}`);
      };
    }
    const c = this.c;
    return (env, ctx) => {
      const f = ctx.functions.get(name)!;
      const frame: RValue[] = new Array(f.slots);
      for (let i = 0; i < codes.length; i++) frame[i] = codes[i]!(env, ctx);
      steps(ctx, c);
      if (++ctx.callDepth > MAX_CALL_DEPTH) {
        throw new EnsoulError("RESOURCE_EXHAUSTED", `${c.where}: calls to ${name} nest deeper than ${MAX_CALL_DEPTH}`, { field: c.where });
      }
      try {
        return codeOf(f.body)(frame, ctx);
      } catch (err) {
        // The JS stack can run out before MAX_CALL_DEPTH when the caller is already deep.
        if (err instanceof RangeError) {
          throw new EnsoulError("RESOURCE_EXHAUSTED", `${c.where}: calls to ${name} nest too deep for the stack`, { field: c.where });
        }
        throw err;
      } finally {
        ctx.callDepth--;
      }
    };
  }

  private binary(op: BinaryOp, ea: Expr, eb: Expr, col: number): Code {
    const a = this.expr(ea);
    const b = this.expr(eb);
    switch (op) {
      case "in":
      case "not in": {
        const negate = op === "not in";
        const map = this.mapOf(eb);
        if (map !== null) {
          return (env, ctx) => {
            const x = scalar(a(env, ctx));
            const m = map(env, ctx);
            return ((typeof x === "string" || typeof x === "number") && m !== undefined && m.has(x)) !== negate;
          };
        }
        return (env, ctx) => {
          const x = scalar(a(env, ctx));
          const set = b(env, ctx);
          let found: boolean;
          if (set instanceof MapRef) found = (typeof x === "string" || typeof x === "number") && set.map !== undefined && set.map.has(x);
          else if (Array.isArray(set)) found = set.some((y) => equal(y, x));
          else return this.fail(col, `'in' needs a variable or a list on its right, not ${describe(set)}`);
          return found !== negate;
        };
      }
      case "==":
      case "!=": {
        const negate = op === "!=";
        if (eb.k === "lit") {
          // Comparing with a literal, the usual case: no list to compare deeply.
          const lit = eb.v;
          return (env, ctx) => {
            const x = scalar(a(env, ctx));
            return ((x === undefined ? null : x) === lit) !== negate;
          };
        }
        return (env, ctx) => equal(a(env, ctx), b(env, ctx)) !== negate;
      }
      case "<":
      case "<=":
      case ">":
      case ">=":
        return (env, ctx) => {
          const x = scalar(a(env, ctx));
          const y = scalar(b(env, ctx));
          if (!((typeof x === "number" && typeof y === "number") || (typeof x === "string" && typeof y === "string"))) {
            return this.fail(col, `cannot compare ${describe(x)} ${op} ${describe(y)}`);
          }
          return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
        };
      case "+":
        return (env, ctx) => {
          const x = scalar(a(env, ctx));
          const y = scalar(b(env, ctx));
          if (typeof x === "number" && typeof y === "number") return x + y;
          if (typeof x === "string" && typeof y === "string") return x + y;
          return this.fail(col, `cannot add ${describe(x)} and ${describe(y)}`);
        };
      default:
        return (env, ctx) => {
          const x = scalar(a(env, ctx));
          const y = scalar(b(env, ctx));
          if (typeof x !== "number" || typeof y !== "number") return this.fail(col, `${op} needs two numbers, not ${describe(x)} and ${describe(y)}`);
          if ((op === "/" || op === "%") && y === 0) return this.fail(col, "division by zero");
          return op === "-" ? x - y : op === "*" ? x * y : op === "/" ? x / y : x - Math.floor(x / y) * y;
        };
    }
  }

  assignment(a: Assignment): (env: RValue[], ctx: EvalContext) => void {
    const value = this.expr(a.value);
    const arg = a.args.length === 0 ? null : this.arg(a.args, a.col);
    const name = a.varName;
    return (env, ctx) => {
      const v = scalar(value(env, ctx));
      if (!(v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean")) {
        this.fail(a.value.col, `a state variable holds a string, number, boolean or null, not ${describe(v)}`);
      }
      ctx.state.set(name, arg === null ? SCALAR_ARG : arg(env, ctx), v);
    };
  }
}

const codes = new WeakMap<Compiled<Expr>, Code>();
const assignments = new WeakMap<Compiled<Assignment>, (env: RValue[], ctx: EvalContext) => void>();

function codeOf(c: Compiled<Expr>): Code {
  let code = codes.get(c);
  if (code === undefined) codes.set(c, (code = new Compiler(c).expr(c.node)));
  return code;
}

/** Evaluates a parsed expression in `ctx` with local values `env`. */
export function evaluate(ctx: EvalContext, c: Compiled<Expr>, env: RValue[]): RValue {
  return codeOf(c)(env, ctx);
}

/** Performs a parsed effect on `ctx.state`. */
export function assign(ctx: EvalContext, c: Compiled<Assignment>, env: RValue[]): void {
  let code = assignments.get(c);
  if (code === undefined) assignments.set(c, (code = new Compiler(c).assignment(c.node)));
  code(env, ctx);
}

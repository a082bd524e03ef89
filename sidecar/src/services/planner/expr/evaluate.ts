/**
 * The evaluator of the expression language: a tree walk over the parsed nodes, with no access to
 * anything but the state, the multigoals and values it is handed, and the domain's constants and
 * functions. Truthiness, `and`/`or` (which return an operand) and comparisons follow Python, since
 * the domains it expresses come from GTPyhop's Python; mixing types in `<` or `+` is an error.
 *
 * Work is bounded: user function calls nest at most MAX_CALL_DEPTH deep and one evaluation takes
 * at most MAX_STEPS steps, so a hostile domain cannot hang or overflow the planner.
 */
import { EnsoulError } from "../../../lib/errors.js";
import { Multigoal, SCALAR_ARG, type Arg, type State, type Value } from "../state.js";
import type { Assignment, Compiled, Expr } from "./ast.js";
import { exprError } from "./lexer.js";

export const MAX_CALL_DEPTH = 2000;
export const MAX_STEPS = 5_000_000;

/** A state variable, constant or multigoal variable used as a whole (for `in`, `find`, indexing). */
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

export function truthy(v: RValue): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof MapRef) return v.map !== undefined && v.map.size > 0;
  return true;
}

/** Joins the arguments of a multi-argument index (`dist[x, y]` reads argument "x,y"). */
function argOf(values: RValue[], fail: (m: string) => never): Arg {
  if (values.length === 1) {
    const v = values[0];
    if (typeof v === "string" || typeof v === "number") return v;
    if (typeof v === "boolean" || v === null) return String(v);
    return fail(`an argument must be a string or a number, not ${describe(v)}`);
  }
  return values.map((v) => (typeof v === "string" || typeof v === "number" ? String(v) : fail(`an argument must be a string or a number, not ${describe(v)}`))).join(",");
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

function members(v: RValue, fail: (m: string) => never): RValue[] {
  if (v instanceof MapRef) return v.map === undefined ? [] : Array.from(v.map.keys());
  if (Array.isArray(v)) return v;
  return fail(`cannot go through ${describe(v)}; expected a variable or a list`);
}

export class Evaluator {
  constructor(private readonly ctx: EvalContext, private readonly compiled: Compiled<unknown>) {}

  private fail(col: number, message: string): never {
    throw exprError(this.compiled.where, this.compiled.source, col, message);
  }

  eval(e: Expr, env: RValue[]): RValue {
    const ctx = this.ctx;
    if (++ctx.steps > MAX_STEPS) {
      throw new EnsoulError("RESOURCE_EXHAUSTED", `${this.compiled.where}: evaluation took more than ${MAX_STEPS} steps`, { field: this.compiled.where });
    }
    switch (e.k) {
      case "lit":
        return e.v;
      case "local":
        return env[e.slot];
      case "const":
        return new MapRef(e.name, ctx.constants.get(e.name));
      case "svar":
        return new MapRef(e.name, ctx.state.varMap(e.name));
      case "index": {
        const target = this.eval(e.target, env);
        const args: RValue[] = [];
        for (const a of e.args) args.push(scalar(this.eval(a, env)));
        if (target instanceof MapRef) return target.map?.get(argOf(args, (m) => this.fail(e.col, m)));
        if (Array.isArray(target)) {
          const i = args[0];
          if (args.length !== 1 || typeof i !== "number" || !Number.isInteger(i)) this.fail(e.col, "a list index must be one integer");
          return target[i < 0 ? target.length + i : i];
        }
        return this.fail(e.col, `cannot index ${describe(target)}`);
      }
      case "field": {
        const target = this.eval(e.target, env);
        if (target instanceof Multigoal) return new MapRef(`${target.name}.${e.name}`, target.varMap(e.name));
        return this.fail(e.col, `.${e.name} needs a multigoal, not ${describe(target)}`);
      }
      case "call":
        return this.call(e, env);
      case "not":
        return !truthy(scalar(this.eval(e.e, env)));
      case "neg": {
        const v = scalar(this.eval(e.e, env));
        if (typeof v !== "number") this.fail(e.col, `cannot negate ${describe(v)}`);
        return -v;
      }
      case "and": {
        const a = scalar(this.eval(e.a, env));
        return truthy(a) ? scalar(this.eval(e.b, env)) : a;
      }
      case "or": {
        const a = scalar(this.eval(e.a, env));
        return truthy(a) ? a : scalar(this.eval(e.b, env));
      }
      case "if":
        return truthy(scalar(this.eval(e.c, env))) ? this.eval(e.a, env) : this.eval(e.b, env);
      case "list":
        return e.items.map((x) => scalar(this.eval(x, env)));
      case "find":
      case "some":
      case "every": {
        const src = members(this.eval(e.src, env), (m) => this.fail(e.col, m));
        for (const x of src) {
          env[e.slot] = x;
          const ok = truthy(scalar(this.eval(e.cond, env)));
          if (e.k === "find" && ok) return x;
          if (e.k === "some" && ok) return true;
          if (e.k === "every" && !ok) return false;
        }
        return e.k === "find" ? null : e.k === "every";
      }
      case "bin":
        return this.binary(e, env);
    }
  }

  private binary(e: Extract<Expr, { k: "bin" }>, env: RValue[]): RValue {
    const a = e.op === "in" || e.op === "not in" ? scalar(this.eval(e.a, env)) : scalar(this.eval(e.a, env));
    const rawB = this.eval(e.b, env);
    if (e.op === "in" || e.op === "not in") {
      let found: boolean;
      if (rawB instanceof MapRef) {
        found = (typeof a === "string" || typeof a === "number") && rawB.map !== undefined && rawB.map.has(a);
      } else if (Array.isArray(rawB)) {
        found = rawB.some((x) => equal(x, a));
      } else {
        return this.fail(e.col, `'in' needs a variable or a list on its right, not ${describe(rawB)}`);
      }
      return e.op === "in" ? found : !found;
    }
    const b = scalar(rawB);
    switch (e.op) {
      case "==":
        return equal(a, b);
      case "!=":
        return !equal(a, b);
      case "<":
      case "<=":
      case ">":
      case ">=": {
        if (!((typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string"))) {
          this.fail(e.col, `cannot compare ${describe(a)} ${e.op} ${describe(b)}`);
        }
        return e.op === "<" ? a < b : e.op === "<=" ? a <= b : e.op === ">" ? a > b : a >= b;
      }
      case "+":
        if (typeof a === "number" && typeof b === "number") return a + b;
        if (typeof a === "string" && typeof b === "string") return a + b;
        return this.fail(e.col, `cannot add ${describe(a)} and ${describe(b)}`);
      default: {
        if (typeof a !== "number" || typeof b !== "number") this.fail(e.col, `${e.op} needs two numbers, not ${describe(a)} and ${describe(b)}`);
        if ((e.op === "/" || e.op === "%") && b === 0) this.fail(e.col, "division by zero");
        return e.op === "-" ? a - b : e.op === "*" ? a * b : e.op === "/" ? a / b : a - Math.floor(a / b) * b;
      }
    }
  }

  private call(e: Extract<Expr, { k: "call" }>, env: RValue[]): RValue {
    const args = e.args.map((a) => this.eval(a, env));
    if (e.fn === "len") {
      const v = args[0];
      if (v instanceof MapRef) return v.map?.size ?? 0;
      if (Array.isArray(v) || typeof v === "string") return v.length;
      return this.fail(e.col, `len needs a variable, list or string, not ${describe(v)}`);
    }
    if (e.fn === "keys") return members(args[0], (m) => this.fail(e.col, m));
    const f = this.ctx.functions.get(e.fn)!;
    if (++this.ctx.callDepth > MAX_CALL_DEPTH) {
      throw new EnsoulError("RESOURCE_EXHAUSTED", `${this.compiled.where}: calls to ${e.fn} nest deeper than ${MAX_CALL_DEPTH}`, { field: this.compiled.where });
    }
    try {
      const frame: RValue[] = new Array(f.slots);
      for (let i = 0; i < args.length; i++) frame[i] = args[i];
      return new Evaluator(this.ctx, f.body).eval(f.body.node, frame);
    } catch (err) {
      // The JS stack can run out before MAX_CALL_DEPTH when the caller is already deep.
      if (err instanceof RangeError) {
        throw new EnsoulError("RESOURCE_EXHAUSTED", `${this.compiled.where}: calls to ${e.fn} nest too deep for the stack`, { field: this.compiled.where });
      }
      throw err;
    } finally {
      this.ctx.callDepth--;
    }
  }

  /** Performs an effect on the context's state. */
  assign(a: Assignment, env: RValue[]): void {
    const value = scalar(this.eval(a.value, env));
    if (!(value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean")) {
      this.fail(a.value.col, `a state variable holds a string, number, boolean or null, not ${describe(value)}`);
    }
    const arg = a.args.length === 0 ? SCALAR_ARG : argOf(a.args.map((x) => scalar(this.eval(x, env))), (m) => this.fail(a.col, m));
    this.ctx.state.set(a.varName, arg, value);
  }
}

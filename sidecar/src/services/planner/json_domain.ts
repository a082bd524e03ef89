/**
 * JSON domains: what a game sends over the wire (shared-schema/json/domain.schema.json), turned
 * into the same Domain a TypeScript module declares. Every precondition, effect and method body
 * is parsed once at load time by the expression language in expr/ (never `eval`), so a bad
 * domain fails when it is put, with an error that names the action or method, the place in the
 * document and the column in the expression.
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { EnsoulError } from "../../lib/errors.js";
import { Annotated, Domain, m_split_multigoal, type ActionFn, type EntityRequirement, type TaskArg, type TaskMethodFn, type TimeSpec, type TodoItem } from "./domain.js";
import type { Assignment, Compiled, Expr } from "./expr/ast.js";
import { assign, evaluate, MapRef, truthy, type EvalContext, type FunctionDef, type RValue } from "./expr/evaluate.js";
import { parseAssignment, parseExpression, type Scope } from "./expr/parser.js";
import { Multigoal, type Arg, type State, type Value } from "./state.js";
import { variableFromJson } from "./json_state.js";

const SCHEMA_URL = new URL("../../../../shared-schema/json/domain.schema.json", import.meta.url);

let validator: ValidateFunction | undefined;

function validateDocument(doc: unknown): void {
  if (validator === undefined) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as Record<string, unknown>;
    validator = new Ajv2020({ strict: true, allowUnionTypes: true, strictTuples: false, allErrors: false }).compile(schema);
  }
  if (!validator(doc)) {
    const e = validator.errors?.[0];
    const path = e?.instancePath || "/";
    throw new EnsoulError("INVALID_ARGUMENT", `domain document ${path}: ${e?.message ?? "is not valid"}`, { field: `domain${path.replaceAll("/", ".")}` });
  }
}

// --- the document's shape (as the schema guarantees it) ------------------------------------

type Condition = string | string[];
type Lets = Record<string, string>;
type JsonTask = [string, ...string[]];
type JsonItem = string | JsonTask | { item: JsonTask; time?: Partial<Record<keyof TimeSpec, string>>; requires?: EntityRequirement[] };
interface JsonAction { params?: string[]; let?: Lets; pre?: Condition; effects?: string[] }
interface JsonCase { when?: Condition; let?: Lets; subtasks: JsonItem[] }
interface JsonMethod { name: string; params?: string[]; let?: Lets; pre?: Condition; subtasks?: JsonItem[]; cases?: JsonCase[] }
export interface JsonDomain {
  name: string;
  constants?: Record<string, unknown>;
  functions?: Record<string, { params: string[]; body: string }>;
  actions?: Record<string, JsonAction>;
  commands?: Record<string, JsonAction>;
  taskMethods?: Record<string, JsonMethod[]>;
  unigoalMethods?: Record<string, JsonMethod[]>;
  multigoalMethods?: Array<"m_split_multigoal" | JsonMethod>;
}

// --- compiled pieces ---------------------------------------------------------------------

interface Frame {
  scope: Scope;
  where: string;
}

interface Binding {
  slot: number;
  expr: Compiled<Expr>;
}

interface CompiledItem {
  name: string | null; // null: the expression must give a multigoal
  args: Compiled<Expr>[];
  time: Array<[keyof TimeSpec, Compiled<Expr>]> | null;
  requires: EntityRequirement[] | null;
}

interface CompiledCase {
  lets: Binding[];
  when: Compiled<Expr>[];
  subtasks: CompiledItem[];
}

/** Shared by everything compiled from one document. */
interface Globals {
  domain: string;
  constants: Map<string, ReadonlyMap<Arg, Value>>;
  functions: Map<string, FunctionDef>;
  arities: Map<string, number>;
}

function newFrame(g: Globals, params: readonly string[], where: string): Frame {
  const locals = new Map<string, number>();
  params.forEach((p, i) => {
    if (locals.has(p)) throw new EnsoulError("INVALID_ARGUMENT", `domain ${g.domain}: ${where}: parameter ${p} is declared twice`, { field: where });
    locals.set(p, i);
  });
  return { scope: { locals, slots: { count: params.length }, functions: g.arities, constants: new Set(g.constants.keys()) }, where };
}

function compileExpr(f: Frame, source: string, where: string): Compiled<Expr> {
  return { node: parseExpression(source, where, f.scope), source, where };
}

function compileCondition(f: Frame, c: Condition | undefined, where: string): Compiled<Expr>[] {
  if (c === undefined) return [];
  if (typeof c === "string") return [compileExpr(f, c, where)];
  return c.map((s, i) => compileExpr(f, s, `${where}[${i}]`));
}

function compileLets(f: Frame, lets: Lets | undefined, where: string): Binding[] {
  const out: Binding[] = [];
  for (const [name, source] of Object.entries(lets ?? {})) {
    const expr = compileExpr(f, source, `${where}.${name}`); // compiled before the name is bound: no self-reference
    const slot = f.scope.slots.count++;
    f.scope.locals.set(name, slot);
    out.push({ slot, expr });
  }
  return out;
}

function compileItems(f: Frame, items: JsonItem[], where: string): CompiledItem[] {
  return items.map((item, i) => {
    const w = `${where}[${i}]`;
    if (typeof item === "string") return { name: null, args: [compileExpr(f, item, w)], time: null, requires: null };
    if (!Array.isArray(item)) {
      const [name, ...args] = item.item;
      const time = Object.entries(item.time ?? {}).map(([k, src]) => [k as keyof TimeSpec, compileExpr(f, src, `${w}.time.${k}`)] as [keyof TimeSpec, Compiled<Expr>]);
      return { name, args: args.map((a, j) => compileExpr(f, a, `${w}.item[${j + 1}]`)), time: item.time ? time : null, requires: item.requires ?? null };
    }
    const [name, ...args] = item;
    return { name, args: args.map((a, j) => compileExpr(f, a, `${w}[${j + 1}]`)), time: null, requires: null };
  });
}

// --- running compiled pieces ---------------------------------------------------------------

function context(g: Globals, state: State): EvalContext {
  return { state, constants: g.constants, functions: g.functions, steps: 0, callDepth: 0 };
}

function run(ctx: EvalContext, c: Compiled<Expr>, env: RValue[]): RValue {
  return evaluate(ctx, c, env);
}

function bindLets(ctx: EvalContext, lets: Binding[], env: RValue[]): void {
  for (const b of lets) env[b.slot] = run(ctx, b.expr, env);
}

function holds(ctx: EvalContext, conds: Compiled<Expr>[], env: RValue[]): boolean {
  for (const c of conds) {
    let v = run(ctx, c, env);
    if (v instanceof MapRef) v = v.map?.get("");
    if (!truthy(v)) return false;
  }
  return true;
}

function bindArgs(g: Globals, kind: string, name: string, params: number, slots: number, args: unknown[]): RValue[] {
  if (args.length !== params) {
    throw new EnsoulError("INVALID_ARGUMENT", `domain ${g.domain}: ${kind} ${name} takes ${params} argument${params === 1 ? "" : "s"}, got ${args.length}`);
  }
  const env: RValue[] = new Array(slots);
  for (let i = 0; i < args.length; i++) env[i] = args[i] as RValue;
  return env;
}

function toTaskArg(v: RValue, c: Compiled<Expr>): TaskArg {
  if (v instanceof MapRef) v = v.map?.get("");
  if (v === undefined) return null;
  if (v instanceof Multigoal || v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  throw new EnsoulError("INVALID_ARGUMENT", `${c.where}: a task argument must be a value or a multigoal, not a list, in ${JSON.stringify(c.source)}`, { field: c.where });
}

function buildItems(ctx: EvalContext, items: CompiledItem[], env: RValue[]): TodoItem[] {
  return items.map((item) => {
    if (item.name === null) {
      const c = item.args[0]!;
      const v = run(ctx, c, env);
      if (!(v instanceof Multigoal)) {
        throw new EnsoulError("INVALID_ARGUMENT", `${c.where}: a subtask given as an expression must be a multigoal, in ${JSON.stringify(c.source)}`, { field: c.where });
      }
      return v;
    }
    const task = [item.name, ...item.args.map((a) => toTaskArg(run(ctx, a, env), a))] as const;
    if (item.time === null && item.requires === null) return task;
    let time: TimeSpec | undefined;
    if (item.time !== null) {
      time = {};
      for (const [k, c] of item.time) {
        const v = run(ctx, c, env);
        if (typeof v !== "number" || !Number.isSafeInteger(v) || (k === "durationUs" && v < 0)) {
          throw new EnsoulError("INVALID_ARGUMENT", `${c.where}: ${k} must be a whole number of microseconds${k === "durationUs" ? ", not negative" : ""}, in ${JSON.stringify(c.source)}`, { field: c.where });
        }
        time[k] = v;
      }
    }
    return new Annotated(task, time, item.requires ?? undefined);
  });
}

function compileAction(g: Globals, name: string, a: JsonAction, where: string): ActionFn {
  const params = a.params ?? [];
  const f = newFrame(g, params, where);
  const lets = compileLets(f, a.let, `${where}.let`);
  const pre = compileCondition(f, a.pre, `${where}.pre`);
  const effects: Array<Compiled<Assignment>> = (a.effects ?? []).map((source, i) => {
    const w = `${where}.effects[${i}]`;
    return { node: parseAssignment(source, w, f.scope), source, where: w };
  });
  const slots = () => f.scope.slots.count;
  return (state: State, ...args: unknown[]) => {
    const ctx = context(g, state);
    const env = bindArgs(g, "action", name, params.length, slots(), args);
    bindLets(ctx, lets, env);
    if (!holds(ctx, pre, env)) return false;
    for (const e of effects) assign(ctx, e, env);
    return state;
  };
}

function compileMethod(g: Globals, m: JsonMethod, where: string, arity: number | null): TaskMethodFn {
  const params = m.params ?? [];
  if (arity !== null && params.length !== arity) {
    throw new EnsoulError("INVALID_ARGUMENT", `domain ${g.domain}: ${where} (method ${m.name}) must take ${arity} param${arity === 1 ? "" : "s"}`, { field: where });
  }
  if (m.subtasks !== undefined && m.cases !== undefined) {
    throw new EnsoulError("INVALID_ARGUMENT", `domain ${g.domain}: ${where} (method ${m.name}) has both subtasks and cases; give one`, { field: where });
  }
  const f = newFrame(g, params, `${where}`);
  const lets = compileLets(f, m.let, `${where}.let`);
  const pre = compileCondition(f, m.pre, `${where}.pre`);
  const cases: CompiledCase[] = m.cases !== undefined
    ? m.cases.map((c, i) => {
        const w = `${where}.cases[${i}]`;
        const caseLets = compileLets(f, c.let, `${w}.let`);
        return { lets: caseLets, when: compileCondition(f, c.when, `${w}.when`), subtasks: compileItems(f, c.subtasks, `${w}.subtasks`) };
      })
    : [{ lets: [], when: [], subtasks: compileItems(f, m.subtasks ?? [], `${where}.subtasks`) }];
  return (state: State, ...args: unknown[]) => {
    const ctx = context(g, state);
    const env = bindArgs(g, "method", m.name, params.length, f.scope.slots.count, args);
    bindLets(ctx, lets, env);
    if (!holds(ctx, pre, env)) return false;
    for (const c of cases) {
      bindLets(ctx, c.lets, env);
      if (holds(ctx, c.when, env)) return buildItems(ctx, c.subtasks, env);
    }
    return false;
  };
}

/**
 * Validates a JSON domain document and compiles it into a Domain. Throws INVALID_ARGUMENT
 * naming the place (`actions.pickup.pre[1], column 7: ...`) on any problem.
 */
export function loadJsonDomain(doc: unknown): Domain {
  validateDocument(doc);
  const d = doc as JsonDomain;
  const g: Globals = { domain: d.name, constants: new Map(), functions: new Map(), arities: new Map() };
  try {
    for (const [name, v] of Object.entries(d.constants ?? {})) g.constants.set(name, variableFromJson(v, `constants.${name}`));
    for (const [name, fn] of Object.entries(d.functions ?? {})) g.arities.set(name, fn.params.length);
    for (const [name, fn] of Object.entries(d.functions ?? {})) {
      const f = newFrame(g, fn.params, `functions.${name}`);
      const body = compileExpr(f, fn.body, `functions.${name}.body`);
      g.functions.set(name, { params: fn.params.length, slots: f.scope.slots.count, body });
    }
    const domain = new Domain(d.name);
    for (const [name, a] of Object.entries(d.actions ?? {})) domain.declareActions({ name, fn: compileAction(g, name, a, `actions.${name}`) });
    for (const [name, a] of Object.entries(d.commands ?? {})) domain.declareCommands({ name, fn: compileAction(g, name, a, `commands.${name}`) });
    for (const [task, methods] of Object.entries(d.taskMethods ?? {})) {
      domain.declareTaskMethods(task, ...methods.map((m, i) => ({ name: m.name, fn: compileMethod(g, m, `taskMethods.${task}[${i}]`, null) })));
    }
    for (const [varName, methods] of Object.entries(d.unigoalMethods ?? {})) {
      domain.declareUnigoalMethods(varName, ...methods.map((m, i) => ({ name: m.name, fn: compileMethod(g, m, `unigoalMethods.${varName}[${i}]`, 2) })));
    }
    (d.multigoalMethods ?? []).forEach((m, i) => {
      if (m === "m_split_multigoal") domain.declareMultigoalMethods(m_split_multigoal);
      else domain.declareMultigoalMethods({ name: m.name, fn: compileMethod(g, m, `multigoalMethods[${i}]`, 1) });
    });
    return domain;
  } catch (err) {
    if (err instanceof EnsoulError && !err.message.startsWith(`domain ${d.name}`)) {
      throw new EnsoulError(err.code, `domain ${d.name}: ${err.message}`, { field: err.field, cause: err });
    }
    throw err;
  }
}

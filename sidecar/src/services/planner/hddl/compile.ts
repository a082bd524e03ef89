/**
 * An HDDL domain and problem as a planner Domain, State and todo list, so the GTPyhop-style
 * search solves total-order HDDL problems:
 *   - a fact `(p a b)` is the state variable `p` with argument "a b" (value true);
 *   - an HDDL action is an action: its precondition checked, then its deletes and adds (adds win);
 *   - an HDDL method is a task method that yields one refinement per binding of its parameters
 *     that satisfies its precondition (`Alternatives`, tried lazily in order), each wrapped in
 *     `__enter`/`__exit` marker actions so the plan records the decomposition (see ipc.ts);
 *   - a problem's `:goal`, when it has one, is a final `__goal` action that holds only if it does.
 */
import { EnsoulError } from "../../../lib/errors.js";
import { Alternatives, Domain, type Task, type TodoItem } from "../domain.js";
import { State } from "../state.js";
import type { Action, Effect, Formula, HddlDomain, HddlProblem, Method, Param, Term } from "./parse.js";

export const ENTER = "__enter";
export const EXIT = "__exit";
export const GOAL = "__goal";
/** The method that binds the variables of an initial task network with parameters. */
export const TOP = "__top";
/** The state variable counting open decompositions (a scalar variable, argument ""). */
const NESTING = "__nesting";

export type Env = Map<string, string>;

/** Objects by type (with subtypes), and each object's types. */
export class Universe {
  private readonly members = new Map<string, string[]>();

  constructor(private readonly types: Map<string, string>, objects: Map<string, string>) {
    for (const [obj, type] of objects) {
      for (const t of this.ancestors(type)) {
        let list = this.members.get(t);
        if (list === undefined) this.members.set(t, (list = []));
        list.push(obj);
      }
    }
  }

  private ancestors(type: string): string[] {
    const out: string[] = [];
    for (let t: string | undefined = type; t !== undefined && !out.includes(t); t = this.types.get(t)) out.push(t);
    if (!out.includes("object")) out.push("object");
    return out;
  }

  of(type: string): readonly string[] {
    return this.members.get(type) ?? [];
  }

  isA(obj: string, type: string): boolean {
    return type === "object" || this.of(type).includes(obj);
  }
}

const isVar = (t: Term) => t.startsWith("?");
const key = (args: readonly string[]) => args.join(" ");

/** Evaluates formulas over a state, enumerating bindings for unbound variables. */
export class Logic {
  constructor(readonly universe: Universe) {}

  private value(t: Term, env: Env): string | undefined {
    return isVar(t) ? env.get(t) : t;
  }

  /** Every extension of `env` (binding the variables in `types` as needed) under which `f` holds. */
  *solve(f: Formula, env: Env, types: Map<string, string>, state: State): Generator<Env> {
    switch (f.k) {
      case "true":
        yield env;
        return;
      case "atom": {
        const vals = f.args.map((a) => this.value(a, env));
        if (vals.every((v) => v !== undefined)) {
          if (state.get(f.pred, key(vals as string[])) === true) yield env;
          return;
        }
        const facts = state.varMap(f.pred);
        if (facts === undefined) return;
        for (const [k, v] of facts) {
          if (v !== true) continue;
          const parts = String(k).split(" ");
          if (parts.length !== f.args.length) continue;
          let next: Env | null = env;
          for (let i = 0; i < parts.length && next !== null; i++) {
            const want = vals[i];
            if (want !== undefined) {
              if (want !== parts[i]) next = null;
            } else {
              const name = f.args[i]!;
              const bound = next.get(name);
              if (bound !== undefined) {
                if (bound !== parts[i]) next = null;
              } else {
                const type = types.get(name) ?? "object";
                if (!this.universe.isA(parts[i]!, type)) next = null;
                else {
                  if (next === env) next = new Map(env);
                  next.set(name, parts[i]!);
                }
              }
            }
          }
          if (next !== null) yield next;
        }
        return;
      }
      case "eq": {
        const a = this.value(f.a, env);
        const b = this.value(f.b, env);
        if (a !== undefined && b !== undefined) {
          if (a === b) yield env;
          return;
        }
        if (a === undefined && b === undefined) {
          yield* this.bindThen(f, env, types, state);
          return;
        }
        const [name, v] = a === undefined ? [f.a, b!] : [f.b, a];
        if (this.universe.isA(v, types.get(name) ?? "object")) yield new Map(env).set(name, v);
        return;
      }
      case "and":
        yield* this.conjunction(order(f.fs), 0, env, types, state);
        return;
      case "or":
        for (const g of f.fs) yield* this.solve(g, env, types, state);
        return;
      case "imply":
        yield* this.solve({ k: "or", fs: [{ k: "not", f: f.a }, f.b] }, env, types, state);
        return;
      case "not":
      case "forall":
      case "exists":
        // Tests: bind any free variables first, then check.
        yield* this.bindThen(f, env, types, state);
        return;
    }
  }

  private *conjunction(fs: Formula[], i: number, env: Env, types: Map<string, string>, state: State): Generator<Env> {
    if (i === fs.length) {
      yield env;
      return;
    }
    for (const e of this.solve(fs[i]!, env, types, state)) yield* this.conjunction(fs, i + 1, e, types, state);
  }

  /** Binds the free variables of `f` over their types, then yields the bindings under which `f` holds. */
  private *bindThen(f: Formula, env: Env, types: Map<string, string>, state: State): Generator<Env> {
    const free = [...freeVars(f)].filter((v) => !env.has(v));
    for (const e of this.enumerate(free, 0, env, types)) if (this.holds(f, e, types, state)) yield e;
  }

  /** All bindings of `vars` over their types. */
  *enumerate(vars: string[], i: number, env: Env, types: Map<string, string>): Generator<Env> {
    if (i === vars.length) {
      yield env;
      return;
    }
    const v = vars[i]!;
    for (const obj of this.universe.of(types.get(v) ?? "object")) yield* this.enumerate(vars, i + 1, new Map(env).set(v, obj), types);
  }

  /** Whether `f` holds with every free variable bound in `env`. */
  holds(f: Formula, env: Env, types: Map<string, string>, state: State): boolean {
    switch (f.k) {
      case "not":
        return !this.holds(f.f, env, types, state);
      case "forall": {
        const inner = withTypes(types, f.params);
        for (const e of this.enumerate(f.params.map((p) => p.name), 0, env, inner)) if (!this.holds(f.f, e, inner, state)) return false;
        return true;
      }
      case "exists": {
        const inner = withTypes(types, f.params);
        const local = new Map(env);
        for (const p of f.params) local.delete(p.name);
        return !this.solve(f.f, local, inner, state).next().done;
      }
      default:
        return !this.solve(f, env, types, state).next().done;
    }
  }
}

/** Atoms and equalities first: they bind variables cheaply; tests after. */
function order(fs: Formula[]): Formula[] {
  const rank = (f: Formula) => (f.k === "atom" ? 0 : f.k === "eq" ? 1 : f.k === "and" || f.k === "or" ? 2 : 3);
  return [...fs].sort((a, b) => rank(a) - rank(b));
}

export function withTypes(types: Map<string, string>, params: Param[]): Map<string, string> {
  const m = new Map(types);
  for (const p of params) m.set(p.name, p.type);
  return m;
}

function freeVars(f: Formula, out = new Set<string>(), bound = new Set<string>()): Set<string> {
  const add = (t: Term) => {
    if (isVar(t) && !bound.has(t)) out.add(t);
  };
  switch (f.k) {
    case "atom":
      f.args.forEach(add);
      break;
    case "eq":
      add(f.a);
      add(f.b);
      break;
    case "not":
      freeVars(f.f, out, bound);
      break;
    case "and":
    case "or":
      for (const g of f.fs) freeVars(g, out, bound);
      break;
    case "imply":
      freeVars(f.a, out, bound);
      freeVars(f.b, out, bound);
      break;
    case "forall":
    case "exists": {
      const inner = new Set(bound);
      for (const p of f.params) inner.add(p.name);
      freeVars(f.f, out, inner);
      break;
    }
    case "true":
      break;
  }
  return out;
}

export function ground(args: Term[], env: Env): string[] {
  return args.map((a) => (isVar(a) ? env.get(a)! : a));
}

function collectEffects(logic: Logic, effects: Effect[], env: Env, types: Map<string, string>, state: State, adds: string[][], dels: string[][]): void {
  for (const e of effects) {
    if (e.k === "when") {
      if (logic.holds(e.cond, env, types, state)) collectEffects(logic, e.effects, env, types, state, adds, dels);
    } else if (e.k === "forall") {
      const inner = withTypes(types, e.params);
      for (const b of logic.enumerate(e.params.map((p) => p.name), 0, env, inner)) collectEffects(logic, e.effects, b, inner, state, adds, dels);
    } else {
      (e.k === "add" ? adds : dels).push([e.pred, key(ground(e.args, env))]);
    }
  }
}

/**
 * Applies HDDL action `a` with `args` to `state` when its parameter types and precondition hold:
 * all effects are computed on the state before, then deletes, then adds. Returns whether it applied.
 */
export function applyAction(logic: Logic, a: Action, state: State, args: readonly string[]): boolean {
  if (args.length !== a.params.length) return false;
  const env: Env = new Map();
  for (let i = 0; i < args.length; i++) {
    if (!logic.universe.isA(args[i]!, a.params[i]!.type)) return false;
    env.set(a.params[i]!.name, args[i]!);
  }
  const types = withTypes(new Map(), a.params);
  if (!logic.holds(a.pre, env, types, state)) return false;
  const adds: string[][] = [];
  const dels: string[][] = [];
  collectEffects(logic, a.effects, env, types, state, adds, dels);
  for (const [pred, k] of dels) state.delete(pred!, k!);
  for (const [pred, k] of adds) state.set(pred!, k!, true);
  return true;
}

/** The logic (objects, types, formulas) of a domain and problem, and the problem's initial state. */
export function hddlWorld(d: HddlDomain, p: HddlProblem): { logic: Logic; initial: () => State } {
  const logic = new Logic(new Universe(d.types, new Map([...d.constants, ...p.objects])));
  const initial = () => {
    const state = new State(p.name);
    for (const fact of p.init) state.set(fact.pred, key(fact.args), true);
    return state;
  };
  return { logic, initial };
}

export interface CompiledHddl {
  domain: Domain;
  state: State;
  todo: TodoItem[];
  /** Set when a method was refused because the nesting limit was reached. */
  cutoff: { hit: boolean };
}

/**
 * Compiles `d` and `p` for the planner. `maxNesting` bounds how many decompositions may be open
 * at once (a method beyond it does not apply, so left-recursive methods end instead of
 * recursing forever); `cutoff.hit` tells whether the bound ever refused one. Throws
 * INVALID_ARGUMENT for a problem that does not fit its domain.
 */
export function compileHddl(d: HddlDomain, p: HddlProblem, maxNesting = Infinity): CompiledHddl {
  if (p.domain !== "" && p.domain !== d.name) {
    throw new EnsoulError("INVALID_ARGUMENT", `problem ${p.name} is for domain ${p.domain}, not ${d.name}`, { field: "problem" });
  }
  const { logic, initial } = hddlWorld(d, p);
  const universe = logic.universe;
  const domain = new Domain(d.name);
  const cutoff = { hit: false };
  const nesting = (s: State) => (s.get(NESTING) as number | undefined) ?? 0;
  domain.declareActions({ name: ENTER, fn: (s: State) => s.set(NESTING, "", nesting(s) + 1) }, { name: EXIT, fn: (s: State) => s.set(NESTING, "", nesting(s) - 1) });

  for (const a of d.actions.values()) {
    domain.declareActions({ name: a.name, fn: (state: State, ...args: string[]) => (applyAction(logic, a, state, args) ? state : false) });
  }

  const byTask = new Map<string, Method[]>();
  for (const m of d.methods) {
    let list = byTask.get(m.task.name);
    if (list === undefined) byTask.set(m.task.name, (list = []));
    list.push(m);
  }
  for (const [task, methods] of byTask) {
    domain.declareTaskMethods(task, ...methods.map((m) => {
      const fn = methodFn(logic, universe, m);
      return {
        name: m.name,
        fn: (state: State, ...args: string[]) => {
          if (nesting(state) >= maxNesting) {
            cutoff.hit = true;
            return false;
          }
          return fn(state, ...args);
        },
      };
    }));
  }

  const state = initial();
  const params = new Set(p.htnParams.map((x) => x.name));
  for (const t of p.tasks) {
    const unbound = t.args.find((a) => isVar(a) && !params.has(a));
    if (unbound !== undefined) throw new EnsoulError("INVALID_ARGUMENT", `the initial task (${t.name} ...) uses ${unbound}, not a parameter of the task network`, { field: "problem" });
    if (!d.tasks.has(t.name) && !d.actions.has(t.name)) throw new EnsoulError("INVALID_ARGUMENT", `the initial task ${t.name} is not declared in domain ${d.name}`, { field: "problem" });
  }
  let todo: TodoItem[];
  if (p.htnParams.length === 0) {
    todo = p.tasks.map((t) => [t.name, ...t.args] as Task);
  } else {
    // A task network with parameters is one more method, whose bindings the search tries in turn.
    const top: Method = { name: TOP, params: p.htnParams, task: { name: TOP, args: [] }, pre: { k: "true" }, subtasks: p.tasks };
    domain.declareTaskMethods(TOP, { name: TOP, fn: methodFn(logic, universe, top) });
    todo = [[TOP]];
  }
  if (p.goal.k !== "true") {
    const goal = p.goal;
    domain.declareActions({ name: GOAL, fn: (state: State) => (logic.holds(goal, new Map(), new Map(), state) ? state : false) });
    todo.push([GOAL]);
  }
  return { domain, state, todo, cutoff };
}

/** A task method yielding, for each binding of `m`'s parameters that satisfies its precondition, its subtasks. */
function methodFn(logic: Logic, universe: Universe, m: Method) {
  const types = withTypes(new Map(), m.params);
  const names = m.params.map((p) => p.name);
  return (state: State, ...args: string[]) => {
    if (args.length !== m.task.args.length) return false;
    const env: Env = new Map();
    for (let i = 0; i < args.length; i++) {
      const t = m.task.args[i]!;
      if (!isVar(t)) {
        if (t !== args[i]) return false;
        continue;
      }
      const prev = env.get(t);
      if (prev !== undefined && prev !== args[i]) return false;
      if (!universe.isA(args[i]!, types.get(t) ?? "object")) return false;
      env.set(t, args[i]!);
    }
    function* refinements(): Generator<readonly TodoItem[]> {
      const seen = new Set<string>();
      for (const e of logic.solve(m.pre, env, types, state)) {
        const free = names.filter((n) => !e.has(n));
        for (const full of logic.enumerate(free, 0, e, types)) {
          const id = names.map((n) => full.get(n)).join(" ");
          if (seen.has(id)) continue;
          seen.add(id);
          const sub: TodoItem[] = [[ENTER, m.name, m.task.name, ...args]];
          for (const s of m.subtasks) sub.push([s.name, ...ground(s.args, full)] as Task);
          sub.push([EXIT]);
          yield sub;
        }
      }
    }
    return new Alternatives(refinements());
  };
}

/**
 * States and multigoals, as GTPyhop has them: a state is a set of named state variables, each a
 * map from arguments to values (GTPyhop's `state.pos['a'] = 'b'` is `state.set("pos", "a", "b")`).
 *
 * Branching must be cheap. GTPyhop deep-copies the whole state before every action; a search over
 * a 400-block problem then spends most of its time copying. Here the search owns one working
 * state and an undo log (a "trail", as in Prolog engines): every write records the old value, and
 * backtracking to a choice point undoes the writes made since. A branch costs O(1), a write
 * O(1), and nothing is ever copied during search. `copy()` (a full copy) exists for callers that
 * want a snapshot, e.g. the actor in `runLazyLookahead`.
 */
import { EnsoulError } from "../../lib/errors.js";

/** A state-variable value. GTPyhop allows any Python value; we allow what JSON can carry. */
export type Value = string | number | boolean | null;
/** A state-variable argument (GTPyhop: any hashable; here a string or a number, kept distinct). */
export type Arg = string | number;
/** One state variable: argument → value. */
export type VarMap = Map<Arg, Value>;

/** A state variable that GTPyhop keeps as a plain attribute (`state.flag = -1`) lives under this argument. */
export const SCALAR_ARG = "";

/** Shared by State and Multigoal: named state variables, each a map. */
abstract class Bindings {
  name: string;
  protected readonly vars: Map<string, VarMap>;

  protected constructor(name: string, vars: Map<string, VarMap>) {
    this.name = name;
    this.vars = vars;
  }

  /** The value of `varName[arg]`, or undefined where it has none. */
  get(varName: string, arg: Arg = SCALAR_ARG): Value | undefined {
    const m = this.vars.get(varName);
    return m === undefined ? undefined : m.get(arg);
  }

  has(varName: string, arg: Arg = SCALAR_ARG): boolean {
    const m = this.vars.get(varName);
    return m !== undefined && m.has(arg);
  }

  /** The arguments of a state variable in insertion order (GTPyhop iterates dicts in that order). */
  args(varName: string): Arg[] {
    const m = this.vars.get(varName);
    return m === undefined ? [] : Array.from(m.keys());
  }

  /** The raw map of one variable, for read-only hot loops in domain code. Do not write to it. */
  varMap(varName: string): ReadonlyMap<Arg, Value> | undefined {
    return this.vars.get(varName);
  }

  varNames(): string[] {
    return Array.from(this.vars.keys());
  }

  /** Plain-object form: `{ var: { arg: value } }` (number arguments become strings). */
  toJSON(): Record<string, Record<string, Value>> {
    const out: Record<string, Record<string, Value>> = {};
    for (const [name, m] of this.vars) {
      const o: Record<string, Value> = {};
      for (const [k, v] of m) o[String(k)] = v;
      out[name] = o;
    }
    return out;
  }

  protected copyVars(): Map<string, VarMap> {
    const vars = new Map<string, VarMap>();
    for (const [name, m] of this.vars) vars.set(name, new Map(m));
    return vars;
  }
}

/** Initial bindings: `{ pos: { a: "b" } }`, or Maps where arguments are numbers. */
export type BindingsInit = Record<string, Record<string, Value> | Map<Arg, Value>> | Map<string, Map<Arg, Value>>;

function varsFrom(init: BindingsInit | undefined): Map<string, VarMap> {
  const vars = new Map<string, VarMap>();
  if (init === undefined) return vars;
  const entries = init instanceof Map ? init.entries() : Object.entries(init);
  for (const [name, m] of entries) {
    vars.set(name, m instanceof Map ? new Map(m) : new Map(Object.entries(m)));
  }
  return vars;
}

let nextCopyNumber = 0;

/** GTPyhop's naming of copies: `s`, then `s_copy_0`, `s_copy_1` (never `s_copy_0_copy_1`). */
function nameForCopy(oldName: string): string {
  const n = nextCopyNumber++;
  return /_copy_[0-9]*$/.test(oldName) ? oldName.replace(/_[0-9]*$/, `_${n}`) : `${oldName}_copy_${n}`;
}

/**
 * A state of the world. Writes go through `set`, which records the old value while the state is
 * being searched, so that the planner can undo them on backtracking.
 */
export class State extends Bindings {
  /** Undo log: flat quadruples (map, arg, old value, had-key). Null when not searching. */
  private trail: unknown[] | null = null;
  /** Set while a method runs: methods must only read the state (GTPyhop's rule, enforced here). */
  private readOnlyFor: string | null = null;
  /** Counts changes (writes and undos); equal versions of one State mean equal contents. */
  version = 0;

  constructor(name: string, init?: BindingsInit) {
    super(name, varsFrom(init));
  }

  /** `varName[arg] = value`. Creates the variable when it is new. */
  set(varName: string, arg: Arg, value: Value): this {
    if (this.readOnlyFor !== null) {
      throw new EnsoulError("FAILED_PRECONDITION", `method ${this.readOnlyFor} tried to change state variable ${varName}; methods may only read the state`);
    }
    let m = this.vars.get(varName);
    const trail = this.trail;
    if (m === undefined) {
      m = new Map();
      if (trail !== null) trail.push(this.vars, varName, undefined, false);
      this.vars.set(varName, m);
    }
    if (trail !== null) {
      const old = m.get(arg);
      trail.push(m, arg, old, old !== undefined || m.has(arg));
    }
    m.set(arg, value);
    this.version++;
    return this;
  }

  /** Removes `varName[arg]`. */
  delete(varName: string, arg: Arg = SCALAR_ARG): this {
    if (this.readOnlyFor !== null) {
      throw new EnsoulError("FAILED_PRECONDITION", `method ${this.readOnlyFor} tried to change state variable ${varName}; methods may only read the state`);
    }
    const m = this.vars.get(varName);
    if (m === undefined || !m.has(arg)) return this;
    if (this.trail !== null) this.trail.push(m, arg, m.get(arg), true);
    m.delete(arg);
    this.version++;
    return this;
  }

  /** A full, independent copy (GTPyhop's `state.copy()`), named like GTPyhop names copies. */
  copy(newName?: string): State {
    const s = new State(newName ?? nameForCopy(this.name));
    for (const [name, m] of this.vars) s.vars.set(name, new Map(m));
    return s;
  }

  // --- used by the search only -------------------------------------------------------------

  /** @internal Starts recording writes; returns the mark of an empty trail. */
  beginTrail(): void {
    this.trail = [];
  }

  /** @internal Stops recording (the state keeps its current values). */
  endTrail(): void {
    this.trail = null;
  }

  /** @internal The current position in the undo log. */
  mark(): number {
    return this.trail === null ? 0 : this.trail.length;
  }

  /** @internal Undoes every write made since `mark`. */
  undoTo(mark: number): void {
    const t = this.trail;
    if (t === null || t.length <= mark) return;
    this.version++;
    while (t.length > mark) {
      const had = t.pop() as boolean;
      const old = t.pop();
      const arg = t.pop();
      const m = t.pop() as Map<unknown, unknown>;
      if (had) m.set(arg, old);
      else m.delete(arg);
    }
  }

  /** @internal While `method` (a method's name) is set, writes throw. */
  setReadOnly(method: string | null): void {
    this.readOnlyFor = method;
  }
}

/**
 * A conjunctive goal (GTPyhop's Multigoal): the desired values of some state variables, e.g.
 * `new Multigoal("goal1", { pos: { a: "b", c: "table" } })`.
 */
export class Multigoal extends Bindings {
  constructor(name: string, init?: BindingsInit) {
    super(name, varsFrom(init));
  }

  set(varName: string, arg: Arg, value: Value): this {
    let m = this.vars.get(varName);
    if (m === undefined) {
      m = new Map();
      this.vars.set(varName, m);
    }
    m.set(arg, value);
    return this;
  }

  /** The goals as `[var, arg, value]` triples, in declaration order. */
  goals(): Array<[string, Arg, Value]> {
    const out: Array<[string, Arg, Value]> = [];
    for (const [name, m] of this.vars) for (const [arg, v] of m) out.push([name, arg, v]);
    return out;
  }

  copy(newName?: string): Multigoal {
    return new Multigoal(newName ?? nameForCopy(this.name), this.copyVars());
  }
}

/** Whether every goal of `multigoal` holds in `state` (goalsNotAchieved is empty), without building the list. */
export function allGoalsHold(state: State, multigoal: Multigoal): boolean {
  for (const name of multigoal.varNames()) {
    const have = state.varMap(name);
    for (const [arg, v] of multigoal.varMap(name)!) {
      if (have === undefined || have.get(arg) !== v) return false;
    }
  }
  return true;
}

/**
 * GTPyhop's `_goals_not_achieved`: the goals of `multigoal` that do not hold in `state`, as
 * `[var, arg, value]` triples in the multigoal's order.
 */
export function goalsNotAchieved(state: State, multigoal: Multigoal): Array<[string, Arg, Value]> {
  const out: Array<[string, Arg, Value]> = [];
  for (const name of multigoal.varNames()) {
    const want = multigoal.varMap(name)!;
    const have = state.varMap(name);
    for (const [arg, v] of want) {
      if (have === undefined || have.get(arg) !== v) out.push([name, arg, v]);
    }
  }
  return out;
}

/**
 * A planning-and-acting domain (GTPyhop's `Domain`): actions, commands, task methods, unigoal
 * methods and multigoal methods, each declared under a name and tried in declaration order.
 *
 * GTPyhop keeps one global "current domain"; here a Domain is a plain object passed to the
 * planner, so that many domains (one per game, per NPC kind) live side by side.
 */
import { EnsoulError } from "../../lib/errors.js";
import { goalsNotAchieved, type Arg, type Multigoal, type State, type Value } from "./state.js";

/** An argument of a task in a todo list: a value, or a multigoal (blocks_htn's `('achieve', goal)`). */
export type TaskArg = Value | Multigoal;
/** A task, action or unigoal: `[name, ...args]` (GTPyhop's tuples). A unigoal is `[var, arg, value]`. */
export type Task = readonly [string, ...TaskArg[]];
/**
 * Timing of an action, task or goal (godot-goal-task-planner's temporal constraints), in
 * microseconds since the Unix epoch: when it must start, when it must end, how long it takes.
 */
export interface TimeSpec {
  startUs?: number;
  endUs?: number;
  durationUs?: number;
}

/** An entity the item needs: one whose `type` matches and that has every capability. */
export interface EntityRequirement {
  type: string;
  capabilities: readonly string[];
}

/**
 * A todo item with metadata: timing checked in a Simple Temporal Network, and entities that
 * must exist with the capabilities asked (see stn.ts, entities.ts).
 */
export class Annotated {
  constructor(
    readonly item: Task | Multigoal,
    readonly time?: TimeSpec,
    readonly requires?: readonly EntityRequirement[],
  ) {}
}

/** One item of a todo list. */
export type TodoItem = Task | Multigoal | Annotated;
/** A plan: the actions to perform, in order. */
export type Plan = Task[];

/**
 * Several refinements from one method, tried in order (each one when the search backtracks
 * past the one before). GTPyhop methods return one; HDDL methods with free parameters have one
 * per binding, produced lazily.
 */
export class Alternatives {
  constructor(readonly refinements: Iterator<readonly TodoItem[]>) {}
}

/** What a method returns: the subtasks/subgoals to do instead, several to try, or a falsy value when not applicable. */
export type Refinement = readonly TodoItem[] | Alternatives | false | null | undefined | void;

// Domain code declares its own parameter types (`(s, b1: string, b2: string)`), which a
// `TaskArg[]` rest parameter would reject under strict function types; hence `any` here only.
/* eslint-disable @typescript-eslint/no-explicit-any */
/** An action: changes `state` in place and returns it, or returns a falsy value when it does not apply. */
export type ActionFn = (state: State, ...args: any[]) => State | false | null | undefined | void;
/** A task method: `(state, ...taskArgs) => subtasks | false`. */
export type TaskMethodFn = (state: State, ...args: any[]) => Refinement;
/** A unigoal method for goals `[var, arg, value]`: `(state, arg, value) => subgoals | false`. */
export type UnigoalMethodFn = (state: State, arg: any, value: any) => Refinement;
/** A multigoal method: `(state, multigoal) => subgoals | false`. */
export type MultigoalMethodFn = (state: State, multigoal: Multigoal) => Refinement;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A function with the name the planner reports it by (a JS function's own `name` by default). */
export interface Named<F> {
  name: string;
  fn: F;
}

type Declarable<F> = F | Named<F>;

function named<F extends (...a: never[]) => unknown>(d: Declarable<F>, kind: string): Named<F> {
  if (typeof d === "function") {
    if (d.name === "") throw new EnsoulError("INVALID_ARGUMENT", `a ${kind} needs a name: declare it as a named function or { name, fn }`);
    return { name: d.name, fn: d };
  }
  if (typeof d.name !== "string" || d.name === "" || typeof d.fn !== "function") {
    throw new EnsoulError("INVALID_ARGUMENT", `a ${kind} must be a named function or { name, fn }`);
  }
  return d;
}

/** Adds `items` to `list`, skipping ones already there by name (GTPyhop skips duplicates too). */
function extendUnique<F>(list: Named<F>[], items: Named<F>[]): void {
  for (const m of items) if (!list.some((x) => x.name === m.name)) list.push(m);
}

export class Domain {
  readonly name: string;
  readonly actions = new Map<string, Named<ActionFn>>();
  readonly commands = new Map<string, Named<ActionFn>>();
  readonly taskMethods = new Map<string, Named<TaskMethodFn>[]>();
  readonly unigoalMethods = new Map<string, Named<UnigoalMethodFn>[]>();
  readonly multigoalMethods: Named<MultigoalMethodFn>[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** Declares actions under their names; a later declaration of a name replaces the earlier one. */
  declareActions(...actions: Declarable<ActionFn>[]): this {
    for (const a of actions) {
      const n = named(a, "action");
      this.actions.set(n.name, n);
    }
    return this;
  }

  /** Declares commands (`c_<action>`): what the actor executes in place of the action. */
  declareCommands(...commands: Declarable<ActionFn>[]): this {
    for (const c of commands) {
      const n = named(c, "command");
      this.commands.set(n.name, n);
    }
    return this;
  }

  /** Adds methods for tasks named `taskName`, tried in the order declared. */
  declareTaskMethods(taskName: string, ...methods: Declarable<TaskMethodFn>[]): this {
    let list = this.taskMethods.get(taskName);
    if (list === undefined) this.taskMethods.set(taskName, (list = []));
    extendUnique(list, methods.map((m) => named(m, "task method")));
    return this;
  }

  /** Adds methods for unigoals `[varName, arg, value]`, tried in the order declared. */
  declareUnigoalMethods(varName: string, ...methods: Declarable<UnigoalMethodFn>[]): this {
    let list = this.unigoalMethods.get(varName);
    if (list === undefined) this.unigoalMethods.set(varName, (list = []));
    extendUnique(list, methods.map((m) => named(m, "unigoal method")));
    return this;
  }

  /** Adds multigoal methods, tried in the order declared. */
  declareMultigoalMethods(...methods: Declarable<MultigoalMethodFn>[]): this {
    extendUnique(this.multigoalMethods, methods.map((m) => named(m, "multigoal method")));
    return this;
  }

  /** GTPyhop's `print_domain`, as data. */
  describe(): { name: string; actions: string[]; commands: string[]; taskMethods: Record<string, string[]>; unigoalMethods: Record<string, string[]>; multigoalMethods: string[] } {
    const names = <F>(l: Named<F>[]) => l.map((m) => m.name);
    return {
      name: this.name,
      actions: [...this.actions.keys()],
      commands: [...this.commands.keys()],
      taskMethods: Object.fromEntries([...this.taskMethods].map(([k, l]) => [k, names(l)])),
      unigoalMethods: Object.fromEntries([...this.unigoalMethods].map(([k, l]) => [k, names(l)])),
      multigoalMethods: names(this.multigoalMethods),
    };
  }
}

/**
 * GTPyhop's only built-in multigoal method (used only when declared): achieve each unachieved
 * goal in turn, then the multigoal again, until all its goals hold at once.
 */
export function m_split_multigoal(state: State, multigoal: Multigoal): TodoItem[] {
  const goals: TodoItem[] = goalsNotAchieved(state, multigoal);
  if (goals.length > 0) goals.push(multigoal);
  return goals;
}

/** Formats `[var, arg]` the way GTPyhop's messages do: `pos[a]`. */
export function goalToString(varName: string, arg: Arg, value: Value): string {
  return `${varName}[${String(arg)}] = ${String(value)}`;
}

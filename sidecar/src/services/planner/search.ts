/**
 * The planning algorithm: GTPyhop's `seek_plan`, made iterative.
 *
 * GTPyhop recurses once per todo item: take the first item of the todo list and
 *   - an action: apply it to (a copy of) the state; if it applies, append it to the plan and go on;
 *   - a task: try its methods in declared order; the first that applies replaces the task by its
 *     subtasks, and if the rest of the search then fails, the next method is tried (backtracking);
 *   - a unigoal `[var, arg, value]`: done if it already holds, else like a task, with the goal's
 *     unigoal methods, followed by a verification item that checks the method achieved it;
 *   - a multigoal: like a unigoal, with the multigoal methods.
 * An empty todo list means success: the plan so far is the answer.
 *
 * Here the recursion is a loop over an explicit stack of choice points (one per refinement, with
 * the index of the next method to try), so a plan of any length runs in constant JS stack. The
 * todo list is a linked list (prepending subtasks costs their number, not the list's length), the
 * plan an array truncated on backtracking, and the state is one working copy with an undo log
 * (see state.ts): backtracking to a choice point undoes the writes made since it.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { EnsoulError } from "../../lib/errors.js";
import { Annotated, goalToString, type Domain, type Named, type Plan, type Task, type TimeSpec, type TodoItem } from "./domain.js";
import { matchEntities } from "./entities.js";
import { goalsNotAchieved, Multigoal, type Arg, type State, type Value } from "./state.js";
import { SimpleTemporalNetwork } from "./stn.js";
import { itemToString, TraceLog, type TraceEvent, type VerboseLevel } from "./trace.js";

export interface SearchOptions {
  /** GTPyhop's `verbose`: 0 (default) records nothing, 1–3 record more and more (see trace.ts). */
  verbose?: VerboseLevel;
  /** GTPyhop's `verify_goals` (default true): check that goal methods achieve their goals. */
  verifyGoals?: boolean;
  /** Deepest refinement chain allowed (GTPyhop's `depth`); default 1,000,000. */
  maxDepth?: number;
  /** Most todo items the search may process in all; default 10,000,000. */
  maxExpansions?: number;
  /** Wall-clock budget in milliseconds from the start of the search. */
  timeoutMs?: number;
  /** Most trace events kept (default 100,000); later ones are dropped and `traceTruncated` set. */
  maxTraceEvents?: number;
  /** Plan id to report (default: a fresh UUID). */
  planId?: string;
  /** "Now" for temporal constraints, in microseconds since the Unix epoch (default: the clock). Timed items cannot start earlier. */
  startUs?: number;
  /** Most time points the temporal network may hold (default 2,048; it costs O(n²) memory). */
  maxTimePoints?: number;
}

/** What the plan fixed for one action: its times (timed actions) and the entities it was bound to. */
export interface StepInfo {
  startUs?: number;
  endUs?: number;
  entities?: Arg[];
}

export interface PlanOutcome {
  planId: string;
  /** The plan, or `false` when no plan exists (an empty plan `[]` is a success). */
  plan: Plan | false;
  /** The state the plan leads to (a copy; the caller's state is never changed), or null on failure. */
  finalState: State | null;
  /** Todo items processed: what "nodes" counts in nodes per second. */
  expansions: number;
  elapsedMs: number;
  trace: TraceEvent[];
  traceTruncated: boolean;
  /** Per plan step, what annotations fixed (null for a step without any); null when no item was annotated. */
  steps: Array<StepInfo | null> | null;
}

/** GTPyhop's `_verify_g` / `_verify_mg` tasks, kept apart from user tasks. */
class Verification {
  constructor(
    readonly method: string,
    readonly depth: number,
    readonly varName: string,
    readonly arg: Arg,
    readonly value: Value,
    readonly multigoal: Multigoal | null,
  ) {}

  toString(): string {
    return this.multigoal === null
      ? `(_verify_g, ${this.method}, ${this.varName}, ${String(this.arg)}, ${String(this.value)}, ${this.depth})`
      : `(_verify_mg, ${this.method}, <Multigoal ${this.multigoal.name}>, ${this.depth})`;
  }
}

/** Closes the time interval of an annotated task or goal once all its subtasks are done. */
class ScopeEnd {
  constructor(readonly startPoint: number, readonly time: TimeSpec, readonly label: string) {}

  toString(): string {
    return `(_end_of, ${this.label})`;
  }
}

type Item = TodoItem | Verification | ScopeEnd;

interface StepRecord {
  startPoint: number;
  endPoint: number;
  entities: Arg[] | null;
}

/** A cell of the todo list; lists share their tails. */
interface TodoNode {
  item: Item;
  next: TodoNode | null;
}

const TASK = 0;
const UNIGOAL = 1;
const MULTIGOAL = 2;

// Method functions of the three kinds differ only in their arguments; the search calls them by kind.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMethod = Named<(state: State, ...args: any[]) => unknown>;

/** A choice point: an item being refined and the next of its methods to try. Reused across pushes. */
interface ChoicePoint {
  kind: number;
  item: Task | Multigoal;
  methods: AnyMethod[];
  next: number;
  rest: TodoNode | null;
  mark: number;
  planLength: number;
  depth: number;
  stnMark: number;
  clock: number;
}

function toList(items: readonly Item[], tail: TodoNode | null): TodoNode | null {
  let node = tail;
  for (let i = items.length - 1; i >= 0; i--) node = { item: items[i]!, next: node };
  return node;
}

function listToStrings(node: TodoNode | null): string[] {
  const out: string[] = [];
  for (; node !== null; node = node.next) out.push(itemToString(node.item));
  return out;
}

function isTask(item: unknown): item is Task {
  return Array.isArray(item) && item.length > 0 && typeof item[0] === "string";
}

/** Calls a function with the state and the task's arguments, without spreading for short tasks. */
function callWithArgs(fn: (state: State, ...args: never[]) => unknown, state: State, t: Task): unknown {
  const f = fn as (...a: unknown[]) => unknown;
  switch (t.length) {
    case 1: return f(state);
    case 2: return f(state, t[1]);
    case 3: return f(state, t[1], t[2]);
    case 4: return f(state, t[1], t[2], t[3]);
    default: return f(state, ...t.slice(1));
  }
}

/**
 * Finds a plan for `todo` from `state` in `domain` (GTPyhop's `find_plan`), with the outcome's
 * details: plan id, final state, counts and trace. Throws EnsoulError when a bound is hit
 * (RESOURCE_EXHAUSTED for maxDepth/maxExpansions, DEADLINE_EXCEEDED for timeoutMs), when the
 * todo list holds something the domain does not know, or when a goal method fails verification.
 */
export function seekPlan(domain: Domain, initial: State, todo: readonly TodoItem[], options: SearchOptions = {}): PlanOutcome {
  const verbose = options.verbose ?? 0;
  const verifyGoals = options.verifyGoals ?? true;
  const maxDepth = options.maxDepth ?? 1_000_000;
  const maxExpansions = options.maxExpansions ?? 10_000_000;
  const planId = options.planId ?? randomUUID();
  const log = new TraceLog(verbose, options.maxTraceEvents ?? 100_000);
  const started = performance.now();
  const deadline = options.timeoutMs === undefined ? Infinity : started + options.timeoutMs;

  if (!Array.isArray(todo)) throw new EnsoulError("INVALID_ARGUMENT", "todo must be a list of tasks, goals and multigoals", { field: "todo" });
  const state = initial.copy(initial.name);
  state.beginTrail();
  if (verbose >= 1) log.add({ level: 1, event: "find_plan", state: initial.name, todo: todo.map(itemToString) });

  const plan: Task[] = [];
  const frames: ChoicePoint[] = [];
  let top = 0; // frames[0..top) are live; frames beyond are kept for reuse
  let node = toList(todo, null);
  let depth = 0;
  let expansions = 0;
  let calling = ""; // the action or method being called, for errors thrown inside domain code

  // Temporal constraints and entity bindings, made only when an annotated item shows up.
  let stn: SimpleTemporalNetwork | null = null;
  let clock = 0; // the time point everything next must come after
  let steps: Array<StepRecord | null> | null = null;
  const maxTimePoints = options.maxTimePoints ?? 2048;
  const network = (): SimpleTemporalNetwork => {
    if (stn === null) {
      stn = new SimpleTemporalNetwork();
      const startUs = options.startUs ?? Date.now() * 1000;
      clock = stn.addPoint("plan_start");
      stn.addConstraint(0, clock, startUs, startUs);
    }
    if (stn.size + 2 > maxTimePoints) {
      throw new EnsoulError("RESOURCE_EXHAUSTED", `planning stopped: maxTimePoints (${maxTimePoints}) reached in the temporal network`, { field: "maxTimePoints" });
    }
    return stn;
  };
  /** Constrains a new interval [s, e] (e = -1: only its start) by `time`; false when inconsistent. */
  const constrain = (net: SimpleTemporalNetwork, s: number, e: number, time: TimeSpec): boolean => {
    if (e < 0) return time.startUs === undefined || net.addConstraint(0, s, time.startUs, time.startUs);
    if (!net.addConstraint(s, e, time.durationUs ?? 0, time.durationUs ?? Infinity)) return false;
    if (time.endUs !== undefined && !net.addConstraint(0, e, time.endUs, time.endUs)) return false;
    return time.startUs === undefined || net.addConstraint(0, s, time.startUs, time.startUs);
  };

  const finish = (result: Plan | false): PlanOutcome => {
    state.endTrail();
    if (verbose >= 1) log.add({ level: 1, event: "result", plan: result === false ? false : result.map(itemToString) });
    return {
      planId,
      plan: result,
      finalState: result === false ? null : state,
      expansions,
      elapsedMs: performance.now() - started,
      trace: log.events,
      traceTruncated: log.truncated,
      steps: result === false || steps === null ? null : plan.map((_, i) => stepInfo(steps![i] ?? null, stn)),
    };
  };

  /** Pushes a choice point for `item`, to be refined by `methods`. */
  const pushChoice = (kind: number, item: Task | Multigoal, methods: AnyMethod[], rest: TodoNode | null): void => {
    let f = frames[top];
    if (f === undefined) {
      f = { kind, item, methods, next: 0, rest, mark: 0, planLength: 0, depth: 0, stnMark: 0, clock: 0 };
      frames.push(f);
    }
    f.kind = kind;
    f.item = item;
    f.methods = methods;
    f.next = 0;
    f.rest = rest;
    f.mark = state.mark();
    f.planLength = plan.length;
    f.depth = depth;
    f.stnMark = stn === null ? -1 : stn.mark();
    f.clock = clock;
    top++;
    if (verbose >= 3) log.add({ level: 3, event: "methods", depth, item: itemToString(item), methods: methods.map((m) => m.name) });
  };

  /** Tries the remaining methods of choice point `f`; on success sets `node`/`depth` and returns true. */
  const tryMethods = (f: ChoicePoint): boolean => {
    while (f.next < f.methods.length) {
      const m = f.methods[f.next++]!;
      state.undoTo(f.mark);
      plan.length = f.planLength;
      if (steps !== null && steps.length > f.planLength) steps.length = f.planLength;
      if (stn !== null) {
        if (f.stnMark < 0) stn = null; // made after this choice point: drop it
        else stn.undoTo(f.stnMark);
      }
      clock = f.clock;
      calling = m.name;
      state.setReadOnly(`method ${m.name}`);
      let sub: unknown;
      try {
        if (f.kind === TASK) sub = callWithArgs(m.fn, state, f.item as Task);
        else if (f.kind === UNIGOAL) sub = m.fn(state, (f.item as Task)[1], (f.item as Task)[2]);
        else sub = m.fn(state, f.item);
      } finally {
        state.setReadOnly(null);
      }
      if (sub === false || sub === null || sub === undefined) {
        if (verbose >= 3) log.add({ level: 3, event: "method", depth: f.depth, item: itemToString(f.item), method: m.name, applicable: false });
        continue;
      }
      if (!Array.isArray(sub)) {
        throw new EnsoulError("INVALID_ARGUMENT", `method ${m.name} returned ${typeof sub}; a method returns a list of tasks and goals, or false`);
      }
      if (verbose >= 3) log.add({ level: 3, event: "method", depth: f.depth, item: itemToString(f.item), method: m.name, applicable: true, subtasks: sub.map(itemToString) });
      let rest = f.rest;
      if (verifyGoals && f.kind !== TASK) {
        const v = f.kind === UNIGOAL
          ? new Verification(m.name, f.depth, (f.item as Task)[0], (f.item as Task)[1] as Arg, (f.item as Task)[2] as Value, null)
          : new Verification(m.name, f.depth, "", "", null, f.item as Multigoal);
        rest = { item: v, next: rest };
      }
      node = toList(sub as Item[], rest);
      depth = f.depth + 1;
      return true;
    }
    return false;
  };

  try {
    for (;;) {
      // ---- process the first item of the todo list
      if (verbose >= 2) log.add({ level: 2, event: "todo", depth, todo: listToStrings(node) });
      if (node === null) {
        if (verbose >= 3) log.add({ level: 3, event: "done", depth });
        return finish(plan.slice());
      }
      if (++expansions > maxExpansions) {
        throw new EnsoulError("RESOURCE_EXHAUSTED", `planning stopped: maxExpansions (${maxExpansions}) reached without a plan`, { field: "maxExpansions" });
      }
      if (depth > maxDepth) {
        throw new EnsoulError("RESOURCE_EXHAUSTED", `planning stopped: maxDepth (${maxDepth}) reached at item ${itemToString(node.item)}`, { field: "maxDepth" });
      }
      if ((expansions & 1023) === 0 && performance.now() > deadline) {
        throw new EnsoulError("DEADLINE_EXCEEDED", `planning stopped: timeoutMs (${options.timeoutMs}) passed after ${expansions} expansions`, { field: "timeoutMs" });
      }

      let item = node.item;
      const rest = node.next;
      let failed = false;
      let bound: Arg[] | null = null;
      let time: TimeSpec | undefined;
      if (item instanceof ScopeEnd) {
        const net = network();
        const e = net.addPoint(`${item.label}_end`);
        const ok = net.addConstraint(clock, e, 0, Infinity) && constrain(net, item.startPoint, e, item.time);
        if (verbose >= 3) log.add({ level: 3, event: "constraint", depth, item: item.label, kind: "time", ok });
        if (ok) {
          clock = e;
          node = rest;
          continue;
        }
        failed = true;
      } else if (item instanceof Annotated) {
        if (item.requires !== undefined && item.requires.length > 0) {
          bound = matchEntities(state, item.requires);
          if (verbose >= 3) log.add({ level: 3, event: "constraint", depth, item: itemToString(item.item), kind: "entities", ok: bound !== null });
          if (bound === null) failed = true;
        }
        time = item.time;
        const inner = item.item;
        if (!failed && time !== undefined && !(isTask(inner) && domain.actions.has(inner[0]))) {
          // A timed task or goal: open its interval now, close it after its subtasks.
          const net = network();
          const s0 = net.addPoint(`${itemToString(inner)}_start`);
          const ok = net.addConstraint(clock, s0, 0, Infinity) && constrain(net, s0, -1, time);
          if (verbose >= 3) log.add({ level: 3, event: "constraint", depth, item: itemToString(inner), kind: "time", ok });
          if (ok) {
            clock = s0;
            node = { item: inner, next: { item: new ScopeEnd(s0, time, itemToString(inner)), next: rest } };
            continue;
          }
          failed = true;
        }
        if (failed) {
          // backtrack below
        } else if (time === undefined && bound === null) {
          node = { item: inner, next: rest };
          continue;
        } else item = inner; // an action with timing and/or entities: applied below
      }
      if (failed) {
        // fall through to backtracking
      } else if (item instanceof Multigoal) {
        pushChoice(MULTIGOAL, item, domain.multigoalMethods, rest);
      } else if (item instanceof Verification) {
        verify(item, state, log);
        node = rest;
        depth++;
        continue;
      } else if (isTask(item)) {
        const name = item[0];
        const action = domain.actions.get(name);
        if (action !== undefined) {
          const mark = state.mark();
          calling = name;
          const result = callWithArgs(action.fn, state, item);
          if (result === state && (time !== undefined || bound !== null)) {
            let startPoint = -1;
            let endPoint = -1;
            if (time !== undefined) {
              const net = network();
              startPoint = net.addPoint(`${name}_start`);
              endPoint = net.addPoint(`${name}_end`);
              const ok = net.addConstraint(clock, startPoint, 0, Infinity) && constrain(net, startPoint, endPoint, time);
              if (verbose >= 3) log.add({ level: 3, event: "constraint", depth, item: itemToString(item), kind: "time", ok });
              if (!ok) failed = true;
              else clock = endPoint;
            }
            if (!failed) {
              if (steps === null) steps = [];
              while (steps.length < plan.length) steps.push(null);
              steps.push({ startPoint, endPoint, entities: bound });
            }
          }
          if (result === state && !failed) {
            if (verbose >= 3) log.add({ level: 3, event: "action", depth, item: itemToString(item), applied: true });
            plan.push(item);
            node = rest;
            depth++;
            continue;
          }
          if (result !== state && result !== false && result !== null && result !== undefined) {
            throw new EnsoulError("INVALID_ARGUMENT", `action ${name} returned something other than the state it was given; an action changes the state in place and returns it, or returns false`);
          }
          if (verbose >= 3) log.add({ level: 3, event: "action", depth, item: itemToString(item), applied: false });
          state.undoTo(mark);
          failed = true;
        } else {
          const taskMethods = domain.taskMethods.get(name);
          if (taskMethods !== undefined) {
            pushChoice(TASK, item, taskMethods, rest);
          } else {
            const goalMethods = domain.unigoalMethods.get(name);
            if (goalMethods === undefined) throw unknownItem(item, depth);
            if (item.length !== 3) {
              throw new EnsoulError("INVALID_ARGUMENT", `depth ${depth}: goal ${itemToString(item)} must be [variable, argument, value]`);
            }
            if (state.get(name, item[1] as Arg) === item[2]) {
              if (verbose >= 3) log.add({ level: 3, event: "already_achieved", depth, item: itemToString(item) });
              node = rest;
              depth++;
              continue;
            }
            pushChoice(UNIGOAL, item, goalMethods, rest);
          }
        }
      } else {
        throw unknownItem(item, depth);
      }

      // ---- refine the newest choice point, backtracking to older ones while methods run out
      if (failed && top === 0) return finish(false);
      for (;;) {
        const f = frames[top - 1]!;
        if (tryMethods(f)) break;
        if (verbose >= 3) log.add({ level: 3, event: "exhausted", depth: f.depth, item: itemToString(f.item) });
        top--;
        if (top === 0) return finish(false);
      }
    }
  } catch (err) {
    state.endTrail();
    if (err instanceof EnsoulError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new EnsoulError("INTERNAL", `domain ${domain.name}: ${calling} threw: ${message}`, { cause: err });
  }
}

function stepInfo(r: StepRecord | null, stn: SimpleTemporalNetwork | null): StepInfo | null {
  if (r === null) return null;
  const info: StepInfo = {};
  if (r.startPoint >= 0 && stn !== null) {
    info.startUs = stn.earliest(r.startPoint);
    info.endUs = stn.earliest(r.endPoint);
  }
  if (r.entities !== null) info.entities = r.entities;
  return info;
}

function unknownItem(item: unknown, depth: number): EnsoulError {
  const shown = Array.isArray(item) || item instanceof Multigoal ? itemToString(item as TodoItem) : JSON.stringify(item) ?? String(item);
  return new EnsoulError("INVALID_ARGUMENT", `depth ${depth}: ${shown} isn't an action, task, unigoal, or multigoal`, { field: "todo" });
}

/** GTPyhop's `_m_verify_g` / `_m_verify_mg`: a goal method that did not achieve its goal is an error. */
function verify(v: Verification, state: State, log: TraceLog): void {
  if (v.multigoal === null) {
    if (state.get(v.varName, v.arg) !== v.value) {
      throw new EnsoulError("FAILED_PRECONDITION", `depth ${v.depth}: method ${v.method} didn't achieve goal ${goalToString(v.varName, v.arg, v.value)}`);
    }
    if (log.level >= 3) log.add({ level: 3, event: "verified", depth: v.depth, method: v.method, goal: goalToString(v.varName, v.arg, v.value) });
    return;
  }
  if (goalsNotAchieved(state, v.multigoal).length > 0) {
    throw new EnsoulError("FAILED_PRECONDITION", `depth ${v.depth}: method ${v.method} didn't achieve <Multigoal ${v.multigoal.name}>`);
  }
  if (log.level >= 3) log.add({ level: 3, event: "verified", depth: v.depth, method: v.method, goal: `<Multigoal ${v.multigoal.name}>` });
}

/** GTPyhop's `find_plan`: the plan (possibly empty) or `false` when there is none. */
export function findPlan(domain: Domain, state: State, todo: readonly TodoItem[], options: SearchOptions = {}): Plan | false {
  return seekPlan(domain, state, todo, options).plan;
}

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
 *
 * Beyond GTPyhop: a method may return `Alternatives` (several refinements, tried lazily before
 * its next method), and `Annotated` items carry timing and entity requirements (timeline.ts).
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { EnsoulError } from "../../lib/errors.js";
import { Alternatives, Annotated, goalToString, type ActionFn, type Domain, type Named, type Plan, type Task, type TimeSpec, type TodoItem } from "./domain.js";
import { matchEntities } from "./entities.js";
import { allGoalsHold, Multigoal, type Arg, type State, type Value } from "./state.js";
import { Timeline, type StepInfo, type TimelineMark } from "./timeline.js";
import { callWithArgs, isTask, listToStrings, ScopeEnd, toList, Verification, type Item, type TodoNode } from "./todo.js";
import { itemToString, TraceLog, type TraceEvent, type VerboseLevel } from "./trace.js";

export type { StepInfo } from "./timeline.js";

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
  /**
   * Reproduce GTPyhop 1.1 exactly where it has a bug (default false): its goal refiners reassign
   * the todo list inside their method loop, so a goal's next method also gets the previous
   * method's subgoals and verification. Only for comparing with GTPyhop.
   */
  gtpyhop11GoalRetry?: boolean;
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
  timeline: TimelineMark | null;
  /** Refinements still to try from the method that returned Alternatives. */
  alts: Iterator<readonly TodoItem[]> | null;
  altsName: string;
}

/**
 * One search: GTPyhop's seek_plan over an explicit stack of choice points. Fields rather than
 * closures, so that starting a search allocates one object, not a dozen functions.
 */
class PlanSearch {
  private readonly verbose: VerboseLevel;
  private readonly verifyGoals: boolean;
  private readonly maxDepth: number;
  private readonly maxExpansions: number;
  private readonly deadline: number;
  private readonly started: number;
  private readonly log: TraceLog;
  private readonly state: State;
  private readonly plan: Task[] = [];
  private readonly frames: ChoicePoint[] = [];
  private top = 0; // frames[0..top) are live; frames beyond are kept for reuse
  private node: TodoNode | null;
  private depth = 0;
  private expansions = 0;
  /** The action or method being called, for errors thrown inside domain code. */
  calling = "";
  /** Made when the first annotated item shows up. */
  private timeline: Timeline | null = null;
  /** The last multigoal verified, and the state version it was verified at. */
  private verifiedGoal: Multigoal | null = null;
  private verifiedVersion = -1;

  constructor(private readonly domain: Domain, initial: State, todo: readonly TodoItem[], private readonly options: SearchOptions) {
    this.verbose = options.verbose ?? 0;
    this.verifyGoals = options.verifyGoals ?? true;
    this.maxDepth = options.maxDepth ?? 1_000_000;
    this.maxExpansions = options.maxExpansions ?? 10_000_000;
    this.log = new TraceLog(this.verbose, options.maxTraceEvents ?? 100_000);
    this.started = performance.now();
    this.deadline = options.timeoutMs === undefined ? Infinity : this.started + options.timeoutMs;
    this.state = initial.copy(initial.name);
    this.state.beginTrail();
    this.node = toList(todo, null);
    if (this.verbose >= 1) this.log.add({ level: 1, event: "find_plan", state: initial.name, todo: todo.map(itemToString) });
  }

  private finish(result: Plan | false): PlanOutcome {
    this.state.endTrail();
    if (this.verbose >= 1) this.log.add({ level: 1, event: "result", plan: result === false ? false : result.map(itemToString) });
    return {
      planId: this.options.planId ?? randomUUID(),
      plan: result,
      finalState: result === false ? null : this.state,
      expansions: this.expansions,
      elapsedMs: performance.now() - this.started,
      trace: this.log.events,
      traceTruncated: this.log.truncated,
      steps: result === false || this.timeline === null ? null : this.timeline.steps(result.length),
    };
  }

  private getTimeline(): Timeline {
    if (this.timeline === null) this.timeline = new Timeline(this.options.startUs ?? Date.now() * 1000, this.options.maxTimePoints ?? 2048);
    return this.timeline;
  }

  /** Pushes a choice point for `item`, to be refined by `methods`. */
  private pushChoice(kind: number, item: Task | Multigoal, methods: AnyMethod[], rest: TodoNode | null): void {
    let f = this.frames[this.top];
    if (f === undefined) {
      f = { kind, item, methods, next: 0, rest, mark: 0, planLength: 0, depth: 0, timeline: null, alts: null, altsName: "" };
      this.frames.push(f);
    }
    f.kind = kind;
    f.item = item;
    f.methods = methods;
    f.next = 0;
    f.alts = null;
    f.rest = rest;
    f.mark = this.state.mark();
    f.planLength = this.plan.length;
    f.depth = this.depth;
    f.timeline = this.timeline === null ? null : this.timeline.mark();
    this.top++;
    if (this.verbose >= 3) this.log.add({ level: 3, event: "methods", depth: this.depth, item: itemToString(item), methods: methods.map((m) => m.name) });
  }

  /** Tries the remaining methods of choice point `f`; on success sets `node`/`depth` and returns true. */
  private tryMethods(f: ChoicePoint): boolean {
    const state = this.state;
    for (;;) {
      let name: string;
      let sub: unknown;
      if (f.alts !== null) {
        this.restore(f);
        name = f.altsName;
        this.calling = name;
        // No try/finally: if domain code throws, the whole search (and its private state) is dropped.
        state.setReadOnly(name);
        const r = f.alts.next();
        state.setReadOnly(null);
        if (r.done === true) {
          f.alts = null;
          continue;
        }
        sub = r.value;
      } else {
        if (f.next >= f.methods.length) return false;
        const m = f.methods[f.next++]!;
        this.restore(f);
        name = m.name;
        this.calling = name;
        state.setReadOnly(name);
        if (f.kind === TASK) sub = callWithArgs(m.fn, state, f.item as Task);
        else if (f.kind === UNIGOAL) sub = m.fn(state, (f.item as Task)[1], (f.item as Task)[2]);
        else sub = m.fn(state, f.item);
        state.setReadOnly(null);
        if (sub instanceof Alternatives) {
          f.alts = sub.refinements;
          f.altsName = name;
          continue;
        }
      }
      if (sub === false || sub === null || sub === undefined) {
        if (this.verbose >= 3) this.log.add({ level: 3, event: "method", depth: f.depth, item: itemToString(f.item), method: name, applicable: false });
        continue;
      }
      if (!Array.isArray(sub)) {
        throw new EnsoulError("INVALID_ARGUMENT", `method ${name} returned ${typeof sub}; a method returns a list of tasks and goals, or false`);
      }
      if (this.verbose >= 3) this.log.add({ level: 3, event: "method", depth: f.depth, item: itemToString(f.item), method: name, applicable: true, subtasks: sub.map(itemToString) });
      let rest = f.rest;
      if (this.verifyGoals && f.kind !== TASK) {
        const t = f.item as Task;
        const v = f.kind === UNIGOAL
          ? new Verification(name, f.depth, t[0], t[1] as Arg, t[2] as Value, null)
          : new Verification(name, f.depth, "", "", null, f.item as Multigoal);
        rest = { item: v, next: rest };
      }
      this.node = toList(sub as Item[], rest);
      if (f.kind !== TASK && this.options.gtpyhop11GoalRetry === true) f.rest = this.node;
      this.depth = f.depth + 1;
      return true;
    }
  }

  /** Back to the state, plan and timeline of choice point `f`. */
  private restore(f: ChoicePoint): void {
    this.state.undoTo(f.mark);
    if (this.plan.length !== f.planLength) this.plan.length = f.planLength;
    if (this.timeline !== null) this.timeline.restore(f.timeline, f.planLength);
  }

  /** Checks the bounds before an item is processed. */
  private checkBounds(item: Item): void {
    if (++this.expansions > this.maxExpansions) {
      throw new EnsoulError("RESOURCE_EXHAUSTED", `planning stopped: maxExpansions (${this.maxExpansions}) reached without a plan`, { field: "maxExpansions" });
    }
    if (this.depth > this.maxDepth) {
      throw new EnsoulError("RESOURCE_EXHAUSTED", `planning stopped: maxDepth (${this.maxDepth}) reached at item ${itemToString(item)}`, { field: "maxDepth" });
    }
    if ((this.expansions & 1023) === 0 && performance.now() > this.deadline) {
      throw new EnsoulError("DEADLINE_EXCEEDED", `planning stopped: timeoutMs (${this.options.timeoutMs}) passed after ${this.expansions} expansions`, { field: "timeoutMs" });
    }
  }

  /**
   * Applies action `item`. Returns true when it applied (and its annotations hold), false when
   * the branch fails.
   */
  private applyAction(item: Task, action: Named<ActionFn>, time: TimeSpec | undefined, bound: Arg[] | null): boolean {
    const state = this.state;
    const mark = state.mark();
    this.calling = item[0];
    const result = callWithArgs(action.fn, state, item);
    if (result !== state && result !== false && result !== null && result !== undefined) {
      throw new EnsoulError("INVALID_ARGUMENT", `action ${item[0]} returned something other than the state it was given; an action changes the state in place and returns it, or returns false`);
    }
    let ok = result === state;
    if (ok && (time !== undefined || bound !== null)) {
      ok = this.getTimeline().step(this.plan.length, item[0], time, bound);
      if (this.verbose >= 3 && time !== undefined) this.log.add({ level: 3, event: "constraint", depth: this.depth, item: itemToString(item), kind: "time", ok });
    }
    if (this.verbose >= 3) this.log.add({ level: 3, event: "action", depth: this.depth, item: itemToString(item), applied: ok });
    if (!ok) {
      state.undoTo(mark);
      return false;
    }
    this.plan.push(item);
    return true;
  }

  /**
   * Processes an annotated item: entity requirements, then timing. An action is applied here; a
   * task or goal continues (with its interval closed after it). Returns false when the branch fails.
   */
  private annotated(a: Annotated, rest: TodoNode | null): boolean {
    let bound: Arg[] | null = null;
    if (a.requires !== undefined && a.requires.length > 0) {
      bound = matchEntities(this.state, a.requires);
      if (this.verbose >= 3) this.log.add({ level: 3, event: "constraint", depth: this.depth, item: itemToString(a.item), kind: "entities", ok: bound !== null });
      if (bound === null) return false;
    }
    const inner = a.item;
    const action = isTask(inner) ? this.domain.actions.get(inner[0]) : undefined;
    if (action !== undefined) {
      if (!this.applyAction(inner as Task, action, a.time, bound)) return false;
      this.node = rest;
      this.depth++;
      return true;
    }
    if (a.time === undefined) {
      this.node = { item: inner, next: rest };
      return true;
    }
    const label = itemToString(inner);
    const start = this.getTimeline().open(label, a.time);
    if (this.verbose >= 3) this.log.add({ level: 3, event: "constraint", depth: this.depth, item: label, kind: "time", ok: start >= 0 });
    if (start < 0) return false;
    this.node = { item: inner, next: { item: new ScopeEnd(start, a.time, label), next: rest } };
    return true;
  }

  run(): PlanOutcome {
    for (;;) {
      // ---- process the first item of the todo list
      const node = this.node;
      if (this.verbose >= 2) this.log.add({ level: 2, event: "todo", depth: this.depth, todo: listToStrings(node) });
      if (node === null) {
        if (this.verbose >= 3) this.log.add({ level: 3, event: "done", depth: this.depth });
        return this.finish(this.plan.slice());
      }
      const item = node.item;
      const rest = node.next;
      this.checkBounds(item);
      let failed = false;
      if (isTask(item)) {
        const name = item[0];
        const action = this.domain.actions.get(name);
        if (action !== undefined) {
          if (this.applyAction(item, action, undefined, null)) {
            this.node = rest;
            this.depth++;
            continue;
          }
          failed = true;
        } else {
          const taskMethods = this.domain.taskMethods.get(name);
          if (taskMethods !== undefined) {
            this.pushChoice(TASK, item, taskMethods, rest);
          } else {
            const goalMethods = this.domain.unigoalMethods.get(name);
            if (goalMethods === undefined) throw unknownItem(item, this.depth);
            if (item.length !== 3) {
              throw new EnsoulError("INVALID_ARGUMENT", `depth ${this.depth}: goal ${itemToString(item)} must be [variable, argument, value]`);
            }
            if (this.state.get(name, item[1] as Arg) === item[2]) {
              if (this.verbose >= 3) this.log.add({ level: 3, event: "already_achieved", depth: this.depth, item: itemToString(item) });
              this.node = rest;
              this.depth++;
              continue;
            }
            this.pushChoice(UNIGOAL, item, goalMethods, rest);
          }
        }
      } else if (item instanceof Multigoal) {
        this.pushChoice(MULTIGOAL, item, this.domain.multigoalMethods, rest);
      } else if (item instanceof Verification) {
        this.verify(item);
        this.node = rest;
        this.depth++;
        continue;
      } else if (item instanceof Annotated) {
        if (this.annotated(item, rest)) continue;
        failed = true;
      } else if (item instanceof ScopeEnd) {
        const ok = this.getTimeline().close(item.startPoint, item.label, item.time);
        if (this.verbose >= 3) this.log.add({ level: 3, event: "constraint", depth: this.depth, item: item.label, kind: "time", ok });
        if (ok) {
          this.node = rest;
          continue;
        }
        failed = true;
      } else {
        throw unknownItem(item, this.depth);
      }

      // ---- refine the newest choice point, backtracking to older ones while methods run out
      if (failed && this.top === 0) return this.finish(false);
      for (;;) {
        const f = this.frames[this.top - 1]!;
        if (this.tryMethods(f)) break;
        if (this.verbose >= 3) this.log.add({ level: 3, event: "exhausted", depth: f.depth, item: itemToString(f.item) });
        this.top--;
        if (this.top === 0) return this.finish(false);
      }
    }
  }

  /**
   * GTPyhop's `_m_verify_g` / `_m_verify_mg`: a goal method that did not achieve its goal is an
   * error. Nested multigoal methods stack up verifications of the same multigoal with no action
   * between them; a check already passed on the same state version is not redone.
   */
  private verify(v: Verification): void {
    const state = this.state;
    const log = this.log;
    if (v.multigoal === null) {
      if (state.get(v.varName, v.arg) !== v.value) {
        throw new EnsoulError("FAILED_PRECONDITION", `depth ${v.depth}: method ${v.method} didn't achieve goal ${goalToString(v.varName, v.arg, v.value)}`);
      }
      if (log.level >= 3) log.add({ level: 3, event: "verified", depth: v.depth, method: v.method, goal: goalToString(v.varName, v.arg, v.value) });
      return;
    }
    if (!(this.verifiedGoal === v.multigoal && this.verifiedVersion === state.version)) {
      if (!allGoalsHold(state, v.multigoal)) {
        throw new EnsoulError("FAILED_PRECONDITION", `depth ${v.depth}: method ${v.method} didn't achieve <Multigoal ${v.multigoal.name}>`);
      }
      this.verifiedGoal = v.multigoal;
      this.verifiedVersion = state.version;
    }
    if (log.level >= 3) log.add({ level: 3, event: "verified", depth: v.depth, method: v.method, goal: `<Multigoal ${v.multigoal.name}>` });
  }

  /** Ends the undo log after an error, so the working state is left as it is. */
  abandon(): void {
    this.state.endTrail();
  }
}

/**
 * Finds a plan for `todo` from `state` in `domain` (GTPyhop's `find_plan`), with the outcome's
 * details: plan id, final state, counts and trace. Throws EnsoulError when a bound is hit
 * (RESOURCE_EXHAUSTED for maxDepth/maxExpansions, DEADLINE_EXCEEDED for timeoutMs), when the
 * todo list holds something the domain does not know, or when a goal method fails verification.
 */
export function seekPlan(domain: Domain, initial: State, todo: readonly TodoItem[], options: SearchOptions = {}): PlanOutcome {
  if (!Array.isArray(todo)) throw new EnsoulError("INVALID_ARGUMENT", "todo must be a list of tasks, goals and multigoals", { field: "todo" });
  const search = new PlanSearch(domain, initial, todo, options);
  try {
    return search.run();
  } catch (err) {
    search.abandon();
    if (err instanceof EnsoulError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new EnsoulError("INTERNAL", `domain ${domain.name}: ${search.calling} threw: ${message}`, { cause: err });
  }
}

function unknownItem(item: unknown, depth: number): EnsoulError {
  const shown = Array.isArray(item) || item instanceof Multigoal ? itemToString(item as TodoItem) : JSON.stringify(item) ?? String(item);
  return new EnsoulError("INVALID_ARGUMENT", `depth ${depth}: ${shown} isn't an action, task, unigoal, or multigoal`, { field: "todo" });
}

/** GTPyhop's `find_plan`: the plan (possibly empty) or `false` when there is none. */
export function findPlan(domain: Domain, state: State, todo: readonly TodoItem[], options: SearchOptions = {}): Plan | false {
  return seekPlan(domain, state, todo, options).plan;
}

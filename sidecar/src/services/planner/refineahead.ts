/**
 * `runLazyRefineahead`, the actor godot-goal-task-planner adds beside GTPyhop's lazy lookahead:
 * refine the todo list only as far as the next action, perform that action in the world at once,
 * and go on. When an action fails in the world, it is blacklisted (that action with those
 * arguments is not tried again in this run) and only the failed part is refined again: the
 * search backtracks to the nearest task or goal in the solution graph that has a method left
 * and tries it from the world's *current* state (what was done cannot be undone), instead of
 * replanning everything as `runLazyLookahead` does.
 *
 * The solution graph is explicit and returned: one node per todo item refined, with its parent,
 * the method used and its status, for a debugger to draw.
 */
import { EnsoulError } from "../../lib/errors.js";
import { Alternatives, Annotated, type Domain, type Named, type Plan, type Task, type TodoItem } from "./domain.js";
import { defaultActor, type Actor } from "./lookahead.js";
import { allGoalsHold, Multigoal, type Arg, type State } from "./state.js";
import { itemToString } from "./trace.js";

export type NodeStatus = "open" | "done" | "failed";

export interface RefinementNode {
  id: number;
  parent: number | null;
  item: string;
  kind: "task" | "unigoal" | "multigoal" | "action";
  /** The method that refined it (the last one tried), for tasks and goals. */
  method: string | null;
  status: NodeStatus;
}

export interface RefineaheadOptions {
  act?: Actor;
  /** How many action failures to tolerate before giving up (default 10). */
  maxFailures?: number;
  /** Most todo items to process in all (default 100,000). */
  maxExpansions?: number;
}

export interface RefineaheadOutcome {
  status: "achieved" | "failed" | "gave_up";
  state: State;
  performed: Plan;
  failures: number;
  /** Actions blacklisted after failing, as `[name, ...args]`. */
  blacklisted: Plan;
  graph: RefinementNode[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMethod = Named<(state: State, ...args: any[]) => unknown>;

/** A pending todo item, linked to the graph node of the task or goal that produced it. */
interface Pending {
  item: TodoItem | Check;
  parent: number | null;
  next: Pending | null;
}

/** After a goal method's subgoals: the goal (or multigoal) must hold, or the method failed. */
class Check {
  constructor(readonly node: number, readonly goal: Task | Multigoal) {}
}

interface Choice {
  node: number;
  item: Task | Multigoal;
  kind: "task" | "unigoal" | "multigoal";
  methods: AnyMethod[];
  next: number;
  alts: Iterator<readonly TodoItem[]> | null;
  altsName: string;
  rest: Pending | null;
  parent: number | null;
}

const key = (t: Task) => JSON.stringify(t);

export async function runLazyRefineahead(domain: Domain, initial: State, todo: readonly TodoItem[], options: RefineaheadOptions = {}): Promise<RefineaheadOutcome> {
  const act = options.act ?? defaultActor(domain);
  const maxFailures = options.maxFailures ?? 10;
  const maxExpansions = options.maxExpansions ?? 100_000;
  let state = initial.copy(initial.name);
  const graph: RefinementNode[] = [];
  const performed: Plan = [];
  const blacklisted = new Map<string, Task>();
  const choices = new Map<number, Choice>(); // by graph node
  let failures = 0;
  let expansions = 0;

  const addNode = (item: TodoItem, parent: number | null, kind: RefinementNode["kind"]): number => {
    graph.push({ id: graph.length, parent, item: itemToString(item), kind, method: null, status: "open" });
    return graph.length - 1;
  };
  const list = (items: readonly TodoItem[], parent: number | null, tail: Pending | null): Pending | null => {
    let p = tail;
    for (let i = items.length - 1; i >= 0; i--) p = { item: items[i]!, parent, next: p };
    return p;
  };
  const finish = (status: RefineaheadOutcome["status"]): RefineaheadOutcome => ({
    status, state, performed, failures, blacklisted: [...blacklisted.values()], graph,
  });

  /** Next refinement of choice `c` on the current state, or null when its methods are used up. */
  const refine = (c: Choice): readonly TodoItem[] | null => {
    state.setReadOnly("(refining)");
    try {
      for (;;) {
        if (c.alts !== null) {
          const r = c.alts.next();
          if (r.done !== true) {
            graph[c.node]!.method = c.altsName;
            return r.value;
          }
          c.alts = null;
        }
        if (c.next >= c.methods.length) return null;
        const m = c.methods[c.next++]!;
        const t = c.item;
        const sub = c.kind === "multigoal" ? m.fn(state, t) : c.kind === "unigoal" ? m.fn(state, (t as Task)[1], (t as Task)[2]) : m.fn(state, ...(t as Task).slice(1));
        if (sub instanceof Alternatives) {
          c.alts = sub.refinements;
          c.altsName = m.name;
          continue;
        }
        if (sub === false || sub === null || sub === undefined) continue;
        if (!Array.isArray(sub)) throw new EnsoulError("INVALID_ARGUMENT", `method ${m.name} returned ${typeof sub}; a method returns a list of tasks and goals, or false`);
        graph[c.node]!.method = m.name;
        return sub as readonly TodoItem[];
      }
    } finally {
      state.setReadOnly(null);
    }
  };

  /** Starts refining `c`; returns the todo list to go on with, or null when no method applies. */
  const open = (c: Choice): Pending | null | false => {
    const sub = refine(c);
    if (sub === null) return false;
    const check = c.kind === "task" ? c.rest : { item: new Check(c.node, c.item), parent: c.parent, next: c.rest };
    return list(sub, c.node, check);
  };

  /** What was refined under node `id` is abandoned: its open nodes fail. */
  const failDescendants = (id: number): void => {
    for (let i = id + 1; i < graph.length; i++) {
      const n = graph[i]!;
      if (n.status !== "open") continue;
      let a = n.parent;
      while (a !== null && a !== id) a = graph[a]!.parent;
      if (a === id) n.status = "failed";
    }
  };

  /**
   * From graph node `from` up through its ancestors: the nearest task or goal with a method left
   * is refined again, on the current state; the others are marked failed. False at the root.
   */
  const backtrack = (from: number | null): Pending | null | false => {
    for (let id = from; id !== null; id = graph[id]!.parent) {
      const c = choices.get(id);
      if (c === undefined) continue;
      failDescendants(id);
      const next = open(c);
      if (next !== false) return next;
      graph[id]!.status = "failed";
    }
    return false;
  };

  let pending: Pending | null = list(todo, null, null);
  for (;;) {
    if (pending === null) {
      for (const n of graph) if (n.status === "open") n.status = "done";
      return finish("achieved");
    }
    if (++expansions > maxExpansions) {
      throw new EnsoulError("RESOURCE_EXHAUSTED", `refinement stopped: maxExpansions (${maxExpansions}) reached`, { field: "maxExpansions" });
    }
    const { item: raw, parent, next: rest } = pending;
    let ok = true;
    let failedAt: number | null = parent; // where backtracking starts when this item fails
    let resumed: Pending | null | false | undefined;
    const item = raw instanceof Annotated ? raw.item : raw; // acting ignores plan-time annotations
    if (item instanceof Check) {
      const g = item.goal;
      ok = g instanceof Multigoal ? allGoalsHold(state, g) : state.get(g[0], g[1] as Arg) === g[2];
      if (ok) graph[item.node]!.status = "done";
      failedAt = item.node;
      pending = rest;
    } else if (item instanceof Multigoal) {
      const node = addNode(item, parent, "multigoal");
      const c: Choice = { node, item, kind: "multigoal", methods: domain.multigoalMethods, next: 0, alts: null, altsName: "", rest, parent };
      choices.set(node, c);
      resumed = open(c);
      failedAt = node;
    } else if (Array.isArray(item) && typeof item[0] === "string") {
      const t = item as Task;
      const name = t[0];
      if (domain.actions.has(name)) {
        const node = addNode(t, parent, "action");
        if (blacklisted.has(key(t))) ok = false;
        else {
          const after = await act(t, state.copy());
          if (after === false) {
            blacklisted.set(key(t), t);
            failures++;
            ok = false;
          } else {
            state = after;
            performed.push(t);
          }
        }
        graph[node]!.status = ok ? "done" : "failed";
        pending = rest;
      } else if (domain.taskMethods.has(name)) {
        const node = addNode(t, parent, "task");
        const c: Choice = { node, item: t, kind: "task", methods: domain.taskMethods.get(name)!, next: 0, alts: null, altsName: "", rest, parent };
        choices.set(node, c);
        resumed = open(c);
        failedAt = node;
      } else if (domain.unigoalMethods.has(name)) {
        if (state.get(name, t[1] as Arg) === t[2]) {
          pending = rest;
          continue;
        }
        const node = addNode(t, parent, "unigoal");
        const c: Choice = { node, item: t, kind: "unigoal", methods: domain.unigoalMethods.get(name)!, next: 0, alts: null, altsName: "", rest, parent };
        choices.set(node, c);
        resumed = open(c);
        failedAt = node;
      } else {
        throw new EnsoulError("INVALID_ARGUMENT", `${itemToString(t)} isn't an action, task, unigoal, or multigoal`, { field: "todo" });
      }
    } else {
      throw new EnsoulError("INVALID_ARGUMENT", `${JSON.stringify(item)} isn't an action, task, unigoal, or multigoal`, { field: "todo" });
    }
    if (resumed === false) ok = false; // a task or goal no method applies to
    else if (resumed !== undefined) pending = resumed;
    if (ok) continue;
    if (failures > maxFailures) return finish("gave_up");
    const again = backtrack(failedAt);
    if (again === false) return finish("failed");
    pending = again;
  }
}

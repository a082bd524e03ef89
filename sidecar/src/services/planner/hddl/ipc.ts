/**
 * Plans in the IPC 2020 hierarchical track's output format:
 *
 *   ==>
 *   0 drive truck_0 city_loc_2 city_loc_1
 *   ...
 *   root 7 12
 *   7 deliver package_0 city_loc_0 -> m_deliver_ordering_0 8 9 10 11
 *   <==
 *
 * Primitive actions first (numbered in plan order), then `root` with the top-level tasks, then
 * one line per decomposed task with its method and the ids of its subtasks.
 */
import { EnsoulError } from "../../../lib/errors.js";
import type { Plan } from "../domain.js";
import { ENTER, EXIT, GOAL, TOP } from "./compile.js";

export interface DecompositionNode {
  id: number;
  task: string[]; // name and arguments
  method: string | null; // null: a primitive action
  children: number[];
}

export interface Decomposition {
  /** The primitive actions in order (ids 0..n-1). */
  actions: string[][];
  nodes: Map<number, DecompositionNode>;
  root: number[];
}

/** Reads the decomposition the `__enter`/`__exit` markers recorded in a plan from compileHddl's domain. */
export function decomposition(plan: Plan): Decomposition {
  const actions: string[][] = [];
  for (const step of plan) if (step[0] !== ENTER && step[0] !== EXIT && step[0] !== GOAL) actions.push(step.map(String));
  const nodes = new Map<number, DecompositionNode>();
  actions.forEach((a, i) => nodes.set(i, { id: i, task: a, method: null, children: [] }));
  let nextId = actions.length;
  let actionId = 0;
  const root: number[] = [];
  const stack: DecompositionNode[] = [];
  // The task network's own binding method (TOP) is no task: its children are the root's.
  const top: DecompositionNode = { id: -1, task: [], method: TOP, children: root };
  for (const step of plan) {
    const name = step[0];
    if (name === GOAL) continue;
    if (name === ENTER && step[1] === TOP) {
      stack.push(top);
    } else if (name === ENTER) {
      const node: DecompositionNode = { id: nextId++, task: step.slice(2).map(String), method: String(step[1]), children: [] };
      (stack.length > 0 ? stack[stack.length - 1]!.children : root).push(node.id);
      nodes.set(node.id, node);
      stack.push(node);
    } else if (name === EXIT) {
      if (stack.pop() === undefined) throw new EnsoulError("INTERNAL", "plan markers are unbalanced");
    } else {
      (stack.length > 0 ? stack[stack.length - 1]!.children : root).push(actionId++);
    }
  }
  if (stack.length > 0) throw new EnsoulError("INTERNAL", "plan markers are unbalanced");
  return { actions, nodes, root };
}

export function formatIpcPlan(d: Decomposition): string {
  const lines = ["==>"];
  d.actions.forEach((a, i) => lines.push(`${i} ${a.join(" ")}`));
  lines.push(`root ${d.root.join(" ")}`.trimEnd());
  for (const n of d.nodes.values()) {
    if (n.method === null) continue;
    lines.push(`${n.id} ${n.task.join(" ")} -> ${n.method}${n.children.length > 0 ? " " + n.children.join(" ") : ""}`);
  }
  lines.push("<==");
  return lines.join("\n") + "\n";
}

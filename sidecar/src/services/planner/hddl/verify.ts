/**
 * A verifier of total-order HDDL plans, written from HDDL's semantics (not from any planner):
 *   1. the primitive actions, replayed from `:init`, are each applicable (types, precondition);
 *   2. the `:goal`, if any, holds at the end;
 *   3. the decomposition is a tree whose root children are the initial tasks, in order; every
 *      decomposed task is refined by a method of that task whose subtasks, under one binding of
 *      the method's parameters (typed), are exactly the node's children in order, and whose
 *      precondition holds in the state where the node begins; every action is used once, and the
 *      leaves in order are the plan.
 * Returns the problems found (empty: the plan is valid).
 */
import { EnsoulError } from "../../../lib/errors.js";
import type { State } from "../state.js";
import { applyAction, hddlWorld, withTypes, type Env, type Logic } from "./compile.js";
import type { Decomposition, DecompositionNode } from "./ipc.js";
import type { HddlDomain, HddlProblem, Method } from "./parse.js";

/** Reads a plan in the IPC format (see ipc.ts). */
export function parseIpcPlan(text: string): Decomposition {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith(";"));
  const start = lines.indexOf("==>");
  const end = lines.indexOf("<==");
  if (start < 0 || end < start) throw new EnsoulError("INVALID_ARGUMENT", "an IPC plan is framed by ==> and <==", { field: "plan" });
  const actions: string[][] = [];
  const nodes = new Map<number, DecompositionNode>();
  let root: number[] = [];
  for (const line of lines.slice(start + 1, end)) {
    const words = line.split(/\s+/);
    if (words[0] === "root") {
      root = words.slice(1).map(Number);
      continue;
    }
    const id = Number(words[0]);
    if (!Number.isInteger(id) || id < 0) throw new EnsoulError("INVALID_ARGUMENT", `bad plan line: ${line}`, { field: "plan" });
    const arrow = words.indexOf("->");
    if (arrow < 0) {
      actions[id] = words.slice(1);
      nodes.set(id, { id, task: words.slice(1), method: null, children: [] });
    } else {
      nodes.set(id, { id, task: words.slice(1, arrow), method: words[arrow + 1] ?? "", children: words.slice(arrow + 2).map(Number) });
    }
  }
  return { actions, nodes, root };
}

/** Unifies a method's task/subtask terms with ground words, extending `env`; false on a clash. */
function unify(terms: readonly string[], words: readonly string[], env: Env, logic: Logic, types: Map<string, string>): boolean {
  if (terms.length !== words.length) return false;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    const w = words[i]!;
    if (!t.startsWith("?")) {
      if (t !== w) return false;
      continue;
    }
    const bound = env.get(t);
    if (bound !== undefined) {
      if (bound !== w) return false;
    } else {
      if (!logic.universe.isA(w, types.get(t) ?? "object")) return false;
      env.set(t, w);
    }
  }
  return true;
}

export function verifyHddlPlan(d: HddlDomain, p: HddlProblem, plan: Decomposition): string[] {
  const problems: string[] = [];
  const { logic, initial } = hddlWorld(d, p);

  // 1. replay, remembering the state before each action (and after the last)
  const states: State[] = [];
  let state = initial();
  plan.actions.forEach((a, i) => {
    states.push(state.copy(`before_${i}`));
    const action = d.actions.get(a[0] ?? "");
    if (action === undefined) problems.push(`action ${i}: ${a[0]} is not an action of the domain`);
    else if (!applyAction(logic, action, state, a.slice(1))) problems.push(`action ${i}: (${a.join(" ")}) is not applicable`);
  });
  states.push(state);
  if (problems.length > 0) return problems;

  // 2. the goal
  if (!logic.holds(p.goal, new Map(), new Map(), state)) problems.push("the goal does not hold after the plan");

  // 3. the decomposition
  const used = new Set<number>();
  let nextLeaf = 0;
  const visit = (id: number, expected: { name: string; args: string[] } | null): void => {
    const node = plan.nodes.get(id);
    if (node === undefined) {
      problems.push(`node ${id} is missing`);
      return;
    }
    if (used.has(id)) {
      problems.push(`node ${id} is used twice`);
      return;
    }
    used.add(id);
    if (expected !== null && (node.task[0] !== expected.name || node.task.slice(1).join(" ") !== expected.args.join(" "))) {
      problems.push(`node ${id} is (${node.task.join(" ")}), expected (${expected.name} ${expected.args.join(" ")})`);
    }
    if (node.method === null) {
      if (id !== nextLeaf) problems.push(`action ${id} comes out of order (expected action ${nextLeaf} here)`);
      nextLeaf = id + 1;
      return;
    }
    const startsAt = nextLeaf;
    const method = d.methods.find((m) => m.name === node.method);
    if (method === undefined || method.task.name !== node.task[0]) {
      problems.push(`node ${id}: ${node.method} is not a method for ${node.task[0]}`);
      return;
    }
    if (method.subtasks.length !== node.children.length) {
      problems.push(`node ${id}: ${method.name} has ${method.subtasks.length} subtasks, the plan gives ${node.children.length}`);
      return;
    }
    const childTasks = node.children.map((c) => plan.nodes.get(c)?.task ?? []);
    const env = bindMethod(logic, method, node.task, childTasks);
    if (env === null) {
      problems.push(`node ${id}: no binding of ${method.name}'s parameters matches its task and subtasks`);
      return;
    }
    const types = withTypes(new Map(), method.params);
    if (!logic.holds(method.pre, env, types, states[startsAt]!)) problems.push(`node ${id}: the precondition of ${method.name} does not hold where it starts`);
    node.children.forEach((c) => visit(c, null));
  };
  if (plan.root.length !== p.tasks.length) problems.push(`root has ${plan.root.length} tasks, the problem ${p.tasks.length}`);
  // The root tasks must be the task network's, under one binding of its parameters.
  const topTypes = withTypes(new Map(), p.htnParams);
  const topEnv: Env = new Map();
  plan.root.forEach((id, i) => {
    const t = p.tasks[i];
    const node = plan.nodes.get(id);
    if (t !== undefined && node !== undefined && !(node.task[0] === t.name && unify(t.args, node.task.slice(1), topEnv, logic, topTypes))) {
      problems.push(`root task ${i} is (${node.task.join(" ")}), which does not match the problem's (${t.name} ${t.args.join(" ")})`);
    }
    visit(id, null);
  });
  if (nextLeaf !== plan.actions.length) problems.push(`the decomposition reaches ${nextLeaf} of ${plan.actions.length} actions`);
  for (const id of plan.nodes.keys()) if (!used.has(id)) problems.push(`node ${id} is not in the decomposition`);
  return problems;
}

/** The binding of `m`'s parameters that its task and subtasks force (null when they clash). */
function bindMethod(logic: Logic, m: Method, task: string[], children: string[][]): Env | null {
  const types = withTypes(new Map(), m.params);
  const env: Env = new Map();
  if (!unify(m.task.args, task.slice(1), env, logic, types)) return null;
  for (let i = 0; i < children.length; i++) {
    const s = m.subtasks[i]!;
    const c = children[i]!;
    if (c[0] !== s.name || !unify(s.args, c.slice(1), env, logic, types)) return null;
  }
  return env;
}

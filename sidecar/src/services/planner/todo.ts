/**
 * The todo list as the search keeps it: a linked list whose cells share tails (prepending a
 * method's subtasks costs their number, not the list's length), and the two kinds of item the
 * search adds itself: goal verifications (GTPyhop's `_verify_g` / `_verify_mg`) and the ends of
 * timed intervals.
 */
import type { Task, TimeSpec, TodoItem } from "./domain.js";
import type { Arg, Multigoal, State, Value } from "./state.js";
import { itemToString } from "./trace.js";

/** GTPyhop's `_verify_g` / `_verify_mg` tasks, kept apart from user tasks. */
export class Verification {
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
export class ScopeEnd {
  constructor(readonly startPoint: number, readonly time: TimeSpec, readonly label: string) {}

  toString(): string {
    return `(_end_of, ${this.label})`;
  }
}

export type Item = TodoItem | Verification | ScopeEnd;

/** A cell of the todo list; lists share their tails. */
export interface TodoNode {
  item: Item;
  next: TodoNode | null;
}

export function toList(items: readonly Item[], tail: TodoNode | null): TodoNode | null {
  let node = tail;
  for (let i = items.length - 1; i >= 0; i--) node = { item: items[i]!, next: node };
  return node;
}

export function listToStrings(node: TodoNode | null): string[] {
  const out: string[] = [];
  for (; node !== null; node = node.next) out.push(itemToString(node.item));
  return out;
}

export function isTask(item: unknown): item is Task {
  return Array.isArray(item) && item.length > 0 && typeof item[0] === "string";
}

/** Calls a function with the state and the task's arguments, without spreading for short tasks. */
export function callWithArgs(fn: (state: State, ...args: never[]) => unknown, state: State, t: Task): unknown {
  const f = fn as (...a: unknown[]) => unknown;
  switch (t.length) {
    case 1: return f(state);
    case 2: return f(state, t[1]);
    case 3: return f(state, t[1], t[2]);
    case 4: return f(state, t[1], t[2], t[3]);
    default: return f(state, ...t.slice(1));
  }
}

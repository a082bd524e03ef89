/**
 * GTPyhop's `verbose` levels as data: instead of printing, the planner records events that a
 * debugger can show or a test can read. Level 1: the call and its result; level 2: the todo list
 * at every step; level 3: every action tried, every method tried, every goal verified.
 * Items are rendered as strings so a trace is plain JSON.
 */
import { Annotated, type TodoItem } from "./domain.js";
import { Multigoal } from "./state.js";

export type VerboseLevel = 0 | 1 | 2 | 3;

export type TraceEvent =
  | { level: 1; event: "find_plan"; state: string; todo: string[] }
  | { level: 1; event: "result"; plan: string[] | false }
  | { level: 2; event: "todo"; depth: number; todo: string[] }
  | { level: 3; event: "action"; depth: number; item: string; applied: boolean }
  | { level: 3; event: "methods"; depth: number; item: string; methods: string[] }
  | { level: 3; event: "method"; depth: number; item: string; method: string; applicable: boolean; subtasks?: string[] }
  | { level: 3; event: "already_achieved"; depth: number; item: string }
  | { level: 3; event: "verified"; depth: number; method: string; goal: string }
  | { level: 3; event: "exhausted"; depth: number; item: string }
  | { level: 3; event: "constraint"; depth: number; item: string; kind: "time" | "entities"; ok: boolean }
  | { level: 3; event: "done"; depth: number };

/** A printable form of a todo item: `(pickup, a)`, `<Multigoal goal1>`. */
export function itemToString(item: TodoItem | { toString(): string }): string {
  if (item instanceof Multigoal) return `<Multigoal ${item.name}>`;
  if (item instanceof Annotated) {
    const notes = [item.time ? `time ${JSON.stringify(item.time)}` : "", item.requires ? `requires ${JSON.stringify(item.requires)}` : ""].filter(Boolean);
    return `${itemToString(item.item)} @ ${notes.join(", ")}`;
  }
  if (Array.isArray(item)) return `(${item.map((x: unknown) => (x instanceof Multigoal ? `<Multigoal ${x.name}>` : String(x))).join(", ")})`;
  return String(item);
}

/** Collects events up to a cap, so a verbose run over a huge problem cannot exhaust memory. */
export class TraceLog {
  readonly events: TraceEvent[] = [];
  truncated = false;
  constructor(readonly level: VerboseLevel, private readonly maxEvents: number) {}

  add(e: TraceEvent): void {
    if (this.events.length < this.maxEvents) this.events.push(e);
    else this.truncated = true;
  }
}

/**
 * States, todo lists and plans as JSON, the way they travel over the wire:
 *   state  { "loc": { "alice": "home" }, "pos": [[1, "table"], [2, 1]], "flag": 3 }
 *          (a variable is an object, a list of [argument, value] pairs where arguments are
 *          numbers, or one value for a variable without arguments)
 *   todo   [ ["travel", "alice", "park"], { "multigoal": "g1", "vars": { "pos": { "a": "b" } } } ]
 *   plan   [ ["walk", "alice", "home", "park"], ... ]
 */
import { EnsoulError } from "../../lib/errors.js";
import { Annotated, type EntityRequirement, type Plan, type TaskArg, type TimeSpec, type TodoItem } from "./domain.js";
import { Multigoal, SCALAR_ARG, State, type Arg, type Value } from "./state.js";

function isValue(v: unknown): v is Value {
  return v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One variable: `{arg: value}`, `[[arg, value], ...]` or a bare value (argument ""). */
export function variableFromJson(v: unknown, field: string): Map<Arg, Value> {
  const bad = (why: string) => new EnsoulError("INVALID_ARGUMENT", `${field}: ${why}`, { field });
  if (isValue(v)) return new Map([[SCALAR_ARG, v]]);
  if (Array.isArray(v)) {
    const m = new Map<Arg, Value>();
    v.forEach((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw bad(`entry ${i} must be an [argument, value] pair`);
      const [arg, value] = pair as unknown[];
      if (!(typeof arg === "string" || (typeof arg === "number" && Number.isFinite(arg)))) throw bad(`entry ${i}: an argument is a string or a number`);
      if (!isValue(value)) throw bad(`entry ${i}: a value is a string, number, boolean or null`);
      m.set(arg, value);
    });
    return m;
  }
  if (isPlainObject(v)) {
    const m = new Map<Arg, Value>();
    for (const [arg, value] of Object.entries(v)) {
      if (!isValue(value)) throw bad(`${arg}: a value is a string, number, boolean or null`);
      m.set(arg, value);
    }
    return m;
  }
  throw bad("a variable is an object, a list of [argument, value] pairs, or a value");
}

function bindingsFromJson(doc: unknown, field: string): Map<string, Map<Arg, Value>> {
  if (!isPlainObject(doc)) throw new EnsoulError("INVALID_ARGUMENT", `${field} must be an object of state variables`, { field });
  const vars = new Map<string, Map<Arg, Value>>();
  for (const [name, v] of Object.entries(doc)) vars.set(name, variableFromJson(v, `${field}.${name}`));
  return vars;
}

export function stateFromJson(doc: unknown, name = "state", field = "state"): State {
  return new State(name, bindingsFromJson(doc, field));
}

export function multigoalFromJson(doc: unknown, field = "multigoal"): Multigoal {
  if (!isPlainObject(doc) || typeof doc.multigoal !== "string") {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} must be { "multigoal": name, "vars": {...} }`, { field });
  }
  return new Multigoal(doc.multigoal, bindingsFromJson(doc.vars ?? {}, `${field}.vars`));
}

const TIME_KEYS = ["startUs", "endUs", "durationUs"] as const;

/** `{ "startUs": n, "endUs": n, "durationUs": n }`, each optional, microseconds as safe integers. */
function timeSpecFromJson(doc: unknown, field: string): TimeSpec {
  if (!isPlainObject(doc)) throw new EnsoulError("INVALID_ARGUMENT", `${field} must be an object`, { field });
  const out: TimeSpec = {};
  for (const [k, v] of Object.entries(doc)) {
    if (!(TIME_KEYS as readonly string[]).includes(k)) throw new EnsoulError("INVALID_ARGUMENT", `${field}.${k}: unknown; use ${TIME_KEYS.join(", ")}`, { field: `${field}.${k}` });
    if (!Number.isSafeInteger(v) || (k === "durationUs" && (v as number) < 0)) {
      throw new EnsoulError("INVALID_ARGUMENT", `${field}.${k} must be a whole number of microseconds${k === "durationUs" ? ", not negative" : ""}`, { field: `${field}.${k}` });
    }
    out[k as keyof TimeSpec] = v as number;
  }
  return out;
}

/** `[{ "type": "robot", "capabilities": ["cleaning"] }, ...]` */
function requirementsFromJson(doc: unknown, field: string): EntityRequirement[] {
  const bad = () => new EnsoulError("INVALID_ARGUMENT", `${field} must be a list of { type, capabilities: [...] }`, { field });
  if (!Array.isArray(doc)) throw bad();
  return doc.map((r) => {
    if (!isPlainObject(r) || typeof r.type !== "string" || !Array.isArray(r.capabilities) || !r.capabilities.every((c) => typeof c === "string")) throw bad();
    return { type: r.type, capabilities: r.capabilities as string[] };
  });
}

export function todoFromJson(doc: unknown, field = "todo"): TodoItem[] {
  if (!Array.isArray(doc)) throw new EnsoulError("INVALID_ARGUMENT", `${field} must be a list`, { field });
  return doc.map((item, i) => todoItemFromJson(item, `${field}[${i}]`));
}

/** One todo item; `{ "item": ..., "time": {...}, "requires": [...] }` annotates another. */
function todoItemFromJson(item: unknown, f: string): TodoItem {
  if (isPlainObject(item) && "item" in item) {
    const inner = todoItemFromJson(item.item, `${f}.item`);
    if (inner instanceof Annotated) throw new EnsoulError("INVALID_ARGUMENT", `${f}.item cannot be annotated twice`, { field: `${f}.item` });
    const time = item.time === undefined ? undefined : timeSpecFromJson(item.time, `${f}.time`);
    const requires = item.requires === undefined ? undefined : requirementsFromJson(item.requires, `${f}.requires`);
    return new Annotated(inner, time, requires);
  }
  if (isPlainObject(item)) return multigoalFromJson(item, f);
  if (!Array.isArray(item) || item.length === 0 || typeof item[0] !== "string") {
    throw new EnsoulError("INVALID_ARGUMENT", `${f} must be [name, args...] or a multigoal`, { field: f });
  }
  const args = item.slice(1).map((a: unknown, j): TaskArg => {
    if (isValue(a)) return a;
    if (isPlainObject(a)) return multigoalFromJson(a, `${f}[${j + 1}]`);
    throw new EnsoulError("INVALID_ARGUMENT", `${f}[${j + 1}] must be a value or a multigoal`, { field: `${f}[${j + 1}]` });
  });
  return [item[0], ...args] as const;
}

/** A plan as JSON: each action `[name, args...]` (a multigoal argument becomes its name). */
export function planToJson(plan: Plan): Array<Array<Value>> {
  return plan.map((t) => t.map((x) => (x instanceof Multigoal ? x.name : x)));
}

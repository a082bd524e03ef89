/**
 * Reads the JSON that golden/capture_gtpyhop.py writes while running GTPyhop's examples: states,
 * multigoals and todo lists as GTPyhop had them, and the plans it returned. Python-only shapes
 * map to ours: a dict with non-string keys is `{"__map__": [[key, value], ...]}`, a set is
 * `{"__set__": [...]}` (here: a variable mapping each member to true), a nested dict value
 * (pyhop's `dist[x][y]`) becomes the argument `"x,y"`, and a plain attribute (`state.flag = -1`)
 * lives under the argument "" (SCALAR_ARG).
 */
import { EnsoulError } from "../../lib/errors.js";
import type { Plan, TaskArg, TodoItem } from "./domain.js";
import { planToJson as wirePlan } from "./json_state.js";
import { Multigoal, SCALAR_ARG, State, type Arg, type Value } from "./state.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface GtpyhopCall {
  example: string;
  call: "find_plan" | "run_lazy_lookahead";
  domain: string;
  verbose: number;
  verify_goals?: boolean;
  state: Json;
  todo: Json[];
  result?: Json[] | false;
  error?: string;
  max_tries?: number;
  final_state?: Json;
}

export interface GtpyhopGolden {
  example: string;
  gtpyhop: string;
  calls: GtpyhopCall[];
}

function isObject(x: Json | undefined): x is { [k: string]: Json } {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function scalar(x: Json | undefined, where: string): Value {
  if (x === null || typeof x === "string" || typeof x === "number" || typeof x === "boolean") return x;
  throw new EnsoulError("INVALID_ARGUMENT", `${where}: expected a plain value, got ${JSON.stringify(x)}`);
}

function entriesOf(v: Json, where: string): Array<[Arg, Value]> {
  if (!isObject(v)) return [[SCALAR_ARG, scalar(v, where)]];
  if (Array.isArray(v.__set__)) return v.__set__.map((m) => [scalar(m, where) as Arg, true]);
  if (Array.isArray(v.__map__)) return v.__map__.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new EnsoulError("INVALID_ARGUMENT", `${where}: bad __map__ entry`);
    return [scalar(pair[0], where) as Arg, scalar(pair[1], where)];
  });
  const out: Array<[Arg, Value]> = [];
  for (const [k, val] of Object.entries(v)) {
    if (isObject(val)) for (const [k2, v2] of Object.entries(val)) out.push([`${k},${k2}`, scalar(v2, where)]);
    else out.push([k, scalar(val, where)]);
  }
  return out;
}

function bindings(json: Json, where: string): { name: string; vars: Map<string, Map<Arg, Value>> } {
  if (!isObject(json) || !isObject(json.vars)) throw new EnsoulError("INVALID_ARGUMENT", `${where}: expected { vars: {...} }`);
  const vars = new Map<string, Map<Arg, Value>>();
  for (const [name, v] of Object.entries(json.vars)) vars.set(name, new Map(entriesOf(v, `${where}.${name}`)));
  const name = typeof json.state === "string" ? json.state : typeof json.multigoal === "string" ? json.multigoal : "unnamed";
  return { name, vars };
}

export function stateFromGtpyhop(json: Json): State {
  const b = bindings(json, "state");
  return new State(b.name, b.vars);
}

function taskArg(x: Json): TaskArg {
  return isObject(x) && "multigoal" in x ? multigoalFromGtpyhop(x) : scalar(x, "task argument");
}

export function multigoalFromGtpyhop(json: Json): Multigoal {
  const b = bindings(json, "multigoal");
  return new Multigoal(b.name, b.vars);
}

export function todoFromGtpyhop(todo: Json[]): TodoItem[] {
  return todo.map((item) => {
    if (Array.isArray(item)) return [String(item[0]), ...item.slice(1).map(taskArg)] as const;
    return multigoalFromGtpyhop(item);
  });
}

/** A plan as plain JSON arrays (or false), for comparison with GTPyhop's results. */
export function planToJson(plan: Plan | false): Json[] | false {
  return plan === false ? false : (wirePlan(plan) as Json[]);
}

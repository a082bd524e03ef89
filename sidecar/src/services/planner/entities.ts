/**
 * godot-goal-task-planner's view of a state as predicate–subject–object triples, and its
 * entities with capabilities, on top of our state variables:
 *   - the triple (subject, predicate, object) is the state variable `predicate[subject] = object`;
 *   - an entity's type is `entity_type[entity]`, and its capability c is `capability:c[entity]`
 *     (a name no expression can write by accident), so capabilities change, copy and backtrack
 *     like any other state.
 */
import type { EntityRequirement } from "./domain.js";
import type { Arg, State, Value } from "./state.js";

export const ENTITY_TYPE_VAR = "entity_type";
const CAPABILITY_PREFIX = "capability:";

export function getPredicate(state: State, subject: Arg, predicate: string): Value | undefined {
  return state.get(predicate, subject);
}

export function setPredicate(state: State, subject: Arg, predicate: string, object: Value): State {
  return state.set(predicate, subject, object);
}

export function hasPredicate(state: State, subject: Arg, predicate: string): boolean {
  return state.has(predicate, subject);
}

/** Whether any predicate holds of `subject` (godot's `has_subject_variable`). */
export function hasSubject(state: State, subject: Arg): boolean {
  return state.varNames().some((v) => state.has(v, subject));
}

/** Every subject any predicate holds of, in first-seen order (godot's `get_subject_predicate_list`). */
export function subjects(state: State): Arg[] {
  const seen = new Set<Arg>();
  for (const v of state.varNames()) for (const a of state.args(v)) seen.add(a);
  return [...seen];
}

/** All triples [subject, predicate, object]. */
export function triples(state: State): Array<[Arg, string, Value]> {
  const out: Array<[Arg, string, Value]> = [];
  for (const v of state.varNames()) for (const a of state.args(v)) out.push([a, v, state.get(v, a)!]);
  return out;
}

/** Sets a capability of an entity; the capability "type" sets the entity's type. */
export function setEntityCapability(state: State, entity: string, capability: string, value: Value): State {
  return capability === "type" ? state.set(ENTITY_TYPE_VAR, entity, value) : state.set(CAPABILITY_PREFIX + capability, entity, value);
}

export function getEntityCapability(state: State, entity: string, capability: string): Value | undefined {
  return capability === "type" ? state.get(ENTITY_TYPE_VAR, entity) : state.get(CAPABILITY_PREFIX + capability, entity);
}

/** The entities the state knows (those with a type), in order. */
export function entities(state: State): Arg[] {
  return state.args(ENTITY_TYPE_VAR);
}

export function hasEntity(state: State, entity: string): boolean {
  return state.has(ENTITY_TYPE_VAR, entity);
}

function truthy(v: Value | undefined): boolean {
  return !(v === undefined || v === null || v === false || v === 0 || v === "");
}

/**
 * For each requirement, the first entity (in the state's order) of that type that has every
 * capability asked with a truthy value; null when some requirement has none (as godot's
 * `_match_entities`: requirements may share an entity).
 */
export function matchEntities(state: State, requirements: readonly EntityRequirement[]): Arg[] | null {
  const out: Arg[] = [];
  const types = state.varMap(ENTITY_TYPE_VAR);
  for (const req of requirements) {
    let found: Arg | undefined;
    if (types !== undefined) {
      for (const [entity, type] of types) {
        if (type === req.type && req.capabilities.every((c) => truthy(state.get(CAPABILITY_PREFIX + c, entity)))) {
          found = entity;
          break;
        }
      }
    }
    if (found === undefined) return null;
    out.push(found);
  }
  return out;
}

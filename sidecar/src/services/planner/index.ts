/**
 * The planner service: a hierarchical goal-task-network planner with the semantics of Dana Nau's
 * GTPyhop (see README.md). What other code may use:
 *
 *   - `Domain`, `State`, `Multigoal`: declare a domain in TypeScript, describe a world and goals;
 *   - `findPlan` / `seekPlan`: plan (GTPyhop's find_plan; seekPlan adds id, counts, trace);
 *   - `runLazyLookahead`: plan, act through a callback, replan on failure;
 *   - `runLazyRefineahead`: refine to the next action, act it, re-refine only what failed;
 *   - `planHddl`: total-order HDDL domain + problem → plan in the IPC format;
 *   - `loadJsonDomain` + `stateFromJson` / `todoFromJson` / `planToJson`: the wire forms;
 *   - `Annotated`, `entities`: timing and entity requirements (godot-goal-task-planner's additions);
 *   - `createPlanner`: the factory the gateway calls; it keeps registered domains by id and
 *     applies service-wide search bounds.
 */
import { EnsoulError } from "../../lib/errors.js";
import type { Domain, Plan, TodoItem } from "./domain.js";
import { loadJsonDomain } from "./json_domain.js";
import { planToJson, stateFromJson, todoFromJson } from "./json_state.js";
import { runLazyLookahead, type LookaheadOptions, type LookaheadOutcome } from "./lookahead.js";
import { seekPlan, type PlanOutcome, type SearchOptions } from "./search.js";
import type { State, Value } from "./state.js";
import type { StepInfo } from "./timeline.js";
import type { TraceEvent } from "./trace.js";

export { Alternatives, Annotated, Domain, m_split_multigoal, goalToString } from "./domain.js";
export type { ActionFn, EntityRequirement, MultigoalMethodFn, Named, Plan, Refinement, Task, TaskArg, TaskMethodFn, TimeSpec, TodoItem, UnigoalMethodFn } from "./domain.js";
export * as entities from "./entities.js";
export { loadJsonDomain } from "./json_domain.js";
export type { JsonDomain } from "./json_domain.js";
export { multigoalFromJson, planToJson, stateFromJson, todoFromJson } from "./json_state.js";
export { goalsNotAchieved, Multigoal, SCALAR_ARG, State } from "./state.js";
export type { Arg, BindingsInit, Value, VarMap } from "./state.js";
export { findPlan, seekPlan } from "./search.js";
export type { PlanOutcome, SearchOptions, StepInfo } from "./search.js";
export { defaultActor, runLazyLookahead } from "./lookahead.js";
export { runLazyRefineahead } from "./refineahead.js";
export type { RefineaheadOptions, RefineaheadOutcome, RefinementNode } from "./refineahead.js";
export { parseIpcPlan, planHddl, verifyHddlPlan } from "./hddl/index.js";
export type { Decomposition, HddlPlanResult } from "./hddl/index.js";
export type { Actor, LookaheadOptions, LookaheadOutcome } from "./lookahead.js";
export { itemToString } from "./trace.js";
export type { TraceEvent, VerboseLevel } from "./trace.js";

/** Service-wide limits; a request may ask for less, never for more. */
export interface PlannerLimits {
  maxDepth: number;
  maxExpansions: number;
  timeoutMs: number;
  maxTraceEvents: number;
}

export const DEFAULT_LIMITS: PlannerLimits = {
  maxDepth: 1_000_000,
  maxExpansions: 10_000_000,
  timeoutMs: 10_000,
  maxTraceEvents: 100_000,
};

export interface Planner {
  /** Registers (or replaces) a domain under `id`. */
  putDomain(id: string, domain: Domain): void;
  getDomain(id: string): Domain;
  listDomains(): string[];
  /** Plans in the domain registered as `domain` (or the Domain given) under the service's limits. */
  plan(domain: string | Domain, state: State, todo: readonly TodoItem[], options?: SearchOptions): PlanOutcome;
  /** GTPyhop's find_plan: the plan or false. */
  findPlan(domain: string | Domain, state: State, todo: readonly TodoItem[], options?: SearchOptions): Plan | false;
  runLazyLookahead(domain: string | Domain, state: State, todo: readonly TodoItem[], options?: LookaheadOptions): Promise<LookaheadOutcome>;
  /** Validates a JSON domain document (shared-schema/json/domain.schema.json) and registers it under `id`. */
  putJsonDomain(id: string, doc: unknown): Domain;
  /** Plans with everything in wire form: state and todo as JSON in, the plan as JSON out. */
  planJson(domain: string, state: unknown, todo: unknown, options?: SearchOptions): JsonPlanOutcome;
}

/** A plan outcome in wire form. */
export interface JsonPlanOutcome {
  planId: string;
  plan: Value[][] | false;
  steps: Array<StepInfo | null> | null;
  expansions: number;
  elapsedMs: number;
  trace: TraceEvent[];
}

function clampOptions<T extends SearchOptions>(options: T, limits: PlannerLimits): T {
  const within = (asked: number | undefined, limit: number, field: string): number => {
    if (asked === undefined) return limit;
    if (typeof asked !== "number" || Number.isNaN(asked) || asked < 0) {
      throw new EnsoulError("INVALID_ARGUMENT", `${field} must be a non-negative number`, { field });
    }
    return Math.min(asked, limit);
  };
  return {
    ...options,
    maxDepth: within(options.maxDepth, limits.maxDepth, "maxDepth"),
    maxExpansions: within(options.maxExpansions, limits.maxExpansions, "maxExpansions"),
    timeoutMs: within(options.timeoutMs, limits.timeoutMs, "timeoutMs"),
    maxTraceEvents: within(options.maxTraceEvents, limits.maxTraceEvents, "maxTraceEvents"),
  };
}

/** The planner engine with registered domains kept in memory; `rpc.ts` persists them through a DomainStore and registers them again at start. */
export function createPlanner(limits: Partial<PlannerLimits> = {}): Planner {
  const bounds: PlannerLimits = { ...DEFAULT_LIMITS, ...limits };
  const domains = new Map<string, Domain>();
  const resolve = (d: string | Domain): Domain => {
    if (typeof d !== "string") return d;
    const found = domains.get(d);
    if (found === undefined) throw new EnsoulError("NOT_FOUND", `no domain registered as ${JSON.stringify(d)}`, { field: "domain" });
    return found;
  };
  return {
    putDomain(id, domain) {
      if (typeof id !== "string" || id === "") throw new EnsoulError("INVALID_ARGUMENT", "a domain id must be a non-empty string", { field: "domain" });
      domains.set(id, domain);
    },
    getDomain: (id) => resolve(id),
    listDomains: () => [...domains.keys()],
    plan: (d, state, todo, options = {}) => seekPlan(resolve(d), state, todo, clampOptions(options, bounds)),
    findPlan: (d, state, todo, options = {}) => seekPlan(resolve(d), state, todo, clampOptions(options, bounds)).plan,
    runLazyLookahead: (d, state, todo, options = {}) => runLazyLookahead(resolve(d), state, todo, clampOptions(options, bounds)),
    putJsonDomain(id, doc) {
      const domain = loadJsonDomain(doc);
      this.putDomain(id, domain);
      return domain;
    },
    planJson(d, state, todo, options = {}) {
      const o = seekPlan(resolve(d), stateFromJson(state), todoFromJson(todo), clampOptions(options, bounds));
      return { planId: o.planId, plan: o.plan === false ? false : planToJson(o.plan), steps: o.steps, expansions: o.expansions, elapsedMs: o.elapsedMs, trace: o.trace };
    },
  };
}

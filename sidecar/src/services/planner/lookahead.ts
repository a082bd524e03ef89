/**
 * GTPyhop's actor, `run_lazy_lookahead` (Ghallab, Nau and Traverso, Automated Planning and
 * Acting, 2016): plan, then act the plan one action at a time; when an action fails in the world,
 * plan again from the state the world is in; stop when the plan is empty (done), when no plan
 * exists, or after `maxTries` plans.
 */
import { EnsoulError } from "../../lib/errors.js";
import type { Domain, Plan, Task, TodoItem } from "./domain.js";
import { seekPlan, type PlanOutcome, type SearchOptions } from "./search.js";
import type { State } from "./state.js";

/**
 * Performs `action` in the world, given a copy of the current state it may change: returns the
 * state the world is in afterwards, or false when the action failed.
 */
export type Actor = (action: Task, state: State) => State | false | Promise<State | false>;

export interface LookaheadOptions extends SearchOptions {
  /** How many times to plan at most (GTPyhop's max_tries, default 10). */
  maxTries?: number;
  /** How to act; by default the domain's command `c_<action>`, else the action itself. */
  act?: Actor;
}

export interface LookaheadOutcome {
  /** "achieved": a plan came back empty; "no_plan": the planner found none; "gave_up": maxTries reached. */
  status: "achieved" | "no_plan" | "gave_up";
  /** The state after the last action that succeeded. */
  state: State;
  /** Calls to the planner made. */
  tries: number;
  /** The actions performed successfully, in order. */
  performed: Plan;
  /** Every planner outcome, in order (their ids, counts and traces). */
  outcomes: PlanOutcome[];
}

/** Acting the GTPyhop way: the command `c_<name>` if the domain has one, else the action. */
export function defaultActor(domain: Domain): Actor {
  return (action, state) => {
    const name = action[0];
    const f = domain.commands.get(`c_${name}`) ?? domain.actions.get(name);
    if (f === undefined) throw new EnsoulError("INVALID_ARGUMENT", `no command c_${name} or action ${name} in domain ${domain.name}`);
    const result = f.fn(state, ...action.slice(1));
    return result ? result : false;
  };
}

export async function runLazyLookahead(domain: Domain, state: State, todo: readonly TodoItem[], options: LookaheadOptions = {}): Promise<LookaheadOutcome> {
  const maxTries = options.maxTries ?? 10;
  if (!Number.isInteger(maxTries) || maxTries < 1) throw new EnsoulError("INVALID_ARGUMENT", "maxTries must be a positive integer", { field: "maxTries" });
  const act = options.act ?? defaultActor(domain);
  const outcomes: PlanOutcome[] = [];
  const performed: Plan = [];
  const { planId: _ignored, ...searchOptions } = options;
  for (let tries = 1; tries <= maxTries; tries++) {
    const outcome = seekPlan(domain, state, todo, searchOptions);
    outcomes.push(outcome);
    if (outcome.plan === false) return { status: "no_plan", state, tries, performed, outcomes };
    if (outcome.plan.length === 0) return { status: "achieved", state, tries, performed, outcomes };
    for (const action of outcome.plan) {
      const next = await act(action, state.copy());
      if (next === false) break; // the world did not go along: plan again from here
      state = next;
      performed.push(action);
    }
  }
  return { status: "gave_up", state, tries: maxTries, performed, outcomes };
}

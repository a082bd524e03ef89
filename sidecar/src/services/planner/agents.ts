/**
 * NPC agent sessions: one planner state per agent, kept while the game acts its plan.
 *
 * An agent holds the world as the sidecar believes it (`state`), its todo list and its current
 * plan with the index of the next step the game has not reported. Reports move it along:
 *   - ok: the action is applied to the believed state (as the planner would), then the game's
 *     delta on top; if the delta changed anything, the rest of the plan is replayed on a copy
 *     and, only if some step no longer applies, the agent replans ("state_changed"): lazy, as
 *     GTPyhop's run_lazy_lookahead;
 *   - not ok: the delta is applied (the action is not) and the agent replans ("action_failed");
 *   - a new todo list replans at once ("goal_changed").
 * Every plan goes out through the agent's sink (the AgentOpen stream) before the call that
 * caused it is answered, and each change is saved to the AgentStore.
 */
import type { AgentAck, AgentOpen, AgentPlan, AgentReport, AgentSetGoal } from "../../generated/ensoul_v1.js";
import { EnsoulError } from "../../lib/errors.js";
import type { Domain, Plan, Planner, TodoItem } from "./index.js";
import { planToJson, stateFromJson, todoFromJson } from "./json_state.js";
import type { State } from "./state.js";
import type { AgentStore } from "./stores.js";
import { chooseDomain, parseJsonField, planReply, planWithin, searchOptions, type DomainChoice, type WireSearchOptions } from "./wire.js";

export type AgentReason = "opened" | "action_failed" | "state_changed" | "goal_changed";

/** Applies `action` to a copy of `state` with the domain's action; false when it does not apply. */
function applyAction(domain: Domain, state: State, action: Plan[number]): State | false {
  const fn = domain.actions.get(action[0]);
  if (fn === undefined) return false;
  const copy = state.copy();
  return fn.fn(copy, ...action.slice(1)) ? copy : false;
}

/** Writes every variable of `delta` into `state`; true when some value changed. */
function applyDelta(state: State, delta: State): boolean {
  let changed = false;
  for (const name of delta.varNames()) {
    for (const [arg, value] of delta.varMap(name)!) {
      if (state.get(name, arg) !== value) {
        state.set(name, arg, value);
        changed = true;
      }
    }
  }
  return changed;
}

export class Agent {
  revision = 0;
  plan: Plan | false = false;
  /** Index in `plan` of the next step the game has not reported. */
  nextStep = 0;
  private endStream: () => void = () => undefined;
  /** Settles when the agent is closed or dropped: the AgentOpen stream then ends. */
  readonly ended = new Promise<void>((resolve) => {
    this.endStream = resolve;
  });

  constructor(
    readonly scope: string,
    readonly agentId: string,
    private readonly choice: DomainChoice,
    private state: State,
    private todo: TodoItem[],
    private todoJson: string,
    private readonly options: WireSearchOptions,
    private readonly planner: Planner,
    private readonly sink: (plan: AgentPlan) => void,
    private readonly store: AgentStore,
  ) {}

  /** Plans from the believed state and streams the new revision. */
  replan(reason: AgentReason): void {
    const outcome = planWithin("agentOpen", () => this.planner.plan(this.choice.domain, this.state, this.todo, this.options));
    this.revision++;
    this.plan = outcome.plan;
    this.nextStep = 0;
    this.sink({ agentId: this.agentId, revision: this.revision, plan: planReply(outcome, this.options.verbose), reason });
    this.save();
  }

  report(request: AgentReport): AgentAck {
    const revision = request.revision ?? 0;
    if (revision !== this.revision) {
      throw new EnsoulError("FAILED_PRECONDITION", `agent ${this.agentId} is at plan revision ${this.revision}, not ${revision}`, { field: "agentReport.revision" });
    }
    const step = request.step ?? 0;
    if (this.plan === false || step !== this.nextStep || step >= this.plan.length) {
      const expected = this.plan === false ? "revision has no plan" : this.nextStep >= this.plan.length ? "plan is done" : `next step is ${this.nextStep}`;
      throw new EnsoulError("FAILED_PRECONDITION", `agent ${this.agentId}: step ${step} can't be reported (the ${expected})`, { field: "agentReport.step" });
    }
    const delta = stateFromJson(parseJsonField(request.stateDeltaJson, "agentReport.stateDeltaJson", {}), "delta", "agentReport.stateDeltaJson");
    if (!request.ok) {
      applyDelta(this.state, delta);
      this.replan("action_failed");
      return this.ack(true);
    }
    const action = this.plan[step]!;
    const after = applyAction(this.choice.domain, this.state, action);
    // The game did it even if our model says it couldn't: believe the game and check what's left.
    let diverged = after === false;
    if (after !== false) this.state = after;
    if (applyDelta(this.state, delta)) diverged = true;
    this.nextStep = step + 1;
    if (diverged && !this.restApplies()) {
      this.replan("state_changed");
      return this.ack(true);
    }
    this.save();
    return this.ack(false);
  }

  setGoal(request: AgentSetGoal): AgentAck {
    const field = "agentSetGoal.todoJson";
    this.todo = todoFromJson(parseJsonField(request.todoJson, field, []), field);
    this.todoJson = request.todoJson ?? "";
    this.replan("goal_changed");
    return this.ack(true);
  }

  /** Ends the stream; `forget` also drops the stored snapshot (an explicit close). */
  end(forget: boolean): AgentAck {
    if (forget) this.store.delete(this.scope, this.agentId);
    this.endStream();
    return this.ack(false);
  }

  /** Whether the plan's remaining steps still apply one after another from the believed state. */
  private restApplies(): boolean {
    if (this.plan === false) return false;
    let state: State | false = this.state;
    for (let i = this.nextStep; i < this.plan.length && state !== false; i++) state = applyAction(this.choice.domain, state, this.plan[i]!);
    return state !== false;
  }

  private ack(replanned: boolean): AgentAck {
    return { agentId: this.agentId, replanned, revision: this.revision };
  }

  private save(): void {
    this.store.save({
      scope: this.scope,
      agentId: this.agentId,
      domain: this.choice.ref,
      state: this.state.toJSON(),
      todoJson: this.todoJson,
      revision: this.revision,
      plan: this.plan === false ? false : planToJson(this.plan),
      nextStep: this.nextStep,
      updatedAtMs: Date.now(),
    });
  }
}

/** Every open agent, by scope (one WebSocket connection) and agent id. */
export class AgentSessions {
  private readonly byScope = new Map<string, Map<string, Agent>>();
  private open_ = 0;

  constructor(
    private readonly planner: Planner,
    readonly store: AgentStore,
    private readonly maxAgents = 100_000,
  ) {}

  get openCount(): number {
    return this.open_;
  }

  /** Opens an agent and streams its first plan through `sink` (revision 1, reason "opened"). */
  open(scope: string, request: AgentOpen, sink: (plan: AgentPlan) => void): Agent {
    const agentId = request.agentId ?? "";
    if (agentId === "") throw new EnsoulError("INVALID_ARGUMENT", "agentOpen.agentId must not be empty", { field: "agentOpen.agentId" });
    let agents = this.byScope.get(scope);
    if (agents?.has(agentId)) throw new EnsoulError("ALREADY_EXISTS", `agent ${agentId} is already open on this connection`, { field: "agentOpen.agentId" });
    if (this.open_ >= this.maxAgents) throw new EnsoulError("RESOURCE_EXHAUSTED", `more than ${this.maxAgents} agents open`, { field: "agentOpen" });
    const choice = chooseDomain(this.planner, request, "agentOpen");
    const state = stateFromJson(parseJsonField(request.stateJson, "agentOpen.stateJson", {}), "state", "agentOpen.stateJson");
    const todo = todoFromJson(parseJsonField(request.todoJson, "agentOpen.todoJson", []), "agentOpen.todoJson");
    const options = searchOptions(request.options, "agentOpen.options");
    const agent = new Agent(scope, agentId, choice, state, todo, request.todoJson ?? "", options, this.planner, sink, this.store);
    agent.replan("opened");
    if (agents === undefined) this.byScope.set(scope, (agents = new Map()));
    agents.set(agentId, agent);
    this.open_++;
    return agent;
  }

  get(scope: string, agentId: string | undefined, field: string): Agent {
    const agent = this.byScope.get(scope)?.get(agentId ?? "");
    if (agent === undefined) throw new EnsoulError("NOT_FOUND", `no agent ${JSON.stringify(agentId ?? "")} is open on this connection`, { field });
    return agent;
  }

  /** AgentClose: forgets the agent and ends its stream. */
  close(scope: string, agentId: string | undefined): AgentAck {
    const agent = this.get(scope, agentId, "agentClose.agentId");
    this.remove(agent);
    return agent.end(true);
  }

  /** The client went away: end the stream, keep the snapshot so it could resume. */
  drop(agent: Agent): void {
    if (this.byScope.get(agent.scope)?.get(agent.agentId) !== agent) return;
    this.remove(agent);
    agent.end(false);
  }

  /** Ends every stream (shutdown); snapshots stay. */
  dropAll(): void {
    for (const agents of [...this.byScope.values()]) for (const agent of [...agents.values()]) this.drop(agent);
  }

  private remove(agent: Agent): void {
    const agents = this.byScope.get(agent.scope);
    if (agents?.delete(agent.agentId)) this.open_--;
    if (agents?.size === 0) this.byScope.delete(agent.scope);
  }
}

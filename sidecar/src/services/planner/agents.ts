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
 * caused it is answered, and each change is saved to the AgentStore under the owner (principal)
 * and agent id: the calls change the agent at once and queue the save, in order, on `saved`,
 * which the service awaits before it answers. A client that goes away leaves its snapshot; an AgentOpen with only the agent id
 * resumes it, on any connection of the same owner. AgentClose forgets it.
 */
import type { AgentAck, AgentOpen, AgentPlan, AgentReport, AgentSetGoal } from "../../generated/ensoul_v1.js";
import { EnsoulError } from "../../lib/errors.js";
import type { Domain, Plan, Planner, TodoItem } from "./index.js";
import { loadJsonDomain } from "./json_domain.js";
import { planToJson, stateFromJson, todoFromJson } from "./json_state.js";
import type { State } from "./state.js";
import type { AgentSnapshot, AgentStore } from "./stores.js";
import { chooseDomain, parseJsonField, planReply, planSteps, planWithin, searchOptions, type DomainChoice, type WireSearchOptions } from "./wire.js";

export type AgentReason = "opened" | "resumed" | "action_failed" | "state_changed" | "goal_changed";

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

/** Where an agent lives: its connection (agent ids are unique per connection) and its owner. */
export interface AgentScope {
  connection: string;
  /** The caller's principal: the key its snapshot is stored under, so a reconnect can resume. */
  owner: string;
  /** The caller's project when its token is project-scoped: domains are looked up there first. */
  project?: string;
}

/** Everything an agent starts from: a fresh AgentOpen or a stored snapshot. */
interface AgentInit {
  scope: AgentScope;
  agentId: string;
  choice: DomainChoice;
  state: State;
  todo: TodoItem[];
  todoJson: string;
  options: WireSearchOptions;
}

/** The state in wire form without losing number arguments: such a variable becomes [arg, value] pairs. */
function stateToWire(state: State): AgentSnapshot["state"] {
  const out: AgentSnapshot["state"] = {};
  for (const name of state.varNames()) {
    const m = state.varMap(name)!;
    let allStrings = true;
    for (const arg of m.keys()) if (typeof arg !== "string") allStrings = false;
    out[name] = allStrings ? Object.fromEntries(m) : [...m];
  }
  return out;
}

export class Agent {
  readonly scope: AgentScope;
  readonly agentId: string;
  revision = 0;
  planId = "";
  plan: Plan | false = false;
  /** Index in `plan` of the next step the game has not reported. */
  nextStep = 0;
  private readonly choice: DomainChoice;
  private state: State;
  private todo: TodoItem[];
  private todoJson: string;
  private readonly options: WireSearchOptions;
  private endStream: () => void = () => undefined;
  /** The agent's latest store write; writes run one after another so an older one never lands last. */
  private saving: Promise<void> = Promise.resolve();
  /** Settles when the agent is closed or dropped: the AgentOpen stream then ends. */
  readonly ended = new Promise<void>((resolve) => {
    this.endStream = resolve;
  });

  constructor(
    init: AgentInit,
    private readonly planner: Planner,
    private readonly sink: (plan: AgentPlan) => void,
    private readonly store: AgentStore,
  ) {
    ({ scope: this.scope, agentId: this.agentId, choice: this.choice, state: this.state, todo: this.todo, todoJson: this.todoJson, options: this.options } = init);
  }

  /** Takes up a stored snapshot's plan and place, and streams that plan again (reason "resumed"). */
  resume(snapshot: AgentSnapshot): void {
    this.revision = snapshot.revision;
    this.planId = snapshot.planId;
    this.plan = snapshot.plan === false ? false : (snapshot.plan.map((step) => [String(step[0]), ...step.slice(1)] as const) as Plan);
    this.nextStep = snapshot.nextStep;
    const plan = { planId: this.planId, found: this.plan !== false, steps: planSteps(this.plan) };
    this.sink({ agentId: this.agentId, revision: this.revision, plan, reason: "resumed" });
    this.save();
  }

  /** Plans from the believed state and streams the new revision. */
  replan(reason: AgentReason): void {
    const outcome = planWithin("agentOpen", () => this.planner.plan(this.choice.domain, this.state, this.todo, this.options));
    this.revision++;
    this.planId = outcome.planId;
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
    if (forget) this.queue(() => this.store.delete(this.scope.owner, this.agentId));
    this.endStream();
    return this.ack(false);
  }

  /** Settles when every change made so far is stored (rejects when the latest write failed). */
  get saved(): Promise<void> {
    return this.saving;
  }

  private queue(write: () => Promise<void>): void {
    this.saving = this.saving.catch(() => undefined).then(write); // an earlier failure was its own call's error
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
    const snapshot: AgentSnapshot = {
      owner: this.scope.owner,
      agentId: this.agentId,
      domain: this.choice.ref,
      state: stateToWire(this.state),
      todoJson: this.todoJson,
      revision: this.revision,
      planId: this.planId,
      plan: this.plan === false ? false : planToJson(this.plan),
      nextStep: this.nextStep,
      options: { ...this.options },
      updatedAtMs: Date.now(),
    };
    this.queue(() => this.store.save(snapshot));
  }
}

function resumeKey(scope: AgentScope, agentId: string): string {
  return `${scope.connection}\u0000${agentId}`;
}

/** Every open agent, by connection and agent id. */
export class AgentSessions {
  private readonly byConnection = new Map<string, Map<string, Agent>>();
  /** Resumes waiting on the store, by connection and agent id: calls for that agent wait on them. */
  private readonly resuming = new Map<string, Promise<unknown>>();
  private open_ = 0;

  constructor(
    private readonly planner: Planner,
    readonly store: AgentStore,
    private readonly maxAgents = 100_000,
  ) {}

  get openCount(): number {
    return this.open_;
  }

  /**
   * Opens an agent and streams its first plan through `sink` (revision 1, reason "opened"). An
   * AgentOpen with no domain, state or todo list resumes the owner's stored agent of that id
   * instead: its plan is streamed again under its revision (reason "resumed"). Resolves once the
   * agent's first snapshot is stored.
   */
  async open(scope: AgentScope, request: AgentOpen, sink: (plan: AgentPlan) => void): Promise<Agent> {
    const agentId = request.agentId ?? "";
    if (agentId === "") throw new EnsoulError("INVALID_ARGUMENT", "agentOpen.agentId must not be empty", { field: "agentOpen.agentId" });
    const resuming = !request.domainId && !request.domainJson && !request.stateJson && !request.todoJson;
    this.checkRoom(scope, agentId);
    let stored: AgentSnapshot | undefined;
    if (resuming) {
      // A client may send reports right behind the AgentOpen: they wait for this load (see `find`).
      const key = resumeKey(scope, agentId);
      const loading = this.store.load(scope.owner, agentId);
      this.resuming.set(key, loading.catch(() => undefined));
      try {
        stored = await loading;
      } finally {
        this.resuming.delete(key);
      }
    }
    let agent: Agent;
    if (resuming) {
      const snapshot = stored;
      if (snapshot === undefined) throw new EnsoulError("NOT_FOUND", `no stored agent ${JSON.stringify(agentId)} to resume; give a domain, state and todo list to open one`, { field: "agentOpen.agentId" });
      agent = new Agent(this.initFromSnapshot(scope, snapshot), this.planner, sink, this.store);
      agent.resume(snapshot);
    } else {
      const init: AgentInit = {
        scope,
        agentId,
        choice: chooseDomain(this.planner, request, "agentOpen", scope.project),
        state: stateFromJson(parseJsonField(request.stateJson, "agentOpen.stateJson", {}), "state", "agentOpen.stateJson"),
        todo: todoFromJson(parseJsonField(request.todoJson, "agentOpen.todoJson", []), "agentOpen.todoJson"),
        todoJson: request.todoJson ?? "",
        options: searchOptions(request.options, "agentOpen.options"),
      };
      agent = new Agent(init, this.planner, sink, this.store);
      agent.replan("opened");
    }
    let agents = this.byConnection.get(scope.connection);
    if (agents === undefined) this.byConnection.set(scope.connection, (agents = new Map()));
    agents.set(agentId, agent);
    this.open_++;
    try {
      await agent.saved;
    } catch (err) {
      this.remove(agent);
      agent.end(false);
      throw err;
    }
    return agent;
  }

  private checkRoom(scope: AgentScope, agentId: string): void {
    if (this.byConnection.get(scope.connection)?.has(agentId) || this.resuming.has(resumeKey(scope, agentId))) throw new EnsoulError("ALREADY_EXISTS", `agent ${agentId} is already open on this connection`, { field: "agentOpen.agentId" });
    if (this.open_ >= this.maxAgents) throw new EnsoulError("RESOURCE_EXHAUSTED", `more than ${this.maxAgents} agents open`, { field: "agentOpen" });
  }

  /** Like `get`, after any resume of that agent on that connection has finished loading. */
  async find(scope: AgentScope, agentId: string | undefined, field: string): Promise<Agent> {
    await this.resuming.get(resumeKey(scope, agentId ?? ""));
    return this.get(scope, agentId, field);
  }

  get(scope: AgentScope, agentId: string | undefined, field: string): Agent {
    const agent = this.byConnection.get(scope.connection)?.get(agentId ?? "");
    if (agent === undefined) throw new EnsoulError("NOT_FOUND", `no agent ${JSON.stringify(agentId ?? "")} is open on this connection`, { field });
    return agent;
  }

  /** AgentClose: forgets the agent (resolving once its snapshot is deleted) and ends its stream. */
  async close(scope: AgentScope, agentId: string | undefined): Promise<AgentAck> {
    const agent = await this.find(scope, agentId, "agentClose.agentId");
    this.remove(agent);
    const ack = agent.end(true);
    await agent.saved;
    return ack;
  }

  /** The client went away: end the stream, keep the snapshot so it could resume. */
  drop(agent: Agent): void {
    if (this.byConnection.get(agent.scope.connection)?.get(agent.agentId) !== agent) return;
    this.remove(agent);
    agent.end(false);
  }

  /** Ends every stream (shutdown); snapshots stay. */
  dropAll(): void {
    for (const agents of [...this.byConnection.values()]) for (const agent of [...agents.values()]) this.drop(agent);
  }

  private initFromSnapshot(scope: AgentScope, snapshot: AgentSnapshot): AgentInit {
    const field = "agentOpen.agentId";
    let choice: DomainChoice;
    if ("id" in snapshot.domain) {
      choice = chooseDomain(this.planner, { domain: "domainId", domainId: snapshot.domain.id }, "agentOpen", scope.project);
    } else {
      choice = { domain: loadJsonDomain(JSON.parse(snapshot.domain.json)), ref: snapshot.domain };
    }
    return {
      scope,
      agentId: snapshot.agentId,
      choice,
      state: stateFromJson(snapshot.state, "state", field),
      todo: todoFromJson(parseJsonField(snapshot.todoJson, field, []), field),
      todoJson: snapshot.todoJson,
      options: snapshot.options,
    };
  }

  private remove(agent: Agent): void {
    const agents = this.byConnection.get(agent.scope.connection);
    if (agents?.delete(agent.agentId)) this.open_--;
    if (agents?.size === 0) this.byConnection.delete(agent.scope.connection);
  }
}

/**
 * The planner over the protocol: DomainPut, Plan and the NPC agent session methods. Domains put
 * here are stored in the data service and registered again at start.
 */
import path from "node:path";
import type { AgentAck, DomainInfo, PlanReply } from "../../generated/ensoul_v1.js";
import { streaming, unary, type CallContext, type Method } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { AgentSessions, type Agent, type AgentScope } from "./agents.js";
import { createPlanner, type Domain, type Planner, type PlannerLimits } from "./index.js";
import { loadJsonDomain } from "./json_domain.js";
import { stateFromJson, todoFromJson } from "./json_state.js";
import type { DataStore } from "../data/index.js";
import { checkDomainId, dataAgentStore, dataDomainStore, type AgentStore } from "./stores.js";
import { chooseDomain, domainField, domainKey, parseJsonField, planReply, planWithin, searchOptions } from "./wire.js";

export interface PlannerServiceOptions {
  /** Where domains persist (and, later, agents' last state). */
  data: DataStore;
  /** Domain files an older sidecar kept under `<dataDir>/planner/domains` are taken over from here. */
  dataDir?: string;
  log: Logger;
  limits?: Partial<PlannerLimits>;
  /** Where agents' last state is kept (default: the data service). */
  agents?: AgentStore;
  /** Most agents open at once in this process. */
  maxAgents?: number;
  /**
   * Agents whose snapshot was last saved longer ago than this (ms) are forgotten, checked at
   * start and hourly (default AGENT_RETENTION_MS; 0 keeps them). A client that comes back later
   * opens its agent afresh.
   */
  agentRetentionMs?: number;
}

/** A month: an NPC whose game has not reported a step for that long is not coming back. */
export const AGENT_RETENTION_MS = 30 * 24 * 3600 * 1000;
const AGENT_PRUNE_INTERVAL_MS = 3600 * 1000;

export interface PlannerService {
  methods: Method[];
  planner: Planner;
  sessions: AgentSessions;
  /** Ends every agent stream (their snapshots stay). */
  close(): Promise<void>;
}

function describeDomain(id: string, d: Domain): DomainInfo {
  let taskMethods = 0;
  for (const list of d.taskMethods.values()) taskMethods += list.length;
  let goalMethods = d.multigoalMethods.length;
  for (const list of d.unigoalMethods.values()) goalMethods += list.length;
  return { domainId: id, actions: d.actions.size, taskMethods, goalMethods };
}

/**
 * Which connection a call came on, and whose it is. An HTTP mirror call has no connection, and
 * agent sessions are refused there: the mirror sends a stream only when it ends, and an open
 * one would hold the server's shutdown (fastify waits for open requests).
 */
export function agentScope(ctx: CallContext): AgentScope {
  if (ctx.connectionId === undefined) {
    throw new EnsoulError("FAILED_PRECONDITION", "agent sessions run over the WebSocket (/v1/ws); the HTTP mirror serves planner/plan and planner/domainPut", { field: "agentId" });
  }
  const project = ctx.principal.project;
  // The same subject under two project-scoped tokens keeps two sets of agents.
  return project ? { connection: ctx.connectionId, owner: `${project}/${ctx.principal.subject}`, project } : { connection: ctx.connectionId, owner: ctx.principal.subject };
}

/** Runs a change on an agent and answers once the agent's snapshot is stored. */
async function answerWhenSaved(agent: Agent, change: (agent: Agent) => AgentAck): Promise<AgentAck> {
  const ack = change(agent);
  await agent.saved;
  return ack;
}

export async function createPlannerService(options: PlannerServiceOptions): Promise<PlannerService> {
  const planner = createPlanner(options.limits);
  const domains = await dataDomainStore(options.data, options.dataDir && path.join(options.dataDir, "planner", "domains"));
  for (const stored of await domains.all()) {
    try {
      planner.putDomain(domainKey(stored.project, stored.id), loadJsonDomain(JSON.parse(stored.json)));
    } catch (err) {
      // One bad file must not keep the sidecar down; the domain is missing until put again.
      options.log.warn({ err, domainId: stored.id }, "stored planner domain could not be loaded");
    }
  }
  const agents = options.agents ?? (await dataAgentStore(options.data));
  const sessions = new AgentSessions(planner, agents, options.maxAgents);
  const retentionMs = options.agentRetentionMs ?? AGENT_RETENTION_MS;
  let pruneTimer: NodeJS.Timeout | undefined;
  let pruning: Promise<unknown> = Promise.resolve();
  if (retentionMs > 0) {
    const prune = (): void => {
      pruning = agents
        .prune(Date.now() - retentionMs)
        .catch((err: unknown) => options.log.warn({ err }, "forgetting idle planner agents failed; trying again in an hour"));
    };
    prune();
    pruneTimer = setInterval(prune, Math.min(AGENT_PRUNE_INTERVAL_MS, retentionMs));
    pruneTimer.unref();
  }

  const methods: Method[] = [
    unary({
      service: "planner",
      name: "domainPut",
      request: "domainPut",
      response: "domainInfo",
      handle: async (req, ctx): Promise<DomainInfo> => {
        const id = checkDomainId(req.domainId ?? "", "domainPut.domainId");
        const { doc, domain } = domainField(req.domainJson, "domainPut.domainJson");
        // A project-scoped token puts into its project; it cannot replace a shared domain.
        const project = ctx.principal.project ?? "";
        await domains.put({ id, project, json: JSON.stringify(doc) });
        planner.putDomain(domainKey(project, id), domain);
        return describeDomain(id, domain);
      },
    }),
    unary({
      service: "planner",
      name: "plan",
      request: "planRequest",
      response: "planReply",
      handle: (req, ctx): PlanReply => {
        const { domain } = chooseDomain(planner, req, "planRequest", ctx.principal.project);
        const state = stateFromJson(parseJsonField(req.stateJson, "planRequest.stateJson", {}), "state", "planRequest.stateJson");
        const todo = todoFromJson(parseJsonField(req.todoJson, "planRequest.todoJson", []), "planRequest.todoJson");
        const opts = searchOptions(req.options, "planRequest.options");
        return planReply(planWithin("planRequest", () => planner.plan(domain, state, todo, opts)), opts.verbose);
      },
    }),
    streaming({
      service: "planner",
      name: "agentOpen",
      request: "agentOpen",
      response: "agentPlan",
      handle: async (req, ctx, sink) => {
        const agent = await sessions.open(agentScope(ctx), req, (plan) => sink.send("agentPlan", plan));
        const signal = ctx.signal;
        const onAbort = () => sessions.drop(agent);
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
        await agent.ended;
        signal.removeEventListener("abort", onAbort);
      },
    }),
    unary({
      service: "planner",
      name: "agentReport",
      request: "agentReport",
      response: "agentAck",
      handle: async (req, ctx) => answerWhenSaved(await sessions.find(agentScope(ctx), req.agentId, "agentReport.agentId"), (agent) => agent.report(req)),
    }),
    unary({
      service: "planner",
      name: "agentSetGoal",
      request: "agentSetGoal",
      response: "agentAck",
      handle: async (req, ctx) => answerWhenSaved(await sessions.find(agentScope(ctx), req.agentId, "agentSetGoal.agentId"), (agent) => agent.setGoal(req)),
    }),
    unary({
      service: "planner",
      name: "agentClose",
      request: "agentClose",
      response: "agentAck",
      handle: (req, ctx) => sessions.close(agentScope(ctx), req.agentId),
    }),
  ];
  const close = async (): Promise<void> => {
    clearInterval(pruneTimer);
    sessions.dropAll();
    await pruning; // before the data store it uses closes
  };
  return { methods, planner, sessions, close };
}

/** The planner's methods for the app's table; its shutdown hook goes onto `closers`. */
export async function plannerMethods(data: DataStore, dataDir: string, log: Logger, closers: (() => void | Promise<void>)[]): Promise<Method[]> {
  const service = await createPlannerService({ data, dataDir, log });
  closers.push(service.close);
  return service.methods;
}

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentPlan, Envelope } from "../../generated/ensoul_v1.js";
import { MethodTable } from "../../gateway/methods.js";
import { createGateway, type Gateway } from "../../gateway/server.js";
import { EnsoulClient } from "../../lib/client.js";
import { DEFAULT_LIMITS } from "../../lib/config.js";
import { EnsoulError } from "../../lib/errors.js";
import { ensoulRejection } from "../../lib/errors.testkit.js";
import { createLogger } from "../../lib/logger.js";
import { createAuthService, type AuthService } from "../auth/index.js";
import { AgentSessions } from "./agents.js";
import { createPlanner } from "./index.js";
import type { DataStore } from "../data/index.js";
import { openSqliteStore } from "../data/sqlite.js";
import { createPlannerService, type PlannerService } from "./rpc.js";
import { MemoryAgentStore, type AgentSnapshot } from "./stores.js";

const SIMPLE_JSON = readFileSync(new URL("./examples/simple_htn.domain.json", import.meta.url), "utf8");
const WORLD = JSON.stringify({ loc: { alice: "home_a", bob: "home_b", taxi1: "park", taxi2: "station" }, cash: { alice: 20, bob: 15 }, owe: { alice: 0, bob: 0 } });
const TRAVEL = JSON.stringify([["travel", "alice", "park"]]);

const S = { connection: "c1", owner: "designer" };
const T = { connection: "c2", owner: "designer" };

function thrown(fn: () => unknown): EnsoulError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EnsoulError);
    return err as EnsoulError;
  }
  throw new Error("expected an error");
}

function sessions(maxAgents?: number) {
  const planner = createPlanner();
  planner.putJsonDomain("simple", JSON.parse(SIMPLE_JSON));
  const store = new MemoryAgentStore();
  return { store, agents: new AgentSessions(planner, store, maxAgents) };
}

describe("agent sessions", async () => {
  it("reports must follow the plan's steps in order, in the current revision", async () => {
    const { agents } = sessions();
    const frames: AgentPlan[] = [];
    const agent = await agents.open(S, { agentId: "alice", domainId: "simple", stateJson: WORLD, todoJson: TRAVEL }, (p) => frames.push(p));
    expect(frames[0]!.plan!.steps!.map((s) => s.name)).toEqual(["call_taxi", "ride_taxi", "pay_driver"]);
    expect(thrown(() => agent.report({ agentId: "alice", revision: 1, step: 1, ok: true }))).toMatchObject({ code: "FAILED_PRECONDITION", field: "agentReport.step" });
    expect(thrown(() => agent.report({ agentId: "alice", revision: 2, step: 0, ok: true }))).toMatchObject({ code: "FAILED_PRECONDITION", field: "agentReport.revision" });
    for (const step of [0, 1, 2]) expect(agent.report({ agentId: "alice", revision: 1, step, ok: true }).replanned).toBe(false);
    const done = thrown(() => agent.report({ agentId: "alice", revision: 1, step: 3, ok: true }));
    expect(done.message).toContain("plan is done");
    expect(frames).toHaveLength(1);
  });

  it("streams found=false when a failure leaves no plan, and refuses reports until a new goal", async () => {
    const { agents } = sessions();
    const frames: AgentPlan[] = [];
    const agent = await agents.open(S, { agentId: "alice", domainId: "simple", stateJson: WORLD, todoJson: TRAVEL }, (p) => frames.push(p));
    // Broke: the park is too far to walk and a taxi can't be paid.
    const ack = agent.report({ agentId: "alice", revision: 1, step: 0, ok: false, stateDeltaJson: '{"cash": {"alice": 0}}' });
    expect(ack).toMatchObject({ replanned: true, revision: 2 });
    expect(frames[1]).toMatchObject({ revision: 2, reason: "action_failed", plan: { found: false, steps: [] } });
    expect(thrown(() => agent.report({ agentId: "alice", revision: 2, step: 0, ok: true })).message).toContain("has no plan");
    agent.setGoal({ agentId: "alice", todoJson: JSON.stringify([["travel", "bob", "park"]]) });
    expect(frames[2]!.plan!.steps!.map((s) => [s.name, s.argsJson])).toEqual([["walk", '["bob","home_b","park"]']]);
  });

  it("rejects a bad state delta with its field and leaves the agent as it was", async () => {
    const { agents } = sessions();
    const agent = await agents.open(S, { agentId: "alice", domainId: "simple", stateJson: WORLD, todoJson: TRAVEL }, () => undefined);
    expect(thrown(() => agent.report({ agentId: "alice", revision: 1, step: 0, ok: true, stateDeltaJson: "{" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "agentReport.stateDeltaJson" });
    expect(thrown(() => agent.report({ agentId: "alice", revision: 1, step: 0, ok: true, stateDeltaJson: '{"cash": [3]}' })).field).toBe("agentReport.stateDeltaJson.cash");
    expect(agent.nextStep).toBe(0);
    expect(thrown(() => agent.setGoal({ agentId: "alice", todoJson: "{}" })).field).toBe("agentSetGoal.todoJson");
    expect(agent.revision).toBe(1);
  });

  it("keeps each agent's last state in the store; close forgets it, drop keeps it", async () => {
    const { agents, store } = sessions();
    const a = await agents.open(S, { agentId: "a", domainId: "simple", stateJson: WORLD, todoJson: TRAVEL }, () => undefined);
    const b = await agents.open(S, { agentId: "b", domainJson: SIMPLE_JSON, stateJson: WORLD, todoJson: TRAVEL }, () => undefined);
    a.report({ agentId: "a", revision: 1, step: 0, ok: true });
    await a.saved;
    const snap = (await store.load(S.owner, "a"))!;
    expect(snap).toMatchObject({ revision: 1, nextStep: 1, domain: { id: "simple" }, todoJson: TRAVEL });
    expect(snap.state.loc).toMatchObject({ taxi1: "home_a" }); // call_taxi's effect
    expect((await store.load(S.owner, "b"))!.domain).toEqual({ json: SIMPLE_JSON });
    await agents.close(S, "a");
    await a.ended;
    expect((await store.load(S.owner, "a"))).toBeUndefined();
    agents.dropAll();
    await b.ended;
    expect((await store.load(S.owner, "b"))).toBeDefined();
    expect(agents.openCount).toBe(0);
  });

  it("resumes a dropped agent for the same owner on another connection, where it left off", async () => {
    const { agents, store } = sessions();
    const world = JSON.stringify({ ...JSON.parse(WORLD), seen: [[1, "tree"]] });
    const opened: AgentPlan[] = [];
    const first = await agents.open(S, { agentId: "alice", domainId: "simple", stateJson: world, todoJson: TRAVEL }, (p) => opened.push(p));
    first.report({ agentId: "alice", revision: 1, step: 0, ok: true });
    await first.saved;
    agents.drop(first);
    expect((await store.load(S.owner, "alice"))!.state.seen).toEqual([[1, "tree"]]); // a number argument stays a number
    const frames: AgentPlan[] = [];
    const again = await agents.open(T, { agentId: "alice" }, (p) => frames.push(p));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ revision: 1, reason: "resumed", plan: { found: true, planId: first.planId } });
    expect(frames[0]!.plan!.steps!.map((s) => s.name)).toEqual(["call_taxi", "ride_taxi", "pay_driver"]);
    expect(frames[0]!.plan!.steps).toEqual(opened[0]!.plan!.steps); // arguments too, as first sent
    expect(again.nextStep).toBe(1);
    expect(again.report({ agentId: "alice", revision: 1, step: 1, ok: true }).replanned).toBe(false);
    const nothing = await ensoulRejection(agents.open(T, { agentId: "bob" }, () => undefined));
    expect(nothing).toMatchObject({ code: "NOT_FOUND", field: "agentOpen.agentId" });
  });

  it("keeps the options it was opened with across a resume", async () => {
    const { agents } = sessions();
    const first = await agents.open(S, { agentId: "carol", domainId: "simple", stateJson: WORLD, todoJson: TRAVEL, options: { verbose: 1 } }, () => undefined);
    agents.drop(first);
    const frames: AgentPlan[] = [];
    const again = await agents.open(T, { agentId: "carol" }, (p) => frames.push(p));
    again.setGoal({ agentId: "carol", todoJson: JSON.stringify([["travel", "bob", "park"]]) });
    expect(frames[1]).toMatchObject({ reason: "goal_changed", plan: { found: true } });
    expect(frames[1]!.plan!.traceJson).not.toBe(""); // verbose 1 still on: the trace comes back
  });

  it("refuses an agent past maxAgents", async () => {
    const { agents } = sessions(2);
    for (const id of ["a", "b"]) await agents.open(S, { agentId: id, domainId: "simple", stateJson: WORLD, todoJson: TRAVEL }, () => undefined);
    expect((await ensoulRejection(agents.open(T, { agentId: "c", domainId: "simple", stateJson: WORLD, todoJson: TRAVEL }, () => undefined))).code).toBe("RESOURCE_EXHAUSTED");
    await agents.close(S, "a");
    await agents.open(T, { agentId: "c", domainId: "simple", stateJson: WORLD, todoJson: TRAVEL }, () => undefined);
  });
});

describe("agent sessions over the gateway", () => {
  let dataDir: string;
  let gateway: Gateway;
  let url: string;
  let token: string;
  let auth: AuthService;
  const store = new MemoryAgentStore();
  let service: PlannerService;
  let data: DataStore;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-agents-"));
    auth = await createAuthService({ dataDir, log: createLogger("silent") });
    token = auth.adminToken.token;
    data = await openSqliteStore(path.join(dataDir, "ensoul.db"));
    service = await createPlannerService({ data, log: createLogger("silent"), agents: store });
    gateway = createGateway({ methods: new MethodTable(service.methods), auth: auth.authenticator, limits: DEFAULT_LIMITS, log: createLogger("silent") });
    const address = await gateway.listen("127.0.0.1", 0);
    url = `ws://127.0.0.1:${address.port}/v1/ws`;
  });

  afterAll(async () => {
    await gateway.close();
    await data.close();
    await auth.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("ends the agent when its client goes away, keeping its last state to resume from", async () => {
    const client = await EnsoulClient.connect(url, { token });
    const frames: Envelope[] = [];
    const stream = client.stream("agentOpen", { agentId: "npc", domainJson: SIMPLE_JSON, stateJson: WORLD, todoJson: TRAVEL }, (e) => frames.push(e));
    stream.catch(() => undefined); // rejected with UNAVAILABLE when the connection closes
    await client.call("agentReport", { agentId: "npc", revision: 1, step: 0, ok: true });
    expect(frames).toHaveLength(1);
    expect(service.sessions.openCount).toBe(1);
    await client.close();
    for (let i = 0; i < 100 && service.sessions.openCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(service.sessions.openCount).toBe(0);
    const kept = store.all().filter((s) => s.agentId === "npc");
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ nextStep: 1, revision: 1 });

    const back = await EnsoulClient.connect(url, { token });
    const resumed: Envelope[] = [];
    const again = back.stream("agentOpen", { agentId: "npc" }, (e) => resumed.push(e));
    const ack = (await back.call("agentReport", { agentId: "npc", revision: 1, step: 1, ok: true })).agentAck!;
    expect(ack).toMatchObject({ agentId: "npc", revision: 1 });
    expect(resumed[0]!.agentPlan).toMatchObject({ revision: 1, reason: "resumed" });
    await back.call("agentClose", { agentId: "npc" });
    expect((await again).body).toBe("endOfStream");
    expect(store.all().filter((s) => s.agentId === "npc")).toHaveLength(0);
    await back.close();
  });
});

describe("idle agents", () => {
  it("are forgotten, from the start on, once their last save is older than the retention", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-agents-idle-"));
    const data = await openSqliteStore(path.join(dataDir, "ensoul.db"));
    const store = new MemoryAgentStore();
    const idle: AgentSnapshot = { owner: "o", agentId: "idle", domain: { id: "simple" }, state: {}, todoJson: "[]", revision: 1, planId: "p", plan: false, nextStep: 0, options: { verbose: 0 }, updatedAtMs: Date.now() };
    await store.save(idle);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const service = await createPlannerService({ data, log: createLogger("silent"), agents: store, agentRetentionMs: 20 });
    try {
      for (let i = 0; i < 100 && (await store.load("o", "idle")) !== undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await store.load("o", "idle")).toBeUndefined();
      const kept = new MemoryAgentStore();
      await kept.save(idle);
      const keeping = await createPlannerService({ data, log: createLogger("silent"), agents: kept, agentRetentionMs: 0 });
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(await kept.load("o", "idle")).toBeDefined(); // 0 keeps them
      await keeping.close();
    } finally {
      await service.close();
      await data.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

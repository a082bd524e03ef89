import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentPlan, Envelope, PlanReply } from "../../generated/ensoul_v1.js";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import { EnsoulClient } from "../../lib/client.js";
import { loadConfig } from "../../lib/config.js";
import { EnsoulError } from "../../lib/errors.js";
import { createLogger } from "../../lib/logger.js";
import { sqliteFileFor } from "../data/index.js";
import { openSqliteStore } from "../data/sqlite.js";
import type { GtpyhopGolden } from "./gtpyhop_json.js";
import { loadJsonDomain } from "./json_domain.js";
import { stateFromJson } from "./json_state.js";
import type { Value } from "./state.js";
import { PLANNER_DOMAINS } from "./stores.js";

const readText = (rel: string): string => readFileSync(new URL(rel, import.meta.url), "utf8");
const BLOCKS_JSON = readText("./examples/blocks_htn.domain.json");
const SIMPLE_JSON = readText("./examples/simple_htn.domain.json");
const blocksCalls = (JSON.parse(readText("./golden/blocks_htn.json")) as GtpyhopGolden).calls;
const simpleCalls = (JSON.parse(readText("./golden/simple_htn.json")) as GtpyhopGolden).calls;

/** GTPyhop's capture writes number-keyed dicts as {"__map__": pairs}; the wire form takes the pairs. */
function wireForm(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(wireForm);
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    if ("__map__" in o) return wireForm(o.__map__);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, wireForm(x)]));
  }
  return v;
}
const stateJson = (call: { state: unknown }) => JSON.stringify(wireForm((call.state as { vars: unknown }).vars));
const todoJson = (call: { todo: unknown }) => JSON.stringify(wireForm(call.todo));
const stepsOf = (reply: PlanReply | null | undefined) => (reply?.steps ?? []).map((s) => [s.name, ...(JSON.parse(s.argsJson!) as Value[])]);

/** The call's expected error. */
async function failure(p: Promise<unknown>): Promise<EnsoulError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(EnsoulError);
    return err as EnsoulError;
  }
  throw new Error("expected the call to fail");
}

/** An AgentOpen stream: its frames as they come, and the promise of its end. */
function openAgent(client: EnsoulClient, agentId: string, fields: Record<string, unknown>) {
  const frames: AgentPlan[] = [];
  const waiters: Array<() => void> = [];
  const ended = client.stream("agentOpen", { agentId, ...fields }, (env: Envelope) => {
    frames.push(env.agentPlan!);
    for (const w of waiters.splice(0)) w();
  });
  const frame = async (n: number): Promise<AgentPlan> => {
    while (frames.length < n) await Promise.race([new Promise<void>((r) => waiters.push(r)), ended]);
    return frames[n - 1]!;
  };
  return { frames, ended, frame };
}

let dataDir: string;
let sidecar: RunningSidecar;
let client: EnsoulClient;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-planner-rpc-"));
  sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
  client = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token });
  const info = (await client.call("domainPut", { domainId: "blocks", domainJson: BLOCKS_JSON })).domainInfo!;
  expect(info.domainId).toBe("blocks");
});

afterAll(async () => {
  await client.close();
  await sidecar.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("planner over the protocol: plans", () => {
  it("DomainPut answers the domain's counts and stores it in the data service", async () => {
    const d = loadJsonDomain(JSON.parse(BLOCKS_JSON));
    const info = (await client.call("domainPut", { domainId: "blocks2", domainJson: BLOCKS_JSON })).domainInfo!;
    expect(info.actions).toBe(d.actions.size);
    expect(info.taskMethods).toBe([...d.taskMethods.values()].reduce((n, l) => n + l.length, 0));
    const data = await openSqliteStore(sqliteFileFor(dataDir)); // a second connection to the sidecar's database
    try {
      expect((await data.define(PLANNER_DOMAINS).then((c) => c.get("blocks2")))?.doc).toEqual(JSON.parse(BLOCKS_JSON));
    } finally {
      await data.close();
    }
  });

  for (const i of [6, 9, 12]) {
    it(`a registered JSON domain gives GTPyhop's plan (blocks_htn call ${i})`, async () => {
      const call = blocksCalls[i]!;
      const reply = (await client.call("planRequest", { domainId: "blocks", stateJson: stateJson(call), todoJson: todoJson(call) })).planReply!;
      expect(reply.found).toBe(true);
      expect(stepsOf(reply)).toEqual(call.result);
      expect(reply.planId).not.toBe("");
    });
  }

  it("plans with an inline domain", async () => {
    const call = simpleCalls[4]!;
    const reply = (await client.call("planRequest", { domainJson: SIMPLE_JSON, stateJson: stateJson(call), todoJson: todoJson(call) })).planReply!;
    expect(stepsOf(reply)).toEqual(call.result);
  });

  it("tells no plan (found=false) from nothing to do (found=true, no steps)", async () => {
    const none = blocksCalls[0]!;
    expect(none.result).toBe(false);
    const noPlan = (await client.call("planRequest", { domainId: "blocks", stateJson: stateJson(none), todoJson: todoJson(none) })).planReply!;
    expect(noPlan.found ?? false).toBe(false);
    expect(noPlan.steps ?? []).toEqual([]);
    const done = blocksCalls[15]!;
    expect(done.result).toEqual([]);
    const empty = (await client.call("planRequest", { domainId: "blocks", stateJson: stateJson(done), todoJson: todoJson(done) })).planReply!;
    expect(empty.found).toBe(true);
    expect(empty.steps ?? []).toEqual([]);
  });

  it("returns the trace as JSON when verbose > 0", async () => {
    const call = blocksCalls[6]!;
    const reply = (await client.call("planRequest", { domainId: "blocks", stateJson: stateJson(call), todoJson: todoJson(call), options: { verbose: 3 } })).planReply!;
    const trace = JSON.parse(reply.traceJson!) as Array<{ event: string }>;
    expect(trace[0]!.event).toBe("find_plan");
    expect(trace.some((e) => e.event === "method")).toBe(true);
    const quiet = (await client.call("planRequest", { domainId: "blocks", stateJson: stateJson(call), todoJson: todoJson(call) })).planReply!;
    expect(quiet.traceJson ?? "").toBe("");
  });

  it("rejects a bad domain with INVALID_ARGUMENT and its location, and keeps serving", async () => {
    const bad = JSON.parse(BLOCKS_JSON) as { actions: { pickup: { pre: string[] } } };
    bad.actions.pickup.pre[1] = "clear[x] == )";
    const e = await failure(client.call("domainPut", { domainId: "bad", domainJson: JSON.stringify(bad) }));
    expect(e.code).toBe("INVALID_ARGUMENT");
    expect(e.field).toMatch(/^domainPut\.domainJson/);
    expect(e.message).toContain("actions.pickup.pre[1], column 13");
    const notJson = await failure(client.call("domainPut", { domainId: "bad", domainJson: "{ nope" }));
    expect(notJson.field).toBe("domainPut.domainJson");
    const empty = await failure(client.call("domainPut", { domainId: "bad", domainJson: "" }));
    expect(empty).toMatchObject({ code: "INVALID_ARGUMENT", field: "domainPut.domainJson", message: "domainPut.domainJson is empty" });
    const badId = await failure(client.call("domainPut", { domainId: "../escape", domainJson: BLOCKS_JSON }));
    expect(badId.field).toBe("domainPut.domainId");
    expect(existsSync(path.join(dataDir, "planner", "domains", "bad.json"))).toBe(false);
    const inline = await failure(client.call("planRequest", { domainJson: JSON.stringify(bad), todoJson: "[]" }));
    expect(inline.field).toMatch(/^planRequest\.domainJson/);
    const badState = await failure(client.call("planRequest", { domainId: "blocks", stateJson: '{"pos": [1]}', todoJson: "[]" }));
    expect(badState.code).toBe("INVALID_ARGUMENT");
    expect(badState.field).toBe("planRequest.stateJson.pos");
    expect((await client.call("ping", {})).pong).toBeDefined();
  });

  it("answers NOT_FOUND for an unknown domain id", async () => {
    const e = await failure(client.call("planRequest", { domainId: "nosuch", stateJson: "{}", todoJson: "[]" }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.field).toBe("planRequest.domainId");
  });

  it("answers RESOURCE_EXHAUSTED naming the bound that stopped the search", async () => {
    const call = blocksCalls[12]!;
    const e = await failure(client.call("planRequest", { domainId: "blocks", stateJson: stateJson(call), todoJson: todoJson(call), options: { maxExpansions: 5 } }));
    expect(e.code).toBe("RESOURCE_EXHAUSTED");
    expect(e.field).toBe("planRequest.options.maxExpansions");
  });

  it("lists its methods, with roles, in ServerInfo", async () => {
    const info = (await client.call("serverInfoRequest", {})).serverInfo!;
    const planner = info.services!.find((s) => s.name === "planner")!;
    const byName = Object.fromEntries(planner.methods!.map((m) => [m.name, m]));
    expect(Object.keys(byName).sort()).toEqual(["agentClose", "agentOpen", "agentReport", "agentSetGoal", "domainPut", "plan"]);
    expect(byName.agentOpen).toMatchObject({ request: "agentOpen", response: "agentPlan", streaming: true });
    expect(byName.domainPut!.roles).toEqual(["admin", "designer"]);
    expect(byName.plan!.roles).toEqual(["admin", "designer", "game"]);
  });

  it("serves Plan through the HTTP mirror", async () => {
    const call = blocksCalls[9]!;
    const res = await fetch(`http://127.0.0.1:${sidecar.port}/v1/planner/plan`, {
      method: "POST",
      headers: { authorization: `Bearer ${sidecar.adminToken.token}`, "content-type": "application/json" },
      body: JSON.stringify({ domainId: "blocks", stateJson: stateJson(call), todoJson: todoJson(call) }),
    });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as PlanReply;
    expect(reply.found).toBe(true);
    expect(stepsOf(reply)).toEqual(call.result);
  });

  it("reloads stored domains when the sidecar starts again, and closes with an agent open", async () => {
    const again = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
    try {
      const c = await EnsoulClient.connect(again.url, { token: again.adminToken.token });
      const call = blocksCalls[9]!;
      const reply = (await c.call("planRequest", { domainId: "blocks2", stateJson: stateJson(call), todoJson: todoJson(call) })).planReply!;
      expect(stepsOf(reply)).toEqual(call.result);
      // An agent still open does not hold the shutdown.
      const left = openAgent(c, "left-open", { domainId: "blocks2", stateJson: stateJson(call), todoJson: todoJson(call) });
      await left.frame(1);
      left.ended.catch(() => undefined);
    } finally {
      await again.close();
    }
  });
});

describe("planner over the protocol: agent sessions", () => {
  const sussman = blocksCalls[9]!;

  it("resumes an agent on a sidecar started again, where its stored snapshot left it", async () => {
    const first = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
    try {
      const c = await EnsoulClient.connect(first.url, { token: first.adminToken.token });
      const agent = openAgent(c, "traveller", { domainId: "blocks", stateJson: stateJson(sussman), todoJson: todoJson(sussman) });
      await agent.frame(1);
      await c.call("agentReport", { agentId: "traveller", revision: 1, step: 0, ok: true });
      agent.ended.catch(() => undefined);
      await c.close();
    } finally {
      await first.close();
    }
    const second = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
    try {
      const c = await EnsoulClient.connect(second.url, { token: second.adminToken.token });
      const resumed = openAgent(c, "traveller", {});
      expect(await resumed.frame(1)).toMatchObject({ revision: 1, reason: "resumed" });
      const ack = (await c.call("agentReport", { agentId: "traveller", revision: 1, step: 1, ok: true })).agentAck!;
      expect(ack).toMatchObject({ agentId: "traveller", revision: 1, replanned: false });
      await c.call("agentClose", { agentId: "traveller" });
      await resumed.ended;
      await c.close();
    } finally {
      await second.close();
    }
  });

  it("opens, acts, replans after a failure, takes a new goal and closes", async () => {
    const agent = openAgent(client, "npc-1", { domainId: "blocks", stateJson: stateJson(sussman), todoJson: todoJson(sussman) });
    const first = await agent.frame(1);
    expect(first).toMatchObject({ agentId: "npc-1", revision: 1, reason: "opened" });
    expect(stepsOf(first.plan)).toEqual(sussman.result);

    for (const step of [0, 1]) {
      const ack = (await client.call("agentReport", { agentId: "npc-1", revision: 1, step, ok: true })).agentAck!;
      expect(ack).toMatchObject({ agentId: "npc-1", revision: 1 });
      expect(ack.replanned ?? false).toBe(false);
    }
    // Step 2 (pick up b) fails: someone else stacked b on c meanwhile.
    const delta = { pos: { b: "c" }, clear: { b: true, c: false }, holding: { hand: false } };
    const ack = (await client.call("agentReport", { agentId: "npc-1", revision: 1, step: 2, ok: false, stateDeltaJson: JSON.stringify(delta) })).agentAck!;
    expect(ack).toMatchObject({ replanned: true, revision: 2 });
    const second = await agent.frame(2);
    expect(second).toMatchObject({ agentId: "npc-1", revision: 2, reason: "action_failed" });
    // The new plan is the one planned from where the world is: the first two steps done, then the delta.
    const domain = loadJsonDomain(JSON.parse(BLOCKS_JSON));
    const world = stateFromJson(wireForm((sussman.state as { vars: unknown }).vars));
    for (const [name, ...args] of (sussman.result as Value[][]).slice(0, 2)) domain.actions.get(name as string)!.fn(world, ...args);
    for (const [v, m] of Object.entries(delta)) for (const [a, x] of Object.entries(m)) world.set(v, a, x);
    const expected = (await client.call("planRequest", { domainId: "blocks", stateJson: JSON.stringify(world.toJSON()), todoJson: todoJson(sussman) })).planReply!;
    expect(stepsOf(second.plan)).toEqual(stepsOf(expected));
    expect(second.plan!.steps!.length).toBeGreaterThan(0);

    const stale = await failure(client.call("agentReport", { agentId: "npc-1", revision: 1, step: 0, ok: true }));
    expect(stale).toMatchObject({ code: "FAILED_PRECONDITION", field: "agentReport.revision" });

    const goal = blocksCalls[7]!;
    const goalAck = (await client.call("agentSetGoal", { agentId: "npc-1", todoJson: todoJson(goal) })).agentAck!;
    expect(goalAck).toMatchObject({ replanned: true, revision: 3 });
    const third = await agent.frame(3);
    expect(third).toMatchObject({ revision: 3, reason: "goal_changed" });
    expect(third.plan!.found).toBe(true);

    const closeAck = (await client.call("agentClose", { agentId: "npc-1" })).agentAck!;
    expect(closeAck).toMatchObject({ agentId: "npc-1", revision: 3 });
    const end = await agent.ended;
    expect(end.body).toBe("endOfStream");
    expect(Number(end.endOfStream!.frames)).toBe(3);
    const gone = await failure(client.call("agentReport", { agentId: "npc-1", revision: 3, step: 0, ok: true }));
    expect(gone.code).toBe("NOT_FOUND");
  });

  it("replans only when a reported change makes the rest of the plan inapplicable", async () => {
    const agent = openAgent(client, "npc-lazy", { domainId: "blocks", stateJson: stateJson(sussman), todoJson: todoJson(sussman) });
    await agent.frame(1);
    // A change that touches nothing the plan needs: no new plan.
    const harmless = (await client.call("agentReport", { agentId: "npc-lazy", revision: 1, step: 0, ok: true, stateDeltaJson: '{"color": {"a": "red"}}' })).agentAck!;
    expect(harmless.replanned ?? false).toBe(false);
    // Someone put a block on b: the plan's later steps no longer apply.
    const ack = (await client.call("agentReport", { agentId: "npc-lazy", revision: 1, step: 1, ok: true, stateDeltaJson: '{"clear": {"b": false}}' })).agentAck!;
    expect(ack).toMatchObject({ replanned: true, revision: 2 });
    expect(await agent.frame(2)).toMatchObject({ revision: 2, reason: "state_changed" });
    expect(agent.frames).toHaveLength(2);
    await client.call("agentClose", { agentId: "npc-lazy" });
    await agent.ended;
  });

  it("keeps two agents on one connection apart", async () => {
    const travel = simpleCalls[0]!;
    const a = openAgent(client, "npc-a", { domainId: "blocks", stateJson: stateJson(sussman), todoJson: todoJson(sussman) });
    const b = openAgent(client, "npc-b", { domainJson: SIMPLE_JSON, stateJson: stateJson(travel), todoJson: todoJson(travel) });
    expect(stepsOf((await a.frame(1)).plan)).toEqual(sussman.result);
    expect(stepsOf((await b.frame(1)).plan)).toEqual(travel.result);
    const dup = await failure(client.stream("agentOpen", { agentId: "npc-a", domainId: "blocks", todoJson: "[]" }, () => undefined));
    expect(dup.code).toBe("ALREADY_EXISTS");

    await client.call("agentReport", { agentId: "npc-b", revision: 1, step: 0, ok: false });
    await b.frame(2);
    expect(a.frames.map((f) => f.agentId)).toEqual(["npc-a"]);
    expect(b.frames.map((f) => f.agentId)).toEqual(["npc-b", "npc-b"]);
    const aAck = (await client.call("agentReport", { agentId: "npc-a", revision: 1, step: 0, ok: true })).agentAck!;
    expect(aAck.revision).toBe(1);

    // The same agent id on another connection is another agent.
    const other = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token });
    const elsewhere = await failure(other.call("agentReport", { agentId: "npc-a", revision: 1, step: 1, ok: true }));
    expect(elsewhere.code).toBe("NOT_FOUND");
    await other.close();

    await client.call("agentClose", { agentId: "npc-a" });
    await client.call("agentClose", { agentId: "npc-b" });
    expect((await a.ended).body).toBe("endOfStream");
    expect((await b.ended).body).toBe("endOfStream");
  });

  it("refuses agent sessions through the HTTP mirror (they stream over the WebSocket)", async () => {
    const travel = simpleCalls[0]!;
    const res = await fetch(`http://127.0.0.1:${sidecar.port}/v1/planner/agentOpen`, {
      method: "POST",
      headers: { authorization: `Bearer ${sidecar.adminToken.token}`, "content-type": "application/json" },
      body: JSON.stringify({ agentId: "h", domainJson: SIMPLE_JSON, stateJson: stateJson(travel), todoJson: todoJson(travel) }),
    });
    expect(res.status).toBe(412);
    expect(await res.json()).toMatchObject({ error: { code: "FAILED_PRECONDITION", field: "agentId" } });
  });

  it("rejects a bad AgentOpen with the field and opens nothing", async () => {
    const e = await failure(client.stream("agentOpen", { agentId: "npc-bad", domainId: "blocks", todoJson: "[[1]]" }, () => undefined));
    expect(e).toMatchObject({ code: "INVALID_ARGUMENT", field: "agentOpen.todoJson[0]" });
    const gone = await failure(client.call("agentClose", { agentId: "npc-bad" }));
    expect(gone.code).toBe("NOT_FOUND");
  });

  it("holds many agents on one connection", async () => {
    const travel = simpleCalls[0]!;
    const agents = Array.from({ length: 200 }, (_, i) => openAgent(client, `crowd-${i}`, { domainJson: SIMPLE_JSON, stateJson: stateJson(travel), todoJson: todoJson(travel) }));
    for (const a of agents) expect(stepsOf((await a.frame(1)).plan)).toEqual(travel.result);
    await Promise.all(agents.map((_, i) => client.call("agentClose", { agentId: `crowd-${i}` })));
    for (const a of agents) expect((await a.ended).body).toBe("endOfStream");
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import type { DataStore } from "../data/index.js";
import { openSqliteStore } from "../data/sqlite.js";
import { checkDomainId, dataAgentStore, dataDomainStore, MemoryAgentStore, type AgentSnapshot, type AgentStore } from "./stores.js";

const made: string[] = [];
const stores: DataStore[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ensoul-domains-"));
  made.push(dir);
  return dir;
}
async function openData(dir: string): Promise<DataStore> {
  const store = await openSqliteStore(path.join(dir, "ensoul.db"));
  stores.push(store);
  return store;
}
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("dataDomainStore", () => {
  it("replaces a domain in place and lists domains by id", async () => {
    const store = await dataDomainStore(await openData(tempDir()));
    await store.put({ id: "travel", json: '{"name":"a"}' });
    await store.put({ id: "travel", json: '{"name":"b"}' });
    await store.put({ id: "blocks", json: "{}" });
    expect(await store.all()).toEqual([
      { id: "blocks", json: "{}" },
      { id: "travel", json: '{"name":"b"}' },
    ]);
  });

  it("keeps domains across a restart", async () => {
    const dir = tempDir();
    const first = await openData(dir);
    await (await dataDomainStore(first)).put({ id: "kept", json: '{"name":"k"}' });
    await first.close();
    expect(await (await dataDomainStore(await openData(dir))).all()).toEqual([{ id: "kept", json: '{"name":"k"}' }]);
  });

  it("takes over an older sidecar's domain files once, keeping stored records and skipping strays", async () => {
    const dir = tempDir();
    const legacy = path.join(dir, "planner", "domains");
    mkdirSync(legacy, { recursive: true });
    writeFileSync(path.join(legacy, "old.json"), '{"name":"old"}');
    writeFileSync(path.join(legacy, "newer.json"), '{"name":"from file"}');
    writeFileSync(path.join(legacy, ".travel.abc.tmp"), "{}");
    writeFileSync(path.join(legacy, "notes.txt"), "");
    writeFileSync(path.join(legacy, "broken.json"), "{ not json");
    const data = await openData(dir);
    await (await dataDomainStore(data)).put({ id: "newer", json: '{"name":"stored"}' });
    const store = await dataDomainStore(data, legacy);
    expect(await store.all()).toEqual([
      { id: "newer", json: '{"name":"stored"}' },
      { id: "old", json: '{"name":"old"}' },
    ]);
    expect(await (await dataDomainStore(data, path.join(dir, "absent"))).all()).toHaveLength(2);
  });

  it("refuses a domain that is not a JSON object, storing nothing", async () => {
    const store = await dataDomainStore(await openData(tempDir()));
    await expect(store.put({ id: "x", json: "[1, 2]" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "domainPut.domainJson" });
    expect(await store.all()).toEqual([]);
  });

  it("refuses ids that are not plain file names", () => {
    for (const id of ["", ".hidden", "../up", "a/b", "x".repeat(129)]) {
      expect(() => checkDomainId(id, "domainPut.domainId")).toThrowError(EnsoulError);
    }
    expect(checkDomainId("blocks_htn-2.v1", "domainPut.domainId")).toBe("blocks_htn-2.v1");
  });
});

describe("dataAgentStore", () => {
  const snapshot = (owner: string, agentId: string, nextStep: number): AgentSnapshot => ({
    owner,
    agentId,
    domain: { id: "simple" },
    state: { loc: { alice: "park" }, seen: [[1, "tree"]] },
    todoJson: '[["travel","alice","park"]]',
    revision: 2,
    planId: "p1",
    plan: [["walk", "alice", "home", "park"]],
    nextStep,
    options: { verbose: 0 },
    updatedAtMs: 1700000000000,
  });

  it("keeps the last snapshot per owner and agent, across a restart, until deleted", async () => {
    const dir = tempDir();
    const data = await openData(dir);
    const store = await dataAgentStore(data);
    await store.save(snapshot("alice", "npc", 0));
    await store.save(snapshot("alice", "npc", 1));
    await store.save(snapshot("bob", "npc", 5));
    await store.save(snapshot("a/b \\ \"odd\" ✓".repeat(40), "x".repeat(300), 7)); // any owner or id fits
    await data.close();
    const again = await dataAgentStore(await openData(dir));
    expect(await again.load("alice", "npc")).toEqual(snapshot("alice", "npc", 1));
    expect((await again.load("bob", "npc"))?.nextStep).toBe(5);
    expect((await again.load("a/b \\ \"odd\" ✓".repeat(40), "x".repeat(300)))?.nextStep).toBe(7);
    expect(await again.load("carol", "npc")).toBeUndefined();
    await again.delete("alice", "npc");
    expect(await again.load("alice", "npc")).toBeUndefined();
    expect(await again.load("bob", "npc")).toBeDefined();
  });

  for (const [kind, open] of [
    ["data service", async () => dataAgentStore(await openData(tempDir()))],
    ["memory", async () => new MemoryAgentStore()],
  ] as const) {
    it(`forgets the agents last saved before a time, and only those (${kind})`, async () => {
      const store: AgentStore = await open();
      const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
      await store.save(snapshot("alice", "idle", 0));
      await store.save(snapshot("bob", "idle", 0));
      await pause();
      const cutoff = Date.now();
      await pause();
      await store.save(snapshot("alice", "busy", 1));
      await store.save(snapshot("bob", "idle", 3)); // saved again: no longer idle
      expect(await store.prune(cutoff)).toBe(1);
      expect(await store.load("alice", "idle")).toBeUndefined();
      expect((await store.load("alice", "busy"))?.nextStep).toBe(1);
      expect((await store.load("bob", "idle"))?.nextStep).toBe(3);
      expect(await store.prune(cutoff)).toBe(0);
    });
  }
});

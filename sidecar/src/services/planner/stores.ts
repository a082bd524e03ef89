/**
 * What the planner service keeps between requests and restarts, behind two small interfaces so
 * the data service can take them over (server mode keeps both there, so any replica can serve a
 * reconnecting game):
 *   - `DomainStore`: JSON domains registered with DomainPut, by id (in the data service);
 *   - `AgentStore`: each agent session's last state, plan and place in it (in the data service;
 *     `MemoryAgentStore` for tests).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { EnsoulError } from "../../lib/errors.js";
import { parseJsonDocument, type Collection, type CollectionSpec, type DataStore } from "../data/index.js";
import type { Value } from "./state.js";
import type { WireSearchOptions } from "./wire.js";

/** A domain id is also a file name: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const DOMAIN_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export function checkDomainId(id: string, field: string): string {
  if (!DOMAIN_ID.test(id)) {
    throw new EnsoulError("INVALID_ARGUMENT", `domain id ${JSON.stringify(id)} must be 1-128 letters, digits, '.', '_' or '-', not starting with '.'`, { field });
  }
  return id;
}

export interface StoredDomain {
  id: string;
  /** "" or absent for a shared domain; the project of the scoped token that put it otherwise. */
  project?: string;
  /** The domain document as JSON text. */
  json: string;
}

export interface DomainStore {
  put(domain: StoredDomain): Promise<void>;
  /** Every stored domain, by id. */
  all(): Promise<StoredDomain[]>;
}

/** The data service's collection of registered domains: one record per id, the document as is. */
export const PLANNER_DOMAINS: CollectionSpec = {
  name: "planner_domains",
  // A domain arrives in one frame; the gateway's largest allowed frame bounds it.
  maxDocumentBytes: 256 * 1024 * 1024,
};

/**
 * Domains in the data service, so every replica sees each one. Domains an older sidecar kept
 * as `<legacyDir>/<id>.json` files are taken over once (a stored record of that id wins).
 */
export async function dataDomainStore(data: DataStore, legacyDir?: string): Promise<DomainStore> {
  const domains = await data.define<Record<string, unknown>>(PLANNER_DOMAINS);
  if (legacyDir) await importDomainFiles(domains, legacyDir);
  return {
    async put({ id, project, json }) {
      await domains.put({ id: checkDomainId(id, "domainPut.domainId"), project: project ?? "", doc: parseJsonDocument(json, "domainPut.domainJson") });
    },
    async all() {
      return (await domains.find()).map((r) => ({ id: r.id, ...(r.project ? { project: r.project } : {}), json: JSON.stringify(r.doc) }));
    },
  };
}

async function importDomainFiles(domains: Collection<Record<string, unknown>>, dir: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  for (const name of names.sort()) {
    const id = name.slice(0, -5);
    if (!name.endsWith(".json") || !DOMAIN_ID.test(id) || (await domains.get(id))) continue;
    try {
      await domains.insert({ id, doc: parseJsonDocument(readFileSync(path.join(dir, name), "utf8"), name) });
    } catch (err) {
      // A file that is not a JSON object was never loadable; it stays where it is, unimported.
      if (!(err instanceof EnsoulError && err.code === "INVALID_ARGUMENT")) throw err;
    }
  }
}

/** What a reconnecting client needs to resume an agent: where it was, in wire form. */
export interface AgentSnapshot {
  /** Who opened the agent (the principal's subject): stable across reconnects, unlike the connection. */
  owner: string;
  agentId: string;
  /** The registered domain's id, or the inline domain document's JSON text. */
  domain: { id: string } | { json: string };
  /** Each variable `{arg: value}`, or `[[arg, value], …]` where an argument is a number. */
  state: Record<string, Record<string, Value> | Array<[string | number, Value]>>;
  todoJson: string;
  revision: number;
  planId: string;
  plan: Value[][] | false;
  /** Index of the next step the game has not reported yet. */
  nextStep: number;
  /** The search options the agent was opened with. */
  options: WireSearchOptions;
  updatedAtMs: number;
}

export interface AgentStore {
  save(snapshot: AgentSnapshot): Promise<void>;
  load(owner: string, agentId: string): Promise<AgentSnapshot | undefined>;
  /** Forgets an agent (on AgentClose; a client that just goes away keeps its snapshot). */
  delete(owner: string, agentId: string): Promise<void>;
  /** Forgets the agents last saved before this time (ms since the epoch); returns how many. */
  prune(savedBeforeMs: number): Promise<number>;
}

/** The data service's collection of agent snapshots, one per (owner, agent id). */
export const PLANNER_AGENTS: CollectionSpec = {
  name: "planner_agents",
  indexes: { owner: "string", agentId: "string" },
  // An agent opened with an inline domain carries the domain's JSON text.
  maxDocumentBytes: 256 * 1024 * 1024,
};

/** A record id for any owner and agent id, however long or odd (the pair is also in the document). */
function agentRecordId(owner: string, agentId: string): string {
  return createHash("sha256").update(JSON.stringify([owner, agentId])).digest("hex");
}

/**
 * Agents' snapshots in the data service: a client whose sidecar restarted, or whose replica
 * went away, resumes from any replica.
 */
export async function dataAgentStore(data: DataStore): Promise<AgentStore> {
  const agents = await data.define<AgentSnapshot>(PLANNER_AGENTS);
  return {
    async save(snapshot) {
      await agents.put({ id: agentRecordId(snapshot.owner, snapshot.agentId), doc: snapshot });
    },
    async load(owner, agentId) {
      return (await agents.get(agentRecordId(owner, agentId)))?.doc;
    },
    async delete(owner, agentId) {
      await agents.delete(agentRecordId(owner, agentId));
    },
    async prune(savedBeforeMs) {
      let pruned = 0;
      for (;;) {
        const stale = await agents.find({ where: { updatedAtMs: { lt: savedBeforeMs } }, limit: 500 });
        for (const record of stale) if (await agents.delete(record.id, record.project)) pruned++;
        if (stale.length < 500) return pruned;
      }
    },
  };
}

/** Snapshots in memory, the least recently saved dropped past `maxSnapshots` (clients that went away pile up). */
export class MemoryAgentStore implements AgentStore {
  /** Snapshots with the time each was saved, in order of last save. */
  private readonly snapshots = new Map<string, { snapshot: AgentSnapshot; savedAtMs: number }>();

  constructor(private readonly maxSnapshots = 10_000) {}

  private static key(owner: string, agentId: string): string {
    return `${owner}\u0000${agentId}`;
  }

  async save(snapshot: AgentSnapshot): Promise<void> {
    const key = MemoryAgentStore.key(snapshot.owner, snapshot.agentId);
    this.snapshots.delete(key); // re-inserting keeps the map in order of last save
    this.snapshots.set(key, { snapshot, savedAtMs: Date.now() });
    if (this.snapshots.size > this.maxSnapshots) this.snapshots.delete(this.snapshots.keys().next().value!);
  }

  async prune(savedBeforeMs: number): Promise<number> {
    let pruned = 0;
    for (const [key, { savedAtMs }] of this.snapshots) {
      if (savedAtMs >= savedBeforeMs) break; // the rest were saved later still
      this.snapshots.delete(key);
      pruned++;
    }
    return pruned;
  }

  async load(owner: string, agentId: string): Promise<AgentSnapshot | undefined> {
    return this.snapshots.get(MemoryAgentStore.key(owner, agentId))?.snapshot;
  }

  async delete(owner: string, agentId: string): Promise<void> {
    this.snapshots.delete(MemoryAgentStore.key(owner, agentId));
  }

  /** Every snapshot, least recently saved first. */
  all(): AgentSnapshot[] {
    return [...this.snapshots.values()].map((entry) => entry.snapshot);
  }
}

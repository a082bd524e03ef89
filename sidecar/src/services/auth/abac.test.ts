/**
 * Attribute rules over the real sidecar: a token scoped to a project reaches only that
 * project's planner domains and assets, whatever its roles allow.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import { EnsoulClient } from "../../lib/client.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { refusal } from "./auth.testkit.js";

const DOMAIN = readFileSync(new URL("../planner/examples/simple_htn.domain.json", import.meta.url), "utf8");
const WORLD = JSON.stringify({ loc: { alice: "home_a", bob: "home_b", taxi1: "park", taxi2: "station" }, cash: { alice: 20, bob: 15 }, owe: { alice: 0, bob: 0 } });
const TRAVEL = JSON.stringify([["travel", "alice", "park"]]);

let dataDir: string;
let sidecar: RunningSidecar;
const clients: EnsoulClient[] = [];

async function as(roles: string[], project = ""): Promise<EnsoulClient> {
  const admin = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token });
  const made = await admin.call("tokenCreate", { roles, project, subject: "same-subject" });
  await admin.close();
  const client = await EnsoulClient.connect(sidecar.url, { token: made.tokenCreated!.secret! });
  clients.push(client);
  return client;
}

async function upload(client: EnsoulClient, name: string, text: string): Promise<string> {
  const data = Buffer.from(text);
  const begun = (await client.call("assetPutBegin", { name, contentType: "text/plain", sizeBytes: data.length })).assetUpload!;
  await client.call("assetPutChunk", { uploadId: begun.uploadId!, offset: 0, data });
  const sha256 = createHash("sha256").update(data).digest("hex");
  return (await client.call("assetPutCommit", { uploadId: begun.uploadId!, sha256 })).assetInfo!.assetId!;
}

const plan = (client: EnsoulClient, domainId: string) => client.call("planRequest", { domainId, stateJson: WORLD, todoJson: TRAVEL });

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-abac-"));
  sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await sidecar.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("project-scoped tokens", () => {
  it("reach only their own project's planner domains, and the shared ones", async () => {
    const northDesigner = await as(["designer"], "north");
    const northGame = await as(["game"], "north");
    const southGame = await as(["game"], "south");
    const studio = await as(["designer"]);

    await northDesigner.call("domainPut", { domainId: "village", domainJson: DOMAIN });
    expect((await plan(northGame, "village")).planReply!.found).toBe(true);
    const hidden = await refusal(plan(southGame, "village"));
    expect(hidden).toMatchObject({ code: "NOT_FOUND", field: "planRequest.domainId" });
    expect((await refusal(plan(studio, "village"))).code).toBe("NOT_FOUND");
    const agent = await refusal(southGame.stream("agentOpen", { agentId: "npc", domainId: "village", stateJson: WORLD, todoJson: TRAVEL }, () => undefined));
    expect(agent.code).toBe("NOT_FOUND");

    // A shared domain reaches every project; a scoped put of the same id is that project's own.
    await studio.call("domainPut", { domainId: "common", domainJson: DOMAIN });
    expect((await plan(southGame, "common")).planReply!.found).toBe(true);
    const blocks = readFileSync(new URL("../planner/examples/blocks_htn.domain.json", import.meta.url), "utf8");
    await northDesigner.call("domainPut", { domainId: "common", domainJson: blocks });
    // North now plans with its blocks domain (no "travel" task there); south still with the shared one.
    const northTry = await plan(northGame, "common").then((r) => r.planReply!.found, () => false);
    expect(northTry).toBe(false);
    expect((await plan(southGame, "common")).planReply!.found).toBe(true);
  });

  it("keep their project's domains across a restart", async () => {
    await sidecar.close();
    sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
    clients.splice(0);
    expect((await plan(await as(["game"], "north"), "village")).planReply!.found).toBe(true);
    expect((await refusal(plan(await as(["game"], "south"), "village"))).code).toBe("NOT_FOUND");
  });

  it("reach only their own project's assets", async () => {
    const north = await as(["designer"], "north");
    const south = await as(["designer"], "south");
    const studio = await as(["viewer"]);
    const id = await upload(north, "map.txt", "the northern map");
    expect((await north.call("assetStat", { assetId: id })).assetInfo!.project).toBe("north");
    expect((await refusal(south.call("assetStat", { assetId: id }))).code).toBe("NOT_FOUND");
    const southList = (await south.call("assetList", {})).assetListReply!.assets ?? [];
    expect(southList.some((a) => a.assetId === id)).toBe(false);
    expect((await refusal(south.call("assetList", { project: "north" }))).code).toBe("PERMISSION_DENIED");
    // An unscoped token sees every project.
    expect((await studio.call("assetStat", { assetId: id })).assetInfo!.project).toBe("north");
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import { loadConfig } from "../../lib/config.js";
import { ensoulRejection } from "../../lib/errors.testkit.js";
import { createLogger } from "../../lib/logger.js";
import type { Principal } from "../../gateway/methods.js";
import { sqliteFileFor, type DataStore } from "../data/index.js";
import { openSqliteStore } from "../data/sqlite.js";
import { checkCharacterRequest, generateProceduralCharacter } from "../generate/index.js";
import { createCharacterService, type CharacterService } from "./index.js";

const admin: Principal = { subject: "admin", roles: ["admin"] };
const northDesigner: Principal = { subject: "nora", roles: ["designer"], project: "north" };

function villager(seed: number, hints: Record<string, unknown>): string {
  return JSON.stringify(generateProceduralCharacter(checkCharacterRequest({ seed, generator: "procedural", ...hints })));
}

describe("character records", () => {
  let dir: string;
  let data: DataStore;
  let characters: CharacterService;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ensoul-characters-"));
    data = await openSqliteStore(sqliteFileFor(dir));
    characters = await createCharacterService(data);
    const cast: Array<[string, number, Record<string, unknown>]> = [
      ["smith-1", 1, { role: "blacksmith", species: "dwarf", prompt: "a grumpy dwarven blacksmith who forges axes" }],
      ["smith-2", 2, { role: "blacksmith", species: "dwarf", prompt: "a proud dwarf smith, master of the anvil" }],
      ["healer-1", 3, { role: "healer", species: "elf", prompt: "a gentle elven healer who gathers herbs" }],
      ["guard-1", 4, { role: "guard", species: "human", prompt: "a watchful human gate guard" }],
    ];
    for (const [id, seed, hints] of cast) await characters.put({ characterId: id, project: "north", characterJson: villager(seed, hints) }, admin);
  });
  afterAll(async () => {
    await data.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores a generated character and reads back the same document", async () => {
    const json = villager(9, { name: "Mara", role: "farmer" });
    const put = await characters.put({ characterId: "mara", project: "south", characterJson: json }, admin);
    expect(put).toMatchObject({ characterId: "mara", project: "south", version: 1 });
    const got = await characters.get({ characterId: "mara", project: "south" }, admin);
    expect(JSON.parse(got.characterJson!)).toEqual(JSON.parse(json));
    expect((await characters.put({ characterId: "mara", project: "south", characterJson: json, ifVersion: 1 }, admin)).version).toBe(2);
    const stale = await ensoulRejection(characters.put({ characterId: "mara", project: "south", characterJson: json, ifVersion: 1 }, admin));
    expect([stale.code, stale.field]).toEqual(["FAILED_PRECONDITION", "ifVersion"]);
  });

  it("lists a project's characters by role and name prefix", async () => {
    const smiths = await characters.list({ project: "north", role: "blacksmith" }, admin);
    expect(smiths.map((c) => c.characterId).sort()).toEqual(["smith-1", "smith-2"]);
    const first = JSON.parse(smiths[0]!.characterJson!) as { name: string };
    const byName = await characters.list({ project: "north", namePrefix: first.name }, admin);
    expect(byName.map((c) => c.characterId)).toContain(smiths[0]!.characterId);
    expect(await characters.list({ project: "nowhere" }, admin)).toEqual([]);
  });

  it("finds the characters most like a text, and most like a stored character", async () => {
    const found = await characters.search({ project: "north", text: "dwarf blacksmith anvil", k: 2 }, admin);
    expect(found.map((m) => m.character.characterId).sort()).toEqual(["smith-1", "smith-2"]);
    expect(found[0]!.score).toBeGreaterThan(found[1]!.score - 1e-9);
    const like = await characters.search({ project: "north", likeCharacterId: "smith-1", k: 1 }, admin);
    expect(like.map((m) => m.character.characterId)).toEqual(["smith-2"]); // never itself
    expect((await ensoulRejection(characters.search({ project: "north", text: "?? !!" }, admin))).field).toBe("characterSearch.text");
    expect((await ensoulRejection(characters.search({ project: "north" }, admin))).code).toBe("INVALID_ARGUMENT");
  });

  it("refuses malformed JSON, unknown fields and bad ids, naming the wire field, and stores nothing", async () => {
    const bad = await ensoulRejection(characters.put({ characterId: "x", characterJson: "{ nope" }, admin));
    expect([bad.code, bad.field]).toEqual(["INVALID_ARGUMENT", "characterPut.characterJson"]);
    const extra = await ensoulRejection(characters.put({ characterId: "x", characterJson: JSON.stringify({ ...JSON.parse(villager(5, {})), colour: "red" }) }, admin));
    expect([extra.code, extra.field]).toEqual(["INVALID_ARGUMENT", "characterPut.characterJson.colour"]);
    const id = await ensoulRejection(characters.put({ characterId: "../x", characterJson: villager(5, {}) }, admin));
    expect(id.field).toBe("characterPut.characterId");
    expect((await ensoulRejection(characters.get({ characterId: "x" }, admin))).code).toBe("NOT_FOUND");
  });

  it("keeps a project-scoped caller inside its project", async () => {
    expect((await characters.list({}, northDesigner)).length).toBe(4);
    const denied = await ensoulRejection(characters.get({ characterId: "mara", project: "south" }, northDesigner));
    expect([denied.code, denied.field]).toEqual(["PERMISSION_DENIED", "characterGet.project"]);
    const put = await characters.put({ characterId: "nora-1", characterJson: villager(6, {}) }, northDesigner);
    expect(put.project).toBe("north");
    expect(await characters.delete({ characterId: "nora-1" }, northDesigner)).toEqual({ characterId: "nora-1", deleted: true });
    expect(await characters.delete({ characterId: "nora-1" }, northDesigner)).toEqual({ characterId: "nora-1", deleted: false });
  });
});

describe("characters over the protocol", () => {
  let dataDir: string;
  let sidecar: RunningSidecar;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-characters-rpc-"));
    sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
  });
  afterAll(async () => {
    await sidecar.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = async (method: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`http://127.0.0.1:${sidecar.port}/v1/characters/${method}`, {
      method: "POST",
      headers: { authorization: `Bearer ${sidecar.adminToken.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it("puts, lists, searches and gets characters through the HTTP mirror", async () => {
    const json = villager(11, { role: "fisher", prompt: "an old fisher who mends nets by the sea" });
    expect((await post("put", { characterId: "fisher", characterJson: json })).json).toMatchObject({ characterId: "fisher", version: "1" });
    expect(((await post("list", {})).json.characters as unknown[]).length).toBe(1);
    const search = await post("search", { text: "fisher nets sea" });
    expect((search.json.matches as Array<{ character: { characterId: string } }>)[0]!.character.characterId).toBe("fisher");
    expect((await post("get", { characterId: "fisher" })).json).toMatchObject({ characterJson: JSON.stringify(JSON.parse(json)) });
    const missing = await post("get", { characterId: "nobody" });
    expect(missing.status).toBe(404);
  });
});

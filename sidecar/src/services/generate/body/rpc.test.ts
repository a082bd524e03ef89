import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../../app/index.js";
import { EnsoulClient } from "../../../lib/client.js";
import { loadConfig } from "../../../lib/config.js";
import { createLogger } from "../../../lib/logger.js";
import { downloadAsset, refusal } from "../../assets/rpc.testkit.js";
import { collectCharacter, createProceduralGenerator, type Character } from "../index.js";
import { buildBody } from "./build.js";
import { bodyParamsFromAppearance } from "./params.js";

interface Running {
  dir: string;
  sidecar: RunningSidecar;
  client: EnsoulClient;
}

async function start(maxFrameBytes?: number): Promise<Running> {
  const dir = mkdtempSync(path.join(tmpdir(), "ensoul-body-rpc-"));
  const sidecar = await startSidecar(loadConfig({ port: 0, dataDir: dir, limits: maxFrameBytes ? { maxFrameBytes } : undefined }, {}), createLogger("silent"));
  const client = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token });
  return { dir, sidecar, client };
}

async function stop(r: Running | undefined): Promise<void> {
  if (!r) return;
  await r.client.close();
  await r.sidecar.close();
  rmSync(r.dir, { recursive: true, force: true });
}

async function download(client: EnsoulClient, assetId: string): Promise<Buffer> {
  return (await downloadAsset(client, { assetId })).bytes;
}

let roomy: Running;
let tight: Running;
let character: Character;

beforeAll(async () => {
  [roomy, tight] = await Promise.all([start(), start(200_000)]);
  character = await collectCharacter(createProceduralGenerator().generate({ prompt: "a tall elven archer", seed: 11, generator: "procedural" }));
});

afterAll(async () => {
  await Promise.all([stop(roomy), stop(tight)]);
});

describe("BodyBuild over the gateway", () => {
  it("builds a character's body, stores it as a glb asset and returns the bytes when asked", async () => {
    const reply = await roomy.client.call("bodyBuild", { characterJson: JSON.stringify(character), includeBytes: true, project: "demo" });
    const built = reply.bodyBuilt!;
    const glb = Buffer.from(built.glb!);
    expect(glb.subarray(0, 4).toString("latin1")).toBe("glTF");
    expect(built.asset).toMatchObject({ name: `${character.name}.glb`, contentType: "model/gltf-binary", project: "demo" });
    expect(Number(built.asset!.sizeBytes)).toBe(glb.length);
    // the stored asset is the same bytes, and the same as building from the appearance directly
    expect((await download(roomy.client, built.asset!.assetId!)).equals(glb)).toBe(true);
    expect(Buffer.from(await buildBody(bodyParamsFromAppearance(character.appearance))).equals(glb)).toBe(true);
  });

  it("builds from an appearance or from body parameters", async () => {
    const fromAppearance = await roomy.client.call("bodyBuild", { appearanceJson: JSON.stringify(character.appearance) });
    const fromParams = await roomy.client.call("bodyBuild", { paramsJson: JSON.stringify({ heightM: 1.2, build: "stocky" }) });
    expect(fromAppearance.bodyBuilt!.asset!.name).toBe("body.glb");
    expect(fromAppearance.bodyBuilt!.glb!.length).toBe(0);
    const small = await download(roomy.client, fromParams.bodyBuilt!.asset!.assetId!);
    expect(small.subarray(0, 4).toString("latin1")).toBe("glTF");
    expect(small.equals(Buffer.from(await buildBody({ heightM: 1.2, build: "stocky" })))).toBe(true);
  });

  it("refuses bytes that do not fit a frame, but stores the body for AssetGet", async () => {
    const refused = await refusal(tight.client.call("bodyBuild", { characterJson: JSON.stringify(character), includeBytes: true }));
    expect(refused).toMatchObject({ code: "FAILED_PRECONDITION", field: "bodyBuild.includeBytes" });
    const assetId = /asset ([0-9a-f]{64})/.exec(refused.message)![1]!;
    expect(refused.message).toContain("AssetGet");
    const glb = await download(tight.client, assetId);
    expect(glb.subarray(0, 4).toString("latin1")).toBe("glTF");
    expect(glb.length).toBeGreaterThan(200_000);
  });

  it("sizes the reply to the frame limit the client announced in Hello, not only the server's", async () => {
    const client = await EnsoulClient.connect(roomy.sidecar.url, { token: roomy.sidecar.adminToken.token, maxFrameBytes: 150_000 });
    try {
      const refused = await refusal(client.call("bodyBuild", { characterJson: JSON.stringify(character), includeBytes: true }));
      expect(refused).toMatchObject({ code: "FAILED_PRECONDITION", field: "bodyBuild.includeBytes" });
      const glb = await download(client, /asset ([0-9a-f]{64})/.exec(refused.message)![1]!);
      expect(glb.subarray(0, 4).toString("latin1")).toBe("glTF");
    } finally {
      await client.close();
    }
  });

  it("names the field of a bad document", async () => {
    const call = (body: Record<string, unknown>): Promise<{ code: string; field?: string }> => refusal(roomy.client.call("bodyBuild", body));
    expect(await call({ characterJson: "{ not json" })).toMatchObject({ code: "INVALID_ARGUMENT", field: "bodyBuild.characterJson" });
    expect(await call({ characterJson: JSON.stringify({ name: "Nobody" }) })).toMatchObject({ code: "INVALID_ARGUMENT", field: "bodyBuild.characterJson.appearance" });
    expect(await call({ appearanceJson: "[1,2]" })).toMatchObject({ code: "INVALID_ARGUMENT", field: "bodyBuild.appearanceJson" });
    expect(await call({ paramsJson: JSON.stringify({ heightM: 9 }) })).toMatchObject({ code: "INVALID_ARGUMENT", field: "bodyBuild.paramsJson.heightM" });
    expect(await call({ paramsJson: JSON.stringify({ wings: 2 }) })).toMatchObject({ code: "INVALID_ARGUMENT", field: "bodyBuild.paramsJson.wings" });
    expect(await call({})).toMatchObject({ code: "INVALID_ARGUMENT", field: "bodyBuild.source" });
    expect((await roomy.client.call("ping", {})).pong).toBeDefined();
  });
});

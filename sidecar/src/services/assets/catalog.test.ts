import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileAssetCatalog, type AssetRecord } from "./catalog.js";

const ID = "ab".repeat(32);

function record(project: string, over: Partial<AssetRecord> = {}): AssetRecord {
  return { assetId: ID, name: `n-${project}`, contentType: "model/gltf-binary", sizeBytes: 10, project, chunks: 1, createdAtMs: 1000, ...over };
}

describe("FileAssetCatalog", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ensoul-catalog-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps every project's record on disk when one asset is added to many projects at once", async () => {
    const catalog = new FileAssetCatalog(dir);
    const projects = Array.from({ length: 24 }, (_, i) => `p${i}`);
    await Promise.all(projects.map((p) => catalog.add(record(p))));
    const reloaded = new FileAssetCatalog(dir);
    const kept = (await reloaded.list({ limit: 100 })).map((r) => r.project).sort();
    expect(kept).toEqual([...projects].sort());
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("returns the first record of a project and ignores a second put of the same id there", async () => {
    const catalog = new FileAssetCatalog(dir);
    const first = await catalog.add(record("a"));
    const again = await catalog.add(record("a", { name: "other" }));
    expect(again).toEqual(first);
    expect((await new FileAssetCatalog(dir).get(ID, "a"))?.name).toBe("n-a");
  });

  it("skips unreadable and foreign files when loading", async () => {
    await writeFile(path.join(dir, `${"cd".repeat(32)}.json`), "{not json");
    await writeFile(path.join(dir, "notes.json"), "[]");
    await writeFile(path.join(dir, `${ID}.json`), JSON.stringify([record("a"), { assetId: ID, name: 5 }]));
    const catalog = new FileAssetCatalog(dir);
    expect((await catalog.list({ limit: 10 })).map((r) => r.project)).toEqual(["a"]);
  });

  it("lists newest first, filtered by project and name prefix, up to the limit", async () => {
    const catalog = new FileAssetCatalog(dir);
    await catalog.add(record("a", { name: "hero", createdAtMs: 1 }));
    await catalog.add(record("a", { assetId: "01".repeat(32), name: "hero-2", createdAtMs: 2 }));
    await catalog.add(record("b", { assetId: "02".repeat(32), name: "hero-3", createdAtMs: 3 }));
    await catalog.add(record("a", { assetId: "03".repeat(32), name: "villain", createdAtMs: 4 }));
    expect((await catalog.list({ project: "a", namePrefix: "hero", limit: 10 })).map((r) => r.name)).toEqual(["hero-2", "hero"]);
    expect((await catalog.list({ limit: 2 })).map((r) => r.name)).toEqual(["villain", "hero-3"]);
  });
});

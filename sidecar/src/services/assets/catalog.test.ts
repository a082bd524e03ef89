import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sqliteFileFor, type DataStore } from "../data/index.js";
import { openSqliteStore } from "../data/sqlite.js";
import { DataAssetCatalog, type AssetRecord } from "./catalog.js";

const ID = "ab".repeat(32);

function record(project: string, over: Partial<AssetRecord> = {}): AssetRecord {
  return { assetId: ID, name: `n-${project}`, contentType: "model/gltf-binary", sizeBytes: 10, project, chunks: 1, createdAtMs: 1000, ...over };
}

describe("DataAssetCatalog", () => {
  let dir: string;
  let data: DataStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ensoul-catalog-"));
    data = await openSqliteStore(sqliteFileFor(dir));
  });
  afterEach(async () => {
    await data.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Closes the database and opens it again: what a restart sees. */
  async function restart(): Promise<DataAssetCatalog> {
    await data.close();
    data = await openSqliteStore(sqliteFileFor(dir));
    return new DataAssetCatalog(data);
  }

  it("keeps every project's record when one asset is added to many projects at once", async () => {
    const catalog = new DataAssetCatalog(data);
    const projects = Array.from({ length: 24 }, (_, i) => `p${i}`);
    await Promise.all(projects.map((p) => catalog.add(record(p))));
    const kept = (await (await restart()).list({ limit: 100 })).map((r) => r.project).sort();
    expect(kept).toEqual([...projects].sort());
  });

  it("returns the first record of a project and ignores a second put of the same id there", async () => {
    const catalog = new DataAssetCatalog(data);
    const first = await catalog.add(record("a"));
    const again = await catalog.add(record("a", { name: "other" }));
    expect(again).toEqual(first);
    expect((await (await restart()).get(ID, "a"))?.name).toBe("n-a");
  });

  it("finds an asset in any project when no project is given, and nothing for an unknown id", async () => {
    const catalog = new DataAssetCatalog(data);
    await catalog.add(record("b"));
    expect((await catalog.get(ID))?.project).toBe("b");
    expect(await catalog.get(ID, "a")).toBeUndefined();
    expect(await catalog.get("cd".repeat(32))).toBeUndefined();
  });

  it("refuses a record the catalog's schema does not allow, naming the field", async () => {
    const catalog = new DataAssetCatalog(data);
    await expect(catalog.add(record("a", { sizeBytes: -1 }))).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "doc.sizeBytes" });
    await expect(catalog.add({ ...record("a"), extra: 1 } as AssetRecord)).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "doc.extra" });
    expect(await catalog.list({ limit: 10 })).toEqual([]);
  });

  it("takes over an older sidecar's catalog files, skipping unreadable and foreign ones", async () => {
    const meta = path.join(dir, "assets", "meta");
    await mkdir(meta, { recursive: true });
    await writeFile(path.join(meta, `${"cd".repeat(32)}.json`), "{not json");
    await writeFile(path.join(meta, "notes.json"), "[]");
    await writeFile(path.join(meta, `${ID}.json`), JSON.stringify([record("a"), { assetId: ID, name: 5 }, record("b", { assetId: "ef".repeat(32) })]));
    const catalog = new DataAssetCatalog(data, meta);
    expect((await catalog.list({ limit: 10 })).map((r) => r.project)).toEqual(["a"]);
    expect((await (await restart()).list({ limit: 10 })).map((r) => r.project)).toEqual(["a"]); // stored, not re-read
  });

  it("lists newest first, filtered by project and name prefix, up to the limit", async () => {
    const catalog = new DataAssetCatalog(data);
    await catalog.add(record("a", { name: "hero", createdAtMs: 1 }));
    await catalog.add(record("a", { assetId: "01".repeat(32), name: "hero-2", createdAtMs: 2 }));
    await catalog.add(record("b", { assetId: "02".repeat(32), name: "hero-3", createdAtMs: 3 }));
    await catalog.add(record("a", { assetId: "03".repeat(32), name: "villain", createdAtMs: 4 }));
    expect((await catalog.list({ project: "a", namePrefix: "hero", limit: 10 })).map((r) => r.name)).toEqual(["hero-2", "hero"]);
    expect((await catalog.list({ limit: 2 })).map((r) => r.name)).toEqual(["villain", "hero-3"]);
  });
});

/**
 * Asset metadata (name, content type, size, project, chunks, creation time) behind a small
 * interface, kept in the data service's `asset_catalog` collection: one record per (project,
 * asset id), so in server mode every replica sees every asset. Catalog files an older sidecar
 * wrote under `<dataDir>/assets/meta/` are taken over on first use.
 */

import { promises as fsp } from "node:fs";
import path from "node:path";
import { EnsoulError } from "../../lib/errors.js";
import type { Collection, CollectionSpec, DataStore } from "../data/index.js";

export interface AssetRecord {
  /** Hex SHA-256 of the asset's `.caibx` index. */
  assetId: string;
  name: string;
  contentType: string;
  sizeBytes: number;
  project: string;
  chunks: number;
  createdAtMs: number;
}

export interface AssetQuery {
  /** Only this project's assets; undefined: every project. */
  project?: string;
  namePrefix?: string;
  limit: number;
}

export interface AssetCatalog {
  /** The asset as recorded for `project`; project undefined: its first record in any project. */
  get(assetId: string, project?: string): Promise<AssetRecord | undefined>;
  /**
   * Records an asset in its project unless that project already has this id; returns the record
   * kept. The id names the content, so a second put of the same bytes into the same project
   * keeps the first put's name and type; another project gets a record of its own.
   */
  add(record: AssetRecord): Promise<AssetRecord>;
  /** Newest first, then by id and project. */
  list(query: AssetQuery): Promise<AssetRecord[]>;
}

/** 64 lower-case hex digits: a SHA-256, which is what an asset id is (of its index file). */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

function isRecord(value: unknown): value is AssetRecord {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.assetId === "string" &&
    SHA256_HEX.test(r.assetId) &&
    typeof r.name === "string" &&
    typeof r.contentType === "string" &&
    typeof r.project === "string" &&
    Number.isSafeInteger(r.sizeBytes) &&
    Number.isSafeInteger(r.chunks) &&
    Number.isSafeInteger(r.createdAtMs)
  );
}

/** Asset records as the data service keeps them; the schema refuses anything else. */
export const ASSET_CATALOG: CollectionSpec = {
  name: "asset_catalog",
  indexes: { name: "string", createdAtMs: "integer" },
  schema: {
    type: "object",
    properties: {
      assetId: { type: "string", pattern: "^[0-9a-f]{64}$" },
      name: { type: "string" },
      contentType: { type: "string" },
      sizeBytes: { type: "integer", minimum: 0 },
      project: { type: "string" },
      chunks: { type: "integer", minimum: 0 },
      createdAtMs: { type: "integer" },
    },
    required: ["assetId", "name", "contentType", "sizeBytes", "project", "chunks", "createdAtMs"],
    additionalProperties: false,
  },
  maxDocumentBytes: 64 * 1024,
};

/** The catalog over the data service; the collection is defined (and old files taken over) on first use. */
export class DataAssetCatalog implements AssetCatalog {
  private collection: Promise<Collection<AssetRecord>> | undefined;

  constructor(
    private readonly data: DataStore,
    /** `<dataDir>/assets/meta` of an older sidecar, if any. */
    private readonly legacyDir?: string,
  ) {}

  private records(): Promise<Collection<AssetRecord>> {
    this.collection ??= (async () => {
      const records = await this.data.define<AssetRecord>(ASSET_CATALOG);
      if (this.legacyDir) await importCatalogFiles(records, this.legacyDir);
      return records;
    })();
    return this.collection;
  }

  async get(assetId: string, project?: string): Promise<AssetRecord | undefined> {
    const records = await this.records();
    if (project !== undefined) return (await records.get(assetId, project))?.doc;
    return (await records.find({ where: { id: assetId }, limit: 1 }))[0]?.doc;
  }

  async add(record: AssetRecord): Promise<AssetRecord> {
    const records = await this.records();
    try {
      return (await records.insert({ id: record.assetId, project: record.project, doc: record })).doc;
    } catch (err) {
      if (!(err instanceof EnsoulError && err.code === "ALREADY_EXISTS")) throw err;
      const kept = await records.get(record.assetId, record.project);
      if (!kept) throw err; // deleted in between: there is no delete yet, so this is not expected
      return kept.doc;
    }
  }

  async list(query: AssetQuery): Promise<AssetRecord[]> {
    const records = await this.records();
    const found = await records.find({
      ...(query.project === undefined ? {} : { project: query.project }),
      ...(query.namePrefix ? { where: { name: { prefix: query.namePrefix } } } : {}),
      orderBy: [{ field: "createdAtMs", direction: "desc" }, { field: "id" }],
      limit: query.limit,
    });
    return found.map((r) => r.doc);
  }
}

/** Takes over `<id>.json` files (arrays of records, one per project); unreadable ones are skipped. */
async function importCatalogFiles(records: Collection<AssetRecord>, dir: string): Promise<void> {
  let files: string[];
  try {
    files = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  for (const file of files.sort()) {
    const id = file.slice(0, -5);
    if (!file.endsWith(".json") || !SHA256_HEX.test(id)) continue; // temporaries, strays
    let parsed: unknown;
    try {
      parsed = JSON.parse(await fsp.readFile(path.join(dir, file), "utf8"));
    } catch {
      continue; // an unreadable record is skipped, not fatal: the index and chunks are still there
    }
    for (const r of Array.isArray(parsed) ? parsed : []) {
      if (!isRecord(r) || r.assetId !== id || (await records.get(id, r.project))) continue;
      const record: AssetRecord = { assetId: r.assetId, name: r.name, contentType: r.contentType, sizeBytes: r.sizeBytes, project: r.project, chunks: r.chunks, createdAtMs: r.createdAtMs };
      try {
        await records.insert({ id, project: record.project, doc: record });
      } catch (err) {
        // Another replica took it over first, or the old record breaks today's rules: skip it.
        if (!(err instanceof EnsoulError && (err.code === "ALREADY_EXISTS" || err.code === "INVALID_ARGUMENT"))) throw err;
      }
    }
  }
}

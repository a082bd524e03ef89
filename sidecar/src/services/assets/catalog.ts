/**
 * Asset metadata (name, content type, size, project, chunks, creation time) behind a small
 * interface, so the data service can take it over later. Until then: one JSON file per asset
 * under `<dataDir>/assets/meta/`, written atomically, read once into memory.
 */

import { promises as fsp } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "./chunk-store.js";

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

/** One JSON file per asset id (`<id>.json`, an array: one record per project). */
export class FileAssetCatalog implements AssetCatalog {
  private loaded: Promise<Map<string, AssetRecord[]>> | undefined;
  /** The latest write of each id's file still under way. */
  private readonly writing = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {}

  private records(): Promise<Map<string, AssetRecord[]>> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<Map<string, AssetRecord[]>> {
    await fsp.mkdir(this.dir, { recursive: true });
    const map = new Map<string, AssetRecord[]>();
    for (const file of await fsp.readdir(this.dir)) {
      const id = file.slice(0, -5);
      if (!file.endsWith(".json") || !SHA256_HEX.test(id)) continue; // temporaries, strays
      try {
        const parsed: unknown = JSON.parse(await fsp.readFile(path.join(this.dir, file), "utf8"));
        const records = Array.isArray(parsed) ? parsed.filter((r): r is AssetRecord => isRecord(r) && r.assetId === id) : [];
        if (records.length > 0) map.set(id, records);
      } catch {
        // an unreadable record is skipped, not fatal: the index and chunks are still there
      }
    }
    return map;
  }

  async get(assetId: string, project?: string): Promise<AssetRecord | undefined> {
    const records = (await this.records()).get(assetId) ?? [];
    return project === undefined ? records[0] : records.find((r) => r.project === project);
  }

  async add(record: AssetRecord): Promise<AssetRecord> {
    const map = await this.records();
    const known = map.get(record.assetId)?.find((r) => r.project === record.project);
    if (known) return known;
    map.set(record.assetId, [...(map.get(record.assetId) ?? []), record]);
    try {
      await this.persist(map, record.assetId);
    } catch (err) {
      const rest = (map.get(record.assetId) ?? []).filter((r) => r !== record);
      if (rest.length > 0) map.set(record.assetId, rest);
      else map.delete(record.assetId);
      throw err;
    }
    return record;
  }

  /**
   * Writes an id's records as they stand when its turn comes. One write per id at a time: two
   * atomic writes racing could rename in either order and leave the older list on disk.
   */
  private persist(map: Map<string, AssetRecord[]>, assetId: string): Promise<void> {
    const file = path.join(this.dir, `${assetId}.json`);
    const write = (this.writing.get(assetId) ?? Promise.resolve())
      .catch(() => undefined) // an earlier failed write is its own caller's error
      .then(() => writeFileAtomic(file, Buffer.from(`${JSON.stringify(map.get(assetId) ?? [], null, 2)}\n`)));
    this.writing.set(assetId, write);
    const forget = (): void => {
      if (this.writing.get(assetId) === write) this.writing.delete(assetId);
    };
    write.then(forget, forget);
    return write;
  }

  async list(query: AssetQuery): Promise<AssetRecord[]> {
    const prefix = query.namePrefix ?? "";
    return [...(await this.records()).values()]
      .flat()
      .filter((r) => (query.project === undefined || r.project === query.project) && r.name.startsWith(prefix))
      .sort((a, b) => b.createdAtMs - a.createdAtMs || a.assetId.localeCompare(b.assetId) || a.project.localeCompare(b.project))
      .slice(0, query.limit);
  }
}

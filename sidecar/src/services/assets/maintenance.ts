/**
 * Store upkeep: `verify` (every chunk of an index present and intact), `list-chunks` and `gc`
 * (remove chunks that no kept index references).
 */

import { promises as fsp } from "node:fs";
import { EnsoulError } from "../../lib/errors.js";
import { LocalChunkStore, type ChunkLocation } from "./chunk-store.js";
import { ChunkLoadError, sharedChunkPool, type ChunkWorkerPool } from "./chunk-workers.js";
import { readIndexFile } from "./chunk-loader.js";
import type { BlobIndex, IndexChunk } from "./index-format.js";

export interface ChunkProblem extends ChunkLocation {
  readonly problem: "missing" | "corrupt";
  readonly message: string;
}

export interface VerifyResult {
  readonly chunkCount: number;
  /** Distinct chunk ids checked. */
  readonly uniqueChunks: number;
  readonly problems: readonly ChunkProblem[];
}

const VERIFY_BATCH = 32;

/**
 * Reads every distinct chunk of the index from the store, decompresses it and checks its digest.
 * Problems are collected (each naming chunk id and index offset), not thrown.
 */
export async function verifyIndex(options: { index: string | BlobIndex; store: string; pool?: ChunkWorkerPool }): Promise<VerifyResult> {
  const index = typeof options.index === "string" ? await readIndexFile(options.index) : options.index;
  const store = new LocalChunkStore(options.store);
  const pool = options.pool ?? sharedChunkPool();
  const firstUse = new Map<string, IndexChunk>();
  for (const c of index.chunks) if (!firstUse.has(c.id)) firstUse.set(c.id, c);
  const unique = [...firstUse.values()];
  const problems: ChunkProblem[] = [];

  const checkRange = async (chunks: IndexChunk[]): Promise<void> => {
    let rest = chunks;
    while (rest.length > 0) {
      try {
        await pool.load(store.dir, store.name, rest, index.digest);
        return;
      } catch (err) {
        if (!(err instanceof ChunkLoadError)) throw err;
        const c = rest[err.chunkIndex]!;
        problems.push({ id: c.id, offset: c.start, problem: err.code === "NOT_FOUND" ? "missing" : "corrupt", message: err.message });
        rest = rest.slice(err.chunkIndex + 1);
      }
    }
  };
  const batches: IndexChunk[][] = [];
  for (let i = 0; i < unique.length; i += VERIFY_BATCH) batches.push(unique.slice(i, i + VERIFY_BATCH));
  await Promise.all(batches.map(checkRange));
  problems.sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
  return { chunkCount: index.chunks.length, uniqueChunks: unique.length, problems };
}

/** The chunks of an index in blob order (a chunk used twice is listed twice, as casync does). */
export async function listChunks(index: string | BlobIndex): Promise<readonly IndexChunk[]> {
  return (typeof index === "string" ? await readIndexFile(index) : index).chunks;
}

export interface GcResult {
  readonly keptChunks: number;
  readonly removedChunks: number;
  readonly removedBytes: number;
  /** Temporary files left by interrupted writers (any tool) and older than `tempMaxAgeMs`. */
  readonly removedTemporaries: number;
}

/** Temporaries younger than this may belong to a writer still at work. */
const DEFAULT_TEMP_MAX_AGE_MS = 60 * 60 * 1000;

/**
 * Removes every chunk of the store that none of the `keep` indexes references, and stale
 * temporary files. Refuses to run without at least one index (that would empty the store);
 * `dryRun` only counts.
 */
export async function collectGarbage(options: {
  store: string;
  keep: readonly string[];
  dryRun?: boolean;
  tempMaxAgeMs?: number;
}): Promise<GcResult> {
  if (options.keep.length === 0) {
    throw new EnsoulError("INVALID_ARGUMENT", "gc needs at least one index to keep (it removes every chunk no index references)", { field: "keep" });
  }
  const referenced = new Set<string>();
  for (const file of options.keep) for (const c of (await readIndexFile(file)).chunks) referenced.add(c.id);
  const store = new LocalChunkStore(options.store);
  let keptChunks = 0;
  let removedChunks = 0;
  let removedBytes = 0;
  for await (const id of store.ids()) {
    if (referenced.has(id)) {
      keptChunks++;
      continue;
    }
    const file = store.chunkPath(id);
    removedBytes += (await fsp.stat(file)).size;
    removedChunks++;
    if (!options.dryRun) await store.remove(id);
  }
  let removedTemporaries = 0;
  const cutoff = Date.now() - (options.tempMaxAgeMs ?? DEFAULT_TEMP_MAX_AGE_MS);
  for await (const file of store.temporaries()) {
    const stat = await fsp.stat(file).catch(() => undefined);
    if (stat === undefined || stat.mtimeMs > cutoff) continue;
    removedTemporaries++;
    if (!options.dryRun) await fsp.rm(file, { force: true });
  }
  return { keptChunks, removedChunks, removedBytes, removedTemporaries };
}

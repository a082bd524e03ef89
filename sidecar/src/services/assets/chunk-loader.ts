/**
 * Reading what an index points at: the index file itself, and runs of chunks from a store
 * (local stores through the worker pool, other sources directly), each verified.
 */

import { promises as fsp } from "node:fs";
import { EnsoulError } from "../../lib/errors.js";
import { LocalChunkStore, missingChunk, openChunk, wrongChunkLength, type ChunkSource } from "./chunk-store.js";
import type { ChunkWorkerPool } from "./chunk-workers.js";
import { decodeIndex, type BlobIndex, type ChunkDigest, type IndexChunk } from "./index-format.js";

/** Reads and decodes a `.caibx` file; a missing file is NOT_FOUND, a malformed one INVALID_ARGUMENT. */
export async function readIndexFile(file: string): Promise<BlobIndex> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (err) {
    throw new EnsoulError("NOT_FOUND", `cannot read index ${file}: ${(err as Error).message}`, { field: "index", cause: err });
  }
  return decodeIndex(bytes, file);
}

/** Loads a run of chunks from the store, verified, as pieces in order. */
export async function loadChunks(chunks: readonly IndexChunk[], store: ChunkSource, digest: ChunkDigest, pool: ChunkWorkerPool): Promise<Uint8Array[]> {
  if (store instanceof LocalChunkStore) {
    return (await pool.load(store.dir, store.name, chunks, digest)).chunks;
  }
  const settled = await Promise.allSettled(
    chunks.map(async (c) => {
      const loc = { id: c.id, offset: c.start };
      const packed = await store.getCompressed(c.id);
      if (packed === undefined) throw missingChunk(loc, store.name);
      return openChunk(packed, loc, digest);
    }),
  );
  // Report the first failing chunk in blob order, whichever request failed first.
  return settled.map((s) => {
    if (s.status === "rejected") throw s.reason;
    return s.value;
  });
}

/** A chunk that hashes right but is not as long as the index says means a broken index. */
export function checkChunkLengths(chunks: readonly IndexChunk[], pieces: readonly Uint8Array[]): void {
  chunks.forEach((c, k) => {
    const actual = pieces[k]?.length ?? 0;
    if (actual !== c.sizeBytes) throw wrongChunkLength({ id: c.id, offset: c.start }, actual, c.sizeBytes);
  });
}

/** Chunks fetched from a store in one go: enough to keep a worker busy, little enough to stream. */
const RUN_MAX_CHUNKS = 64;
const RUN_MAX_BYTES = 4 * 1024 * 1024;

/** Cuts consecutive chunks into runs of at most RUN_MAX_CHUNKS chunks and RUN_MAX_BYTES bytes (one chunk may exceed the bytes alone). */
export function splitIntoRuns(chunks: readonly IndexChunk[]): IndexChunk[][] {
  const runs: IndexChunk[][] = [];
  let run: IndexChunk[] = [];
  let runBytes = 0;
  for (const c of chunks) {
    if (run.length >= RUN_MAX_CHUNKS || (run.length > 0 && runBytes + c.sizeBytes > RUN_MAX_BYTES)) {
      runs.push(run);
      run = [];
      runBytes = 0;
    }
    run.push(c);
    runBytes += c.sizeBytes;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * Starts `load` on the jobs with at most `window` in flight and yields the results in job order.
 * If the consumer stops early or a job fails, the others still running are left to settle.
 */
export async function* inOrder<J, T>(jobs: readonly J[], window: number, load: (job: J) => Promise<T>): AsyncGenerator<[J, T]> {
  const pending: Promise<T>[] = [];
  const launch = (k: number): void => {
    if (k >= jobs.length) return;
    const p = load(jobs[k]!);
    p.catch(() => undefined); // awaited in order below, or abandoned
    pending.push(p);
  };
  for (let k = 0; k < Math.min(window, jobs.length); k++) launch(k);
  for (let k = 0; k < jobs.length; k++) {
    const result = await pending.shift()!;
    launch(k + window);
    yield [jobs[k]!, result];
  }
}

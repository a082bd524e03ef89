/**
 * `make`: chunk a blob into a store and write its `.caibx` index, byte-identical to
 * `casync make --store=STORE INDEX FILE` with the same digest and chunk sizes.
 */

import { promises as fsp } from "node:fs";
import path from "node:path";
import { EnsoulError } from "../../lib/errors.js";
import { chunkInBatches, type ChunkInput } from "./chunk-pipeline.js";
import { LocalChunkStore, writeFileAtomic } from "./chunk-store.js";
import { sharedChunkPool, type ChunkWorkerPool } from "./chunk-workers.js";
import { DEFAULT_CHUNK_SIZES, type ChunkSizes } from "./chunker.js";
import { blobFeatureFlags, DEFAULT_DIGEST, encodeIndex, type BlobIndex, type ChunkDigest, type IndexChunk } from "./index-format.js";

export interface MakeOptions {
  /** The blob: a file path, or a stream of byte pieces. */
  readonly input: string | AsyncIterable<Uint8Array>;
  /** The chunk store directory (created if absent). */
  readonly store: string;
  /** Where to write the index; omitted, the index is only returned. */
  readonly indexPath?: string;
  readonly sizes?: ChunkSizes;
  readonly digest?: ChunkDigest;
  /** Worker threads to use; defaults to the shared pool (one per core). */
  readonly pool?: ChunkWorkerPool;
}

export interface MakeResult {
  readonly index: BlobIndex;
  readonly indexBytes: Buffer;
  readonly blobBytes: number;
  readonly chunkCount: number;
  /** Chunks that were not in the store before. */
  readonly newChunks: number;
  /** Compressed bytes written for the new chunks. */
  readonly storedBytes: number;
}

export async function makeBlobIndex(options: MakeOptions): Promise<MakeResult> {
  const sizes = options.sizes ?? DEFAULT_CHUNK_SIZES;
  const digest = options.digest ?? DEFAULT_DIGEST;
  const pool = options.pool ?? sharedChunkPool();
  const store = new LocalChunkStore(options.store);
  await fsp.mkdir(store.dir, { recursive: true });

  let input: ChunkInput;
  let opened: fsp.FileHandle | undefined;
  if (typeof options.input === "string") {
    try {
      opened = await fsp.open(options.input, "r");
    } catch (err) {
      throw new EnsoulError("NOT_FOUND", `cannot read input ${options.input}: ${(err as Error).message}`, { field: "input", cause: err });
    }
    if (!(await opened.stat()).isFile()) {
      await opened.close();
      throw new EnsoulError("INVALID_ARGUMENT", `input ${options.input} is not a regular file (store a tar of a folder)`, { field: "input" });
    }
    input = opened;
  } else {
    input = options.input;
  }

  let run;
  try {
    run = await chunkInBatches(input, sizes, pool.size * 2, (buffer, lengths) => pool.store(buffer, lengths, digest, store.dir));
  } finally {
    await opened?.close();
  }

  const chunks: IndexChunk[] = [];
  const written = new Map<string, number>();
  for (const batch of run.batches) {
    let start = batch.start;
    batch.lengths.forEach((sizeBytes, i) => {
      chunks.push({ start, sizeBytes, id: batch.result.ids[i]! });
      start += sizeBytes;
    });
    for (const [id, stored] of Object.entries(batch.result.written)) written.set(id, stored);
  }
  const newChunks = written.size;
  let storedBytes = 0;
  for (const stored of written.values()) storedBytes += stored;
  const index: BlobIndex = { featureFlags: blobFeatureFlags(digest), digest, sizes, chunks, blobBytes: run.totalBytes };
  const indexBytes = encodeIndex(index);
  if (options.indexPath !== undefined) {
    await fsp.mkdir(path.dirname(path.resolve(options.indexPath)), { recursive: true });
    await writeFileAtomic(options.indexPath, indexBytes);
  }
  return { index, indexBytes, blobBytes: run.totalBytes, chunkCount: chunks.length, newChunks, storedBytes };
}

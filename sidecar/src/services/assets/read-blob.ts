/**
 * Streams a blob (or a byte range of it) straight from the store, every chunk verified — what a
 * download with resume from an offset needs, without writing a file.
 */

import { EnsoulError } from "../../lib/errors.js";
import { checkChunkLengths, inOrder, loadChunks, readIndexFile, splitIntoRuns } from "./chunk-loader.js";
import { LocalChunkStore, type ChunkSource } from "./chunk-store.js";
import { sharedChunkPool, type ChunkWorkerPool } from "./chunk-workers.js";
import type { BlobIndex, IndexChunk } from "./index-format.js";

export interface ReadBlobOptions {
  readonly index: string | BlobIndex;
  readonly store: string | ChunkSource;
  /** First byte to deliver (default 0), e.g. where an interrupted download stopped. */
  readonly startOffset?: number;
  /** One past the last byte to deliver (default: the blob's end). */
  readonly endOffset?: number;
  readonly pool?: ChunkWorkerPool;
}

/** Index of the chunk holding byte `offset` (chunks sorted by start, offset < blob size). */
function chunkAt(chunks: readonly IndexChunk[], offset: number): number {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = chunks[mid]!;
    if (c.start + c.sizeBytes <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The blob's bytes in [startOffset, endOffset), in order, as pieces of at most one chunk. */
export async function* readBlob(options: ReadBlobOptions): AsyncGenerator<Uint8Array> {
  const index = typeof options.index === "string" ? await readIndexFile(options.index) : options.index;
  const store = typeof options.store === "string" ? new LocalChunkStore(options.store) : options.store;
  const pool = options.pool ?? sharedChunkPool();
  const start = options.startOffset ?? 0;
  const end = options.endOffset ?? index.blobBytes;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > index.blobBytes) {
    throw new EnsoulError("INVALID_ARGUMENT", `byte range [${start}, ${end}) is not within the blob's ${index.blobBytes} bytes`, { field: "offset" });
  }
  if (start === end) return;

  const first = chunkAt(index.chunks, start);
  let last = first;
  while (last < index.chunks.length && index.chunks[last]!.start < end) last++;
  const runs = splitIntoRuns(index.chunks.slice(first, last));

  for await (const [chunks, pieces] of inOrder(runs, pool.size * 2, (r) => loadChunks(r, store, index.digest, pool))) {
    checkChunkLengths(chunks, pieces);
    for (let j = 0; j < chunks.length; j++) {
      const c = chunks[j]!;
      const from = Math.max(start - c.start, 0);
      const to = Math.min(end - c.start, c.sizeBytes);
      yield from === 0 && to === c.sizeBytes ? pieces[j]! : pieces[j]!.subarray(from, to);
    }
  }
}

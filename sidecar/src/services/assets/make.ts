/**
 * `make`: chunk a blob into a store and write its `.caibx` index, byte-identical to
 * `casync make --store=STORE INDEX FILE` with the same digest and chunk sizes.
 */

import { promises as fsp } from "node:fs";
import path from "node:path";
import { EnsoulError } from "../../lib/errors.js";
import { chunkInBatches, type ChunkedBatch, type ChunkInput } from "./chunk-pipeline.js";
import { LocalChunkStore, writeFileAtomic } from "./chunk-store.js";
import { sharedChunkPool, type ChunkWorkerPool, type SegmentStoreResult } from "./chunk-workers.js";
import { cutFileFrom, DEFAULT_CHUNK_SIZES, segmentRules, type ChunkSizes } from "./chunker.js";
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
  /** Bytes of a file each worker chunks at a time (tests set it small; see chunkFileInWorkers). */
  readonly segmentBytes?: number;
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

/** Segment length for chunking a file in the workers (rounded up to a multiple of the max chunk). */
const SEGMENT_BYTES = 4 * 1024 * 1024;
/** Larger chunks would need large slots in each worker; such files go through chunkInBatches. */
const MAX_SEGMENT_CHUNK_BYTES = 1024 * 1024;
/** Segments a worker holds at once: one being stored, one waiting, one being read and chunked. */
const SLOTS_PER_WORKER = 3;

/**
 * Where segments start (and, last, the file's end): whole multiples of `unit`, `length` long
 * until the rest of the file would keep each worker busy for less than two segments; from there
 * they shrink (to an eighth of `length` at least), so that the workers run out of work at about
 * the same time.
 */
export function segmentBounds(fileBytes: number, length: number, unit: number, workers: number): number[] {
  const bounds = [0];
  const shortest = Math.max(unit, Math.floor(length / 8 / unit) * unit);
  for (let pos = 0; pos < fileBytes; ) {
    const share = Math.floor((fileBytes - pos) / (2 * workers) / unit) * unit;
    pos = Math.min(pos + Math.min(length, Math.max(shortest, share)), fileBytes);
    bounds.push(pos);
  }
  return bounds;
}

/**
 * Chunks, hashes and stores a regular file entirely on the worker threads, so the main thread only
 * schedules and both cores do the same kind of work.
 *
 * The file is cut into segments; each worker reads its segments itself and chunks each one as if a
 * chunk began at the segment's start. That guess is wrong only near the start: chunk boundaries
 * depend on the bytes since the last boundary, so once the guessed boundaries and the true ones
 * (those of one chunker run over the whole file) share a boundary, they agree from there on. The
 * segments are then settled in order: the true boundary where the chunk stream enters segment k is
 * where it left segment k-1. When that entry is one of segment k's own boundaries, its boundaries
 * from there on are the true ones. Otherwise (about one segment in four of a tar: the entry lies
 * less than `min` bytes in) the main thread reads on from the entry and cuts until it lands on one
 * of them, usually within a chunk or two, rather than wait for the worker. Either way the next
 * segment's entry is known at once and the workers never wait on each other. The chunks are the
 * ones a single Chunker would find, which the tests check.
 */
async function chunkFileInWorkers(
  file: fsp.FileHandle,
  sizes: ChunkSizes,
  segmentBytes: number,
  pool: ChunkWorkerPool,
  digest: ChunkDigest,
  storeDir: string,
): Promise<{ batches: ChunkedBatch<SegmentStoreResult>[]; totalBytes: number }> {
  const fileBytes = (await file.stat()).size;
  // Whole maximum chunks: for fixed-size chunks every segment then starts on a chunk boundary.
  const segmentLength = Math.max(1, Math.ceil(segmentBytes / sizes.maxBytes)) * sizes.maxBytes;
  const bounds = segmentBounds(fileBytes, segmentLength, sizes.maxBytes, pool.size);
  const count = bounds.length - 1;
  const rules = segmentRules(sizes);
  const slotBytes = segmentLength + sizes.maxBytes;
  const workers = pool.size;
  const freeSlots = Array.from({ length: workers }, () => Array.from({ length: SLOTS_PER_WORKER }, (_, i) => i));
  const queued = new Array<number>(workers).fill(0); // requests sent to each worker and not answered
  const chunked: Promise<{ cuts: number[] }>[] = [];
  const workerOf: number[] = [];
  const slotOf: number[] = [];
  const stored: Promise<SegmentStoreResult>[] = [];
  let wake: (() => void) | undefined;
  let failure: { error: unknown } | undefined;

  const send = <T>(worker: number, request: Promise<T>): Promise<T> => {
    queued[worker]!++;
    const answered = (): void => void queued[worker]!--;
    request.then(answered, answered);
    return request;
  };
  // Hands out segments in order while any worker has a free slot, each to the worker with the
  // least work queued: a worker whose segments hold more new chunks gets fewer, so both finish
  // together.
  const dispatch = (): void => {
    for (let k = chunked.length; k < count; k++) {
      let worker = -1;
      for (let w = 0; w < workers; w++) {
        if (freeSlots[w]!.length > 0 && (worker < 0 || queued[w]! < queued[worker]!)) worker = w;
      }
      if (worker < 0) return;
      const slot = freeSlots[worker]!.shift()!;
      const start = bounds[k]!;
      const end = bounds[k + 1]!;
      workerOf[k] = worker;
      slotOf[k] = slot;
      const promise = send(worker, pool.chunkSegment(worker, { fd: file.fd, fileBytes, start, end, slot, slotBytes, rules }));
      promise.catch(() => undefined); // awaited in order below
      chunked.push(promise);
    }
  };
  const storeSettled = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  try {
    let entry = 0;
    for (let k = 0; k < count; k++) {
      dispatch();
      while (chunked.length <= k) {
        // All slots are held by earlier segments, whose stores have been sent: wait for one.
        if (failure !== undefined) throw failure.error;
        await new Promise<void>((resolve) => (wake = resolve));
        dispatch();
      }
      const { cuts } = await chunked[k]!;
      const at = cuts.indexOf(entry);
      const end = bounds[k + 1]!;
      const trueCuts = at >= 0 ? cuts.slice(at) : await cutFileFrom(file, fileBytes, sizes, entry, end, cuts);
      const worker = workerOf[k]!;
      const slot = slotOf[k]!;
      const result = send(worker, pool.storeSegment(worker, slot, trueCuts, digest, storeDir));
      stored.push(result);
      result.then(
        () => {
          freeSlots[worker]!.push(slot);
          storeSettled();
        },
        (error: unknown) => {
          failure ??= { error };
          storeSettled();
        },
      );
      entry = trueCuts[trueCuts.length - 1]!;
    }
    const results = await Promise.all(stored);
    let start = 0;
    const batches = results.map((result) => {
      const batch = { start, lengths: result.lengths, result };
      for (const length of result.lengths) start += length;
      return batch;
    });
    if (start !== fileBytes) throw new EnsoulError("INTERNAL", `segment chunking covered ${start} of ${fileBytes} bytes`);
    return { batches, totalBytes: fileBytes };
  } finally {
    await Promise.allSettled([...chunked, ...stored]);
  }
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

  let run: { batches: ChunkedBatch<{ ids: string[]; written: Record<string, number> }>[]; totalBytes: number };
  try {
    if (opened !== undefined && sizes.maxBytes <= MAX_SEGMENT_CHUNK_BYTES) {
      const segmentBytes = options.segmentBytes ?? Math.max(SEGMENT_BYTES, 8 * sizes.maxBytes);
      run = await chunkFileInWorkers(opened, sizes, segmentBytes, pool, digest, store.dir);
    } else {
      run = await chunkInBatches(input, sizes, pool.size * 2, (buffer, lengths) => pool.store(buffer, lengths, digest, store.dir));
    }
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

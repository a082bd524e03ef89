/**
 * `extract`: rebuild a blob from its index, taking chunks from seed files where they already hold
 * them and from the store otherwise. Every chunk is hash-checked; the output is written to a
 * temporary file beside the target and renamed over it only when complete, so a failure never
 * leaves a partial file in place of the target.
 */

import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { EnsoulError } from "../../lib/errors.js";
import { chunkInBatches } from "./chunk-pipeline.js";
import { checkChunkLengths, inOrder, loadChunks, readIndexFile, splitIntoRuns } from "./chunk-loader.js";
import { chunkId, corruptChunk, LocalChunkStore, type ChunkSource } from "./chunk-store.js";
import { sharedChunkPool, type ChunkWorkerPool } from "./chunk-workers.js";
import type { BlobIndex, IndexChunk } from "./index-format.js";

export interface ExtractOptions {
  /** The index: a `.caibx` path, or one already decoded. */
  readonly index: string | BlobIndex;
  /** A store directory, or any other chunk source (e.g. an HTTP chunk server). */
  readonly store: string | ChunkSource;
  readonly output: string;
  /** Files that may already hold some of the chunks (e.g. an older version of the blob). */
  readonly seeds?: readonly string[];
  /** Use the existing output file as a seed too, as casync does (default true). */
  readonly seedOutput?: boolean;
  readonly pool?: ChunkWorkerPool;
}

export interface ExtractResult {
  readonly blobBytes: number;
  readonly chunkCount: number;
  readonly bytesFromSeed: number;
  readonly bytesFromStore: number;
  readonly chunksFromSeed: number;
  readonly chunksFromStore: number;
}

interface SeedChunk {
  readonly file: string;
  readonly offset: number;
  readonly sizeBytes: number;
}

/** Chunks each seed with the index's sizes and digest; returns where each wanted chunk lies. */
async function indexSeeds(files: readonly string[], index: BlobIndex, pool: ChunkWorkerPool): Promise<Map<string, SeedChunk>> {
  const wanted = new Set(index.chunks.map((c) => c.id));
  const found = new Map<string, SeedChunk>();
  for (const file of files) {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new EnsoulError("NOT_FOUND", `cannot read seed ${file}: ${(err as Error).message}`, { field: "seed", cause: err });
    }
    try {
      if (!(await handle.stat()).isFile()) {
        throw new EnsoulError("INVALID_ARGUMENT", `seed ${file} is not a regular file`, { field: "seed" });
      }
      const run = await chunkInBatches(handle, index.sizes, pool.size * 2, (buffer, lengths) => pool.hash(buffer, lengths, index.digest));
      for (const batch of run.batches) {
        let offset = batch.start;
        batch.lengths.forEach((sizeBytes, i) => {
          const id = batch.result.ids[i]!;
          if (wanted.has(id) && !found.has(id)) found.set(id, { file, offset, sizeBytes });
          offset += sizeBytes;
        });
      }
    } finally {
      await handle.close();
    }
  }
  return found;
}

/** A run of consecutive chunks that come from the same place. */
type Step = { kind: "seed"; chunk: IndexChunk; seed: SeedChunk } | { kind: "store"; chunks: IndexChunk[] };

function planSteps(index: BlobIndex, seeds: Map<string, SeedChunk>): Step[] {
  const steps: Step[] = [];
  let fromStore: IndexChunk[] = [];
  const endStoreStretch = (): void => {
    for (const chunks of splitIntoRuns(fromStore)) steps.push({ kind: "store", chunks });
    fromStore = [];
  };
  for (const chunk of index.chunks) {
    const seed = seeds.get(chunk.id);
    if (seed !== undefined && seed.sizeBytes === chunk.sizeBytes) {
      endStoreStretch();
      steps.push({ kind: "seed", chunk, seed });
    } else {
      fromStore.push(chunk);
    }
  }
  endStoreStretch();
  return steps;
}

/** Open seed files, shared by the concurrent reads of one extract. */
type SeedHandles = Map<string, Promise<fsp.FileHandle>>;

async function readSeedChunk(step: { chunk: IndexChunk; seed: SeedChunk }, handles: SeedHandles, index: BlobIndex): Promise<Buffer> {
  let opening = handles.get(step.seed.file);
  if (opening === undefined) {
    opening = fsp.open(step.seed.file, "r");
    handles.set(step.seed.file, opening);
  }
  const handle = await opening;
  const data = Buffer.alloc(step.seed.sizeBytes);
  const { bytesRead } = await handle.read(data, 0, data.length, step.seed.offset);
  if (bytesRead !== data.length || chunkId(data, index.digest) !== step.chunk.id) {
    throw corruptChunk({ id: step.chunk.id, offset: step.chunk.start }, `seed ${step.seed.file} changed while extracting`);
  }
  return data;
}

export async function extractBlob(options: ExtractOptions): Promise<ExtractResult> {
  const index = typeof options.index === "string" ? await readIndexFile(options.index) : options.index;
  const store = typeof options.store === "string" ? new LocalChunkStore(options.store) : options.store;
  const pool = options.pool ?? sharedChunkPool();
  const output = path.resolve(options.output);
  const seedFiles = [...(options.seeds ?? [])];
  if (options.seedOutput ?? true) seedFiles.push(output);
  const seeds = seedFiles.length > 0 ? await indexSeeds(seedFiles, index, pool) : new Map<string, SeedChunk>();
  const steps = planSteps(index, seeds);

  const temp = path.join(path.dirname(output), `.${path.basename(output)}.${randomBytes(6).toString("hex")}.tmp`);
  const seedHandles: SeedHandles = new Map();
  const result = { blobBytes: index.blobBytes, chunkCount: index.chunks.length, bytesFromSeed: 0, bytesFromStore: 0, chunksFromSeed: 0, chunksFromStore: 0 };
  let out: fsp.FileHandle | undefined;
  // Every step started, so that a failure waits for the rest before closing the descriptor the
  // workers write to: a write arriving after the close could land in whatever file reuses it.
  const started: Promise<void>[] = [];
  try {
    await fsp.mkdir(path.dirname(output), { recursive: true });
    out = await fsp.open(temp, "wx");
    const fd = out.fd;
    const file = out;
    // Each step puts its bytes at their blob offset: runs from a local store are written by the
    // workers themselves; seed chunks and other sources' chunks come back here to be written.
    const place = async (step: Step): Promise<void> => {
      if (step.kind === "store" && store instanceof LocalChunkStore) return pool.write(store.dir, store.name, step.chunks, index.digest, fd);
      const stepChunks = step.kind === "seed" ? [step.chunk] : step.chunks;
      const pieces = step.kind === "seed" ? [await readSeedChunk(step, seedHandles, index)] : await loadChunks(step.chunks, store, index.digest, pool);
      checkChunkLengths(stepChunks, pieces);
      const wanted = pieces.reduce((n, p) => n + p.length, 0);
      const { bytesWritten } = await file.writev(pieces, stepChunks[0]!.start);
      if (bytesWritten !== wanted) throw new EnsoulError("INTERNAL", `short write to ${temp}: ${bytesWritten} of ${wanted} bytes`);
    };
    const start = (step: Step): Promise<void> => {
      const placed = place(step);
      started.push(placed);
      return placed;
    };
    for await (const [step] of inOrder(steps, pool.size * 2, start)) {
      if (step.kind === "seed") {
        result.chunksFromSeed++;
        result.bytesFromSeed += step.chunk.sizeBytes;
      } else {
        result.chunksFromStore += step.chunks.length;
        result.bytesFromStore += step.chunks.reduce((sum, c) => sum + c.sizeBytes, 0);
      }
    }
    await out.close();
    out = undefined;
    await fsp.rename(temp, output);
  } catch (err) {
    await Promise.allSettled(started);
    await out?.close();
    await fsp.rm(temp, { force: true });
    throw err;
  } finally {
    await Promise.allSettled([...seedHandles.values()].map(async (h) => (await h).close()));
  }
  return result;
}

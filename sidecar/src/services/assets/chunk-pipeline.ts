/**
 * Chunk an input on the main thread while the worker pool hashes (and, for `make`, compresses and
 * stores) earlier chunks: chunks are copied into batches of a few MiB, each batch is handed to a
 * worker, and results are collected in input order with a bounded number of batches in flight.
 * Batch buffers the workers hand back are filled again: fresh ones would page-fault on every byte.
 */

import type { FileHandle } from "node:fs/promises";
import { Chunker, type ChunkSizes } from "./chunker.js";

/** An input to chunk: a file already opened, or a stream of byte pieces. */
export type ChunkInput = FileHandle | AsyncIterable<Uint8Array>;

const BATCH_TARGET_BYTES = 2 * 1024 * 1024;

export interface ChunkedBatch<T> {
  /** Blob offset of the batch's first chunk. */
  readonly start: number;
  readonly lengths: readonly number[];
  readonly result: T;
}

function isFileHandle(input: ChunkInput): input is FileHandle {
  return typeof (input as FileHandle).read === "function" && typeof (input as FileHandle).fd === "number";
}

/** Feeds `input` into the chunker, calling `onChunk` for every chunk view in order. */
async function feedChunker(input: ChunkInput, chunker: Chunker, onChunk: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  const drain = async (): Promise<void> => {
    for (let c = chunker.next(); c !== undefined; c = chunker.next()) await onChunk(c);
  };
  if (isFileHandle(input)) {
    for (;;) {
      const space = chunker.space();
      const { bytesRead } = await input.read(space, 0, space.length, null);
      if (bytesRead === 0) break;
      chunker.filled(bytesRead);
      await drain();
    }
  } else {
    for await (const piece of input) {
      let pos = 0;
      while (pos < piece.length) {
        const space = chunker.space();
        const n = Math.min(space.length, piece.length - pos);
        space.set(piece.subarray(pos, pos + n));
        chunker.filled(n);
        pos += n;
        await drain();
      }
    }
  }
  chunker.end();
  await drain();
}

/** What `process` gives back: anything, plus the batch's buffer once the callee is done with it. */
export interface BatchOutcome {
  readonly buffer?: ArrayBuffer;
}

/**
 * Chunks `input` and runs `process` on batches of chunks (laid end to end at the start of a
 * buffer the callee owns until it hands it back in its result), at most `inFlight` at once.
 * Returns the batches in input order.
 */
export async function chunkInBatches<T extends BatchOutcome>(
  input: ChunkInput,
  sizes: ChunkSizes,
  inFlight: number,
  process: (buffer: ArrayBuffer, lengths: number[]) => Promise<T>,
): Promise<{ batches: ChunkedBatch<T>[]; totalBytes: number }> {
  const chunker = new Chunker(sizes);
  const capacity = Math.max(BATCH_TARGET_BYTES, sizes.maxBytes);
  const done: ChunkedBatch<T>[] = [];
  const running: { start: number; lengths: number[]; promise: Promise<T> }[] = [];
  const spare: ArrayBuffer[] = [];
  let backing = spare.pop() ?? new ArrayBuffer(capacity);
  let buffer = new Uint8Array(backing);
  let used = 0;
  let lengths: number[] = [];
  let batchStart = 0;
  let total = 0;

  const settleOldest = async (): Promise<void> => {
    const oldest = running.shift()!;
    const result = await oldest.promise;
    if (result.buffer?.byteLength === capacity) spare.push(result.buffer);
    done.push({ start: oldest.start, lengths: oldest.lengths, result });
  };
  const flush = async (): Promise<void> => {
    if (lengths.length === 0) return;
    const promise = process(backing, lengths);
    promise.catch(() => undefined); // observed when settled in order; avoids an unhandled rejection meanwhile
    running.push({ start: batchStart, lengths, promise });
    batchStart += used;
    backing = spare.pop() ?? new ArrayBuffer(capacity);
    buffer = new Uint8Array(backing);
    used = 0;
    lengths = [];
    while (running.length >= inFlight) await settleOldest();
  };

  try {
    await feedChunker(input, chunker, async (chunk) => {
      if (used + chunk.length > capacity) await flush();
      buffer.set(chunk, used);
      used += chunk.length;
      total += chunk.length;
      lengths.push(chunk.length);
    });
    await flush();
    while (running.length > 0) await settleOldest();
  } finally {
    await Promise.allSettled(running.map((r) => r.promise));
  }
  return { batches: done, totalBytes: total };
}

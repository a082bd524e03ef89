/**
 * Content-defined chunking exactly as casync does it (src/cachunker.c), so that our indexes list
 * the same chunks as `casync make` for the same input and sizes:
 *
 * - a 48-byte buzhash window over casync's table; rolling step
 *   h' = rotl(h, 1) ^ rotl(T[leaving], 48 mod 32) ^ T[entering];
 * - a cut after the byte whose hash satisfies h % d == d - 1, with the discriminator d derived
 *   from the average size by casync's formula and clamped into [min, max];
 * - no test before the chunk has max(min, 48) bytes; the window ending exactly there is the first
 *   one tested (casync seeds and tests it, older desync versions do not), so a chunk can be exactly
 *   `min` bytes long;
 * - a forced cut at `max`; the hash restarts from zero after every cut;
 * - when min == avg == max, plain fixed-size blocks without hashing.
 */

import type { FileHandle } from "node:fs/promises";
import { EnsoulError } from "../../lib/errors.js";
import { BUZHASH_TABLE } from "./buzhash-table.js";
import { cutConstants, DATA_OFFSET, instantiateChunkerWasm, type ChunkerWasm } from "./chunker-wasm.js";

export const WINDOW_BYTES = 48;
/** casync's CA_CHUNK_SIZE_LIMIT_MIN / _MAX (src/cachunk.h). */
export const CHUNK_SIZE_LIMIT_MIN = 1;
export const CHUNK_SIZE_LIMIT_MAX = 128 * 1024 * 1024;

export interface ChunkSizes {
  readonly minBytes: number;
  readonly avgBytes: number;
  readonly maxBytes: number;
}

export const DEFAULT_CHUNK_SIZES: ChunkSizes = Object.freeze({
  minBytes: 16 * 1024,
  avgBytes: 64 * 1024,
  maxBytes: 256 * 1024,
});

function badSizes(message: string): EnsoulError {
  return new EnsoulError("INVALID_ARGUMENT", message, { field: "chunk_size" });
}

/**
 * Fills in missing sizes the way casync's `ca_chunker_set_size` does (0 or undefined = not
 * given) and checks the limits.
 */
export function resolveChunkSizes(given: Partial<ChunkSizes> = {}): ChunkSizes {
  let min = given.minBytes ?? 0;
  let avg = given.avgBytes ?? 0;
  let max = given.maxBytes ?? 0;
  for (const v of [min, avg, max]) {
    if (!Number.isSafeInteger(v) || v < 0) throw badSizes(`chunk sizes must be whole byte counts, got ${v}`);
  }
  const inLimits = (v: number): boolean => v >= CHUNK_SIZE_LIMIT_MIN && v <= CHUNK_SIZE_LIMIT_MAX;
  if (avg === 0) {
    if (min !== 0 && max !== 0) avg = Math.round(2 ** ((Math.log2(min) + Math.log2(max)) / 2));
    else if (min !== 0) avg = min * 4;
    else if (max !== 0) avg = Math.floor(max / 4);
    else avg = DEFAULT_CHUNK_SIZES.avgBytes;
    avg = Math.min(Math.max(avg, CHUNK_SIZE_LIMIT_MIN), CHUNK_SIZE_LIMIT_MAX);
  } else if (!inLimits(avg)) {
    throw badSizes(`average chunk size must be between ${CHUNK_SIZE_LIMIT_MIN} and ${CHUNK_SIZE_LIMIT_MAX} bytes`);
  }
  if (min === 0) min = Math.max(Math.floor(avg / 4), CHUNK_SIZE_LIMIT_MIN);
  else if (!inLimits(min)) throw badSizes(`minimum chunk size must be at least ${CHUNK_SIZE_LIMIT_MIN} byte`);
  else if (min > avg) throw badSizes("minimum chunk size must not exceed the average");
  if (max === 0) max = Math.min(avg * 4, CHUNK_SIZE_LIMIT_MAX);
  else if (!inLimits(max)) throw badSizes(`maximum chunk size must be at most ${CHUNK_SIZE_LIMIT_MAX} bytes`);
  else if (max < avg) throw badSizes("maximum chunk size must not be below the average");
  if (max < WINDOW_BYTES && !(min === avg && avg === max)) {
    // The first boundary test comes after a full 48-byte window, so such chunks would exceed max
    // (casync refuses these sizes too).
    throw badSizes(`maximum chunk size must be at least ${WINDOW_BYTES} bytes unless min = avg = max`);
  }
  return { minBytes: min, avgBytes: avg, maxBytes: max };
}

const SIZE_SUFFIXES: Record<string, number> = { "": 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Parses one size the way casync does: a whole number with an optional K/M/G (×1024) suffix. */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+)\s*([BKMG]?)\s*$/i.exec(text);
  const factor = m ? SIZE_SUFFIXES[(m[2] ?? "").toUpperCase()] : undefined;
  if (!m || factor === undefined) throw badSizes(`cannot parse size "${text}" (examples: 65536, 64K, 1M)`);
  return Number(m[1]) * factor;
}

/**
 * Parses casync's `--chunk-size`: either one average size or `MIN:AVG:MAX`, each with an optional
 * K/M/G suffix (e.g. `16K:64K:256K`).
 */
export function parseChunkSizes(arg: string): ChunkSizes {
  const parts = arg.split(":");
  if (arg === "auto") return resolveChunkSizes();
  if (parts.length === 1) return resolveChunkSizes({ avgBytes: parseByteSize(arg) });
  if (parts.length !== 3) throw badSizes("--chunk-size takes an average size or MIN:AVG:MAX");
  const [min, avg, max] = parts.map(parseByteSize) as [number, number, number];
  if (min < CHUNK_SIZE_LIMIT_MIN) throw badSizes(`minimum chunk size must be at least ${CHUNK_SIZE_LIMIT_MIN} byte`);
  if (avg < min) throw badSizes("average chunk size must not be below the minimum");
  if (max < avg) throw badSizes("maximum chunk size must not be below the average");
  return resolveChunkSizes({ minBytes: min, avgBytes: avg, maxBytes: max });
}

/** casync's CA_CHUNKER_DISCRIMINATOR_FROM_AVG, computed in doubles and truncated, then clamped. */
export function discriminatorFor(sizes: ChunkSizes): number {
  const avg = sizes.avgBytes;
  const d = Math.trunc(avg / (-1.42888852e-7 * avg + 1.33237515));
  return Math.min(Math.max(d, sizes.minBytes), sizes.maxBytes);
}

function isFixedSize(sizes: ChunkSizes): boolean {
  return sizes.minBytes === sizes.avgBytes && sizes.maxBytes === sizes.avgBytes;
}

/** Bytes a chunk must have before the first boundary test (casync skips and seeds up to here). */
function firstTestOffset(sizes: ChunkSizes): number {
  return Math.max(sizes.minBytes, WINDOW_BYTES);
}

/**
 * Bytes that must be buffered from a chunk's start before its end can be decided without the
 * rest of the input.
 */
export function lookaheadBytes(sizes: ChunkSizes): number {
  return isFixedSize(sizes) ? sizes.maxBytes : Math.max(sizes.maxBytes, firstTestOffset(sizes));
}

/**
 * The plain-JavaScript reference for one chunk: where the chunk that starts at `start` ends,
 * given `data` up to `end` (`end` is either the end of the input or at least
 * `lookaheadBytes(sizes)` past `start`). Slow (the `%`); the tests hold the Wasm loop to it.
 */
export function referenceCut(data: Uint8Array, start: number, end: number, sizes: ChunkSizes): number {
  if (isFixedSize(sizes)) return Math.min(end, start + sizes.maxBytes);
  const first = start + firstTestOffset(sizes);
  if (first >= end) return end;
  if (first - start >= sizes.maxBytes) return first;
  const d = discriminatorFor(sizes);
  const limit = Math.min(end, start + sizes.maxBytes);
  let h = 0;
  for (let i = first - WINDOW_BYTES; i < first; i++) {
    h = (((h << 1) | (h >>> 31)) ^ (BUZHASH_TABLE[data[i]!]!)) >>> 0;
  }
  if (h % d === d - 1) return first;
  for (let p = first; p < limit; p++) {
    const out = BUZHASH_TABLE[data[p - WINDOW_BYTES]!]!;
    h = (((h << 1) | (h >>> 31)) ^ ((out << 16) | (out >>> 16)) ^ BUZHASH_TABLE[data[p]!]!) >>> 0;
    if (h % d === d - 1) return p + 1;
  }
  return limit;
}

/** The cut rules in the form the chunk workers take them (see chunk-workers.ts, `cutAt`). */
export interface SegmentRules {
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly fixed: boolean;
  /** Bytes a chunk has before its first boundary test. */
  readonly firstTest: number;
  readonly dMinus1: number;
  readonly inverse: bigint;
  readonly inverseMinus1: bigint;
}

export function segmentRules(sizes: ChunkSizes): SegmentRules {
  const d = discriminatorFor(sizes);
  return {
    minBytes: sizes.minBytes,
    maxBytes: sizes.maxBytes,
    fixed: isFixedSize(sizes),
    firstTest: firstTestOffset(sizes),
    dMinus1: d - 1,
    ...cutConstants(d),
  };
}

/**
 * A streaming chunker over a buffer inside the Wasm module's memory: the caller writes input into
 * `space()`, reports it with `filled(n)`, and takes chunks with `next()` until it returns
 * undefined, then supplies more input (or calls `end()` once the input is exhausted). A chunk is
 * a view into the buffer, valid until the next `space()` call.
 */
export class Chunker {
  readonly sizes: ChunkSizes;
  private readonly wasm: ChunkerWasm;
  private readonly capacity: number;
  private readonly lookahead: number;
  private readonly discriminator: number;
  private readonly inverse: bigint;
  private readonly inverseMinus1: bigint;
  private readonly fixed: boolean;
  private bytes: Uint8Array;
  private start = DATA_OFFSET;
  private stop = DATA_OFFSET;
  private eof = false;

  constructor(sizes: ChunkSizes = DEFAULT_CHUNK_SIZES, bufferBytes = 8 * 1024 * 1024) {
    this.sizes = sizes;
    this.lookahead = lookaheadBytes(sizes);
    this.capacity = Math.max(bufferBytes, 2 * this.lookahead);
    this.wasm = instantiateChunkerWasm(this.capacity);
    this.bytes = new Uint8Array(this.wasm.memory.buffer);
    this.discriminator = discriminatorFor(sizes);
    ({ inverse: this.inverse, inverseMinus1: this.inverseMinus1 } = cutConstants(this.discriminator));
    this.fixed = isFixedSize(sizes);
  }

  /** Free space to write input into (moves unconsumed bytes to the front first). */
  space(): Uint8Array {
    if (this.start > DATA_OFFSET) {
      this.bytes.copyWithin(DATA_OFFSET, this.start, this.stop);
      this.stop -= this.start - DATA_OFFSET;
      this.start = DATA_OFFSET;
    }
    return this.bytes.subarray(this.stop, DATA_OFFSET + this.capacity);
  }

  filled(byteCount: number): void {
    if (this.eof) throw new EnsoulError("FAILED_PRECONDITION", "chunker: input after end()");
    this.stop += byteCount;
  }

  /** Marks the end of input: the remaining bytes form the last chunk. */
  end(): void {
    this.eof = true;
  }

  /** The next complete chunk, or undefined when more input is needed (or all is consumed). */
  next(): Uint8Array | undefined {
    const available = this.stop - this.start;
    if (available === 0 || (!this.eof && available < this.lookahead)) return undefined;
    const cutAt = this.findCut();
    const chunk = this.bytes.subarray(this.start, cutAt);
    this.start = cutAt;
    return chunk;
  }

  private findCut(): number {
    const { start, stop } = this;
    if (this.fixed) return Math.min(stop, start + this.sizes.maxBytes);
    const first = start + firstTestOffset(this.sizes);
    if (first >= stop) return stop;
    if (first - start >= this.sizes.maxBytes) return first;
    const limit = Math.min(stop, start + this.sizes.maxBytes);
    return this.wasm.cut(first, limit, this.discriminator - 1, this.inverse, this.inverseMinus1);
  }
}

/**
 * Chunk boundaries of a file from `entry`, which must be a true boundary, on: reads from there and
 * cuts until a boundary is one of `known` (ascending true boundaries further on, e.g. those of a
 * segment once it met the true ones), then returns the boundaries found plus the rest of `known`;
 * or until a boundary at or past `end`.
 */
export async function cutFileFrom(
  file: FileHandle,
  fileBytes: number,
  sizes: ChunkSizes,
  entry: number,
  end: number,
  known: readonly number[],
): Promise<number[]> {
  const chunker = new Chunker(sizes, 2 * lookaheadBytes(sizes));
  const knownAt = new Map(known.map((cut, i) => [cut, i]));
  const cuts = [entry];
  let pos = entry;
  let readPos = entry;
  for (;;) {
    for (let c = chunker.next(); c !== undefined; c = chunker.next()) {
      pos += c.length;
      const at = knownAt.get(pos);
      if (at !== undefined) return [...cuts, ...known.slice(at)];
      cuts.push(pos);
      if (pos >= end) return cuts;
    }
    if (readPos >= fileBytes) return cuts;
    const space = chunker.space();
    const { bytesRead } = await file.read(space, 0, Math.min(space.length, fileBytes - readPos), readPos);
    if (bytesRead === 0) throw new EnsoulError("FAILED_PRECONDITION", "the input file got shorter while it was being read");
    chunker.filled(bytesRead);
    readPos += bytesRead;
    if (readPos >= fileBytes) chunker.end();
  }
}

/** Chunk lengths of an in-memory buffer (convenient for seeds and tests). */
export function chunkLengths(data: Uint8Array, sizes: ChunkSizes = DEFAULT_CHUNK_SIZES): number[] {
  const chunker = new Chunker(sizes);
  const lengths: number[] = [];
  let offset = 0;
  for (;;) {
    const space = chunker.space();
    const n = Math.min(space.length, data.length - offset);
    space.set(data.subarray(offset, offset + n));
    offset += n;
    chunker.filled(n);
    const done = offset === data.length;
    if (done) chunker.end();
    for (let c = chunker.next(); c !== undefined; c = chunker.next()) lengths.push(c.length);
    if (done) return lengths;
  }
}

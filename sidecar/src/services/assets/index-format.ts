/**
 * The casync blob index (`.caibx`): reader and writer producing the same bytes as `casync make`
 * (src/caformat.h, src/caindex.c). All integers are little-endian u64:
 *
 *   header  size=48, type=CA_FORMAT_INDEX, feature_flags, chunk_size_min, _avg, _max
 *   table   size=UINT64_MAX, type=CA_FORMAT_TABLE
 *   items   N × { end offset of the chunk in the blob, 32-byte chunk id }
 *   tail    0, 0, index_offset=48, size=16+40·N+40, CA_FORMAT_TABLE_TAIL_MARKER
 *
 * so a file is 104 + 40·N bytes long and the blob size is the last item's end offset.
 */

import { EnsoulError } from "../../lib/errors.js";
import { CHUNK_SIZE_LIMIT_MAX, CHUNK_SIZE_LIMIT_MIN, type ChunkSizes } from "./chunker.js";

export const CA_FORMAT_INDEX = 0x96824d9c7b129ff9n;
export const CA_FORMAT_TABLE = 0xe75b9e112f17417dn;
export const CA_FORMAT_TABLE_TAIL_MARKER = 0x4b4f050e5549ecd1n;
export const CA_FORMAT_EXCLUDE_FILE = 0x1000000000000000n;
export const CA_FORMAT_SHA512_256 = 0x2000000000000000n;
export const CA_FORMAT_EXCLUDE_SUBMOUNTS = 0x4000000000000000n;
export const CA_FORMAT_EXCLUDE_NODUMP = 0x8000000000000000n;
/** The archive (catar) feature bits, WITH_* in casync; meaningless but legal in a blob index. */
const CA_FORMAT_WITH_MASK = 0x1ffffffffn;
const KNOWN_FLAGS =
  CA_FORMAT_WITH_MASK | CA_FORMAT_EXCLUDE_FILE | CA_FORMAT_SHA512_256 | CA_FORMAT_EXCLUDE_SUBMOUNTS | CA_FORMAT_EXCLUDE_NODUMP;

const HEADER_BYTES = 48;
const TABLE_HEADER_BYTES = 16;
const ITEM_BYTES = 40;
const TAIL_BYTES = 40;
const UINT64_MAX = 0xffffffffffffffffn;
export const CHUNK_ID_BYTES = 32;
export const CHUNK_ID_PATTERN = /^[0-9a-f]{64}$/;

/** The chunk-id digests casync and desync know; SHA-512/256 is both tools' default. */
export type ChunkDigest = "sha512-256" | "sha256";
export const DEFAULT_DIGEST: ChunkDigest = "sha512-256";

export interface IndexChunk {
  /** Offset of the chunk's first byte in the blob. */
  readonly start: number;
  readonly sizeBytes: number;
  /** Lower-case hex of the 32-byte chunk id. */
  readonly id: string;
}

export interface BlobIndex {
  readonly featureFlags: bigint;
  readonly digest: ChunkDigest;
  readonly sizes: ChunkSizes;
  readonly chunks: readonly IndexChunk[];
  /** Total size of the blob the index describes. */
  readonly blobBytes: number;
}

/** The feature flags `casync make` writes for a blob: EXCLUDE_NODUMP | EXCLUDE_FILE, + SHA512_256. */
export function blobFeatureFlags(digest: ChunkDigest): bigint {
  const base = CA_FORMAT_EXCLUDE_NODUMP | CA_FORMAT_EXCLUDE_FILE;
  return digest === "sha512-256" ? base | CA_FORMAT_SHA512_256 : base;
}

export function digestFromFlags(flags: bigint): ChunkDigest {
  return (flags & CA_FORMAT_SHA512_256) !== 0n ? "sha512-256" : "sha256";
}

/** Serializes an index; with `blobFeatureFlags(digest)` the bytes equal casync's. */
export function encodeIndex(index: BlobIndex): Buffer {
  const n = index.chunks.length;
  const out = Buffer.alloc(HEADER_BYTES + TABLE_HEADER_BYTES + ITEM_BYTES * n + TAIL_BYTES);
  out.writeBigUInt64LE(BigInt(HEADER_BYTES), 0);
  out.writeBigUInt64LE(CA_FORMAT_INDEX, 8);
  out.writeBigUInt64LE(index.featureFlags, 16);
  out.writeBigUInt64LE(BigInt(index.sizes.minBytes), 24);
  out.writeBigUInt64LE(BigInt(index.sizes.avgBytes), 32);
  out.writeBigUInt64LE(BigInt(index.sizes.maxBytes), 40);
  out.writeBigUInt64LE(UINT64_MAX, 48);
  out.writeBigUInt64LE(CA_FORMAT_TABLE, 56);
  let pos = HEADER_BYTES + TABLE_HEADER_BYTES;
  for (const chunk of index.chunks) {
    if (!CHUNK_ID_PATTERN.test(chunk.id)) {
      throw new EnsoulError("INVALID_ARGUMENT", `chunk id ${JSON.stringify(chunk.id)} is not 64 lower-case hex digits`);
    }
    out.writeBigUInt64LE(BigInt(chunk.start + chunk.sizeBytes), pos);
    out.write(chunk.id, pos + 8, CHUNK_ID_BYTES, "hex");
    pos += ITEM_BYTES;
  }
  out.writeBigUInt64LE(0n, pos);
  out.writeBigUInt64LE(0n, pos + 8);
  out.writeBigUInt64LE(BigInt(HEADER_BYTES), pos + 16);
  out.writeBigUInt64LE(BigInt(TABLE_HEADER_BYTES + ITEM_BYTES * n + TAIL_BYTES), pos + 24);
  out.writeBigUInt64LE(CA_FORMAT_TABLE_TAIL_MARKER, pos + 32);
  return out;
}

/**
 * Parses and validates an index the way casync's reader does; `source` names the file in errors.
 * Throws INVALID_ARGUMENT for anything that is not a well-formed blob index.
 */
export function decodeIndex(bytes: Uint8Array, source = "index"): BlobIndex {
  const fail = (why: string): EnsoulError =>
    new EnsoulError("INVALID_ARGUMENT", `${source}: not a valid casync blob index (.caibx): ${why}`, { field: "index" });
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_BYTES + TABLE_HEADER_BYTES + TAIL_BYTES) throw fail(`only ${buf.length} bytes, truncated`);
  const u64 = (pos: number): bigint => buf.readBigUInt64LE(pos);
  if (u64(0) !== BigInt(HEADER_BYTES) || u64(8) !== CA_FORMAT_INDEX) throw fail("wrong magic in the header");
  const featureFlags = u64(16);
  if ((featureFlags & ~KNOWN_FLAGS) !== 0n) throw fail(`unknown feature flags 0x${featureFlags.toString(16)}`);
  const sizeAt = (pos: number): number => {
    const v = u64(pos);
    if (v < BigInt(CHUNK_SIZE_LIMIT_MIN) || v > BigInt(CHUNK_SIZE_LIMIT_MAX)) throw fail(`chunk size ${v} out of range`);
    return Number(v);
  };
  const sizes: ChunkSizes = { minBytes: sizeAt(24), avgBytes: sizeAt(32), maxBytes: sizeAt(40) };
  if (sizes.minBytes > sizes.avgBytes || sizes.avgBytes > sizes.maxBytes) throw fail("chunk sizes not ordered min ≤ avg ≤ max");
  if (u64(48) !== UINT64_MAX || u64(56) !== CA_FORMAT_TABLE) throw fail("wrong magic in the table header");
  const itemBytes = buf.length - HEADER_BYTES - TABLE_HEADER_BYTES - TAIL_BYTES;
  if (itemBytes % ITEM_BYTES !== 0) throw fail(`length ${buf.length} is not 104 + 40·N, truncated`);
  const n = itemBytes / ITEM_BYTES;
  const tail = HEADER_BYTES + TABLE_HEADER_BYTES + ITEM_BYTES * n;
  if (u64(tail) !== 0n || u64(tail + 8) !== 0n || u64(tail + 16) !== BigInt(HEADER_BYTES) ||
      u64(tail + 24) !== BigInt(TABLE_HEADER_BYTES + itemBytes + TAIL_BYTES) || u64(tail + 32) !== CA_FORMAT_TABLE_TAIL_MARKER) {
    throw fail("missing or damaged table tail, truncated");
  }
  const chunks: IndexChunk[] = new Array(n);
  let previousEnd = 0;
  for (let i = 0; i < n; i++) {
    const pos = HEADER_BYTES + TABLE_HEADER_BYTES + ITEM_BYTES * i;
    const end = u64(pos);
    if (end > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`chunk ${i} ends at an impossible offset ${end}`);
    const endNumber = Number(end);
    if (endNumber <= previousEnd) throw fail(`chunk ${i} offsets go backwards (${endNumber} after ${previousEnd})`);
    if (endNumber - previousEnd > sizes.maxBytes) throw fail(`chunk ${i} is larger than the maximum chunk size`);
    chunks[i] = { start: previousEnd, sizeBytes: endNumber - previousEnd, id: buf.toString("hex", pos + 8, pos + ITEM_BYTES) };
    previousEnd = endNumber;
  }
  return { featureFlags, digest: digestFromFlags(featureFlags), sizes, chunks, blobBytes: previousEnd };
}

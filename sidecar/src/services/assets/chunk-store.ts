/**
 * A casync/desync chunk store on disk: `<store>/<first 4 hex of id>/<64 hex id>.cacnk`, each file
 * one zstd frame of the uncompressed chunk, whose digest is the id. Files are written under a
 * temporary name in the same directory and renamed into place, so readers never see a partial
 * chunk; names that are not `<id>.cacnk` (casync's `<id>.<hex>.tmp`, desync's `.tmp-cacnk…`, our
 * own temporaries) are ignored.
 */

import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { compress, decompress } from "zstd-napi";
import { EnsoulError } from "../../lib/errors.js";
import { CHUNK_ID_PATTERN, type ChunkDigest } from "./index-format.js";
import { writeFileAtomic } from "../../lib/atomic-write.js";

export const CHUNK_SUFFIX = ".cacnk";
/** casync's streaming compressor runs zstd at level 3; desync's default is the same speed class. */
export const ZSTD_LEVEL = 3;
const CHUNK_FILE_PATTERN = /^[0-9a-f]{64}\.cacnk$/;
const PREFIX_DIR_PATTERN = /^[0-9a-f]{4}$/;
const TEMP_FILE_PATTERN = /^(\.[0-9a-f]{64}\.cacnk\.[0-9a-f]+\.tmp|[0-9a-f]{64}\.[0-9a-f]+\.tmp|\.tmp-cacnk.*)$/;

/** The chunk id: digest of the uncompressed bytes, lower-case hex. */
export function chunkId(data: Uint8Array, digest: ChunkDigest): string {
  return createHash(digest).update(data).digest("hex");
}

/** Relative path of a chunk inside a store (also the URL path of desync's HTTP layout). */
export function chunkRelativePath(id: string): string {
  return `${id.slice(0, 4)}/${id}${CHUNK_SUFFIX}`;
}

/** Where a chunk was wanted: named in every error so a person can find the damage. */
export interface ChunkLocation {
  readonly id: string;
  /** Offset of the chunk in the blob, per the index. */
  readonly offset?: number;
}

function where(loc: ChunkLocation): string {
  return loc.offset === undefined ? `chunk ${loc.id}` : `chunk ${loc.id} (index offset ${loc.offset})`;
}

/**
 * Decompresses a stored chunk and checks its digest. Accepts zstd frames without a content-size
 * field, as casync writes them.
 */
export function openChunk(compressed: Uint8Array, loc: ChunkLocation, digest: ChunkDigest): Buffer {
  let data: Buffer;
  try {
    data = decompress(compressed);
  } catch (err) {
    throw corruptChunk(loc, "not a readable zstd frame", err);
  }
  const actual = chunkId(data, digest);
  if (actual !== loc.id) {
    throw corruptChunk(loc, `its content hashes to ${actual}`);
  }
  return data;
}

export function missingChunk(loc: ChunkLocation, storeName: string): EnsoulError {
  return new EnsoulError("NOT_FOUND", `missing ${where(loc)} in store ${storeName}`);
}

export function corruptChunk(loc: ChunkLocation, why: string, cause?: unknown): EnsoulError {
  return new EnsoulError("FAILED_PRECONDITION", `corrupt ${where(loc)}: ${why}`, { cause });
}

/** A chunk that hashes right but is not as long as the index says means a broken index. */
export function wrongChunkLength(loc: ChunkLocation, actualBytes: number, indexBytes: number): EnsoulError {
  return new EnsoulError("FAILED_PRECONDITION", `${where(loc)} has ${actualBytes} bytes, the index says ${indexBytes}`);
}

/** Atomic writes live in lib/; re-exported for the asset store's modules. */
export { writeFileAtomic };

/** Anything chunks can be read from: a local directory, an HTTP chunk server. */
export interface ChunkSource {
  readonly name: string;
  /** The stored (compressed) bytes, or undefined when the chunk is absent. */
  getCompressed(id: string): Promise<Buffer | undefined>;
}

export class LocalChunkStore implements ChunkSource {
  readonly dir: string;
  readonly name: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    this.name = dir;
  }

  chunkPath(id: string): string {
    if (!CHUNK_ID_PATTERN.test(id)) throw new EnsoulError("INVALID_ARGUMENT", `not a chunk id: ${JSON.stringify(id)}`);
    return path.join(this.dir, chunkRelativePath(id));
  }

  async has(id: string): Promise<boolean> {
    try {
      await fsp.access(this.chunkPath(id));
      return true;
    } catch {
      return false;
    }
  }

  async getCompressed(id: string): Promise<Buffer | undefined> {
    try {
      return await fsp.readFile(this.chunkPath(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** Reads, decompresses and verifies one chunk. */
  async get(loc: ChunkLocation, digest: ChunkDigest): Promise<Buffer> {
    const compressed = await this.getCompressed(loc.id);
    if (compressed === undefined) throw missingChunk(loc, this.name);
    return openChunk(compressed, loc, digest);
  }

  /** Stores already compressed bytes under `id` (the caller vouches for the id). */
  async putCompressed(id: string, compressed: Uint8Array): Promise<void> {
    const file = this.chunkPath(id);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, compressed);
  }

  /** Stores a chunk unless present; returns its id. For bulk work use the worker pool. */
  async put(data: Uint8Array, digest: ChunkDigest): Promise<string> {
    const id = chunkId(data, digest);
    if (!(await this.has(id))) await this.putCompressed(id, compress(data, { compressionLevel: ZSTD_LEVEL }));
    return id;
  }

  async remove(id: string): Promise<void> {
    await fsp.rm(this.chunkPath(id), { force: true });
  }

  /** Every chunk id in the store, ignoring temporary and foreign files. */
  async *ids(): AsyncGenerator<string> {
    for await (const { prefix, file } of this.files()) {
      if (CHUNK_FILE_PATTERN.test(file) && file.startsWith(prefix)) yield file.slice(0, 64);
    }
  }

  /** Paths of temporary chunk files (ours, casync's `<id>.<hex>.tmp`, desync's `.tmp-cacnk…`). */
  async *temporaries(): AsyncGenerator<string> {
    for await (const { prefix, file } of this.files()) {
      if (TEMP_FILE_PATTERN.test(file)) yield path.join(this.dir, prefix, file);
    }
  }

  private async *files(): AsyncGenerator<{ prefix: string; file: string }> {
    let prefixes: string[];
    try {
      prefixes = (await fsp.readdir(this.dir)).filter((d) => PREFIX_DIR_PATTERN.test(d)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const prefix of prefixes) {
      let names: string[];
      try {
        names = await fsp.readdir(path.join(this.dir, prefix));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOTDIR") continue;
        throw err;
      }
      for (const file of names.sort()) yield { prefix, file };
    }
  }
}

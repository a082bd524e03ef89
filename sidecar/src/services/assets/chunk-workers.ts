/**
 * Worker threads that hash, compress, write and read chunks while the main thread chunks the
 * input, so `make` and `extract` use every core. The workers run a small self-contained script
 * (below, as text): a worker started from a `.ts` file would not load under tsx/vitest, and the
 * script needs nothing but node:crypto, node:fs and zstd-napi (passed by absolute path).
 */

import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { EnsoulError } from "../../lib/errors.js";
import { corruptChunk, missingChunk, ZSTD_LEVEL } from "./chunk-store.js";
import type { ChunkDigest } from "./index-format.js";

const WORKER_SCRIPT = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const { createHash, randomBytes } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const zstd = require(workerData.zstdPath);
const madeDirs = new Set();
let compressor, compressorLevel;

function compress(chunk, level) {
  if (compressorLevel !== level) {
    compressor = new zstd.Compressor();
    compressor.setParameters({ compressionLevel: level });
    compressorLevel = level;
  }
  return compressor.compress(chunk);
}

function chunkPath(storeDir, id) {
  return path.join(storeDir, id.slice(0, 4), id + ".cacnk");
}

function hashAll(bytes, lengths, digest) {
  const ids = new Array(lengths.length);
  let pos = 0;
  for (let i = 0; i < lengths.length; i++) {
    ids[i] = createHash(digest).update(bytes.subarray(pos, pos + lengths[i])).digest("hex");
    pos += lengths[i];
  }
  return ids;
}

function store(m) {
  const bytes = new Uint8Array(m.data);
  const ids = hashAll(bytes, m.lengths, m.digest);
  const written = {}; let pos = 0;
  for (let i = 0; i < ids.length; i++) {
    const chunk = bytes.subarray(pos, pos + m.lengths[i]);
    pos += m.lengths[i];
    const file = chunkPath(m.storeDir, ids[i]);
    if (fs.existsSync(file)) continue;
    const dir = path.dirname(file);
    if (!madeDirs.has(dir)) { fs.mkdirSync(dir, { recursive: true }); madeDirs.add(dir); }
    const packed = compress(chunk, m.level);
    const temp = path.join(dir, "." + ids[i] + ".cacnk." + randomBytes(6).toString("hex") + ".tmp");
    try {
      fs.writeFileSync(temp, packed, { flag: "wx" });
      fs.renameSync(temp, file);
    } catch (err) {
      fs.rmSync(temp, { force: true });
      throw err;
    }
    written[ids[i]] = packed.length;
  }
  return { result: { ids, written } };
}

function load(m) {
  const parts = [];
  for (let i = 0; i < m.ids.length; i++) {
    let packed;
    try {
      packed = fs.readFileSync(chunkPath(m.storeDir, m.ids[i]));
    } catch (err) {
      if (err.code === "ENOENT") return { result: { failure: "missing", index: i } };
      throw err;
    }
    let data;
    try {
      data = zstd.decompress(packed);
    } catch (err) {
      return { result: { failure: "unreadable", index: i } };
    }
    const actual = createHash(m.digest).update(data).digest("hex");
    if (actual !== m.ids[i]) return { result: { failure: "mismatch", index: i, actual } };
    parts.push(data);
  }
  // Hand each chunk's own memory over without copying; copy only those sharing a pooled buffer.
  const buffers = parts.map((p) => (p.byteOffset === 0 && p.buffer.byteLength === p.length ? p.buffer : new Uint8Array(p).buffer));
  return { result: { buffers }, transfer: buffers };
}

parentPort.on("message", (m) => {
  try {
    let reply;
    if (m.op === "store") reply = store(m);
    else if (m.op === "hash") reply = { result: { ids: hashAll(new Uint8Array(m.data), m.lengths, m.digest) } };
    else if (m.op === "load") reply = load(m);
    else throw new Error("unknown op " + m.op);
    parentPort.postMessage({ seq: m.seq, result: reply.result }, reply.transfer || []);
  } catch (err) {
    parentPort.postMessage({ seq: m.seq, error: String(err && err.stack || err) });
  }
});
`;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

export interface StoreBatchResult {
  readonly ids: string[];
  /**
   * Chunks this batch wrote, by id, with their stored (compressed) size. Two workers can both
   * write the same new chunk at once (the second rename replaces the first, same bytes), so the
   * caller counts ids, not writes.
   */
  readonly written: Record<string, number>;
}

/** A chunk of a `load` batch is missing (NOT_FOUND) or corrupt (FAILED_PRECONDITION). */
export class ChunkLoadError extends EnsoulError {
  /** The chunk's place among the ids asked for; the ones before it loaded fine. */
  readonly chunkIndex: number;

  constructor(chunkIndex: number, error: EnsoulError) {
    super(error.code, error.message, { field: error.field, cause: error.cause });
    this.chunkIndex = chunkIndex;
  }
}

export interface LoadBatchResult {
  /** The chunks' uncompressed bytes, in the order asked for. */
  readonly chunks: Uint8Array[];
}

/** Default thread count: one worker per core (at least one, at most eight). */
export function defaultThreads(): number {
  return Math.min(Math.max(availableParallelism(), 1), 8);
}

/**
 * A fixed set of chunk workers. Idle workers do not keep the process alive; busy ones do.
 */
export class ChunkWorkerPool {
  private readonly workers: PoolWorker[] = [];
  private seq = 0;
  private closed = false;
  private broken = false;

  constructor(readonly size: number = defaultThreads()) {
    if (!Number.isInteger(size) || size < 1) throw new EnsoulError("INVALID_ARGUMENT", "thread count must be at least 1");
    const zstdPath = createRequire(import.meta.url).resolve("zstd-napi");
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SCRIPT, { eval: true, workerData: { zstdPath } });
      const entry: PoolWorker = { worker, pending: new Map() };
      worker.unref();
      worker.on("message", (msg: { seq: number; result?: unknown; error?: string }) => {
        const p = entry.pending.get(msg.seq);
        if (!p) return;
        entry.pending.delete(msg.seq);
        if (entry.pending.size === 0) worker.unref();
        if (msg.error !== undefined) p.reject(new EnsoulError("INTERNAL", `chunk worker failed: ${msg.error}`));
        else p.resolve(msg.result);
      });
      worker.on("error", (err) => this.failAll(entry, err));
      worker.on("exit", (code) => {
        if (!this.closed) this.broken = true;
        this.failAll(entry, new Error(`chunk worker exited with code ${code}`));
      });
      this.workers.push(entry);
    }
  }

  private failAll(entry: PoolWorker, err: Error): void {
    for (const p of entry.pending.values()) p.reject(new EnsoulError("INTERNAL", `chunk worker failed: ${err.message}`, { cause: err }));
    entry.pending.clear();
  }

  private call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new EnsoulError("FAILED_PRECONDITION", "chunk worker pool is closed"));
    if (this.broken) return Promise.reject(new EnsoulError("INTERNAL", "a chunk worker died; this pool is unusable"));
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.pending.size < best.pending.size) best = w;
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      best.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      best.worker.ref();
      best.worker.postMessage({ ...message, seq }, transfer);
    });
  }

  /**
   * Hashes, compresses and writes the chunks laid end to end at the start of `buffer` (which is
   * transferred to the worker, so the caller must not touch it again).
   */
  store(buffer: ArrayBuffer, lengths: number[], digest: ChunkDigest, storeDir: string): Promise<StoreBatchResult> {
    return this.call({ op: "store", data: buffer, lengths, digest, storeDir, level: ZSTD_LEVEL }, [buffer]);
  }

  /** Chunk ids of the chunks laid end to end at the start of `buffer` (transferred). */
  async hash(buffer: ArrayBuffer, lengths: number[], digest: ChunkDigest): Promise<string[]> {
    const r = await this.call<{ ids: string[] }>({ op: "hash", data: buffer, lengths, digest }, [buffer]);
    return r.ids;
  }

  /**
   * Reads and verifies chunks from a local store; `offsets` (blob offsets per the index) only
   * serve the error message when a chunk is missing or corrupt (a ChunkLoadError).
   */
  async load(storeDir: string, storeName: string, ids: string[], offsets: number[], digest: ChunkDigest): Promise<LoadBatchResult> {
    type Reply = { buffers: ArrayBuffer[] } | { failure: "missing" | "unreadable" | "mismatch"; index: number; actual?: string };
    const r = await this.call<Reply>({ op: "load", storeDir, ids, digest });
    if ("failure" in r) {
      const loc = { id: ids[r.index]!, offset: offsets[r.index] };
      const error = r.failure === "missing" ? missingChunk(loc, storeName) : corruptChunk(loc, r.failure === "unreadable" ? "not a readable zstd frame" : `its content hashes to ${r.actual}`);
      throw new ChunkLoadError(r.index, error);
    }
    return { chunks: r.buffers.map((b) => new Uint8Array(b)) };
  }

  /** False once closed or once a worker died. */
  get usable(): boolean {
    return !this.closed && !this.broken;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

let shared: ChunkWorkerPool | undefined;

/**
 * The process-wide pool: created on first use, replaced if closed or broken; its idle workers never
 * hold the process open.
 */
export function sharedChunkPool(): ChunkWorkerPool {
  if (shared === undefined || !shared.usable) shared = new ChunkWorkerPool();
  return shared;
}

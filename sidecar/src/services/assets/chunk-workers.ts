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
import { corruptChunk, missingChunk, wrongChunkLength, ZSTD_LEVEL } from "./chunk-store.js";
import { buildChunkerWasm, chunkerTables, DATA_OFFSET } from "./chunker-wasm.js";
import type { SegmentRules } from "./chunker.js";
import type { ChunkDigest, IndexChunk } from "./index-format.js";

const WORKER_SCRIPT = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const zstd = require(workerData.zstdBindingPath);
const { decompress } = require(workerData.zstdPath);
const madeDirs = new Set();
const dctx = new zstd.DCtx();
let cctx, cctxLevel;
// Scratch buffers reused for every chunk and run: fresh ones cost page faults (system time).
let packed = Buffer.allocUnsafe(0);
let runBuffer = Buffer.allocUnsafe(0);
let readBuffer = Buffer.allocUnsafe(512 * 1024);

// Output is written in pieces of at most this size: on this kernel (6.18) one larger write makes
// the page cache take large folios, and writing 200 MB that way cost 0.3-0.4 s of system time
// instead of 0.04-0.05 s (measured with 64 KiB ... 4 MiB pieces, 256 KiB and below cheap).
const WRITE_PIECE_BYTES = 256 * 1024;

function scratch(buffer, bytes) {
  return buffer.length >= bytes ? buffer : Buffer.allocUnsafe(Math.max(bytes, buffer.length * 2));
}

/** One zstd frame of the chunk, in the compress scratch buffer (valid until the next call). */
function compress(chunk, level) {
  if (cctxLevel !== level) {
    cctx = new zstd.CCtx();
    cctx.setParameter(zstd.CParameter.compressionLevel, level);
    cctxLevel = level;
  }
  packed = scratch(packed, zstd.compressBound(chunk.length));
  return packed.subarray(0, cctx.compress2(packed, chunk));
}

// Paths are joined by hand: path.join's normalising showed in the per-chunk cost.
function chunkDir(storeDir, id) {
  return storeDir + "/" + id.slice(0, 4);
}

function chunkPath(storeDir, id) {
  return chunkDir(storeDir, id) + "/" + id + ".cacnk";
}

/** Makes a chunk directory once per worker (the store directory itself exists already). */
function ensureDir(dir) {
  if (madeDirs.has(dir)) return;
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    if (err.code === "ENOENT") fs.mkdirSync(dir, { recursive: true });
    else if (err.code !== "EEXIST") throw err;
  }
  madeDirs.add(dir);
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

// Temp file names: unique within this process by thread id and counter, across processes by pid
// (and "wx" refuses a name that exists, so a clash fails instead of writing over another's file).
const tempPrefix = "." + process.pid + "-" + require("node:worker_threads").threadId + "-";
let tempCount = 0;

/** Hashes the chunks laid end to end in bytes, and compresses and writes the ones not stored yet. */
function storeChunks(bytes, lengths, digest, storeDir, level) {
  const ids = new Array(lengths.length);
  const written = {}; let pos = 0;
  for (let i = 0; i < ids.length; i++) {
    // hash and compress one chunk after the other while it is in the CPU's cache
    const chunk = bytes.subarray(pos, pos + lengths[i]);
    pos += lengths[i];
    ids[i] = createHash(digest).update(chunk).digest("hex");
    const dir = chunkDir(storeDir, ids[i]);
    const file = dir + "/" + ids[i] + ".cacnk";
    if (fs.existsSync(file)) continue;
    ensureDir(dir);
    const frame = compress(chunk, level);
    const temp = dir + "/" + tempPrefix + (++tempCount) + "." + ids[i] + ".cacnk.tmp";
    try {
      fs.writeFileSync(temp, frame, { flag: "wx" });
      fs.renameSync(temp, file);
    } catch (err) {
      fs.rmSync(temp, { force: true });
      throw err;
    }
    written[ids[i]] = frame.length;
  }
  return { ids, written };
}

function store(m) {
  const { ids, written } = storeChunks(new Uint8Array(m.data), m.lengths, m.digest, m.storeDir, m.level);
  return { result: { ids, written, buffer: m.data }, transfer: [m.data] };
}

// --- Segments: a worker chunks a stretch of the input file itself (see make.ts) ---------------
// The chunker's Wasm module (built on the main thread) runs here over slots in its own memory:
// slot i holds one segment's bytes plus the lookahead its last chunk needs.
let chunker;
const segments = new Map();

function chunkerMemory(bytesNeeded) {
  if (chunker === undefined) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(workerData.chunkerWasm), {});
    chunker = { memory: instance.exports.memory, cut: instance.exports.cut };
    new Uint32Array(chunker.memory.buffer, 0, workerData.chunkerTables.length).set(workerData.chunkerTables);
  }
  const have = chunker.memory.buffer.byteLength;
  if (bytesNeeded > have) chunker.memory.grow(Math.ceil((bytesNeeded - have) / 65536));
  return new Uint8Array(chunker.memory.buffer);
}

/** Where the chunk starting at pos ends (the same rules as Chunker.findCut, over the slot). */
function cutAt(seg, pos) {
  const { minBytes, maxBytes, fixed, firstTest, dMinus1, inverse, inverseMinus1 } = seg.rules;
  const available = seg.dataEnd - pos;
  if (fixed) return pos + Math.min(available, maxBytes);
  if (firstTest >= available) return seg.dataEnd; // only at the end of input (see chunkSegment)
  if (firstTest >= maxBytes) return pos + firstTest;
  const addr = seg.base + (pos - seg.start);
  const limit = Math.min(available, maxBytes);
  return seg.start + chunker.cut(addr + firstTest, addr + limit, dMinus1, inverse, inverseMinus1) - seg.base;
}

/**
 * Reads [start, min(end + maxBytes, fileBytes)) into the slot and chunks it as if a chunk began
 * at start, up to the first cut at or past end. Returns those cuts, start included.
 */
function chunkSegment(m) {
  const base = workerData.chunkerDataOffset + m.slot * m.slotBytes;
  const bytes = chunkerMemory(base + m.slotBytes);
  const dataEnd = Math.min(m.end + m.rules.maxBytes, m.fileBytes);
  for (let got = 0; got < dataEnd - m.start; ) {
    const n = fs.readSync(m.fd, bytes, base + got, dataEnd - m.start - got, m.start + got);
    if (n === 0) throw new Error("the input file got shorter while it was being read");
    got += n;
  }
  const seg = { start: m.start, end: m.end, dataEnd, base, rules: m.rules, cuts: [m.start] };
  for (let pos = m.start; pos < m.end; ) seg.cuts.push((pos = cutAt(seg, pos)));
  segments.set(m.slot, seg);
  return { result: { cuts: seg.cuts } };
}

/**
 * Stores the segment's chunks between the given cuts (the true chunk boundaries from where the
 * chunk stream enters the segment to where it leaves it) and frees the slot.
 */
function storeSegment(m) {
  const seg = segments.get(m.slot);
  if (seg === undefined) throw new Error("no segment in slot " + m.slot);
  segments.delete(m.slot);
  const cuts = m.cuts, entry = cuts[0], exit = cuts[cuts.length - 1];
  if (entry < seg.start || exit > seg.dataEnd) throw new Error("cuts " + entry + ".." + exit + " lie outside the segment's bytes");
  const lengths = new Array(cuts.length - 1);
  for (let i = 1; i < cuts.length; i++) lengths[i - 1] = cuts[i] - cuts[i - 1];
  const bytes = new Uint8Array(chunker.memory.buffer, seg.base + (entry - seg.start), exit - entry);
  const { ids, written } = storeChunks(bytes, lengths, m.digest, m.storeDir, m.level);
  return { result: { lengths, ids, written } };
}

/** A chunk file's bytes in the read scratch buffer (valid until the next call), or undefined if absent. */
function readChunkFile(file) {
  let fd;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if (err.code === "ENOENT") return undefined;
    throw err;
  }
  try {
    let size = 0;
    for (;;) {
      if (size === readBuffer.length) {
        const bigger = Buffer.allocUnsafe(readBuffer.length * 2);
        readBuffer.copy(bigger, 0, 0, size);
        readBuffer = bigger;
      }
      const n = fs.readSync(fd, readBuffer, size, readBuffer.length - size, null);
      if (n === 0) return readBuffer.subarray(0, size);
      size += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Why a stored frame is not the chunk wanted: unreadable, other content, or other length. */
function diagnose(frame, id, digest) {
  let data;
  try {
    data = decompress(frame);
  } catch (err) {
    return { failure: "unreadable" };
  }
  const actual = createHash(digest).update(data).digest("hex");
  if (actual !== id) return { failure: "mismatch", actual };
  return { failure: "length", actualBytes: data.length };
}

/**
 * Reads, decompresses and verifies chunks laid end to end into target (sizes from the index);
 * returns undefined when all are good, else the first failure and its place.
 */
function unpackAll(m, target) {
  let pos = 0;
  for (let i = 0; i < m.ids.length; i++) {
    const slot = target.subarray(pos, pos + m.sizes[i]);
    pos += m.sizes[i];
    const frame = readChunkFile(chunkPath(m.storeDir, m.ids[i]));
    if (frame === undefined) return { failure: "missing", index: i };
    let n = -1;
    try {
      n = dctx.decompress(slot, frame);
    } catch (err) {}
    if (n === slot.length && createHash(m.digest).update(slot).digest("hex") === m.ids[i]) continue;
    return { ...diagnose(frame, m.ids[i], m.digest), index: i };
  }
  return undefined;
}

function total(sizes) {
  let sum = 0;
  for (const s of sizes) sum += s;
  return sum;
}

function load(m) {
  const bytes = Buffer.allocUnsafe(total(m.sizes));
  const failure = unpackAll(m, bytes);
  if (failure) return { result: failure };
  const buffer = bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length ? bytes.buffer : new Uint8Array(bytes).buffer;
  return { result: { buffer }, transfer: [buffer] };
}

/** Like load, but writes the run straight into the output file at its blob offset. */
function write(m) {
  const bytes = total(m.sizes);
  runBuffer = scratch(runBuffer, bytes);
  const failure = unpackAll(m, runBuffer);
  if (failure) return { result: failure };
  for (let done = 0; done < bytes; ) {
    done += fs.writeSync(m.fd, runBuffer, done, Math.min(bytes - done, WRITE_PIECE_BYTES), m.position + done);
  }
  return { result: {} };
}

function handle(m) {
  try {
    let reply;
    if (m.op === "ping") reply = { result: {} };
    else if (m.op === "store") reply = store(m);
    else if (m.op === "chunkSegment") reply = chunkSegment(m);
    else if (m.op === "storeSegment") reply = storeSegment(m);
    else if (m.op === "hash") reply = { result: { ids: hashAll(new Uint8Array(m.data), m.lengths, m.digest), buffer: m.data }, transfer: [m.data] };
    else if (m.op === "load") reply = load(m);
    else if (m.op === "write") reply = write(m);
    else throw new Error("unknown op " + m.op);
    parentPort.postMessage({ seq: m.seq, result: reply.result }, reply.transfer || []);
  } catch (err) {
    parentPort.postMessage({ seq: m.seq, error: String(err && err.stack || err) });
  }
}

// Requests wait here and run one at a time, in order, except that chunking a segment goes before
// everything else: the main thread settles segments in order from those results, and every
// worker's next store waits on that (a store queued ahead of it would hold up the other workers).
const waiting = [];
let scheduled = false;

function runNext() {
  scheduled = false;
  let i = waiting.findIndex((m) => m.op === "chunkSegment");
  if (i < 0) i = 0;
  handle(waiting.splice(i, 1)[0]);
  if (waiting.length > 0) { scheduled = true; setImmediate(runNext); }
}

parentPort.on("message", (m) => {
  waiting.push(m);
  if (!scheduled) { scheduled = true; setImmediate(runNext); }
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

/** A batch's chunk ids, and its buffer handed back for the next batch (see chunkInBatches). */
export interface HashBatchResult {
  readonly ids: string[];
  readonly buffer: ArrayBuffer;
}

export interface StoreBatchResult extends HashBatchResult {
  /**
   * Chunks this batch wrote, by id, with their stored (compressed) size. Two workers can both
   * write the same new chunk at once (the second rename replaces the first, same bytes), so the
   * caller counts ids, not writes.
   */
  readonly written: Record<string, number>;
}

/** What a worker needs to chunk one stretch of a file (see ChunkWorkerPool.chunkSegment). */
export interface SegmentRequest {
  readonly fd: number;
  readonly fileBytes: number;
  readonly start: number;
  readonly end: number;
  readonly slot: number;
  /** Bytes per slot: at least the segment length plus `rules.maxBytes`. */
  readonly slotBytes: number;
  readonly rules: SegmentRules;
}

export interface SegmentStoreResult {
  readonly lengths: number[];
  readonly ids: string[];
  readonly written: Record<string, number>;
}

/** A chunk of a `load` or `write` batch is missing (NOT_FOUND) or corrupt (FAILED_PRECONDITION). */
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

/** What a `load` or `write` worker reply says when a chunk is not as the index wants it. */
type UnpackReply =
  | { failure?: undefined }
  | { failure: "missing"; index: number }
  | { failure: "unreadable"; index: number }
  | { failure: "mismatch"; index: number; actual: string }
  | { failure: "length"; index: number; actualBytes: number };

function unpackRequest(storeDir: string, chunks: readonly IndexChunk[], digest: ChunkDigest): Record<string, unknown> {
  return { storeDir, digest, ids: chunks.map((c) => c.id), sizes: chunks.map((c) => c.sizeBytes) };
}

function throwUnpackFailure(r: UnpackReply, chunks: readonly IndexChunk[], storeName: string): void {
  if (r.failure === undefined) return;
  const c = chunks[r.index]!;
  const loc = { id: c.id, offset: c.start };
  const error = (() => {
    switch (r.failure) {
      case "missing":
        return missingChunk(loc, storeName);
      case "unreadable":
        return corruptChunk(loc, "not a readable zstd frame");
      case "mismatch":
        return corruptChunk(loc, `its content hashes to ${r.actual}`);
      case "length":
        return wrongChunkLength(loc, r.actualBytes, c.sizeBytes);
    }
  })();
  throw new ChunkLoadError(r.index, error);
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
    const require = createRequire(import.meta.url);
    const workerData = {
      zstdPath: require.resolve("zstd-napi"),
      zstdBindingPath: require.resolve("zstd-napi/binding"),
      chunkerWasm: buildChunkerWasm(),
      chunkerTables: chunkerTables(),
      chunkerDataOffset: DATA_OFFSET,
    };
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_SCRIPT, { eval: true, workerData });
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

  private call<T>(message: Record<string, unknown>, transfer: ArrayBuffer[] = [], to?: PoolWorker): Promise<T> {
    if (this.closed) return Promise.reject(new EnsoulError("FAILED_PRECONDITION", "chunk worker pool is closed"));
    if (this.broken) return Promise.reject(new EnsoulError("INTERNAL", "a chunk worker died; this pool is unusable"));
    let best = to ?? this.workers[0]!;
    if (to === undefined) for (const w of this.workers) if (w.pending.size < best.pending.size) best = w;
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      best.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      best.worker.ref();
      best.worker.postMessage({ ...message, seq }, transfer);
    });
  }

  /**
   * Worker `worker` reads the file stretch [start, end) into its slot `slot` (plus the lookahead
   * the last chunk needs) and chunks it as if a chunk began at start; returns those cuts (start
   * first, then every chunk end up to the first at or past end). The worker keeps the bytes for
   * `storeSegment`.
   */
  chunkSegment(worker: number, request: SegmentRequest): Promise<{ cuts: number[] }> {
    return this.call({ op: "chunkSegment", ...request }, [], this.workers[worker]);
  }

  /**
   * Hashes, compresses and writes the chunks of the segment in `slot` between `cuts` (true chunk
   * boundaries, ascending, within the bytes the worker read), and frees the slot.
   */
  storeSegment(worker: number, slot: number, cuts: number[], digest: ChunkDigest, storeDir: string): Promise<SegmentStoreResult> {
    return this.call({ op: "storeSegment", slot, cuts, digest, storeDir, level: ZSTD_LEVEL }, [], this.workers[worker]);
  }

  /** Resolves once every worker has started and answers (a warm-up; calls need not wait for it). */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => this.call({ op: "ping" }, [], w)));
  }

  /**
   * Hashes, compresses and writes the chunks laid end to end at the start of `buffer` (which is
   * transferred to the worker and handed back in the result, so the caller must not touch it
   * until then).
   */
  store(buffer: ArrayBuffer, lengths: number[], digest: ChunkDigest, storeDir: string): Promise<StoreBatchResult> {
    return this.call({ op: "store", data: buffer, lengths, digest, storeDir, level: ZSTD_LEVEL }, [buffer]);
  }

  /** Chunk ids of the chunks laid end to end at the start of `buffer` (transferred, and handed back). */
  hash(buffer: ArrayBuffer, lengths: number[], digest: ChunkDigest): Promise<HashBatchResult> {
    return this.call({ op: "hash", data: buffer, lengths, digest }, [buffer]);
  }

  /**
   * Reads, decompresses and verifies chunks from a local store; a missing or corrupt chunk, or one
   * whose length is not the index's, is a ChunkLoadError naming its id and blob offset.
   */
  async load(storeDir: string, storeName: string, chunks: readonly IndexChunk[], digest: ChunkDigest): Promise<LoadBatchResult> {
    const r = await this.call<UnpackReply & { buffer: ArrayBuffer }>({ op: "load", ...unpackRequest(storeDir, chunks, digest) });
    throwUnpackFailure(r, chunks, storeName);
    const all = new Uint8Array(r.buffer);
    let pos = 0;
    return { chunks: chunks.map((c) => all.subarray(pos, (pos += c.sizeBytes))) };
  }

  /**
   * Like `load`, but the worker writes the run of consecutive chunks straight into the open file
   * `fd` at the first chunk's blob offset, so no chunk bytes travel between threads.
   */
  async write(storeDir: string, storeName: string, chunks: readonly IndexChunk[], digest: ChunkDigest, fd: number): Promise<void> {
    const r = await this.call<UnpackReply>({ op: "write", ...unpackRequest(storeDir, chunks, digest), fd, position: chunks[0]?.start ?? 0 });
    throwUnpackFailure(r, chunks, storeName);
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

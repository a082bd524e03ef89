/**
 * The asset service over the protocol: streamed uploads (AssetPutBegin → AssetPutChunk… →
 * AssetPutCommit), downloads that resume from an offset (AssetGet), AssetStat and AssetList.
 *
 * Layout under the data dir: `assets/store/` (the casync chunk store), `assets/indexes/<id>.caibx`
 * (id = hex SHA-256 of the index file) and `assets/uploads/` (spool files of uploads in progress,
 * emptied at start). The catalog of names, projects and sizes is in the data service.
 */

import { createHash, type Hash } from "node:crypto";
import { existsSync, promises as fsp } from "node:fs";
import path from "node:path";
import type { AssetInfo } from "../../generated/ensoul_v1.js";
import { streaming, unary, type Method, type Principal } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { DataStore } from "../data/index.js";
import { DataAssetCatalog, SHA256_HEX, type AssetCatalog, type AssetRecord } from "./catalog.js";
import { writeFileAtomic } from "./chunk-store.js";
import { makeBlobIndex } from "./make.js";
import { readBlob } from "./read-blob.js";


/** Room left in a frame for the envelope around the data (ids, offsets, field tags). */
const FRAME_OVERHEAD = 1024;
const DEFAULT_DATA_BYTES = 1024 * 1024;
const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 1000;

export interface AssetServiceOptions {
  dataDir: string;
  /** The gateway's frame limit: no upload piece or download frame is larger. */
  maxFrameBytes: number;
  /** An upload with no chunk for this long is abandoned and removed (default 5 min). */
  uploadIdleMs?: number;
  /** Uploads in progress at once (default 64). */
  maxUploads?: number;
  /** Largest asset taken (default 16 GiB). */
  maxAssetBytes?: number;
  /** Where the catalog lives (the data service's `asset_catalog` collection). */
  data: DataStore;
  /** Another catalog instead (tests). */
  catalog?: AssetCatalog;
}

export interface NewAsset {
  name: string;
  contentType: string;
  project: string;
}

interface Upload extends NewAsset {
  id: string;
  owner: string;
  declaredBytes: number;
  file: string;
  fd: fsp.FileHandle;
  /** Bytes accepted so far (their writes may still be in flight). */
  received: number;
  hash: Hash;
  writes: Set<Promise<void>>;
  failed: unknown;
  committing: boolean;
  timer: NodeJS.Timeout;
}

function toSafeNumber(value: { toNumber(): number } | number | null | undefined, field: string): number {
  const n = value === null || value === undefined ? 0 : typeof value === "number" ? value : value.toNumber();
  if (!Number.isSafeInteger(n) || n < 0) throw new EnsoulError("INVALID_ARGUMENT", `${n} is not a usable byte count`, { field });
  return n;
}

function checkText(value: string | undefined, field: string, maxLength: number, required: boolean): string {
  const text = value ?? "";
  if (required && text === "") throw new EnsoulError("INVALID_ARGUMENT", "must not be empty", { field });
  if (text.length > maxLength) throw new EnsoulError("INVALID_ARGUMENT", `is longer than ${maxLength} characters`, { field });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new EnsoulError("INVALID_ARGUMENT", "must not contain control characters", { field });
  return text;
}

function checkAssetId(value: string | undefined, field: string): string {
  const id = (value ?? "").toLowerCase();
  if (!SHA256_HEX.test(id)) throw new EnsoulError("INVALID_ARGUMENT", "an asset id is the 64 hex digits of its index's SHA-256", { field });
  return id;
}

/** The project a request works in: a project-scoped token reaches only its own project. */
function scopeProject(principal: Principal, requested: string | undefined, field: string): string {
  const project = checkText(requested, field, 128, false);
  if (principal.project === undefined || project === principal.project) return project;
  if (project === "") return principal.project;
  throw new EnsoulError("PERMISSION_DENIED", `this token reaches only project ${principal.project}`, { field });
}

export function assetInfo(record: AssetRecord): AssetInfo {
  return { ...record };
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

export class AssetService {
  readonly storeDir: string;
  readonly indexDir: string;
  readonly uploadDir: string;
  readonly catalog: AssetCatalog;
  /** The most data one upload piece or download frame carries. */
  readonly maxDataBytes: number;
  private readonly uploads = new Map<string, Upload>();
  private readonly uploadIdleMs: number;
  private readonly maxUploads: number;
  private readonly maxAssetBytes: number;
  private ready: Promise<void> | undefined;

  constructor(options: AssetServiceOptions) {
    const root = path.join(options.dataDir, "assets");
    this.storeDir = path.join(root, "store");
    this.indexDir = path.join(root, "indexes");
    this.uploadDir = path.join(root, "uploads");
    this.catalog = options.catalog ?? new DataAssetCatalog(options.data, path.join(root, "meta"));
    this.maxDataBytes = Math.max(1, Math.min(DEFAULT_DATA_BYTES, options.maxFrameBytes - FRAME_OVERHEAD));
    this.uploadIdleMs = options.uploadIdleMs ?? 5 * 60_000;
    this.maxUploads = options.maxUploads ?? 64;
    this.maxAssetBytes = options.maxAssetBytes ?? 16 * 1024 ** 3;
  }

  /** Creates the folders and drops spool files a previous run left behind. */
  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      await fsp.rm(this.uploadDir, { recursive: true, force: true });
      await Promise.all([this.uploadDir, this.indexDir, this.storeDir].map((d) => fsp.mkdir(d, { recursive: true })));
    })();
    return this.ready;
  }

  indexPath(assetId: string): string {
    return path.join(this.indexDir, `${assetId}.caibx`);
  }

  get uploadsInProgress(): number {
    return this.uploads.size;
  }

  async begin(request: { name?: string; contentType?: string; sizeBytes?: { toNumber(): number } | number | null; project?: string }, principal: Principal): Promise<{ uploadId: string; maxChunkBytes: number }> {
    const asset = this.checkNewAsset(request, principal, "assetPutBegin");
    const declaredBytes = toSafeNumber(request.sizeBytes, "assetPutBegin.sizeBytes");
    if (declaredBytes > this.maxAssetBytes) {
      throw new EnsoulError("RESOURCE_EXHAUSTED", `${declaredBytes} bytes is more than the ${this.maxAssetBytes} an asset may have`, { field: "assetPutBegin.sizeBytes" });
    }
    if (this.uploads.size >= this.maxUploads) throw new EnsoulError("RESOURCE_EXHAUSTED", `${this.maxUploads} uploads are already in progress`);
    await this.prepare();
    const id = newId("upl", 16);
    const file = path.join(this.uploadDir, `${id}.part`);
    const fd = await fsp.open(file, "wx");
    const upload: Upload = {
      ...asset,
      id,
      owner: principal.subject,
      declaredBytes,
      file,
      fd,
      received: 0,
      hash: createHash("sha256"),
      writes: new Set(),
      failed: undefined,
      committing: false,
      timer: setTimeout(() => {
        if (!upload.committing) void this.discard(upload);
      }, this.uploadIdleMs).unref(),
    };
    this.uploads.set(id, upload);
    return { uploadId: id, maxChunkBytes: this.maxDataBytes };
  }

  private checkNewAsset(request: { name?: string; contentType?: string; project?: string }, principal: Principal, prefix: string): NewAsset {
    const name = checkText(request.name, `${prefix}.name`, 512, true);
    const contentType = checkText(request.contentType, `${prefix}.contentType`, 255, false) || "application/octet-stream";
    if (!/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(contentType)) {
      throw new EnsoulError("INVALID_ARGUMENT", `${contentType} is not a media type (type/subtype)`, { field: `${prefix}.contentType` });
    }
    return { name, contentType, project: scopeProject(principal, request.project, `${prefix}.project`) };
  }

  private findUpload(uploadId: string | undefined, principal: Principal, field: string): Upload {
    const upload = this.uploads.get(uploadId ?? "");
    if (!upload || upload.owner !== principal.subject) {
      throw new EnsoulError("NOT_FOUND", `no upload ${uploadId ?? ""} in progress (unknown, committed or abandoned)`, { field });
    }
    return upload;
  }

  async putChunk(request: { uploadId?: string; offset?: { toNumber(): number } | number | null; data?: Uint8Array }, principal: Principal, signal: AbortSignal): Promise<{ uploadId: string; receivedBytes: number }> {
    const upload = this.findUpload(request.uploadId, principal, "assetPutChunk.uploadId");
    const offset = toSafeNumber(request.offset, "assetPutChunk.offset");
    const data = request.data ?? new Uint8Array(0);
    if (upload.committing) throw new EnsoulError("FAILED_PRECONDITION", "the upload is being committed", { field: "assetPutChunk.uploadId" });
    if (offset !== upload.received) {
      throw new EnsoulError("FAILED_PRECONDITION", `offset ${offset} is not where the upload stands: ${upload.received} bytes received; send from offset ${upload.received}`, { field: "assetPutChunk.offset" });
    }
    if (data.length > this.maxDataBytes) {
      throw new EnsoulError("INVALID_ARGUMENT", `${data.length} bytes is more than the ${this.maxDataBytes} a piece may carry`, { field: "assetPutChunk.data" });
    }
    const limit = upload.declaredBytes > 0 ? upload.declaredBytes : this.maxAssetBytes;
    if (offset + data.length > limit) {
      throw new EnsoulError("FAILED_PRECONDITION", `the upload would grow to ${offset + data.length} bytes, past ${limit}`, { field: "assetPutChunk.data" });
    }
    // Accept synchronously (so pipelined pieces line up), write at the piece's own position.
    upload.received += data.length;
    upload.hash.update(data);
    upload.timer.refresh();
    const write = upload.fd.write(data, 0, data.length, offset).then(
      () => undefined,
      (err: unknown) => {
        upload.failed ??= err;
      },
    );
    upload.writes.add(write);
    const onAbort = (): void => void this.discard(upload);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await write;
    } finally {
      upload.writes.delete(write);
      signal.removeEventListener("abort", onAbort);
    }
    if (upload.failed !== undefined) {
      await this.discard(upload);
      throw new EnsoulError("INTERNAL", `the upload could not be spooled: ${(upload.failed as Error).message}`, { cause: upload.failed });
    }
    return { uploadId: upload.id, receivedBytes: offset + data.length };
  }

  async commit(request: { uploadId?: string; sha256?: string }, principal: Principal): Promise<AssetRecord> {
    const upload = this.findUpload(request.uploadId, principal, "assetPutCommit.uploadId");
    const expected = (request.sha256 ?? "").toLowerCase();
    if (expected !== "" && !SHA256_HEX.test(expected)) {
      throw new EnsoulError("INVALID_ARGUMENT", "sha256 must be 64 hex digits (or empty)", { field: "assetPutCommit.sha256" });
    }
    if (upload.committing) throw new EnsoulError("FAILED_PRECONDITION", "the upload is already being committed", { field: "assetPutCommit.uploadId" });
    upload.committing = true;
    try {
      await Promise.all(upload.writes);
      if (upload.failed !== undefined) throw new EnsoulError("INTERNAL", `the upload could not be spooled: ${(upload.failed as Error).message}`);
      if (upload.declaredBytes > 0 && upload.received !== upload.declaredBytes) {
        upload.committing = false;
        upload.timer.refresh();
        throw new EnsoulError("FAILED_PRECONDITION", `received ${upload.received} of the ${upload.declaredBytes} bytes declared; send the rest from offset ${upload.received}`, { field: "assetPutBegin.sizeBytes" });
      }
      const actual = upload.hash.copy().digest("hex");
      if (expected !== "" && actual !== expected) {
        throw new EnsoulError("FAILED_PRECONDITION", `the ${upload.received} bytes received hash to ${actual}, not ${expected}; the upload is discarded, start again`, { field: "assetPutCommit.sha256" });
      }
      await upload.fd.close();
      const record = await this.storeBlob(upload.file, upload);
      await this.discard(upload);
      return record;
    } catch (err) {
      if (upload.committing) await this.discard(upload);
      throw err;
    }
  }

  /** Stores bytes already in memory (generated assets) as an asset. */
  async putBytes(data: Uint8Array, asset: { name?: string; contentType?: string; project?: string }, principal: Principal, prefix: string): Promise<AssetRecord> {
    return this.storeBlob(once(data), this.checkNewAsset(asset, principal, prefix));
  }

  private async storeBlob(input: string | AsyncIterable<Uint8Array>, asset: NewAsset): Promise<AssetRecord> {
    await this.prepare();
    const made = await makeBlobIndex({ input, store: this.storeDir });
    const assetId = createHash("sha256").update(made.indexBytes).digest("hex");
    const indexFile = this.indexPath(assetId);
    if (!existsSync(indexFile)) await writeFileAtomic(indexFile, made.indexBytes);
    return this.catalog.add({
      assetId,
      name: asset.name,
      contentType: asset.contentType,
      sizeBytes: made.blobBytes,
      project: asset.project,
      chunks: made.chunkCount,
      createdAtMs: Date.now(),
    });
  }

  /** Drops an upload: its timer, its spool file, its place in the table. */
  private async discard(upload: Upload): Promise<void> {
    if (this.uploads.get(upload.id) !== upload) return;
    this.uploads.delete(upload.id);
    clearTimeout(upload.timer);
    await Promise.allSettled(upload.writes);
    await upload.fd.close().catch(() => undefined);
    await fsp.rm(upload.file, { force: true });
  }

  async stat(assetId: string | undefined, principal: Principal, field: string): Promise<AssetRecord> {
    const id = checkAssetId(assetId, field);
    const record = await this.catalog.get(id, principal.project);
    if (!record) throw new EnsoulError("NOT_FOUND", `no asset ${id}`, { field });
    return record;
  }

  /** The asset's bytes from `offset` (for `length` bytes, 0: to the end) in frames of at most `maxFrameData`. */
  async *read(
    request: { assetId?: string; offset?: { toNumber(): number } | number | null; length?: { toNumber(): number } | number | null; maxChunkBytes?: number },
    principal: Principal,
    maxReplyBytes = Number.POSITIVE_INFINITY,
  ): AsyncGenerator<{ offset: number; data: Uint8Array }> {
    const record = await this.stat(request.assetId, principal, "assetGet.assetId");
    const offset = toSafeNumber(request.offset, "assetGet.offset");
    const length = toSafeNumber(request.length, "assetGet.length");
    if (offset > record.sizeBytes) {
      throw new EnsoulError("INVALID_ARGUMENT", `offset ${offset} is past the asset's end (${record.sizeBytes} bytes)`, { field: "assetGet.offset" });
    }
    const end = length === 0 ? record.sizeBytes : Math.min(record.sizeBytes, offset + length);
    // Never above what the client said it can take in Hello (the gateway would refuse the frame).
    const frameBytes = Math.max(1, Math.min(request.maxChunkBytes || this.maxDataBytes, this.maxDataBytes, maxReplyBytes - FRAME_OVERHEAD));
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let at = offset;
    const take = (): { offset: number; data: Uint8Array } => {
      const frame = { offset: at, data: pending.length === 1 ? pending[0]! : Buffer.concat(pending) };
      at += pendingBytes;
      pending = [];
      pendingBytes = 0;
      return frame;
    };
    for await (let piece of readBlob({ index: this.indexPath(record.assetId), store: this.storeDir, startOffset: offset, endOffset: end })) {
      while (piece.length > 0) {
        const n = Math.min(piece.length, frameBytes - pendingBytes);
        pending.push(piece.subarray(0, n));
        pendingBytes += n;
        piece = piece.subarray(n);
        if (pendingBytes === frameBytes) yield take();
      }
    }
    if (pendingBytes > 0) yield take();
  }

  async list(request: { project?: string; namePrefix?: string; limit?: number }, principal: Principal): Promise<AssetRecord[]> {
    const project = scopeProject(principal, request.project, "assetList.project");
    const namePrefix = checkText(request.namePrefix, "assetList.namePrefix", 512, false);
    const limit = Math.min(request.limit || DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
    return this.catalog.list({ project: project === "" ? undefined : project, namePrefix, limit });
  }

  /** Drops every upload in progress (shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.uploads.values()].map((u) => this.discard(u)));
  }
}

export function createAssetService(options: AssetServiceOptions): AssetService {
  return new AssetService(options);
}

/** The asset methods of the protocol, served by `service`. */
export function assetMethods(service: AssetService): Method[] {
  return [
    unary({
      service: "assets",
      name: "putBegin",
      request: "assetPutBegin",
      response: "assetUpload",
      handle: (req, ctx) => service.begin(req, ctx.principal),
    }),
    unary({
      service: "assets",
      name: "putChunk",
      request: "assetPutChunk",
      response: "assetPutAck",
      handle: (req, ctx) => service.putChunk(req, ctx.principal, ctx.signal),
    }),
    unary({
      service: "assets",
      name: "putCommit",
      request: "assetPutCommit",
      response: "assetInfo",
      handle: async (req, ctx) => assetInfo(await service.commit(req, ctx.principal)),
    }),
    streaming({
      service: "assets",
      name: "get",
      request: "assetGet",
      response: "assetData",
      handle: async (req, ctx, sink) => {
        for await (const frame of service.read(req, ctx.principal, ctx.maxReplyBytes)) {
          if (ctx.signal.aborted) return; // the client left: stop reading chunks
          sink.send("assetData", { assetId: req.assetId?.toLowerCase(), offset: frame.offset, data: frame.data });
          await sink.drained();
        }
      },
    }),
    unary({
      service: "assets",
      name: "stat",
      request: "assetStat",
      response: "assetInfo",
      handle: async (req, ctx) => assetInfo(await service.stat(req.assetId, ctx.principal, "assetStat.assetId")),
    }),
    unary({
      service: "assets",
      name: "list",
      request: "assetList",
      response: "assetListReply",
      handle: async (req, ctx) => ({ assets: (await service.list(req, ctx.principal)).map(assetInfo) }),
    }),
  ];
}

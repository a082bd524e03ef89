/**
 * The asset store engine: a casync/desync-compatible content-addressed chunk store.
 *
 * - `makeBlobIndex` chunks a blob into a store and writes a `.caibx` byte-identical to casync's;
 * - `extractBlob` rebuilds it (seeds first, then the store), hash-checking every chunk and
 *   replacing the target only when complete;
 * - `readBlob` streams a byte range of a blob from the store (downloads, resume from an offset);
 * - `verifyIndex`, `listChunks`, `collectGarbage` keep a store healthy;
 * - `serveChunkStore` serves a store over HTTP in desync's URL layout, `HttpChunkSource` reads one.
 */

export { Chunker, chunkLengths, DEFAULT_CHUNK_SIZES, parseChunkSizes, resolveChunkSizes, type ChunkSizes } from "./chunker.js";
export {
  blobFeatureFlags,
  decodeIndex,
  DEFAULT_DIGEST,
  encodeIndex,
  type BlobIndex,
  type ChunkDigest,
  type IndexChunk,
} from "./index-format.js";
export { chunkId, chunkRelativePath, LocalChunkStore, type ChunkSource } from "./chunk-store.js";
export { ChunkWorkerPool, sharedChunkPool } from "./chunk-workers.js";
export { makeBlobIndex, type MakeOptions, type MakeResult } from "./make.js";
export { readIndexFile } from "./chunk-loader.js";
export { extractBlob, type ExtractOptions, type ExtractResult } from "./extract.js";
export { readBlob, type ReadBlobOptions } from "./read-blob.js";
export { collectGarbage, listChunks, verifyIndex, type GcResult, type VerifyResult } from "./maintenance.js";
export { HttpChunkSource, serveChunkStore, type ChunkServer, type ServeOptions } from "./http-store.js";
export { registerStoreCommands, stopServedStores } from "./cli.js";

// The asset service as other services get it from app/ (BodyBuild stores bodies through it).
export { assetInfo, AssetService, assetMethods, createAssetService } from "./rpc.js";
export type { AssetCatalog, AssetRecord } from "./catalog.js";

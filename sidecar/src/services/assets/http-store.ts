/**
 * A chunk store over HTTP in desync's chunk-server layout (also what casync's http store reads):
 * `GET|HEAD /<first 4 hex>/<64 hex id>.cacnk` → 200 with the stored (compressed) bytes, or 404;
 * `PUT` on the same path when writable (the body is checked against the id before it is kept);
 * anything else 405; a path that is not a chunk path 400. A plain static server over a store
 * directory serves the same URLs, so casync, desync and our extract can all read from it.
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { EnsoulError } from "../../lib/errors.js";
import { chunkRelativePath, LocalChunkStore, openChunk, type ChunkSource } from "./chunk-store.js";
import type { ChunkDigest } from "./index-format.js";

const CHUNK_URL_PATTERN = /^\/([0-9a-f]{4})\/([0-9a-f]{64})\.cacnk$/;
const MAX_PUT_BYTES = 256 * 1024 * 1024;

export interface ServeOptions {
  readonly store: string;
  /** Default 127.0.0.1; port 0 picks a free port. */
  readonly host?: string;
  readonly port?: number;
  /** Accept PUT uploads, verified against this digest. Omitted: read-only. */
  readonly writableDigest?: ChunkDigest;
}

export interface ChunkServer {
  /** Base URL, ending in `/`, to pass to `--store` of casync/desync or to HttpChunkSource. */
  readonly url: string;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const piece of req as AsyncIterable<Buffer>) {
    total += piece.length;
    if (total > MAX_PUT_BYTES) return undefined;
    parts.push(piece);
  }
  return Buffer.concat(parts);
}

async function handle(store: LocalChunkStore, writableDigest: ChunkDigest | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const m = CHUNK_URL_PATTERN.exec((req.url ?? "").split("?")[0] ?? "");
  const id = m !== null && m[2]!.startsWith(m[1]!) ? m[2]! : undefined;
  const reply = (status: number, body?: Buffer | string): void => {
    res.statusCode = status;
    if (body === undefined) res.end();
    else res.end(body);
  };
  if (req.method === "GET" || req.method === "HEAD") {
    if (id === undefined) return reply(400, "not a chunk path\n");
    const bytes = await store.getCompressed(id);
    if (bytes === undefined) return reply(404);
    res.setHeader("content-type", "application/octet-stream");
    res.setHeader("content-length", bytes.length);
    return reply(200, req.method === "GET" ? bytes : undefined);
  }
  if (req.method === "PUT" && writableDigest !== undefined) {
    if (id === undefined) return reply(400, "not a chunk path\n");
    const body = await readBody(req);
    if (body === undefined) return reply(413);
    try {
      openChunk(body, { id }, writableDigest);
    } catch (err) {
      return reply(400, `${(err as Error).message}\n`);
    }
    await store.putCompressed(id, body);
    return reply(200);
  }
  return reply(405);
}

/** Serves a local store over HTTP; resolves once listening. */
export async function serveChunkStore(options: ServeOptions): Promise<ChunkServer> {
  const store = new LocalChunkStore(options.store);
  const server = createServer((req, res) => {
    handle(store, options.writableDigest, req, res).catch(() => {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Reads chunks from an HTTP chunk server (ours, desync's, or a static server over a store). */
export class HttpChunkSource implements ChunkSource {
  readonly name: string;
  private readonly base: string;

  constructor(baseUrl: string) {
    this.base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
    this.name = this.base;
  }

  async getCompressed(id: string): Promise<Buffer | undefined> {
    const url = new URL(chunkRelativePath(id), this.base);
    let res: Response;
    try {
      res = await fetch(url);
    } catch (err) {
      throw new EnsoulError("UNAVAILABLE", `chunk server ${this.base} unreachable: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new EnsoulError("UNAVAILABLE", `chunk server ${this.base} answered ${res.status} for chunk ${id}`);
    return Buffer.from(await res.arrayBuffer());
  }
}

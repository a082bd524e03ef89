import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compress } from "zstd-napi";
import { chunkId, chunkRelativePath, LocalChunkStore } from "./chunk-store.js";
import { extractBlob } from "./extract.js";
import { HttpChunkSource, serveChunkStore, type ChunkServer } from "./http-store.js";
import { makeBlobIndex, type MakeResult } from "./make.js";

const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), "ensoul-http-store-"));
const store = path.join(work, "store");
const data = randomBytes(700_000);
let server: ChunkServer;
let made: MakeResult;

beforeAll(async () => {
  writeFileSync(path.join(work, "blob.bin"), data);
  made = await makeBlobIndex({ input: path.join(work, "blob.bin"), store, indexPath: path.join(work, "blob.caibx") });
  server = await serveChunkStore({ store, writableDigest: "sha512-256" });
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe("HTTP chunk server", () => {
  it("serves chunks in desync's layout that our extract reads", async () => {
    const out = path.join(work, "ours.bin");
    const r = await extractBlob({ index: path.join(work, "blob.caibx"), store: new HttpChunkSource(server.url), output: out });
    expect(readFileSync(out).equals(data)).toBe(true);
    expect(r.bytesFromStore).toBe(data.length);
  });

  it("serves chunks that casync's http store reads", async () => {
    const out = path.join(work, "casync.bin");
    await run("casync", [`--store=${server.url}`, "extract", path.join(work, "blob.caibx"), out]);
    expect(readFileSync(out).equals(data)).toBe(true);
  });

  it("answers 404, 400 and 405 where desync's server does", async () => {
    const missing = "ab".repeat(32);
    expect((await fetch(new URL(chunkRelativePath(missing), server.url))).status).toBe(404);
    const id = made.index.chunks[0]!.id;
    expect((await fetch(new URL(chunkRelativePath(id), server.url), { method: "HEAD" })).status).toBe(200);
    expect((await fetch(new URL(`${id.slice(0, 4)}/${id}`, server.url))).status).toBe(400);
    expect((await fetch(new URL(`ffff/${id}.cacnk`, server.url))).status).toBe(400);
    expect((await fetch(new URL(chunkRelativePath(id), server.url), { method: "DELETE" })).status).toBe(405);
  });

  it("accepts a PUT only when the body matches the chunk id", async () => {
    const chunk = randomBytes(5000);
    const id = chunkId(chunk, "sha512-256");
    const url = new URL(chunkRelativePath(id), server.url);
    expect((await fetch(url, { method: "PUT", body: compress(randomBytes(5000)) })).status).toBe(400);
    expect(await new LocalChunkStore(store).has(id)).toBe(false);
    expect((await fetch(url, { method: "PUT", body: compress(chunk) })).status).toBe(200);
    expect((await new LocalChunkStore(store).get({ id }, "sha512-256")).equals(chunk)).toBe(true);
  });

  it("names the chunk and offset when the server lacks a chunk", async () => {
    const lost = path.join(work, "lost");
    const other = randomBytes(200_000);
    writeFileSync(path.join(work, "other.bin"), other);
    const m = await makeBlobIndex({ input: path.join(work, "other.bin"), store: lost, indexPath: path.join(work, "other.caibx") });
    const victim = m.index.chunks[0]!;
    const out = path.join(work, "other.out");
    await expect(extractBlob({ index: path.join(work, "other.caibx"), store: new HttpChunkSource(server.url), output: out })).rejects.toThrow(
      `missing chunk ${victim.id} (index offset ${victim.start})`,
    );
  });
});

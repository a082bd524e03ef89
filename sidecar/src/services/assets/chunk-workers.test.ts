import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chunkId, LocalChunkStore } from "./chunk-store.js";
import { ChunkWorkerPool, sharedChunkPool } from "./chunk-workers.js";

const work = mkdtempSync(path.join(tmpdir(), "ensoul-workers-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function batch(pieces: Buffer[]): ArrayBuffer {
  const all = Buffer.concat(pieces);
  return all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
}

describe("chunk worker pool", () => {
  it("hashes, stores and loads chunks on worker threads with the same ids as the main thread", async () => {
    const pool = new ChunkWorkerPool(2);
    try {
      const pieces = [randomBytes(1000), randomBytes(70_000), Buffer.alloc(5000)];
      const lengths = pieces.map((p) => p.length);
      const expected = pieces.map((p) => chunkId(p, "sha256"));
      const hashed = await pool.hash(batch(pieces), lengths, "sha256");
      expect(hashed.ids).toEqual(expected);
      expect(Buffer.from(hashed.buffer)).toEqual(Buffer.concat(pieces)); // handed back for reuse
      const store = path.join(work, "store");
      const first = await pool.store(batch(pieces), lengths, "sha256", store);
      expect(first.ids).toEqual(expected);
      expect(Object.keys(first.written).sort()).toEqual([...expected].sort());
      const second = await pool.store(batch(pieces), lengths, "sha256", store);
      expect(second.written).toEqual({});
      const starts = [0, 1000, 71_000];
      const loaded = await pool.load(store, store, expected.map((id, i) => ({ id, start: starts[i]!, sizeBytes: lengths[i]! })), "sha256");
      expect(loaded.chunks.map((c) => Buffer.from(c))).toEqual(pieces);
      expect((await new LocalChunkStore(store).get({ id: expected[1]! }, "sha256")).equals(pieces[1]!)).toBe(true);
    } finally {
      await pool.close();
    }
    await expect(pool.hash(batch([Buffer.from("x")]), [1], "sha256")).rejects.toThrow(/closed/);
  });

  it("ready() resolves once every worker answers, and fails on a closed pool", async () => {
    const pool = new ChunkWorkerPool(3);
    await pool.ready();
    await pool.close();
    await expect(pool.ready()).rejects.toThrow(/closed/);
  });

  it("replaces the shared pool once it was closed", async () => {
    const a = sharedChunkPool();
    await a.close();
    const b = sharedChunkPool();
    expect(b).not.toBe(a);
    expect((await b.hash(batch([Buffer.from("abc")]), [3], "sha512-256")).ids).toEqual([
      "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23",
    ]);
  });
});

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalChunkStore } from "./chunk-store.js";
import { parseChunkSizes } from "./chunker.js";
import { makeBlobIndex, type MakeResult } from "./make.js";
import { readBlob } from "./read-blob.js";

const work = mkdtempSync(path.join(tmpdir(), "ensoul-read-blob-"));
const store = path.join(work, "store");
const data = randomBytes(400_000);
let made: MakeResult;

beforeAll(async () => {
  writeFileSync(path.join(work, "blob.bin"), data);
  made = await makeBlobIndex({ input: path.join(work, "blob.bin"), store, sizes: parseChunkSizes("2K:8K:32K") });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

describe("readBlob", () => {
  it("streams any byte range of the blob, e.g. to resume a download", async () => {
    expect((await collect(readBlob({ index: made.index, store }))).equals(data)).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: data.length }), fc.nat({ max: data.length }), async (a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const got = await collect(readBlob({ index: made.index, store, startOffset: start, endOffset: end }));
        expect(got.equals(data.subarray(start, end))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it("refuses a range outside the blob", async () => {
    await expect(collect(readBlob({ index: made.index, store, startOffset: 10, endOffset: data.length + 1 }))).rejects.toThrow(/not within/);
    await expect(collect(readBlob({ index: made.index, store, startOffset: 5, endOffset: 4 }))).rejects.toThrow(/not within/);
  });

  it("fails at a missing chunk, naming it, never delivering bytes past it", async () => {
    const victim = made.index.chunks[10]!;
    const file = new LocalChunkStore(store).chunkPath(victim.id);
    const saved = await import("node:fs/promises").then((f) => f.readFile(file));
    rmSync(file);
    try {
      let delivered = 0;
      await expect(
        (async () => {
          for await (const p of readBlob({ index: made.index, store })) delivered += p.length;
        })(),
      ).rejects.toThrow(`missing chunk ${victim.id} (index offset ${victim.start})`);
      expect(delivered).toBeLessThanOrEqual(victim.start); // whole runs of chunks before it, never past it
    } finally {
      writeFileSync(file, saved);
    }
  });
});

import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chunkInBatches } from "./chunk-pipeline.js";
import { chunkLengths, DEFAULT_CHUNK_SIZES } from "./chunker.js";

async function* pieces(data: Buffer, pieceBytes: number): AsyncGenerator<Uint8Array> {
  for (let pos = 0; pos < data.length; pos += pieceBytes) yield data.subarray(pos, pos + pieceBytes);
}

describe("chunkInBatches", () => {
  it("hands every chunk over in order and fills handed-back buffers again instead of allocating one per batch", async () => {
    const data = randomBytes(24 * 1024 * 1024);
    const buffers = new Set<ArrayBuffer>();
    const copies: Buffer[] = [];
    const run = await chunkInBatches(pieces(data, 1_000_003), DEFAULT_CHUNK_SIZES, 2, async (buffer, lengths) => {
      buffers.add(buffer);
      const bytes = lengths.reduce((a, b) => a + b, 0);
      copies.push(Buffer.from(new Uint8Array(buffer, 0, bytes))); // a copy: the buffer is filled again
      return { buffer, count: lengths.length };
    });
    expect(run.totalBytes).toBe(data.length);
    expect(Buffer.concat(copies).equals(data)).toBe(true);
    expect(run.batches.flatMap((b) => b.lengths)).toEqual(chunkLengths(data));
    expect(run.batches.length).toBeGreaterThan(8);
    expect(buffers.size).toBeLessThanOrEqual(3);
  });
});

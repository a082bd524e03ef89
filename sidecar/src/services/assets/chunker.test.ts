import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUZHASH_TABLE } from "./buzhash-table.js";
import { buildChunkerWasm, divisibilityConstant, instantiateChunkerWasm } from "./chunker-wasm.js";
import {
  chunkLengths,
  DEFAULT_CHUNK_SIZES,
  discriminatorFor,
  parseChunkSizes,
  referenceCut,
  resolveChunkSizes,
  WINDOW_BYTES,
  type ChunkSizes,
} from "./chunker.js";

function referenceLengths(data: Uint8Array, sizes: ChunkSizes): number[] {
  const out: number[] = [];
  for (let s = 0; s < data.length; ) {
    const e = referenceCut(data, s, data.length, sizes);
    out.push(e - s);
    s = e;
  }
  return out;
}

function seedHash(window: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < WINDOW_BYTES; i++) {
    const t = BUZHASH_TABLE[window[i]!]!;
    const r = (WINDOW_BYTES - 1 - i) % 32;
    h = (h ^ (r === 0 ? t : ((t << r) | (t >>> (32 - r))) >>> 0)) >>> 0;
  }
  return h;
}

/** Random bytes whose 48 bytes ending at `at` hash to a boundary, and no earlier boundary. */
function dataWithSeedWindowBoundary(sizes: ChunkSizes, total: number): Uint8Array {
  const d = discriminatorFor(sizes);
  for (;;) {
    const data = randomBytes(total);
    const window = data.subarray(sizes.minBytes - WINDOW_BYTES, sizes.minBytes);
    // Vary the window's last bytes until the seed hash, computed directly from its definition, matches.
    for (let v = 0; v < 1 << 24; v++) {
      window[45] = v & 0xff;
      window[46] = (v >> 8) & 0xff;
      window[47] = (v >> 16) & 0xff;
      if (seedHash(window) % d === d - 1) return data;
    }
  }
}

describe("chunker", () => {
  it("carries casync's buzhash table", () => {
    expect(BUZHASH_TABLE.length).toBe(256);
    expect(BUZHASH_TABLE[0]).toBe(0x458be752);
    expect(BUZHASH_TABLE[255]).toBe(0xd95ddf11);
  });

  it("derives casync's discriminator from the average size", () => {
    expect(discriminatorFor(DEFAULT_CHUNK_SIZES)).toBe(49535);
    expect(discriminatorFor(resolveChunkSizes({ avgBytes: 16384 }))).toBe(12318);
    expect(discriminatorFor(resolveChunkSizes({ avgBytes: 4096 }))).toBe(3075);
  });

  it("fills in and checks chunk sizes like casync", () => {
    expect(resolveChunkSizes()).toEqual(DEFAULT_CHUNK_SIZES);
    expect(parseChunkSizes("16K:64K:256K")).toEqual(DEFAULT_CHUNK_SIZES);
    expect(parseChunkSizes("32K")).toEqual({ minBytes: 8192, avgBytes: 32768, maxBytes: 131072 });
    expect(() => parseChunkSizes("64K:16K:256K")).toThrow(/average/);
    expect(() => parseChunkSizes("1:2")).toThrow(/MIN:AVG:MAX/);
    expect(() => parseChunkSizes("lots")).toThrow(/cannot parse/);
    expect(() => parseChunkSizes("1K:2K:256M")).toThrow(/at most/);
    expect(() => parseChunkSizes("8:16:32")).toThrow(/at least 48/);
    expect(parseChunkSizes("30:30:30").maxBytes).toBe(30);
  });

  it("builds a valid, deterministic Wasm module", () => {
    const a = buildChunkerWasm();
    expect(() => instantiateChunkerWasm(1024)).not.toThrow();
    expect(Buffer.from(buildChunkerWasm()).equals(Buffer.from(a))).toBe(true);
  });

  it("cuts where the plain-JavaScript reference cuts, for several size settings", () => {
    const data = randomBytes(3_000_000);
    for (const sizes of [DEFAULT_CHUNK_SIZES, parseChunkSizes("4K:16K:64K"), parseChunkSizes("64:256:1K"), parseChunkSizes("20:20:20")]) {
      const lengths = chunkLengths(data, sizes);
      expect(lengths).toEqual(referenceLengths(data, sizes));
      expect(lengths.reduce((a, b) => a + b, 0)).toBe(data.length);
      expect(lengths.every((n) => n <= sizes.maxBytes)).toBe(true);
    }
  });

  it("agrees with the reference for arbitrary sizes and data (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.uint8Array({ maxLength: 6000 }),
        fc.boolean(),
        (min, avgExtra, maxExtra, bytes, lowEntropy) => {
          const maxBytes = Math.max(min + avgExtra + maxExtra, WINDOW_BYTES);
          const sizes = resolveChunkSizes({ minBytes: min, avgBytes: Math.min(min + avgExtra, maxBytes), maxBytes });
          const data = lowEntropy ? bytes.map((b) => b & 1) : bytes;
          expect(chunkLengths(data, sizes)).toEqual(referenceLengths(data, sizes));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("finds h % d == d - 1 by the Wasm loop's multiplication exactly where division does (property)", () => {
    const U64 = (1n << 64n) - 1n;
    // The Wasm test, step by step: (h - (d - 1)) as u32, times c, as u64, at most c - 1, and h >= d - 1.
    const byMultiplication = (h: number, d: number): boolean => {
      const c = divisibilityConstant(d);
      const product = (BigInt((h - (d - 1)) >>> 0) * c) & U64;
      return product <= ((c - 1n) & U64) && h >= d - 1;
    };
    const edges = (d: number): number[] => [0, 1, d - 2, d - 1, d, 2 * d - 1, 0xffffffff, 0xffffffff - d, Math.floor(0xffffffff / d) * d - 1];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 128 * 1024 * 1024 }), fc.integer({ min: 0, max: 0xffffffff }), (d, h) => {
        for (const x of [h, ...edges(d)].filter((v) => v >= 0 && v <= 0xffffffff)) {
          expect(byMultiplication(x, d)).toBe(x % d === d - 1);
        }
      }),
      { numRuns: 2000 },
    );
    for (const d of [1, 2, 3, 49535, 65536, 1 << 27]) for (const x of edges(d).filter((v) => v >= 0)) expect(byMultiplication(x, d)).toBe(x % d === d - 1);
  });

  it("cuts a chunk of exactly min bytes when the seed window is a boundary", () => {
    const sizes = parseChunkSizes("1K:4K:16K");
    const data = dataWithSeedWindowBoundary(sizes, 40_000);
    expect(chunkLengths(data, sizes)[0]).toBe(sizes.minBytes);
  });

  it("never cuts before min, always by max, and emits short input as one chunk", () => {
    const sizes = parseChunkSizes("1K:4K:16K");
    expect(chunkLengths(new Uint8Array(0), sizes)).toEqual([]);
    expect(chunkLengths(randomBytes(700), sizes)).toEqual([700]);
    const zeros = new Uint8Array(100_000);
    expect(chunkLengths(zeros, sizes)).toEqual(referenceLengths(zeros, sizes));
    const lengths = chunkLengths(randomBytes(500_000), sizes);
    expect(lengths.slice(0, -1).every((n) => n >= sizes.minBytes && n <= sizes.maxBytes)).toBe(true);
  });
});

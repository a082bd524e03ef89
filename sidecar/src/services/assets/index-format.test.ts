import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EnsoulError } from "../../lib/errors.js";
import { blobFeatureFlags, decodeIndex, encodeIndex, type BlobIndex, type ChunkDigest } from "./index-format.js";

const arbIndex: fc.Arbitrary<BlobIndex> = fc
  .record({
    digest: fc.constantFrom<ChunkDigest>("sha512-256", "sha256"),
    min: fc.integer({ min: 1, max: 5000 }),
    avgExtra: fc.integer({ min: 0, max: 5000 }),
    maxExtra: fc.integer({ min: 0, max: 5000 }),
    chunks: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.uint8Array({ minLength: 32, maxLength: 32 })), { maxLength: 40 }),
  })
  .map(({ digest, min, avgExtra, maxExtra, chunks }) => {
    const sizes = { minBytes: min, avgBytes: min + avgExtra, maxBytes: min + avgExtra + maxExtra };
    let start = 0;
    const list = chunks.map(([f, id]) => {
      const sizeBytes = 1 + Math.floor(f * (sizes.maxBytes - 1));
      const c = { start, sizeBytes, id: Buffer.from(id).toString("hex") };
      start += sizeBytes;
      return c;
    });
    return { featureFlags: blobFeatureFlags(digest), digest, sizes, chunks: list, blobBytes: start };
  });

describe("blob index codec", () => {
  it("decodes what it encodes, 104 + 40·N bytes long", () => {
    fc.assert(
      fc.property(arbIndex, (index) => {
        const bytes = encodeIndex(index);
        expect(bytes.length).toBe(104 + 40 * index.chunks.length);
        expect(decodeIndex(bytes)).toEqual(index);
      }),
    );
  });

  it("answers damaged bytes with INVALID_ARGUMENT, never another error", () => {
    fc.assert(
      fc.property(arbIndex, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (index, at, flip, truncate) => {
        const bytes = encodeIndex(index);
        const pos = at % bytes.length;
        const damaged = truncate ? bytes.subarray(0, pos) : Buffer.from(bytes);
        if (!truncate) damaged[pos] = damaged[pos]! ^ flip;
        try {
          decodeIndex(damaged);
        } catch (err) {
          expect(err).toBeInstanceOf(EnsoulError);
          expect((err as EnsoulError).code).toBe("INVALID_ARGUMENT");
        }
      }),
    );
  });

  it("writes casync's feature flags for each digest", () => {
    expect(blobFeatureFlags("sha512-256")).toBe(0xb000000000000000n);
    expect(blobFeatureFlags("sha256")).toBe(0x9000000000000000n);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitIntoRuns } from "./chunk-loader.js";
import type { IndexChunk } from "./index-format.js";

const MiB = 1024 * 1024;

function laidOut(sizes: readonly number[]): IndexChunk[] {
  let start = 0;
  return sizes.map((sizeBytes, i) => {
    const c = { start, sizeBytes, id: i.toString(16).padStart(64, "0") };
    start += sizeBytes;
    return c;
  });
}

describe("splitIntoRuns", () => {
  it("keeps every chunk in order, in runs of at most 64 chunks and 4 MiB unless one chunk alone is larger", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6 * MiB }), { maxLength: 300 }), (sizes) => {
        const chunks = laidOut(sizes);
        const runs = splitIntoRuns(chunks);
        expect(runs.flat()).toEqual(chunks);
        for (const run of runs) {
          expect(run.length).toBeGreaterThan(0);
          expect(run.length).toBeLessThanOrEqual(64);
          const bytes = run.reduce((n, c) => n + c.sizeBytes, 0);
          if (run.length > 1) expect(bytes).toBeLessThanOrEqual(4 * MiB);
        }
        // Greedy: a run ends only when the next chunk would not fit in it.
        for (let r = 0; r + 1 < runs.length; r++) {
          const run = runs[r]!;
          const bytes = run.reduce((n, c) => n + c.sizeBytes, 0);
          expect(run.length === 64 || bytes + runs[r + 1]![0]!.sizeBytes > 4 * MiB).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("gives no runs for no chunks and 64-chunk runs for many small chunks", () => {
    expect(splitIntoRuns([])).toEqual([]);
    expect(splitIntoRuns(laidOut(new Array(130).fill(1000))).map((r) => r.length)).toEqual([64, 64, 2]);
  });
});

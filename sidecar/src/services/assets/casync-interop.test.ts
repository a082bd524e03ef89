/**
 * Interoperability with the real `casync` binary (Debian's casync 2): for generated inputs our
 * index equals casync's byte for byte, casync extracts what we made, we extract what casync made.
 */

import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { BUZHASH_TABLE } from "./buzhash-table.js";
import { chunkLengths, DEFAULT_CHUNK_SIZES, discriminatorFor, parseChunkSizes, WINDOW_BYTES, type ChunkSizes } from "./chunker.js";
import { extractBlob } from "./extract.js";
import { makeBlobIndex } from "./make.js";
import type { ChunkDigest } from "./index-format.js";

const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), "ensoul-casync-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Random bytes in which the chunk starting at 0 ends at exactly `min` (its seed window matches). */
function cutAtExactlyMin(sizes: ChunkSizes, total: number): Buffer {
  const d = discriminatorFor(sizes);
  const data = randomBytes(total);
  const w = data.subarray(sizes.minBytes - WINDOW_BYTES, sizes.minBytes);
  for (let v = 0; ; v++) {
    w.writeUIntLE(v & 0xffffff, 45, 3);
    let h = 0;
    for (let i = 0; i < WINDOW_BYTES; i++) h = (((h << 1) | (h >>> 31)) ^ BUZHASH_TABLE[w[i]!]!) >>> 0;
    if (h % d === d - 1) return data;
  }
}

function compressible(bytes: number): Buffer {
  const words = ["character", "mesh", "texture", "bone", "{", "}", "\n", "0.25", "idle", "walk", "uv", "normal"];
  const parts: string[] = [];
  let n = 0;
  let seed = 7;
  while (n < bytes) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const w = words[seed % words.length]!;
    parts.push(w, " ");
    n += w.length + 1;
  }
  return Buffer.from(parts.join("")).subarray(0, bytes);
}

interface Case {
  name: string;
  data: Buffer;
  sizes?: ChunkSizes;
  digest?: ChunkDigest;
}

const K = 1024;
const cases: Case[] = [
  { name: "random 3 MB", data: randomBytes(3 * K * K) },
  { name: "zeros", data: Buffer.alloc(1200 * K) },
  { name: "small", data: randomBytes(1000) },
  { name: "empty", data: Buffer.alloc(0) },
  { name: "exactly one chunk of min bytes", data: randomBytes(DEFAULT_CHUNK_SIZES.minBytes) },
  { name: "a chunk cut at exactly min", data: cutAtExactlyMin(DEFAULT_CHUNK_SIZES, 400 * K) },
  { name: "compressible text 2 MB", data: compressible(2 * K * K) },
  { name: "random, --digest sha256", data: randomBytes(1500 * K), digest: "sha256" },
  { name: "text, --chunk-size 4K:16K:64K", data: compressible(1 * K * K), sizes: parseChunkSizes("4K:16K:64K") },
  { name: "random, --chunk-size 20:40:80 (min below the 48-byte window)", data: randomBytes(20_000), sizes: parseChunkSizes("20:40:80") },
  { name: "random, fixed-size --chunk-size 1000:1000:1000", data: randomBytes(50_500), sizes: parseChunkSizes("1000:1000:1000") },
  {
    name: "cut at min, --chunk-size 2K:8K:32K --digest sha256",
    data: cutAtExactlyMin(parseChunkSizes("2K:8K:32K"), 300 * K),
    sizes: parseChunkSizes("2K:8K:32K"),
    digest: "sha256",
  },
];

function casyncArgs(c: Case): string[] {
  const args: string[] = [];
  if (c.digest !== undefined) args.push(`--digest=${c.digest}`);
  if (c.sizes !== undefined) args.push(`--chunk-size=${c.sizes.minBytes}:${c.sizes.avgBytes}:${c.sizes.maxBytes}`);
  return args;
}

describe("casync interoperability", () => {
  it("the generated 'cut at exactly min' input really starts with a chunk of min bytes", () => {
    expect(chunkLengths(cases[5]!.data)[0]).toBe(DEFAULT_CHUNK_SIZES.minBytes);
  });

  it.each(cases)("$name: same index bytes as casync make, and both tools extract each other's", async (c) => {
    const dir = mkdtempSync(path.join(work, "case-"));
    const input = path.join(dir, "input.bin");
    writeFileSync(input, c.data);

    await run("casync", [...casyncArgs(c), `--store=${dir}/theirs.castr`, "make", `${dir}/theirs.caibx`, input]);
    const ours = await makeBlobIndex({ input, store: `${dir}/ours.castr`, indexPath: `${dir}/ours.caibx`, sizes: c.sizes, digest: c.digest });

    expect(ours.blobBytes).toBe(c.data.length);
    expect(readFileSync(`${dir}/ours.caibx`).equals(readFileSync(`${dir}/theirs.caibx`))).toBe(true);

    await run("casync", [`--store=${dir}/ours.castr`, "extract", `${dir}/ours.caibx`, `${dir}/by-casync.bin`]);
    expect(readFileSync(`${dir}/by-casync.bin`).equals(c.data)).toBe(true);

    const back = await extractBlob({ index: `${dir}/theirs.caibx`, store: `${dir}/theirs.castr`, output: `${dir}/by-us.bin` });
    expect(readFileSync(`${dir}/by-us.bin`).equals(c.data)).toBe(true);
    expect(back.bytesFromStore + back.bytesFromSeed).toBe(c.data.length);
  });
});

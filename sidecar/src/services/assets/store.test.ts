import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { compress } from "zstd-napi";
import { EnsoulError } from "../../lib/errors.js";
import { chunkId, LocalChunkStore, openChunk } from "./chunk-store.js";
import { chunkLengths, resolveChunkSizes } from "./chunker.js";
import { extractBlob } from "./extract.js";
import { decodeIndex, encodeIndex } from "./index-format.js";
import { collectGarbage, listChunks, verifyIndex } from "./maintenance.js";
import { makeBlobIndex, segmentBounds } from "./make.js";

const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), "ensoul-store-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A fresh directory with a 1 MB random blob made into a store. */
async function madeBlob(bytes = 1024 * 1024) {
  const dir = mkdtempSync(path.join(work, "t-"));
  const data = randomBytes(bytes);
  const input = path.join(dir, "blob.bin");
  writeFileSync(input, data);
  const made = await makeBlobIndex({ input, store: path.join(dir, "store"), indexPath: path.join(dir, "blob.caibx") });
  return { dir, data, input, made, index: path.join(dir, "blob.caibx"), store: path.join(dir, "store") };
}

async function rejection(p: Promise<unknown>): Promise<EnsoulError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EnsoulError);
  return err as EnsoulError;
}

describe("index format", () => {
  it("round-trips an index through encode and decode", async () => {
    const { made } = await madeBlob(300_000);
    const decoded = decodeIndex(made.indexBytes);
    expect(decoded.chunks).toEqual(made.index.chunks);
    expect(encodeIndex(decoded).equals(made.indexBytes)).toBe(true);
  });

  it("rejects a truncated index, wrong magic and offsets that go backwards", async () => {
    const { made } = await madeBlob(300_000);
    expect(() => decodeIndex(made.indexBytes.subarray(0, made.indexBytes.length - 7), "x.caibx")).toThrow(/x\.caibx.*truncated/);
    const badMagic = Buffer.from(made.indexBytes);
    badMagic[9] = badMagic[9]! ^ 0xff;
    expect(() => decodeIndex(badMagic)).toThrow(/wrong magic/);
    const backwards = Buffer.from(made.indexBytes);
    backwards.writeBigUInt64LE(1n, 64 + 40);
    expect(() => decodeIndex(backwards)).toThrow(/backwards/);
  });
});

describe("make", () => {
  it("gives the same index for a stream of odd-sized pieces as for the file", async () => {
    const { data, made, store } = await madeBlob(900_000);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let pos = 0, n = 1; pos < data.length; pos += n, n = (n * 7 + 13) % 300_000) yield data.subarray(pos, pos + n);
    }
    const streamed = await makeBlobIndex({ input: pieces(), store });
    expect(streamed.indexBytes.equals(made.indexBytes)).toBe(true);
    expect(streamed.newChunks).toBe(0);
  });

  it("counts each new chunk once, even when workers store the same chunk at the same time", async () => {
    // A random 1.5 MiB block repeated: the same chunks recur in batches that run side by side.
    const block = randomBytes(1536 * 1024);
    const data = Buffer.concat(Array.from({ length: 12 }, () => block));
    const store = mkdtempSync(path.join(work, "dup-"));
    const made = await makeBlobIndex({ input: (async function* () { yield data; })(), store });
    const unique = new Set(made.index.chunks.map((c) => c.id));
    expect(unique.size).toBeLessThan(made.chunkCount);
    expect(made.newChunks).toBe(unique.size);
    let onDisk = 0;
    for (const dir of readdirSync(store)) onDisk += readdirSync(path.join(store, dir)).filter((f) => f.endsWith(".cacnk")).length;
    expect(onDisk).toBe(unique.size);
    expect((await makeBlobIndex({ input: (async function* () { yield data; })(), store })).newChunks).toBe(0);
  });
});

describe("make from a file, chunked by the workers in segments", () => {
  const small = resolveChunkSizes({ minBytes: 1024, avgBytes: 4096, maxBytes: 16 * 1024 });
  const cases: [string, () => Buffer][] = [
    ["random", () => randomBytes(700_001)],
    // zeros only cut at max: past the odd-length prefix the segments' own guesses never meet the
    // true boundaries, so every segment is cut again from its entry
    ["random prefix, then zeros, then random", () => Buffer.concat([randomBytes(100_003), Buffer.alloc(400_000), randomBytes(200_000)])],
    ["a short pattern repeated", () => Buffer.from("abcdefghij".repeat(70_000))],
    ["a random block repeated", () => Buffer.concat(Array.from({ length: 9 }, () => randomBytes(77_777)))],
  ];
  for (const [name, make] of cases) {
    it(`gives the chunks of one chunker run over the whole file: ${name}`, async () => {
      const data = make();
      const dir = mkdtempSync(path.join(work, "seg-"));
      const input = path.join(dir, "blob.bin");
      writeFileSync(input, data);
      for (const sizes of [small, resolveChunkSizes({ minBytes: 4096, avgBytes: 4096, maxBytes: 4096 })]) {
        for (const segmentBytes of [sizes.maxBytes, 3 * sizes.maxBytes + 5, 64 * 1024]) {
          const made = await makeBlobIndex({ input, store: path.join(dir, "store"), sizes, segmentBytes });
          const lengths = chunkLengths(data, sizes);
          expect(made.index.chunks.map((c) => c.sizeBytes), `segments of ${segmentBytes}`).toEqual(lengths);
          let pos = 0;
          const ids = lengths.map((n) => chunkId(data.subarray(pos, (pos += n)), "sha512-256"));
          expect(made.index.chunks.map((c) => c.id)).toEqual(ids);
        }
      }
      // and the same index as a stream of the same bytes, which the main thread chunks
      const streamed = await makeBlobIndex({ input: (async function* () { yield data; })(), store: path.join(dir, "store") });
      const fromFile = await makeBlobIndex({ input, store: path.join(dir, "store"), segmentBytes: 300_000 });
      expect(fromFile.indexBytes.equals(streamed.indexBytes)).toBe(true);
    });
  }

  it("cuts a file into segments of whole units that shrink towards the end", () => {
    const unit = 256 * 1024;
    for (const fileBytes of [0, 1, unit, 10 * unit + 7, 200 * 1024 * 1024 + 12345]) {
      const bounds = segmentBounds(fileBytes, 16 * unit, unit, 2);
      expect(bounds[0]).toBe(0);
      expect(bounds.at(-1)).toBe(fileBytes);
      const lengths = bounds.slice(1).map((b, i) => b - bounds[i]!);
      expect(lengths.every((n) => n > 0 && n <= 16 * unit)).toBe(true);
      expect(bounds.slice(1, -1).every((b) => b % unit === 0)).toBe(true);
      if (fileBytes > 100 * unit) {
        expect(lengths[0]).toBe(16 * unit);
        expect(lengths.at(-2)).toBeLessThan(16 * unit);
        expect(lengths.at(-2)).toBeGreaterThanOrEqual(2 * unit);
      }
    }
  });

  it("makes an empty index for an empty file", async () => {
    const dir = mkdtempSync(path.join(work, "seg-"));
    writeFileSync(path.join(dir, "empty"), "");
    const made = await makeBlobIndex({ input: path.join(dir, "empty"), store: path.join(dir, "store") });
    expect(made.chunkCount).toBe(0);
    expect(made.blobBytes).toBe(0);
  });
});

describe("chunk store", () => {
  it("reads zstd frames without a content-size field, as casync writes them", async () => {
    const dir = mkdtempSync(path.join(work, "z-"));
    const data = randomBytes(70_000);
    writeFileSync(path.join(dir, "c"), data);
    await run("zstd", ["-q", "-3", "--no-content-size", "-c", path.join(dir, "c"), "-o", path.join(dir, "c.zst")]);
    const frame = readFileSync(path.join(dir, "c.zst"));
    expect(frame[4]! & 0xc0).toBe(0); // frame header: no content-size flag
    const id = chunkId(data, "sha512-256");
    expect(openChunk(frame, { id }, "sha512-256").equals(data)).toBe(true);
  });

  it("lists only <id>.cacnk files, ignoring other tools' temporary files", async () => {
    const store = new LocalChunkStore(mkdtempSync(path.join(work, "s-")));
    const id = await store.put(randomBytes(1000), "sha512-256");
    const sub = path.join(store.dir, id.slice(0, 4));
    writeFileSync(path.join(sub, `${id}.0123456789abcdef.tmp`), "casync temp");
    writeFileSync(path.join(sub, ".tmp-cacnk123"), "desync temp");
    mkdirSync(path.join(store.dir, "notes"));
    const ids: string[] = [];
    for await (const x of store.ids()) ids.push(x);
    expect(ids).toEqual([id]);
  });
});

describe("extract", () => {
  it("takes chunks from a seed and reports bytes from seed vs store", async () => {
    const { dir, data, index, store } = await madeBlob(2 * 1024 * 1024);
    const seed = path.join(dir, "old.bin");
    const edited = Buffer.from(data);
    edited.fill(7, 1_000_000, 1_000_100); // an older version differing in one place
    writeFileSync(seed, edited);
    const out = path.join(dir, "out.bin");
    const r = await extractBlob({ index, store, output: out, seeds: [seed] });
    expect(readFileSync(out).equals(data)).toBe(true);
    expect(r.bytesFromSeed + r.bytesFromStore).toBe(data.length);
    expect(r.bytesFromSeed).toBeGreaterThan(data.length * 0.8);
    expect(r.chunksFromStore).toBeGreaterThanOrEqual(1);
  });

  it("reuses an existing output file as a seed", async () => {
    const { dir, data, index, store } = await madeBlob();
    const out = path.join(dir, "out.bin");
    writeFileSync(out, data);
    const r = await extractBlob({ index, store, output: out });
    expect(r.bytesFromSeed).toBe(data.length);
    expect(readFileSync(out).equals(data)).toBe(true);
  });

  it("fails on a flipped byte in a chunk, naming the chunk and offset, and leaves the target untouched", async () => {
    const { dir, made, index, store } = await madeBlob();
    const victim = made.index.chunks[3]!;
    const file = new LocalChunkStore(store).chunkPath(victim.id);
    const packed = readFileSync(file);
    packed[packed.length - 5] = packed[packed.length - 5]! ^ 0x01;
    writeFileSync(file, packed);
    const out = path.join(dir, "out.bin");
    writeFileSync(out, "previous content");
    const err = await rejection(extractBlob({ index, store, output: out, seedOutput: false }));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toContain(victim.id);
    expect(err.message).toContain(`offset ${victim.start}`);
    expect(readFileSync(out, "utf8")).toBe("previous content");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("returns from a failed extract only once no worker can still write to its output descriptor", async () => {
    const { dir, made, index, store } = await madeBlob(24 * 1024 * 1024);
    const victim = made.index.chunks[0]!;
    writeFileSync(new LocalChunkStore(store).chunkPath(victim.id), Buffer.from("garbage"));
    const err = await rejection(extractBlob({ index, store, output: path.join(dir, "out.bin"), seedOutput: false }));
    expect(err.message).toContain(`corrupt chunk ${victim.id}`);
    // The next file opened takes the lowest free descriptor, the output's if it was just closed:
    // a worker still busy with a later run would write its bytes there.
    const bystander = path.join(dir, "bystander.bin");
    const fd = openSync(bystander, "w");
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(statSync(bystander).size).toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  it("fails on a chunk whose content does not match its id", async () => {
    const { dir, made, index, store } = await madeBlob();
    const victim = made.index.chunks[1]!;
    writeFileSync(new LocalChunkStore(store).chunkPath(victim.id), compress(Buffer.from("something else")));
    const err = await rejection(extractBlob({ index, store, output: path.join(dir, "out.bin") }));
    expect(err.message).toMatch(new RegExp(`corrupt chunk ${victim.id} .*hashes to`));
    expect(existsSync(path.join(dir, "out.bin"))).toBe(false);
  });

  it("fails on a missing chunk with NOT_FOUND naming the chunk and offset", async () => {
    const { dir, made, index, store } = await madeBlob();
    const victim = made.index.chunks.at(-1)!;
    rmSync(new LocalChunkStore(store).chunkPath(victim.id));
    const err = await rejection(extractBlob({ index, store, output: path.join(dir, "out.bin") }));
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toContain(`missing chunk ${victim.id} (index offset ${victim.start})`);
    expect(existsSync(path.join(dir, "out.bin"))).toBe(false);
  });

  it("fails when the index gives a chunk a size other than its content's", async () => {
    const { dir, made, index, store } = await madeBlob(300_000);
    const bytes = readFileSync(index);
    const firstEnd = bytes.readBigUInt64LE(64);
    bytes.writeBigUInt64LE(firstEnd - 1n, 64); // chunk 0 one byte shorter, chunk 1 one longer
    writeFileSync(path.join(dir, "lying.caibx"), bytes);
    const err = await rejection(extractBlob({ index: path.join(dir, "lying.caibx"), store, output: path.join(dir, "out.bin") }));
    expect(err.message).toContain(`chunk ${made.index.chunks[0]!.id} (index offset 0) has ${firstEnd} bytes`);
    expect(existsSync(path.join(dir, "out.bin"))).toBe(false);
  });

  it("refuses a truncated index or one with the wrong magic", async () => {
    const { dir, index, store } = await madeBlob(200_000);
    const bytes = readFileSync(index);
    writeFileSync(path.join(dir, "short.caibx"), bytes.subarray(0, bytes.length - 40));
    const bad = Buffer.from(bytes);
    bad.write("not an index", 0);
    writeFileSync(path.join(dir, "magic.caibx"), bad);
    for (const f of ["short.caibx", "magic.caibx"]) {
      const err = await rejection(extractBlob({ index: path.join(dir, f), store, output: path.join(dir, "out.bin") }));
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.message).toContain(f);
    }
    expect(existsSync(path.join(dir, "out.bin"))).toBe(false);
  });
});

describe("inputs that are not files", () => {
  it("make refuses a directory as input and extract a directory as seed", async () => {
    const { dir, index, store } = await madeBlob(100_000);
    const err = await rejection(makeBlobIndex({ input: dir, store }));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toContain("not a regular file");
    const seedErr = await rejection(extractBlob({ index, store, output: path.join(dir, "o.bin"), seeds: [dir] }));
    expect(seedErr.message).toContain(`seed ${dir} is not a regular file`);
  });

  it("extracts from an index in desync's older flavour (no EXCLUDE_FILE flag)", async () => {
    const { dir, data, index, store } = await madeBlob(300_000);
    const bytes = readFileSync(index);
    bytes.writeBigUInt64LE(0xa000000000000000n, 16);
    writeFileSync(path.join(dir, "desync.caibx"), bytes);
    await extractBlob({ index: path.join(dir, "desync.caibx"), store, output: path.join(dir, "o.bin") });
    expect(readFileSync(path.join(dir, "o.bin")).equals(data)).toBe(true);
  });
});

describe("verify, list-chunks, gc", () => {
  it("verify reports each missing or corrupt chunk with its offset", async () => {
    const { made, index, store } = await madeBlob();
    expect((await verifyIndex({ index, store })).problems).toEqual([]);
    const s = new LocalChunkStore(store);
    const [a, b] = [made.index.chunks[2]!, made.index.chunks[5]!];
    rmSync(s.chunkPath(a.id));
    writeFileSync(s.chunkPath(b.id), Buffer.from("garbage"));
    const r = await verifyIndex({ index, store });
    expect(r.problems.map((p) => [p.id, p.offset, p.problem])).toEqual([
      [a.id, a.start, "missing"],
      [b.id, b.start, "corrupt"],
    ]);
  });

  it("verify blames only the chunk whose file holds another chunk's bytes, not that other chunk", async () => {
    const { made, index, store } = await madeBlob();
    const s = new LocalChunkStore(store);
    const [a, b] = [made.index.chunks[1]!, made.index.chunks[4]!];
    writeFileSync(s.chunkPath(b.id), readFileSync(s.chunkPath(a.id)));
    const r = await verifyIndex({ index, store });
    expect(r.problems.map((p) => [p.id, p.offset, p.problem])).toEqual([[b.id, b.start, "corrupt"]]);
    expect(r.problems[0]!.message).toContain(`hashes to ${a.id}`);
  });

  it("gc removes stale temporaries of any tool but not fresh ones", async () => {
    const { index, store, made } = await madeBlob(200_000);
    const id = made.index.chunks[0]!.id;
    const sub = path.join(store, id.slice(0, 4));
    const stale = [`${id}.00ff00ff00ff00ff.tmp`, ".tmp-cacnk42", `.${id}.cacnk.abcdef.tmp`];
    for (const f of [...stale, "keep-me.txt"]) writeFileSync(path.join(sub, f), "x");
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const f of stale.slice(0, 2)) utimesSync(path.join(sub, f), old, old);
    const r = await collectGarbage({ store, keep: [index] });
    expect(r.removedTemporaries).toBe(2);
    expect(readdirSync(sub).sort()).toEqual([`${id}.cacnk`, `.${id}.cacnk.abcdef.tmp`, "keep-me.txt"].sort());
  });

  it("list-chunks gives the index's chunks in blob order", async () => {
    const { made, index } = await madeBlob(500_000);
    const chunks = await listChunks(index);
    expect(chunks.map((c) => c.id)).toEqual(made.index.chunks.map((c) => c.id));
    expect(chunks.reduce((n, c) => n + c.sizeBytes, 0)).toBe(500_000);
  });

  it("gc removes exactly the chunks no kept index references", async () => {
    const { dir, index, store, made } = await madeBlob();
    const other = path.join(dir, "other.bin");
    writeFileSync(other, randomBytes(300_000));
    const second = await makeBlobIndex({ input: other, store, indexPath: path.join(dir, "other.caibx") });
    const dry = await collectGarbage({ store, keep: [index], dryRun: true });
    expect(dry.removedChunks).toBe(second.chunkCount);
    const r = await collectGarbage({ store, keep: [index] });
    expect(r).toEqual(dry);
    expect(r.removedTemporaries).toBe(0);
    expect((await verifyIndex({ index, store })).problems).toEqual([]);
    expect(r.keptChunks).toBe(new Set(made.index.chunks.map((c) => c.id)).size);
    await expect(collectGarbage({ store, keep: [] })).rejects.toThrow(/at least one index/);
  });
});

/**
 * `npm run bench:store`: the asset store against casync on the same corpus in the same run.
 *
 * Corpus: a tar of the project's node_modules (mixed text and binaries; BENCH_STORE_TREE names
 * another folder), cut to BENCH_STORE_MB (default 192) MiB, and as much random data. For each: `sha256sum` and `zstd -3` (one thread)
 * as the machine's limit, `casync make`/`extract` vs ours (MB/s, chunk count, identical index),
 * and the dedup of a copy with a few insertions. Prints ratios ours/casync (goal: make ≥ 2×,
 * extract ≥ 1×).
 */

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { decodeIndex, extractBlob, makeBlobIndex, sharedChunkPool } from "../src/services/assets/index.js";

const MIB = 1024 * 1024;
const corpusMiB = Number(process.env["BENCH_STORE_MB"] ?? 192);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const work = mkdtempSync(path.join(tmpdir(), "ensoul-bench-store-"));

function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function secondsAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function sh(cmd: string, args: string[], stdoutTo?: string): void {
  const out = stdoutTo === undefined ? "ignore" : openSync(stdoutTo, "w");
  const r = spawnSync(cmd, args, { stdio: ["ignore", out, "inherit"] });
  if (typeof out === "number") closeSync(out);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed with ${r.status}`);
}

/** The folder whose tar is the mixed corpus (BENCH_STORE_TREE; default the project's node_modules). */
const corpusTree = process.env["BENCH_STORE_TREE"] ?? path.join(repoRoot, "node_modules");

function mixedCorpus(file: string): void {
  const tar = spawnSync("sh", ["-c", `tar cf - --sort=name ${path.basename(corpusTree)} 2>/dev/null | head -c ${corpusMiB * MIB}`], {
    cwd: path.dirname(corpusTree),
    maxBuffer: (corpusMiB + 1) * MIB,
  });
  const fd = openSync(file, "w");
  writeSync(fd, tar.stdout);
  closeSync(fd);
}

function randomCorpus(file: string): void {
  const fd = openSync(file, "w");
  for (let i = 0; i < corpusMiB; i++) writeSync(fd, randomBytes(MIB));
  closeSync(fd);
}

/** A copy with six 100-byte insertions spread through the file. */
function modifiedCopy(from: string, to: string): void {
  const data = readFileSync(from);
  const parts: Buffer[] = [];
  let last = 0;
  for (let k = 1; k <= 6; k++) {
    const at = Math.floor((data.length * k) / 7);
    parts.push(data.subarray(last, at), randomBytes(100));
    last = at;
  }
  parts.push(data.subarray(last));
  const fd = openSync(to, "w");
  for (const p of parts) writeSync(fd, p);
  closeSync(fd);
}

function chunkCount(caibx: string): number {
  return decodeIndex(readFileSync(caibx), caibx).chunks.length;
}

const mbps = (bytes: number, s: number): string => `${(bytes / 1e6 / s).toFixed(0)} MB/s`;

async function benchCorpus(label: string, corpus: string): Promise<void> {
  const bytes = statSync(corpus).size;
  const dir = mkdtempSync(path.join(work, "run-"));
  console.log(`\n== ${label}: ${(bytes / MIB).toFixed(0)} MiB`);
  readFileSync(corpus); // warm the page cache for every contender alike

  const sha = seconds(() => sh("sha256sum", [corpus]));
  const zstd = seconds(() => sh("zstd", ["-3", "-T1", "-q", "-c", corpus], "/dev/null"));
  console.log(`limit   sha256sum ${mbps(bytes, sha)}   zstd -3 (1 thread) ${mbps(bytes, zstd)}`);

  const casyncMake = seconds(() => sh("casync", [`--store=${dir}/casync.castr`, "make", `${dir}/casync.caibx`, corpus]));
  const oursMake = await secondsAsync(() => makeBlobIndex({ input: corpus, store: `${dir}/ours.castr`, indexPath: `${dir}/ours.caibx` }));
  const same = readFileSync(`${dir}/casync.caibx`).equals(readFileSync(`${dir}/ours.caibx`));
  console.log(`make    casync ${mbps(bytes, casyncMake)} (${chunkCount(`${dir}/casync.caibx`)} chunks)   ours ${mbps(bytes, oursMake)} (${chunkCount(`${dir}/ours.caibx`)} chunks)   index identical: ${same}`);

  const casyncExtract = seconds(() => sh("casync", [`--store=${dir}/casync.castr`, "extract", `${dir}/casync.caibx`, `${dir}/casync.out`]));
  const oursExtract = await secondsAsync(() => extractBlob({ index: `${dir}/ours.caibx`, store: `${dir}/ours.castr`, output: `${dir}/ours.out`, seedOutput: false }));
  const roundTrip = spawnSync("cmp", ["-s", corpus, `${dir}/ours.out`]).status === 0;
  console.log(`extract casync ${mbps(bytes, casyncExtract)}   ours ${mbps(bytes, oursExtract)}   round trip equal: ${roundTrip}`);

  modifiedCopy(corpus, `${dir}/modified.bin`);
  const again = await makeBlobIndex({ input: `${dir}/modified.bin`, store: `${dir}/ours.castr`, indexPath: `${dir}/modified.caibx` });
  sh("casync", [`--store=${dir}/casync.castr`, "make", `${dir}/modified.casync.caibx`, `${dir}/modified.bin`]);
  const sameModified = readFileSync(`${dir}/modified.casync.caibx`).equals(again.indexBytes);
  const shared = again.chunkCount - again.newChunks;
  console.log(`dedup   modified copy (6 insertions): ${shared} of ${again.chunkCount} chunks already stored (${((100 * shared) / again.chunkCount).toFixed(2)} %), index identical to casync: ${sameModified}`);
  console.log(`ratio   make ours/casync ${(casyncMake / oursMake).toFixed(2)}× (goal ≥ 2)   extract ours/casync ${(casyncExtract / oursExtract).toFixed(2)}× (goal ≥ 1)`);
  rmSync(dir, { recursive: true, force: true });
}

try {
  const mixed = path.join(work, "mixed.tar");
  mixedCorpus(mixed);
  const random = path.join(work, "random.bin");
  randomCorpus(random);
  await benchCorpus(`mixed (tar of ${corpusTree})`, mixed);
  await benchCorpus("random", random);
  await sharedChunkPool().close();
} finally {
  rmSync(work, { recursive: true, force: true });
}

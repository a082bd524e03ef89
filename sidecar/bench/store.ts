/**
 * `npm run bench:store`: the asset store against casync on the same corpus in the same run.
 *
 * Corpus: a tar of the project's node_modules (mixed text and binaries; BENCH_STORE_TREE names
 * another folder), cut to BENCH_STORE_MB (default 192) MiB, and as much random data. For each:
 * `sha256sum` and `zstd -3` (one thread) as the machine's limit, then `casync make`/`extract` vs
 * ours for BENCH_STORE_ROUNDS (default 5) rounds that alternate which tool goes first (MB/s,
 * chunk count, identical index), and the dedup of a copy with a few insertions. Prints the
 * ratio ours/casync of the median times (goal: make ≥ 2×, extract ≥ 1×): on a shared machine
 * single runs swing by a third either way.
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
const rounds = Math.max(1, Number(process.env["BENCH_STORE_ROUNDS"] ?? 5));
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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * Times casync and ours on the same job `rounds` times, alternating which goes first, and returns
 * each side's seconds per round. Every round writes into fresh paths; nothing is deleted until the
 * whole bench ends, because on ext4 freshly deleted inodes make the next file creations slower
 * (the allocator steps over them), which would tax whichever tool runs next.
 */
async function alternate(rounds: number, casync: (round: number) => void, ours: (round: number) => Promise<unknown>): Promise<{ casync: number[]; ours: number[] }> {
  const times = { casync: [] as number[], ours: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const timeCasync = (): void => void times.casync.push(seconds(() => casync(round)));
    const timeOurs = async (): Promise<void> => void times.ours.push(await secondsAsync(() => ours(round)));
    if (round % 2 === 0) {
      timeCasync();
      await timeOurs();
    } else {
      await timeOurs();
      timeCasync();
    }
  }
  return times;
}

function report(label: string, bytes: number, times: { casync: number[]; ours: number[] }, goal: number, extra = ""): number {
  const c = median(times.casync);
  const o = median(times.ours);
  const perRound = times.casync.map((t, i) => (t / times.ours[i]!).toFixed(2)).join(" ");
  console.log(`${label.padEnd(7)} casync ${mbps(bytes, c)}   ours ${mbps(bytes, o)}   (medians of ${times.ours.length})${extra}`);
  console.log(`        ratio ours/casync ${(c / o).toFixed(2)}× (goal ≥ ${goal}); per round ${perRound}`);
  return c / o;
}

async function benchCorpus(label: string, corpus: string): Promise<{ make: number; extract: number }> {
  const bytes = statSync(corpus).size;
  const dir = mkdtempSync(path.join(work, "run-"));
  console.log(`\n== ${label}: ${(bytes / MIB).toFixed(0)} MiB`);
  readFileSync(corpus); // warm the page cache for every contender alike

  const sha = seconds(() => sh("sha256sum", [corpus]));
  const zstd = seconds(() => sh("zstd", ["-3", "-T1", "-q", "-c", corpus], "/dev/null"));
  console.log(`limit   sha256sum ${mbps(bytes, sha)}   zstd -3 (1 thread) ${mbps(bytes, zstd)}`);

  // make: each round into a fresh store, so both tools compress and write every chunk
  const make = await alternate(
    rounds,
    (r) => sh("casync", [`--store=${dir}/casync-${r}.castr`, "make", `${dir}/casync-${r}.caibx`, corpus]),
    (r) => makeBlobIndex({ input: corpus, store: `${dir}/ours-${r}.castr`, indexPath: `${dir}/ours-${r}.caibx` }),
  );
  let same = true;
  for (let r = 0; r < rounds; r++) same &&= readFileSync(`${dir}/casync-${r}.caibx`).equals(readFileSync(`${dir}/ours-${r}.caibx`));
  const chunks = `   chunks ${chunkCount(`${dir}/casync-0.caibx`)} / ${chunkCount(`${dir}/ours-0.caibx`)}, index identical: ${same}`;
  const makeRatio = report("make", bytes, make, 2, chunks);

  // extract: each tool from its own first store, into a fresh output file each round
  const extract = await alternate(
    rounds,
    (r) => sh("casync", [`--store=${dir}/casync-0.castr`, "extract", `${dir}/casync-0.caibx`, `${dir}/casync-${r}.out`]),
    (r) => extractBlob({ index: `${dir}/ours-0.caibx`, store: `${dir}/ours-0.castr`, output: `${dir}/ours-${r}.out`, seedOutput: false }),
  );
  let roundTrip = true;
  for (let r = 0; r < rounds; r++) roundTrip &&= spawnSync("cmp", ["-s", corpus, `${dir}/ours-${r}.out`]).status === 0;
  const extractRatio = report("extract", bytes, extract, 1, `   round trip equal: ${roundTrip}`);

  modifiedCopy(corpus, `${dir}/modified.bin`);
  const again = await makeBlobIndex({ input: `${dir}/modified.bin`, store: `${dir}/ours-0.castr`, indexPath: `${dir}/modified.caibx` });
  sh("casync", [`--store=${dir}/casync-0.castr`, "make", `${dir}/modified.casync.caibx`, `${dir}/modified.bin`]);
  const sameModified = readFileSync(`${dir}/modified.casync.caibx`).equals(again.indexBytes);
  const shared = again.chunkCount - again.newChunks;
  console.log(`dedup   modified copy (6 insertions): ${shared} of ${again.chunkCount} chunks already stored (${((100 * shared) / again.chunkCount).toFixed(2)} %), index identical to casync: ${sameModified}`);
  return { make: makeRatio, extract: extractRatio };
}

try {
  const mixed = path.join(work, "mixed.tar");
  mixedCorpus(mixed);
  const random = path.join(work, "random.bin");
  randomCorpus(random);
  // The worker threads start once per process (the sidecar keeps them); not counted below.
  const poolStart = await secondsAsync(() => sharedChunkPool().ready());
  console.log(`worker pool (${sharedChunkPool().size} threads) started in ${(poolStart * 1000).toFixed(0)} ms, before timing`);
  const results = [await benchCorpus(`mixed (tar of ${corpusTree})`, mixed), await benchCorpus("random", random)];
  const summary = results.map((r) => `make ${r.make.toFixed(2)}× extract ${r.extract.toFixed(2)}×`).join("; random: ");
  console.log(`\nsummary ours/casync, medians of ${rounds} alternating rounds: mixed: ${summary}`);
  await sharedChunkPool().close();
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * `ensoul store …`: the engine's commands, with flags like casync's (`--store`, `--seed`,
 * `--digest`, `--chunk-size MIN:AVG:MAX`). Exit codes: 0 success; 1 the operation failed (missing
 * or corrupt chunk, unreadable or malformed input, verify found problems); 2 bad flags. Errors go through
 * commander's `error()`, so a program built with `exitOverride()` gets a CommanderError instead of
 * an exit.
 */

import type { Command } from "commander";
import { EnsoulError, toEnsoulError } from "../../lib/errors.js";
import { parseChunkSizes } from "./chunker.js";
import { extractBlob } from "./extract.js";
import { type ChunkDigest } from "./index-format.js";
import { collectGarbage, listChunks, verifyIndex } from "./maintenance.js";
import { makeBlobIndex } from "./make.js";
import { HttpChunkSource, serveChunkStore, type ChunkServer } from "./http-store.js";
import type { ChunkSource } from "./chunk-store.js";

export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** Error fields that mean the command line itself was wrong (exit 2 rather than 1). */
const FLAG_FIELDS = new Set(["chunk_size", "digest", "keep", "listen"]);
/** casync's default store when `--store` is not given. */
const DEFAULT_STORE = "default.castr";

function parseDigest(value: string): ChunkDigest {
  const v = value.toLowerCase();
  if (v === "sha512-256" || v === "sha256") return v;
  throw new EnsoulError("INVALID_ARGUMENT", `unknown digest "${value}" (sha512-256 or sha256)`, { field: "digest" });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function print(cmd: Command, line: string): void {
  const out = cmd.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s));
  out(`${line}\n`);
}

/** Runs an action, turning any failure into a commander error with our exit codes. */
function action<A extends unknown[]>(body: (cmd: Command, ...args: A) => Promise<void>) {
  return async function (this: Command, ...args: A): Promise<void> {
    try {
      await body(this, ...args);
    } catch (err) {
      const e = toEnsoulError(err);
      const usage = e.code === "INVALID_ARGUMENT" && FLAG_FIELDS.has(e.field ?? "");
      this.error(`ensoul store: ${e.message}`, { exitCode: usage ? EXIT_USAGE : EXIT_FAILED, code: `ensoul.store.${e.code}` });
    }
  };
}

function withStore(cmd: Command): Command {
  return cmd.option("--store <dir>", "chunk store directory", DEFAULT_STORE);
}

/** Chunk servers started by `store serve`, until stopped. */
const running = new Set<ChunkServer>();

/** Stops every chunk server `store serve` started (on SIGINT/SIGTERM, or for a graceful exit). */
export async function stopServedStores(): Promise<void> {
  const servers = [...running];
  running.clear();
  await Promise.all(servers.map((s) => s.close()));
}

/** Adds `store make|extract|verify|list-chunks|gc|serve` to `program`. */
export function registerStoreCommands(program: Command): Command {
  const store = program.command("store").description("casync/desync-compatible content-addressed chunk store");

  withStore(store.command("make"))
    .description("chunk FILE into the store and write its blob index")
    .argument("<index>", "the .caibx to write")
    .argument("<file>", "the blob to store")
    .option("--digest <digest>", "chunk id digest: sha512-256 (default) or sha256", "sha512-256")
    .option("--chunk-size <sizes>", "average size or MIN:AVG:MAX (K/M suffixes)", "16K:64K:256K")
    .action(
      action(async (cmd, index: string, file: string) => {
        const o = cmd.opts<{ store: string; digest: string; chunkSize: string }>();
        const sizes = parseChunkSizes(o.chunkSize);
        const r = await makeBlobIndex({ input: file, store: o.store, indexPath: index, sizes, digest: parseDigest(o.digest) });
        print(cmd, `${index}: ${r.blobBytes} bytes in ${r.chunkCount} chunks, ${r.newChunks} new (${r.storedBytes} bytes stored)`);
      }),
    );

  withStore(store.command("extract"))
    .description("rebuild a blob from its index, reusing chunks found in seed files (--store may be an http(s) URL)")
    .argument("<index>", "the .caibx to read")
    .argument("<output>", "the file to write (replaced only when complete)")
    .option("--seed <file>", "a file that may hold some chunks (repeatable)", collect, [] as string[])
    .option("--no-seed-output", "do not use the existing output file as a seed")
    .action(
      action(async (cmd, index: string, output: string) => {
        const o = cmd.opts<{ store: string; seed: string[]; seedOutput: boolean }>();
        const source: string | ChunkSource = /^https?:\/\//.test(o.store) ? new HttpChunkSource(o.store) : o.store;
        const r = await extractBlob({ index, store: source, output, seeds: o.seed, seedOutput: o.seedOutput });
        print(cmd, `${output}: ${r.blobBytes} bytes, ${r.bytesFromSeed} from seed (${r.chunksFromSeed} chunks), ${r.bytesFromStore} from store (${r.chunksFromStore} chunks)`);
      }),
    );

  withStore(store.command("verify"))
    .description("check that every chunk of an index is in the store and intact")
    .argument("<index>", "the .caibx to check")
    .action(
      action(async (cmd, index: string) => {
        const r = await verifyIndex({ index, store: cmd.opts<{ store: string }>().store });
        for (const p of r.problems) print(cmd, p.message);
        if (r.problems.length > 0) {
          throw new EnsoulError("FAILED_PRECONDITION", `${r.problems.length} of ${r.uniqueChunks} chunks missing or corrupt`);
        }
        print(cmd, `${index}: all ${r.uniqueChunks} chunks present and intact`);
      }),
    );

  store
    .command("list-chunks")
    .description("print the chunk ids of an index in blob order")
    .argument("<index>", "the .caibx to read")
    .option("--offsets", "print offset, size and id per chunk")
    .action(
      action(async (cmd, index: string) => {
        const withOffsets = cmd.opts<{ offsets?: boolean }>().offsets === true;
        for (const c of await listChunks(index)) print(cmd, withOffsets ? `${c.start}\t${c.sizeBytes}\t${c.id}` : c.id);
      }),
    );

  withStore(store.command("gc"))
    .description("remove chunks that none of the given indexes references")
    .argument("<index...>", "indexes whose chunks to keep")
    .option("--dry-run", "only count what would be removed")
    .action(
      action(async (cmd, keep: string[]) => {
        const o = cmd.opts<{ store: string; dryRun?: boolean }>();
        const r = await collectGarbage({ store: o.store, keep, dryRun: o.dryRun === true });
        const verb = o.dryRun ? "would remove" : "removed";
        print(cmd, `${verb} ${r.removedChunks} chunks (${r.removedBytes} bytes) and ${r.removedTemporaries} stale temporary files, kept ${r.keptChunks}`);
      }),
    );

  withStore(store.command("serve"))
    .description("serve the store over HTTP in desync's chunk-server layout until interrupted")
    .option("--listen <host:port>", "address to listen on", "127.0.0.1:7318")
    .option("--writable <digest>", "accept verified PUT uploads with this chunk digest")
    .action(
      action(async (cmd) => {
        const o = cmd.opts<{ store: string; listen: string; writable?: string }>();
        const m = /^(.*):(\d+)$/.exec(o.listen);
        if (m === null) throw new EnsoulError("INVALID_ARGUMENT", `--listen wants HOST:PORT, got "${o.listen}"`, { field: "listen" });
        const writableDigest = o.writable === undefined ? undefined : parseDigest(o.writable);
        const server = await serveChunkStore({ store: o.store, host: m[1]!, port: Number(m[2]), writableDigest });
        running.add(server);
        print(cmd, `serving ${o.store} at ${server.url}`);
        const stop = (): void => void stopServedStores();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      }),
    );

  return store;
}

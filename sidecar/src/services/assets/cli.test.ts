import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { LocalChunkStore } from "./chunk-store.js";
import { EXIT_FAILED, EXIT_USAGE, registerStoreCommands, stopServedStores } from "./cli.js";
import { chunkRelativePath } from "./chunk-store.js";
import { serveChunkStore } from "./http-store.js";

const work = mkdtempSync(path.join(tmpdir(), "ensoul-store-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `ensoul store …` on a fresh program; returns the exit code and what was printed. */
async function ensoul(...args: string[]): Promise<{ exitCode: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const program = new Command("ensoul")
    .exitOverride()
    .configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
  registerStoreCommands(program);
  try {
    await program.parseAsync(["store", ...args], { from: "user" });
    return { exitCode: 0, out, err };
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return { exitCode: e.exitCode, out, err };
  }
}

describe("ensoul store commands", () => {
  it("make, list-chunks, verify, extract with a seed and from a chunk server, with casync-like flags", async () => {
    const dir = mkdtempSync(path.join(work, "a-"));
    const store = path.join(dir, "store");
    const data = randomBytes(600_000);
    writeFileSync(path.join(dir, "v2.bin"), data);
    const old = Buffer.from(data);
    old.fill(0, 300_000, 300_010);
    writeFileSync(path.join(dir, "v1.bin"), old);

    const made = await ensoul("make", "--store", store, "--digest", "sha256", "--chunk-size", "8K:32K:128K", `${dir}/v2.caibx`, `${dir}/v2.bin`);
    expect(made.exitCode).toBe(0);
    expect(made.out).toMatch(/600000 bytes in \d+ chunks/);
    expect(readFileSync(`${dir}/v2.caibx`).readBigUInt64LE(16)).toBe(0x9000000000000000n);
    expect(readFileSync(`${dir}/v2.caibx`).readBigUInt64LE(24)).toBe(8192n);

    const listed = await ensoul("list-chunks", `${dir}/v2.caibx`);
    const ids = listed.out.trim().split("\n");
    expect(ids.every((id) => /^[0-9a-f]{64}$/.test(id))).toBe(true);

    expect((await ensoul("verify", "--store", store, `${dir}/v2.caibx`)).exitCode).toBe(0);

    const ex = await ensoul("extract", "--store", store, "--seed", `${dir}/v1.bin`, `${dir}/v2.caibx`, `${dir}/out.bin`);
    expect(ex.exitCode).toBe(0);
    expect(readFileSync(`${dir}/out.bin`).equals(data)).toBe(true);
    const [, fromSeed, fromStore] = /(\d+) from seed .* (\d+) from store/.exec(ex.out) ?? [];
    expect(Number(fromSeed)).toBeGreaterThan(0);
    expect(Number(fromSeed) + Number(fromStore)).toBe(data.length);

    const server = await serveChunkStore({ store });
    try {
      const remote = await ensoul("extract", "--store", server.url, "--no-seed-output", `${dir}/v2.caibx`, `${dir}/remote.bin`);
      expect(remote.exitCode).toBe(0);
      expect(readFileSync(`${dir}/remote.bin`).equals(data)).toBe(true);
    } finally {
      await server.close();
    }

    rmSync(new LocalChunkStore(store).chunkPath(ids[0]!));
    const bad = await ensoul("verify", "--store", store, `${dir}/v2.caibx`);
    expect(bad.exitCode).toBe(EXIT_FAILED);
    expect(bad.out).toContain(`missing chunk ${ids[0]}`);

    const failed = await ensoul("extract", "--store", store, "--no-seed-output", `${dir}/v2.caibx`, `${dir}/out.bin`);
    expect(failed.exitCode).toBe(EXIT_FAILED);
    expect(failed.err).toContain(ids[0]);
    expect(readFileSync(`${dir}/out.bin`).equals(data)).toBe(true);
  });

  it("gc keeps what the named indexes use", async () => {
    const dir = mkdtempSync(path.join(work, "g-"));
    const store = path.join(dir, "store");
    writeFileSync(path.join(dir, "a.bin"), randomBytes(200_000));
    writeFileSync(path.join(dir, "b.bin"), randomBytes(200_000));
    await ensoul("make", "--store", store, `${dir}/a.caibx`, `${dir}/a.bin`);
    await ensoul("make", "--store", store, `${dir}/b.caibx`, `${dir}/b.bin`);
    const gc = await ensoul("gc", "--store", store, `${dir}/a.caibx`);
    expect(gc.exitCode).toBe(0);
    expect(gc.out).toMatch(/removed [1-9]\d* chunks/);
    expect((await ensoul("verify", "--store", store, `${dir}/a.caibx`)).exitCode).toBe(0);
    expect((await ensoul("verify", "--store", store, `${dir}/b.caibx`)).exitCode).toBe(EXIT_FAILED);
  });

  it("serve answers chunk requests until stopped", async () => {
    const dir = mkdtempSync(path.join(work, "s-"));
    const store = path.join(dir, "store");
    writeFileSync(path.join(dir, "a.bin"), randomBytes(100_000));
    await ensoul("make", "--store", store, `${dir}/a.caibx`, `${dir}/a.bin`);
    const [id] = (await ensoul("list-chunks", `${dir}/a.caibx`)).out.trim().split("\n");
    const served = await ensoul("serve", "--store", store, "--listen", "127.0.0.1:0");
    const url = /at (http:\/\/\S+)/.exec(served.out)?.[1];
    expect(url).toBeDefined();
    try {
      const res = await fetch(new URL(chunkRelativePath(id!), url));
      expect(res.status).toBe(200);
    } finally {
      await stopServedStores();
    }
    await expect(fetch(new URL(chunkRelativePath(id!), url))).rejects.toThrow();
    expect((await ensoul("serve", "--listen", "nowhere")).exitCode).toBe(EXIT_USAGE);
  });

  it("exits with the usage code on bad flags and with failure on a bad index", async () => {
    const dir = mkdtempSync(path.join(work, "u-"));
    writeFileSync(path.join(dir, "x.bin"), "x");
    const badSize = await ensoul("make", "--store", dir, "--chunk-size", "64K:16K:1M", `${dir}/x.caibx`, `${dir}/x.bin`);
    expect(badSize.exitCode).toBe(EXIT_USAGE);
    expect(badSize.err).toMatch(/average/);
    expect((await ensoul("make", "--digest", "md5", `${dir}/x.caibx`, `${dir}/x.bin`)).exitCode).toBe(EXIT_USAGE);
    writeFileSync(path.join(dir, "junk.caibx"), "junk");
    const junk = await ensoul("extract", "--store", dir, `${dir}/junk.caibx`, `${dir}/out.bin`);
    expect(junk.exitCode).toBe(EXIT_FAILED);
    expect(junk.err).toContain("junk.caibx");
    expect((await ensoul("list-chunks", `${dir}/nope.caibx`)).exitCode).toBe(EXIT_FAILED);
  });
});

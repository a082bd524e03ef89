import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import type { AssetInfo } from "../../generated/ensoul_v1.js";
import { EnsoulClient } from "../../lib/client.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { seededRandom } from "../../lib/random.js";
import { AssetService } from "./rpc.js";
import { downloadAsset, refusal, type DownloadedAsset } from "./rpc.testkit.js";
import { sqliteFileFor } from "../data/index.js";
import { openSqliteStore } from "../data/sqlite.js";

const run = promisify(execFile);
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

let dataDir: string;
let sidecar: RunningSidecar;
let client: EnsoulClient;
/** ~700 KB: random bytes with a repeated stretch, so there are several chunks and a shared one. */
let input: Buffer;
let asset: AssetInfo;

function testData(bytes: number, seed: number): Buffer {
  const rnd = seededRandom(seed);
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Math.floor(rnd() * 256);
  out.copy(out, 400_000, 0, 200_000);
  return out;
}

async function upload(data: Uint8Array, meta: { name: string; project?: string; contentType?: string }, pieceBytes = 100_000): Promise<AssetInfo> {
  const begun = await client.call("assetPutBegin", { ...meta, sizeBytes: data.length });
  const uploadId = begun.assetUpload!.uploadId!;
  for (let at = 0; at < data.length; at += pieceBytes) {
    const ack = await client.call("assetPutChunk", { uploadId, offset: at, data: data.subarray(at, at + pieceBytes) });
    expect(Number(ack.assetPutAck!.receivedBytes)).toBe(Math.min(at + pieceBytes, data.length));
  }
  const done = await client.call("assetPutCommit", { uploadId, sha256: sha256(data) });
  return done.assetInfo!;
}

function download(request: { assetId: string; offset?: number; length?: number; maxChunkBytes?: number }): Promise<DownloadedAsset> {
  return downloadAsset(client, request);
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-assets-rpc-"));
  sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
  client = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token });
  input = testData(700_000, 7);
  asset = await upload(input, { name: "textures/rock.bin", project: "demo", contentType: "application/octet-stream" });
});

afterAll(async () => {
  await client?.close();
  await sidecar?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("asset upload and download over the gateway", () => {
  it("stores an upload sent in several pieces and gives the same bytes back in bounded frames", async () => {
    expect(asset.assetId).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(asset.sizeBytes)).toBe(input.length);
    expect(asset.chunks).toBeGreaterThan(1);
    const indexFile = path.join(dataDir, "assets", "indexes", `${asset.assetId}.caibx`);
    expect(sha256(readFileSync(indexFile))).toBe(asset.assetId);

    const { bytes, frames } = await download({ assetId: asset.assetId!, maxChunkBytes: 64 * 1024 });
    expect(sha256(bytes)).toBe(sha256(input));
    expect(Math.max(...frames.map((f) => f.size))).toBeLessThanOrEqual(64 * 1024);
    let at = 0;
    for (const f of frames) {
      expect(f.offset).toBe(at);
      at += f.size;
    }
    // the spool file is gone once committed
    expect(readdirSync(path.join(dataDir, "assets", "uploads"))).toEqual([]);
  });

  it("resumes a download from an offset, and reads a range", async () => {
    const tail = await download({ assetId: asset.assetId!, offset: 300_001 });
    expect(tail.frames[0]!.offset).toBe(300_001);
    expect(tail.bytes.equals(input.subarray(300_001))).toBe(true);
    const range = await download({ assetId: asset.assetId!, offset: 123_456, length: 5000 });
    expect(range.bytes.equals(input.subarray(123_456, 128_456))).toBe(true);
    const atEnd = await download({ assetId: asset.assetId!, offset: input.length });
    expect(atEnd.frames).toEqual([]);
  });

  it("writes an index casync reads: casync extract rebuilds the input, casync make writes the same index", async () => {
    const store = path.join(dataDir, "assets", "store");
    const indexFile = path.join(dataDir, "assets", "indexes", `${asset.assetId}.caibx`);
    const work = mkdtempSync(path.join(tmpdir(), "ensoul-assets-casync-"));
    try {
      await run("casync", [`--store=${store}`, "extract", indexFile, path.join(work, "out.bin")]);
      expect(sha256(readFileSync(path.join(work, "out.bin")))).toBe(sha256(input));
      writeFileSync(path.join(work, "in.bin"), input);
      await run("casync", [`--store=${path.join(work, "store")}`, "make", path.join(work, "theirs.caibx"), path.join(work, "in.bin")]);
      expect(readFileSync(path.join(work, "theirs.caibx")).equals(readFileSync(indexFile))).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("answers AssetStat and AssetList by project and name prefix", async () => {
    const stat = await client.call("assetStat", { assetId: asset.assetId });
    expect(stat.assetInfo).toMatchObject({ assetId: asset.assetId, name: "textures/rock.bin", project: "demo" });
    const other = await upload(testData(20_000, 9), { name: "models/tree.glb", project: "other", contentType: "model/gltf-binary" });
    expect(other.contentType).toBe("model/gltf-binary");

    const names = async (req: { project?: string; namePrefix?: string; limit?: number }): Promise<string[]> =>
      (await client.call("assetList", req)).assetListReply!.assets!.map((a) => a.name!);
    expect(await names({ project: "demo" })).toEqual(["textures/rock.bin"]);
    expect((await names({})).sort()).toEqual(["models/tree.glb", "textures/rock.bin"]);
    expect(await names({ namePrefix: "models/" })).toEqual(["models/tree.glb"]);
    expect(await names({ limit: 1 })).toHaveLength(1);

    // the id names the content: the same bytes again keep the project's first record, another project gets its own
    const again = await upload(input, { name: "again.bin", project: "demo" }, 350_000);
    expect(again).toMatchObject({ assetId: asset.assetId, name: "textures/rock.bin", project: "demo" });
    const copy = await upload(input, { name: "copy.bin", project: "third" }, 350_000);
    expect(copy).toMatchObject({ assetId: asset.assetId, name: "copy.bin", project: "third" });
    expect(await names({ project: "third" })).toEqual(["copy.bin"]);
    expect(await names({ project: "demo" })).toEqual(["textures/rock.bin"]);
  });

  it("refuses a wrong offset, an unknown upload, a bad sha256 and an unknown asset with their codes", async () => {
    const uploadId = (await client.call("assetPutBegin", { name: "x.bin", sizeBytes: 10 })).assetUpload!.uploadId!;
    await client.call("assetPutChunk", { uploadId, offset: 0, data: Buffer.from("hello") });
    const wrong = await refusal(client.call("assetPutChunk", { uploadId, offset: 3, data: Buffer.from("world") }));
    expect(wrong).toMatchObject({ code: "FAILED_PRECONDITION", field: "assetPutChunk.offset" });
    expect(wrong.message).toContain("offset 3");
    expect(wrong.message).toContain("5 bytes received");

    const early = await refusal(client.call("assetPutCommit", { uploadId }));
    expect(early).toMatchObject({ code: "FAILED_PRECONDITION", field: "assetPutBegin.sizeBytes" });
    await client.call("assetPutChunk", { uploadId, offset: 5, data: Buffer.from("world") });
    expect(await refusal(client.call("assetPutCommit", { uploadId, sha256: "xyz" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "assetPutCommit.sha256" });
    const bad = await refusal(client.call("assetPutCommit", { uploadId, sha256: sha256(Buffer.from("something else")) }));
    expect(bad).toMatchObject({ code: "FAILED_PRECONDITION", field: "assetPutCommit.sha256" });
    // a refused commit discards the upload
    expect(await refusal(client.call("assetPutChunk", { uploadId, offset: 10, data: Buffer.from("!") }))).toMatchObject({ code: "NOT_FOUND", field: "assetPutChunk.uploadId" });
    expect(await refusal(client.call("assetPutCommit", { uploadId: "upl_nope" }))).toMatchObject({ code: "NOT_FOUND", field: "assetPutCommit.uploadId" });

    const missing = "0".repeat(64);
    expect(await refusal(client.call("assetStat", { assetId: missing }))).toMatchObject({ code: "NOT_FOUND", field: "assetStat.assetId" });
    expect(await refusal(client.stream("assetGet", { assetId: missing }, () => undefined))).toMatchObject({ code: "NOT_FOUND", field: "assetGet.assetId" });
    expect(await refusal(client.call("assetStat", { assetId: "../etc/passwd" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "assetStat.assetId" });
    expect(await refusal(client.stream("assetGet", { assetId: asset.assetId, offset: input.length + 1 }, () => undefined))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "assetGet.offset",
    });
    expect(await refusal(client.call("assetPutBegin", { name: "" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "assetPutBegin.name" });
    // still serving
    expect((await client.call("ping", { payload: Buffer.from("ok") })).pong).toBeDefined();
    expect(readdirSync(path.join(dataDir, "assets", "uploads"))).toEqual([]);
  });

  it("takes pieces sent without waiting for each ack, in order", async () => {
    const data = testData(300_000, 21);
    const uploadId = (await client.call("assetPutBegin", { name: "pipelined.bin", sizeBytes: data.length })).assetUpload!.uploadId!;
    const acks = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((k) => client.call("assetPutChunk", { uploadId, offset: k * 50_000, data: data.subarray(k * 50_000, (k + 1) * 50_000) })),
    );
    expect(acks.map((a) => Number(a.assetPutAck!.receivedBytes))).toEqual([1, 2, 3, 4, 5, 6].map((k) => k * 50_000));
    const info = (await client.call("assetPutCommit", { uploadId, sha256: sha256(data) })).assetInfo!;
    expect((await download({ assetId: info.assetId! })).bytes.equals(data)).toBe(true);
  });

  it("keeps download frames under the frame limit the client announced in Hello", async () => {
    const small = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token, maxFrameBytes: 40_000 });
    try {
      const got = await downloadAsset(small, { assetId: asset.assetId! });
      expect(sha256(got.bytes)).toBe(sha256(input));
      expect(Math.max(...got.frames.map((f) => f.size))).toBeLessThanOrEqual(40_000 - 1024);
    } finally {
      await small.close();
    }
  });

  it("stores an empty asset", async () => {
    const uploadId = (await client.call("assetPutBegin", { name: "empty.bin" })).assetUpload!.uploadId!;
    const info = (await client.call("assetPutCommit", { uploadId, sha256: sha256(Buffer.alloc(0)) })).assetInfo!;
    expect(Number(info.sizeBytes ?? 0)).toBe(0);
    expect(info.chunks ?? 0).toBe(0);
    expect((await download({ assetId: info.assetId! })).frames).toEqual([]);
  });

  it("serves AssetStat and AssetGet through the HTTP mirror", async () => {
    const base = `http://127.0.0.1:${sidecar.port}/v1/assets`;
    const headers = { authorization: `Bearer ${sidecar.adminToken.token}`, "content-type": "application/json" };
    const stat = await fetch(`${base}/stat`, { method: "POST", headers, body: JSON.stringify({ assetId: asset.assetId }) });
    expect(stat.status).toBe(200);
    expect(await stat.json()).toMatchObject({ assetId: asset.assetId, name: "textures/rock.bin", sizeBytes: String(input.length) });

    const get = await fetch(`${base}/get`, { method: "POST", headers, body: JSON.stringify({ assetId: asset.assetId, offset: "650000" }) });
    expect(get.status).toBe(200);
    const lines = (await get.text()).trim().split("\n").map((l) => JSON.parse(l) as { assetData?: { data: string } });
    const bytes = Buffer.concat(lines.filter((l) => l.assetData).map((l) => Buffer.from(l.assetData!.data, "base64")));
    expect(bytes.equals(input.subarray(650_000))).toBe(true);

    const missing = await fetch(`${base}/stat`, { method: "POST", headers, body: JSON.stringify({ assetId: "f".repeat(64) }) });
    expect(missing.status).toBe(404);
  });
});

describe("abandoned uploads", () => {
  it("are removed with their spool file when no piece comes for the idle time, and at close", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ensoul-assets-idle-"));
    const data = await openSqliteStore(sqliteFileFor(dir));
    const service = new AssetService({ data, dataDir: dir, maxFrameBytes: 1 << 20, uploadIdleMs: 400 });
    const admin = { subject: "test", roles: ["admin" as const] };
    try {
      const idle = await service.begin({ name: "a.bin" }, admin);
      await service.putChunk({ uploadId: idle.uploadId, offset: 0, data: Buffer.from("abc") }, admin, new AbortController().signal);
      const kept = await service.begin({ name: "b.bin" }, admin);
      expect(readdirSync(service.uploadDir)).toHaveLength(2);
      // Keep one upload busy, a piece every 50 ms, until the other has gone: no fixed sleep, so
      // a busy machine's late timers can neither keep the idle one nor expire the busy one.
      const idleFile = `${idle.uploadId}.part`;
      const deadline = Date.now() + 10_000;
      for (let offset = 0; readdirSync(service.uploadDir).includes(idleFile) && Date.now() < deadline; offset++) {
        await service.putChunk({ uploadId: kept.uploadId, offset, data: Buffer.from("x") }, admin, new AbortController().signal);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(service.uploadsInProgress).toBe(1);
      expect(readdirSync(service.uploadDir)).toEqual([`${kept.uploadId}.part`]);
      await service.close();
      expect(readdirSync(service.uploadDir)).toEqual([]);
    } finally {
      await service.close();
      await data.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is dropped when the client goes away while a piece is being written", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ensoul-assets-abort-"));
    const data = await openSqliteStore(sqliteFileFor(dir));
    const service = new AssetService({ data, dataDir: dir, maxFrameBytes: 1 << 20 });
    const admin = { subject: "test", roles: ["admin" as const] };
    try {
      const { uploadId } = await service.begin({ name: "a.bin" }, admin);
      const gone = new AbortController();
      const pending = service.putChunk({ uploadId, offset: 0, data: Buffer.alloc(100_000, 1) }, admin, gone.signal);
      gone.abort();
      await pending.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
      expect(service.uploadsInProgress).toBe(0);
      expect(readdirSync(service.uploadDir)).toEqual([]);
    } finally {
      await service.close();
      await data.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("project-scoped callers", () => {
  it("write only into their project and see only its assets", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ensoul-assets-scope-"));
    const data = await openSqliteStore(sqliteFileFor(dir));
    const service = new AssetService({ data, dataDir: dir, maxFrameBytes: 1 << 20 });
    const alice = { subject: "alice", roles: ["designer" as const], project: "north" };
    const bob = { subject: "bob", roles: ["designer" as const], project: "south" };
    try {
      expect(await refusal(service.begin({ name: "a.bin", project: "south" }, alice))).toMatchObject({ code: "PERMISSION_DENIED", field: "assetPutBegin.project" });
      const mine = await service.putBytes(Buffer.from("north only"), { name: "a.bin" }, alice, "test");
      expect(mine.project).toBe("north");
      expect(await refusal(service.stat(mine.assetId, bob, "assetStat.assetId"))).toMatchObject({ code: "NOT_FOUND" });
      expect(await service.list({}, bob)).toEqual([]);
      expect((await service.list({}, alice)).map((a) => a.name)).toEqual(["a.bin"]);
      // someone else's upload id is unknown to bob
      const { uploadId } = await service.begin({ name: "b.bin" }, alice);
      expect(await refusal(service.putChunk({ uploadId, offset: 0, data: Buffer.from("x") }, bob, new AbortController().signal))).toMatchObject({ code: "NOT_FOUND" });
    } finally {
      await service.close();
      await data.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

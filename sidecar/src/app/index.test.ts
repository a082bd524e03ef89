/**
 * Start-up picks the data adapter by mode: embedded opens `<dataDir>/ensoul.db`; server mode
 * needs ENSOUL_DATABASE_URL and stops, naming it, when the database is missing or unreachable.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import { databaseUrl } from "../services/data/contract.testkit.js";
import { openPostgresStore } from "../services/data/postgres.js";
import { deleteRedisPrefix, testRedisUrl } from "../services/queue/contract.testkit.js";
import { startSidecar } from "./index.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ensoul-app-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const quiet = createLogger("silent");
/** Server mode's keystore key: every replica gets it from the environment. */
const MASTER_KEY = randomBytes(32).toString("base64");

describe("startSidecar data wiring", () => {
  it("opens the embedded database under the data dir", async () => {
    const dataDir = tempDir();
    const sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), quiet);
    try {
      expect(existsSync(path.join(dataDir, "ensoul.db"))).toBe(true);
    } finally {
      await sidecar.close();
    }
  });

  it("refuses server mode without a database URL, naming ENSOUL_DATABASE_URL", async () => {
    const start = startSidecar(loadConfig({ port: 0, dataDir: tempDir() }, { ENSOUL_MODE: "server" }), quiet);
    await expect(start).rejects.toMatchObject({ code: "FAILED_PRECONDITION", field: "ENSOUL_DATABASE_URL" });
  });

  it("stops start-up when the named database cannot be reached", async () => {
    const env = { ENSOUL_MODE: "server", ENSOUL_DATABASE_URL: "postgres://postgres@127.0.0.1:1/test" };
    const start = startSidecar(loadConfig({ port: 0, dataDir: tempDir() }, env), quiet);
    await expect(start).rejects.toMatchObject({ code: "UNAVAILABLE", field: "ENSOUL_DATABASE_URL" });
    await expect(start).rejects.toThrow(/cannot reach the database at postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
  });

  it("starts in server mode on the real PostgreSQL", async () => {
    const url = databaseUrl();
    const schema = `ensoul_app_${randomBytes(4).toString("hex")}`;
    const redisUrl = testRedisUrl();
    const prefix = `ensoul-app-${randomBytes(4).toString("hex")}`;
    const env = { ENSOUL_MODE: "server", ENSOUL_DATABASE_URL: url, ENSOUL_DATABASE_SCHEMA: schema, ENSOUL_REDIS_URL: redisUrl, ENSOUL_QUEUE_PREFIX: prefix, ENSOUL_MASTER_KEY: MASTER_KEY };
    const dataDir = tempDir();
    const sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, env), quiet);
    try {
      const info = await fetch(`http://127.0.0.1:${sidecar.port}/v1/system/info`, {
        method: "POST",
        headers: { authorization: `Bearer ${sidecar.adminToken.token}`, "content-type": "application/json" },
        body: "{}",
      });
      expect(((await info.json()) as { mode?: string }).mode).toBe("server");
      expect(existsSync(path.join(dataDir, "ensoul.db"))).toBe(false);
      expect(existsSync(path.join(dataDir, "master.key"))).toBe(false);
      expect(await jobList(sidecar.port, sidecar.adminToken.token)).toEqual({ status: 200, body: {} });
    } finally {
      await sidecar.close();
      await (await openPostgresStore({ url, schema, dropSchemaOnClose: true })).close();
      await deleteRedisPrefix(redisUrl, prefix);
    }
  });
});

async function jobList(port: number, token: string): Promise<unknown> {
  const reply = await fetch(`http://127.0.0.1:${port}/v1/queue/list`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  });
  // An empty list is an empty object in the protobuf JSON mapping.
  return { status: reply.status, body: await reply.json() };
}

describe("startSidecar queue wiring", () => {
  it("serves the queue's methods in embedded mode, on the SQLite file", async () => {
    const sidecar = await startSidecar(loadConfig({ port: 0, dataDir: tempDir() }, {}), quiet);
    try {
      expect(await jobList(sidecar.port, sidecar.adminToken.token)).toEqual({ status: 200, body: {} });
    } finally {
      await sidecar.close();
    }
  });

  /** Server mode on the real PostgreSQL (a schema of its own) with the given Redis settings. */
  async function startServer(redisEnv: Record<string, string>): Promise<unknown> {
    const url = databaseUrl();
    const schema = `ensoul_app_${randomBytes(4).toString("hex")}`;
    const env = { ENSOUL_MODE: "server", ENSOUL_DATABASE_URL: url, ENSOUL_DATABASE_SCHEMA: schema, ENSOUL_MASTER_KEY: MASTER_KEY, ...redisEnv };
    try {
      const sidecar = await startSidecar(loadConfig({ port: 0, dataDir: tempDir() }, env), quiet);
      await sidecar.close();
      return undefined;
    } catch (err) {
      return err;
    } finally {
      await (await openPostgresStore({ url, schema, dropSchemaOnClose: true })).close();
    }
  }

  it("refuses server mode without a Redis URL, naming ENSOUL_REDIS_URL", async () => {
    expect(await startServer({})).toMatchObject({ code: "FAILED_PRECONDITION", field: "ENSOUL_REDIS_URL" });
  });

  it("refuses server mode without ENSOUL_MASTER_KEY, which replicas must share", async () => {
    const err = await startServer({ ENSOUL_REDIS_URL: testRedisUrl(), ENSOUL_MASTER_KEY: "" });
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION", field: "ENSOUL_MASTER_KEY" });
  });

  it("stops start-up when the named Redis cannot be reached, saying where it looked", async () => {
    const err = await startServer({ ENSOUL_REDIS_URL: "redis://127.0.0.1:1" });
    expect(err).toMatchObject({ code: "UNAVAILABLE", field: "ENSOUL_REDIS_URL" });
    expect((err as Error).message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1.*cannot be reached: connect ECONNREFUSED/);
  });
});

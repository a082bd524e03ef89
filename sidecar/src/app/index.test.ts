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
    const env = { ENSOUL_MODE: "server", ENSOUL_DATABASE_URL: url, ENSOUL_DATABASE_SCHEMA: schema };
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
    } finally {
      await sidecar.close();
      await (await openPostgresStore({ url, schema, dropSchemaOnClose: true })).close();
    }
  });
});

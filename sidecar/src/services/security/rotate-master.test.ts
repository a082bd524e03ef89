import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { startSidecar } from "../../app/index.js";
import { runCli } from "../../cli/main.js";
import { EnsoulClient } from "../../lib/client.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { sqliteFileFor } from "../data/index.js";
import { MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE } from "./master-key.js";
import { tempDataDir } from "./security.testkit.js";

describe("ensoul keystore rotate-master", () => {
  const data = tempDataDir();
  afterAll(() => data.remove());

  /** Runs `use` against a sidecar on the data dir, then stops it. */
  async function withSidecar<T>(use: (client: EnsoulClient) => Promise<T>): Promise<T> {
    const sidecar = await startSidecar(loadConfig({ port: 0, dataDir: data.dir }, {}), createLogger("silent"));
    const client = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token });
    try {
      return await use(client);
    } finally {
      await client.close();
      await sidecar.close();
    }
  }

  it("re-wraps the keystore so secrets and old ciphertext still open, and audits it", async () => {
    const ciphertext = await withSidecar(async (client) => {
      await client.call("secretPut", { path: "studio/s3", entries: [{ key: "password", value: "kept" }] });
      return (await client.call("transitEncrypt", { key: "saves", plaintext: Buffer.from("old save") })).transitCiphertext!.ciphertext!;
    });
    const oldMaster = readFileSync(path.join(data.dir, MASTER_KEY_FILE), "utf8");

    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(["keystore", "rotate-master", "--data", data.dir], (l) => out.push(l), (l) => err.push(l));
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/wrapped with master key [0-9a-f]{16}$/);
    expect(readFileSync(path.join(data.dir, MASTER_KEY_FILE), "utf8")).not.toBe(oldMaster);
    expect(existsSync(path.join(data.dir, NEXT_MASTER_KEY_FILE))).toBe(false);

    await withSidecar(async (client) => {
      expect((await client.call("secretGet", { path: "studio/s3" })).secret!.entries).toEqual([{ key: "password", value: "kept" }]);
      const opened = (await client.call("transitDecrypt", { key: "saves", ciphertext })).transitPlaintext!;
      expect(Buffer.from(opened.plaintext!).toString()).toBe("old save");
    });
    const db = new Database(sqliteFileFor(data.dir), { readonly: true });
    const kinds = db.prepare<[], { kind: string }>("SELECT kind FROM auth_audit").all().map((r) => r.kind);
    db.close();
    expect(kinds).toContain("keystore.rotate-master");
  });

  it("refuses when the master key comes from the environment", async () => {
    const err: string[] = [];
    const previous = process.env["ENSOUL_MASTER_KEY"];
    process.env["ENSOUL_MASTER_KEY"] = "ab".repeat(32);
    try {
      const code = await runCli(["keystore", "rotate-master", "--data", data.dir], () => undefined, (l) => err.push(l));
      expect(code).not.toBe(0);
      expect(err.join("\n")).toMatch(/ENSOUL_MASTER_KEY_PREVIOUS/);
    } finally {
      if (previous === undefined) delete process.env["ENSOUL_MASTER_KEY"];
      else process.env["ENSOUL_MASTER_KEY"] = previous;
    }
  });
});

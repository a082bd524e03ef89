import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DataStore } from "../data/index.js";
import { postgresAdapter, sqliteAdapter, type StoreFixture } from "../data/contract.testkit.js";
import { openDataSecurityStore } from "./data-store.js";
import { createSecurityService, MASTER_KEY_ENV, PREVIOUS_MASTER_KEY_ENV } from "./index.js";
import { RecordingAudit, rejection, tempDataDir } from "./security.testkit.js";

const OLD_KEY = "31".repeat(32);
const NEW_KEY = "32".repeat(32);
const PLAINTEXT = "pg-password-9d2e";

describe.each([sqliteAdapter, postgresAdapter])("security on the $name data store", (adapter) => {
  let fixture: StoreFixture;
  /** The store as last (re)opened. */
  let data: DataStore;
  let dir: ReturnType<typeof tempDataDir>;
  const audit = new RecordingAudit();
  const start = (env: NodeJS.ProcessEnv = { [MASTER_KEY_ENV]: OLD_KEY }, now?: () => number) =>
    createSecurityService({ dataDir: dir.dir, data, audit, env, ...(now ? { now } : {}) });

  beforeEach(async () => {
    fixture = await adapter.open();
    data = fixture.store;
    dir = tempDataDir();
  });
  afterEach(async () => {
    await fixture.destroy();
    dir.remove();
  });

  it("keeps secrets and transit keys across a restart, with no plaintext in any stored row", async () => {
    const first = await start();
    await first.secretsFor("t").put("studio/db", { password: PLAINTEXT });
    const made = await first.transitFor("t").encrypt("k", Buffer.from(PLAINTEXT));
    data = await fixture.reopen();
    const again = await start();
    expect((await again.secretsFor("t").get("studio/db")).data.password).toBe(PLAINTEXT);
    expect(Buffer.from(await again.transitFor("t").decrypt("k", made.ciphertext)).toString()).toBe(PLAINTEXT);
    for (const table of ["security_keys", "security_secrets", "security_meta"]) {
      const rows = await data.sql.query(`SELECT * FROM ${table}`);
      const raw = rows.map((r) => Object.values(r).map((v) => (Buffer.isBuffer(v) ? v.toString("latin1") : String(v))).join("|")).join("\n");
      expect(raw).not.toContain(PLAINTEXT);
    }
  });

  it("refuses the wrong master key and re-wraps to a new one given the previous", async () => {
    await (await start()).transitFor("t").encrypt("k", Buffer.from("x"));
    expect((await rejection(start({ [MASTER_KEY_ENV]: NEW_KEY }))).message).toMatch(/does not open this keystore/);
    const rotated = await start({ [MASTER_KEY_ENV]: NEW_KEY, [PREVIOUS_MASTER_KEY_ENV]: OLD_KEY });
    expect((await rotated.transitFor("t").rotate("k")).latestVersion).toBe(2);
    expect((await rejection(start())).code).toBe("FAILED_PRECONDITION");
  });

  it("gives concurrent writers of one secret distinct versions", async () => {
    const secrets = (await start()).secretsFor("t");
    const written = await Promise.all(Array.from({ length: 8 }, (_, i) => secrets.put("race", { n: String(i) })));
    expect(written.map((w) => w.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("lists by a case-sensitive prefix and keeps lease times beyond 32 bits", async () => {
    const nowMs = Date.UTC(2030, 0, 1);
    const secrets = (await start(undefined, () => nowMs)).secretsFor("t");
    await secrets.put("a/one", { v: "1" });
    await secrets.put("A/two", { v: "2" });
    await secrets.put("a_three", { v: "3" });
    expect(await secrets.list("a/")).toEqual(["a/one"]);
    const { lease } = await secrets.put("a/leased", { v: "4" }, { ttlMs: 1000 });
    const store = await openDataSecurityStore(data);
    expect((await store.secretByLease(lease!.id))!.expiresAtMs).toBe(nowMs + 1000);
  });
});

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MASTER_KEY_ENV, type SecurityService } from "./index.js";
import { sqliteFileFor } from "../data/index.js";
import { RecordingAudit, rejection, startSecurity, tempDataDir } from "./security.testkit.js";

const PLAINTEXT = "s3cr3t-storage-password-6f1c";

let data: ReturnType<typeof tempDataDir>;
let audit: RecordingAudit;
let nowMs: number;
const open: SecurityService[] = [];

async function start(env: NodeJS.ProcessEnv = {}): Promise<SecurityService> {
  const service = await startSecurity(data.dir, audit, { env, now: () => nowMs });
  open.push(service);
  return service;
}

async function stop(service: SecurityService): Promise<void> {
  open.splice(open.indexOf(service), 1);
  await service.close();
}

beforeEach(() => {
  data = tempDataDir();
  audit = new RecordingAudit();
  nowMs = Date.UTC(2026, 0, 1);
});
afterEach(async () => {
  for (const service of open.splice(0)) await service.close();
  data.remove();
});

describe("secrets", () => {
  it("survive a restart and cannot be read in the raw database files", async () => {
    const first = await start();
    await first.secretsFor("alice").put("studio/s3", { accessKey: "AKIA-example", password: PLAINTEXT });
    await stop(first);
    for (const file of readdirSync(data.dir)) {
      const bytes = readFileSync(path.join(data.dir, file));
      expect(bytes.includes(PLAINTEXT), `${file} holds the plaintext`).toBe(false);
    }
    expect(readdirSync(data.dir)).toContain(path.basename(sqliteFileFor(data.dir)));
    const second = await start();
    const secret = await second.secretsFor("alice").get("studio/s3");
    expect(secret.data).toEqual({ accessKey: "AKIA-example", password: PLAINTEXT });
    expect(secret.version).toBe(1);
  });

  it("refuse to open with another master key, saying so instead of returning garbage", async () => {
    const first = await start();
    await first.secretsFor("alice").put("studio/s3", { password: PLAINTEXT });
    await stop(first);
    const err = await rejection(start({ [MASTER_KEY_ENV]: "ef".repeat(32) }));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toMatch(/the master key does not open this keystore/);
  });

  it("keep every version, reading the latest by default", async () => {
    const secrets = (await start()).secretsFor("alice");
    await secrets.put("a", { v: "one" });
    const second = await secrets.put("a", { v: "two" });
    expect(second.version).toBe(2);
    expect((await secrets.get("a")).data).toEqual({ v: "two" });
    expect((await secrets.get("a", 1)).data).toEqual({ v: "one" });
    expect((await rejection(secrets.get("a", 3))).code).toBe("NOT_FOUND");
    expect((await rejection(secrets.get("missing"))).code).toBe("NOT_FOUND");
    expect(await secrets.list("")).toEqual(["a"]);
  });

  it("write with check-and-set only over the version the writer read", async () => {
    const secrets = (await start()).secretsFor("alice");
    await secrets.put("a", { v: "one" }, { expectedVersion: 0 });
    const err = await rejection(secrets.put("a", { v: "two" }, { expectedVersion: 0 }));
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION", field: "casVersion" });
    expect((await secrets.put("a", { v: "two" }, { expectedVersion: 1 })).version).toBe(2);
  });

  it("read as NOT_FOUND once their lease expires; renewing before then keeps them", async () => {
    const secrets = (await start()).secretsFor("alice");
    const written = await secrets.put("db/creds", { password: PLAINTEXT }, { ttlMs: 60_000 });
    const lease = written.lease!;
    expect(lease.expiresAtMs).toBe(nowMs + 60_000);
    nowMs += 50_000;
    expect((await secrets.renew(lease.id, 60_000)).expiresAtMs).toBe(nowMs + 60_000);
    nowMs += 59_000;
    expect((await secrets.get("db/creds")).data.password).toBe(PLAINTEXT);
    nowMs += 1_000;
    const err = await rejection(secrets.get("db/creds"));
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toMatch(/lease expired/);
    expect((await rejection(secrets.renew(lease.id, 60_000))).code).toBe("NOT_FOUND");
  });

  it("read as NOT_FOUND once their lease is revoked, and the sealed bytes are destroyed", async () => {
    const secrets = (await start()).secretsFor("alice");
    const { lease } = await secrets.put("db/creds", { password: PLAINTEXT }, { ttlMs: 3_600_000 });
    const revoked = await secrets.revoke(lease!.id);
    expect(revoked.revokedAtMs).toBe(nowMs);
    expect((await rejection(secrets.get("db/creds"))).message).toMatch(/revoked/);
    const db = new Database(sqliteFileFor(data.dir), { readonly: true });
    expect(db.prepare("SELECT sealed FROM security_secrets").get()).toEqual({ sealed: null });
    db.close();
    expect((await rejection(secrets.revoke("lease_nope"))).code).toBe("NOT_FOUND");
  });

  it("refuse a sealed version that was altered in the database", async () => {
    const service = await start();
    await service.secretsFor("alice").put("a", { v: PLAINTEXT });
    const db = new Database(sqliteFileFor(data.dir));
    db.prepare("UPDATE security_secrets SET path = 'b'").run(); // moved to another path
    db.close();
    expect((await rejection(service.secretsFor("alice").get("b"))).code).toBe("FAILED_PRECONDITION");
  });

  it("reject bad paths, empty data and silly lease times with INVALID_ARGUMENT", async () => {
    const secrets = (await start()).secretsFor("alice");
    for (const bad of ["", "a//b", "../etc", "a/./b", "sp ace", "/lead"]) {
      expect(await rejection(secrets.put(bad, { v: "x" }))).toMatchObject({ code: "INVALID_ARGUMENT", field: "path" });
    }
    expect((await rejection(secrets.put("a", {}))).field).toBe("entries");
    expect((await rejection(secrets.put("a", { v: "x" }, { ttlMs: 0 }))).field).toBe("ttlMs");
  });
});

describe("secret audit", () => {
  it("records every access under the caller's subject, refusals included, never the value", async () => {
    const secrets = (await start()).secretsFor("alice");
    const { lease } = await secrets.put("a", { v: PLAINTEXT }, { ttlMs: 60_000 });
    await secrets.get("a");
    await secrets.list("");
    await secrets.renew(lease!.id, 1_000);
    await secrets.revoke(lease!.id);
    await rejection(secrets.get("a"));
    expect(audit.kinds()).toEqual([
      "secret.put:ok",
      "secret.get:ok",
      "secret.list:ok",
      "secret.renew:ok",
      "secret.revoke:ok",
      "secret.get:failed",
    ]);
    expect(audit.events.every((e) => e.subject === "alice")).toBe(true);
    expect(audit.events[1]!.detail).toMatchObject({ path: "a", version: 1 });
    expect(audit.events[5]!.detail).toMatchObject({ code: "NOT_FOUND" });
    expect(JSON.stringify(audit.events)).not.toContain(PLAINTEXT);
  });

  it("hands out nothing when the audit log cannot take the entry", async () => {
    const secrets = (await start()).secretsFor("alice");
    await secrets.put("a", { v: PLAINTEXT });
    audit.failing = true;
    const err = await rejection(secrets.get("a"));
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toMatch(/audit log/);
  });
});

import { authenticator } from "otplib";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { transitSealer } from "../../app/sealer.js";
import { createLogger } from "../../lib/logger.js";
import { postgresAdapter, sqliteAdapter, type StoreFixture } from "../data/contract.testkit.js";
import { openDataStore, type DataStore } from "../data/index.js";
import { createSecurityService, MASTER_KEY_ENV, type SecurityService } from "../security/index.js";
import { RecordingAudit, tempDataDir } from "../security/security.testkit.js";
import { createAuthService, type AuthService } from "./index.js";

const MASTER_KEY = "5a".repeat(32);
const STEP_MS = 30_000;

/** A running auth service with (or, as before sealing, without) the keystore's sealer. */
interface Started {
  auth: AuthService;
  security: SecurityService;
  close(): Promise<void>;
}

async function start(dataDir: string, data: DataStore, clock: { nowMs: number }, sealed = true): Promise<Started> {
  const security = await createSecurityService({ dataDir, data, audit: new RecordingAudit(), env: { [MASTER_KEY_ENV]: MASTER_KEY } });
  const auth = await createAuthService({
    dataDir,
    data,
    log: createLogger("silent"),
    now: () => clock.nowMs,
    ...(sealed ? { sealer: transitSealer(security.transitFor("sidecar")) } : {}),
  });
  return { auth, security, close: async () => (await auth.close(), await security.close()) };
}

/** Enrols the first admin in MFA, returns its TOTP secret and an access token it was issued. */
async function enrolAndIssue(auth: AuthService, clock: { nowMs: number }): Promise<{ secret: string; jwt: string }> {
  const admin = await auth.authenticator.authenticate(auth.adminToken.token);
  const { secret } = await auth.admin.enrolMfa(admin, "");
  await auth.admin.confirmMfa(admin, authenticator.clone({ epoch: clock.nowMs }).generate(secret));
  clock.nowMs += STEP_MS;
  const { jwt } = await auth.admin.issueAccessToken(admin, 600);
  return { secret, jwt };
}

/** After a restart: the old access token verifies and the TOTP secret still gates admin changes. */
async function expectWorking(auth: AuthService, clock: { nowMs: number }, secret: string, jwt: string): Promise<void> {
  expect((await auth.authenticator.authenticate(jwt)).subject).toBe("admin");
  const admin = await auth.authenticator.authenticate(auth.adminToken.token);
  clock.nowMs += STEP_MS;
  const code = authenticator.clone({ epoch: clock.nowMs }).generate(secret);
  const made = await auth.admin.create(admin, { roles: ["admin"], subject: "second-admin", totp: code });
  expect(made.token.subject).toBe("second-admin");
  await expect(auth.admin.create(admin, { roles: ["admin"], subject: "third", totp: "000000" })).rejects.toThrow(/TOTP/);
}

/** Every auth row, as text, to look for secrets in. */
async function authRows(data: DataStore): Promise<string> {
  const rows = [...(await data.sql.query("SELECT * FROM auth_mfa")), ...(await data.sql.query("SELECT * FROM auth_settings"))];
  return rows.map((r) => Object.values(r).map(String).join("|")).join("\n");
}

describe.each([sqliteAdapter, postgresAdapter])("auth secrets on the $name data store", (adapter) => {
  let fixture: StoreFixture;
  let dir: ReturnType<typeof tempDataDir>;
  const clock = { nowMs: Date.now() };

  beforeEach(async () => {
    fixture = await adapter.open();
    dir = tempDataDir();
  });
  afterEach(async () => {
    await fixture.destroy();
    dir.remove();
  });

  it("stores the TOTP secret and the signing key sealed, and both work after a restart", async () => {
    const first = await start(dir.dir, fixture.store, clock);
    const { secret, jwt } = await enrolAndIssue(first.auth, clock);
    await first.close();
    const data = await fixture.reopen();
    const rows = await authRows(data);
    expect(rows).toContain("ensoul:v1:");
    expect(rows).not.toContain(secret);
    expect(rows).not.toMatch(/"d"\s*:/);
    const again = await start(dir.dir, data, clock);
    await expectWorking(again.auth, clock, secret, jwt);
    await again.close();
  });

  it("seals a TOTP secret and signing key stored in plain text by an earlier version at start", async () => {
    const before = await start(dir.dir, fixture.store, clock, false);
    const { secret, jwt } = await enrolAndIssue(before.auth, clock);
    await before.close();
    let data = await fixture.reopen();
    expect(await authRows(data)).toContain(secret);
    const after = await start(dir.dir, data, clock);
    const rows = await authRows(data);
    expect(rows).not.toContain(secret);
    expect(rows).not.toMatch(/"d"\s*:/);
    await expectWorking(after.auth, clock, secret, jwt);
    await after.close();
    data = await fixture.reopen();
    const later = await start(dir.dir, data, clock);
    await expectWorking(later.auth, clock, secret, jwt);
    await later.close();
  });

  it("refuses a sealed secret moved to another subject's row", async () => {
    const { auth, close } = await start(dir.dir, fixture.store, clock);
    const { secret } = await enrolAndIssue(auth, clock);
    const sql = fixture.store.sql;
    const sealed = String((await sql.query("SELECT secret FROM auth_mfa WHERE subject = ?", ["admin"]))[0]!["secret"]);
    await sql.execute("INSERT INTO auth_mfa (subject, secret, confirmed_at_ms, last_step) VALUES (?, ?, ?, ?)", ["mallory", sealed, 1, 0]);
    const mallory = { subject: "mallory", roles: ["admin" as const] };
    clock.nowMs += STEP_MS;
    const code = authenticator.clone({ epoch: clock.nowMs }).generate(secret);
    await expect(auth.admin.create(mallory, { roles: ["admin"], subject: "mallory-2", totp: code })).rejects.toThrow(/does not decrypt/);
    await close();
  });
});

describe("auth secrets in the embedded database file", () => {
  it("leaves neither the TOTP secret nor the signing key's private part in any file of the data dir", async () => {
    const dir = tempDataDir();
    const clock = { nowMs: Date.now() };
    const data = await openDataStore({ mode: "embedded", dataDir: dir.dir });
    const started = await start(dir.dir, data, clock);
    const { secret } = await enrolAndIssue(started.auth, clock);
    const jwk = await data.sql.query("SELECT value FROM auth_settings WHERE name = 'jwt.signing_key'");
    await started.close();
    await data.close();
    const files = readdirSync(dir.dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.some((f) => f.name.endsWith(".db") || f.name.endsWith(".sqlite"))).toBe(true);
    for (const f of files) {
      const bytes = readFileSync(path.join(f.parentPath, f.name)).toString("latin1");
      expect(bytes, f.name).not.toContain(secret);
      expect(bytes, f.name).not.toMatch(/"d":"[A-Za-z0-9_-]{43}"/);
    }
    expect(String(jwk[0]!["value"])).toMatch(/^ensoul:v1:/);
    dir.remove();
  });
});

import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import type { Authenticator } from "../../gateway/auth.js";
import { MethodTable, type Principal } from "../../gateway/methods.js";
import { createGateway, type Gateway } from "../../gateway/server.js";
import { EnsoulClient } from "../../lib/client.js";
import { DEFAULT_LIMITS, loadConfig } from "../../lib/config.js";
import { EnsoulError } from "../../lib/errors.js";
import { createLogger } from "../../lib/logger.js";
import { AccessPolicy } from "../auth/index.js";
import { sqliteFileFor } from "../data/index.js";
import { AUTH_SEALING_KEY } from "../../app/sealer.js";
import type { SecurityService } from "./index.js";
import { RESERVED_SECRET_PATHS, RESERVED_TRANSIT_KEYS } from "./rpc.js";
import { CA_SECRET_PATH } from "./tls.js";
import { RecordingAudit, rejection, startSecurity, tempDataDir } from "./security.testkit.js";

describe("security over the running sidecar", () => {
  const data = tempDataDir();
  let sidecar: RunningSidecar;
  let client: EnsoulClient;
  let httpBase: string;

  const post = async (route: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${httpBase}/v1/${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${sidecar.adminToken.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    sidecar = await startSidecar(loadConfig({ port: 0, dataDir: data.dir }, {}), createLogger("silent"));
    httpBase = `http://127.0.0.1:${sidecar.port}`;
    client = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token });
  });
  afterAll(async () => {
    await client.close();
    await sidecar.close();
    data.remove();
  });

  it("puts and gets a secret with a lease over WebSocket; a revoked lease reads as NOT_FOUND", async () => {
    const put = await client.call("secretPut", { path: "studio/s3", entries: [{ key: "password", value: "pw-1" }], ttlS: 3600 });
    const meta = put.secretMeta!;
    expect(meta.version).toBe(1);
    expect(meta.lease?.leaseId).toMatch(/^lease_/);
    const got = (await client.call("secretGet", { path: "studio/s3" })).secret!;
    expect(got.entries).toEqual([{ key: "password", value: "pw-1" }]);
    await client.call("leaseRevoke", { leaseId: meta.lease!.leaseId! });
    const err = await rejection(client.call("secretGet", { path: "studio/s3" }));
    expect(err).toMatchObject({ code: "NOT_FOUND", field: "secretGet.path" });
  });

  it("serves transit over the HTTP JSON mirror: encrypt, rotate, decrypt old ciphertext, rewrap", async () => {
    const plaintext = Buffer.from("save game 7").toString("base64");
    const made = await post("transit/encrypt", { key: "saves", plaintext });
    expect(made.status).toBe(200);
    expect(made.json["ciphertext"]).toMatch(/^ensoul:v1:/);
    const rotated = await post("transit/rotate", { key: "saves" });
    expect(rotated.json).toMatchObject({ key: "saves", latestVersion: 2, versions: [1, 2] });
    const opened = await post("transit/decrypt", { key: "saves", ciphertext: made.json["ciphertext"] });
    expect(opened.json).toMatchObject({ plaintext, keyVersion: 1 });
    const rewrapped = await post("transit/rewrap", { key: "saves", ciphertext: made.json["ciphertext"] });
    expect(rewrapped.json["ciphertext"]).toMatch(/^ensoul:v2:/);
    const bad = await post("transit/decrypt", { key: "saves", ciphertext: "ensoul:v1:AAAA" });
    expect(bad.status).toBe(400);
    expect(bad.json["error"]).toMatchObject({ code: "INVALID_ARGUMENT", field: "transitDecrypt.ciphertext" });
  });

  it("appends each secret access to the auth service's hash-chained audit log", async () => {
    await client.call("secretPut", { path: "studio/audited", entries: [{ key: "k", value: "audit-me-not" }] });
    await client.call("secretGet", { path: "studio/audited" });
    const db = new Database(sqliteFileFor(data.dir), { readonly: true });
    const rows = db.prepare<[], { kind: string; outcome: string; detail: string }>("SELECT kind, outcome, detail FROM auth_audit ORDER BY seq").all();
    db.close();
    const secretRows = rows.filter((r) => r.kind.startsWith("secret.") && r.detail.includes("studio/audited"));
    expect(secretRows.map((r) => `${r.kind} ${r.outcome}`)).toEqual(["secret.put ok", "secret.get ok"]);
    expect(JSON.stringify(rows)).not.toContain("audit-me-not");
    expect((await client.call("auditVerify", {})).auditReport).toMatchObject({ ok: true });
  });

  it("lists the security methods in ServerInfo", async () => {
    const info = (await client.call("serverInfoRequest", {})).serverInfo!;
    const names = (info.services ?? []).flatMap((s) => (s.methods ?? []).map((m) => `${s.name}/${m.name}`));
    expect(names).toEqual(expect.arrayContaining(["transit/encrypt", "transit/rotate", "secrets/get", "secrets/revoke"]));
  });
});

describe("security roles and project scope", () => {
  const data = tempDataDir();
  const audit = new RecordingAudit();
  let service: SecurityService;
  let gateway: Gateway;
  let url: string;
  const principals: Record<string, Principal> = {
    admin: { subject: "ada", roles: ["admin"] },
    designer: { subject: "dee", roles: ["designer"] },
    game: { subject: "gus", roles: ["game"] },
    scoped: { subject: "pat", roles: ["admin"], project: "p1" },
  };
  /** The sidecar's own access table decides the roles, as it does in the gateway. */
  const access = new AccessPolicy();
  /** Tokens are the principals' names: this suite checks the security service's rules, not authentication. */
  const byName: Authenticator = {
    authenticate: async (token) => {
      const principal = principals[token];
      if (!principal) throw new EnsoulError("UNAUTHENTICATED", "unknown test token");
      return principal;
    },
    authorize: (principal, method) => access.check(principal, method),
  };
  const as = (name: string) => EnsoulClient.connect(url, { token: name });

  beforeAll(async () => {
    service = await startSecurity(data.dir, audit);
    gateway = createGateway({ methods: new MethodTable(service.methods), auth: byName, limits: DEFAULT_LIMITS, log: createLogger("silent") });
    const address = await gateway.listen("127.0.0.1", 0);
    url = `ws://127.0.0.1:${address.port}/v1/ws`;
  });
  afterAll(async () => {
    await gateway.close();
    await service.close();
    data.remove();
  });

  it("lets designers use transit keys but not rotate them or touch secrets; game tokens get neither", async () => {
    const designer = await as("designer");
    const game = await as("game");
    try {
      const made = (await designer.call("transitEncrypt", { key: "levels", plaintext: Buffer.from("x") })).transitCiphertext!;
      expect(made.keyVersion).toBe(1);
      expect((await rejection(designer.call("transitRotate", { key: "levels" }))).code).toBe("PERMISSION_DENIED");
      expect((await rejection(designer.call("secretGet", { path: "a" }))).code).toBe("PERMISSION_DENIED");
      expect((await rejection(game.call("transitDecrypt", { key: "levels", ciphertext: made.ciphertext! }))).code).toBe("PERMISSION_DENIED");
    } finally {
      await designer.close();
      await game.close();
    }
  });

  it("keeps a project-scoped token inside projects/<its project>/", async () => {
    const admin = await as("admin");
    const scoped = await as("scoped");
    try {
      await admin.call("secretPut", { path: "projects/p2/db", entries: [{ key: "k", value: "v" }] });
      await scoped.call("secretPut", { path: "projects/p1/db", entries: [{ key: "k", value: "v" }] });
      const denied = await rejection(scoped.call("secretGet", { path: "projects/p2/db" }));
      expect(denied).toMatchObject({ code: "PERMISSION_DENIED", field: "secretGet.path" });
      expect((await scoped.call("secretList", {})).secretListReply!.paths).toEqual(["projects/p1/db"]);
      expect((await rejection(scoped.call("transitEncrypt", { key: "shared", plaintext: Buffer.from("x") }))).code).toBe(
        "PERMISSION_DENIED",
      );
      const leased = (await admin.call("secretPut", { path: "projects/p2/tmp", entries: [{ key: "k", value: "v" }], ttlS: 60 })).secretMeta!;
      expect((await rejection(scoped.call("leaseRevoke", { leaseId: leased.lease!.leaseId! }))).code).toBe("PERMISSION_DENIED");
    } finally {
      await admin.close();
      await scoped.close();
    }
  });

  it("serves nobody, admin included, the transit key and secrets the sidecar keeps for itself", async () => {
    expect(AUTH_SEALING_KEY.startsWith(RESERVED_TRANSIT_KEYS)).toBe(true);
    expect(CA_SECRET_PATH.startsWith(RESERVED_SECRET_PATHS)).toBe(true);
    await service.secretsFor("sidecar").put(CA_SECRET_PATH, { key: "private" });
    const sealed = await service.transitFor("sidecar").encrypt(AUTH_SEALING_KEY, Buffer.from("totp"), Buffer.from("ctx"));
    const admin = await as("admin");
    try {
      const decrypt = await rejection(admin.call("transitDecrypt", { key: AUTH_SEALING_KEY, ciphertext: sealed.ciphertext, context: Buffer.from("ctx") }));
      expect(decrypt).toMatchObject({ code: "PERMISSION_DENIED", field: "transitDecrypt.key" });
      expect((await rejection(admin.call("transitRotate", { key: "sidecar/other" }))).code).toBe("PERMISSION_DENIED");
      expect((await rejection(admin.call("secretGet", { path: CA_SECRET_PATH }))).code).toBe("PERMISSION_DENIED");
      expect((await rejection(admin.call("secretPut", { path: CA_SECRET_PATH, entries: [{ key: "k", value: "v" }] }))).code).toBe("PERMISSION_DENIED");
      expect((await rejection(admin.call("secretList", { prefix: "_sidecar/" }))).code).toBe("PERMISSION_DENIED");
      expect((await admin.call("secretList", {})).secretListReply!.paths).not.toContain(CA_SECRET_PATH);
      // the sidecar itself still reads them
      expect((await service.secretsFor("sidecar").get(CA_SECRET_PATH)).data).toEqual({ key: "private" });
    } finally {
      await admin.close();
    }
  });

  it("audits each call under the caller's subject", async () => {
    const kinds = audit.events.map((e) => `${e.subject} ${e.kind} ${e.outcome}`);
    expect(kinds).toEqual(expect.arrayContaining(["dee transit.encrypt ok", "pat secret.put ok", "ada secret.put ok"]));
  });
});

import { existsSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusal, startAuthHarness, type AuthHarness } from "./auth.testkit.js";
import { sqliteFileFor } from "../data/index.js";
import { hashSecret, parseTtl } from "./tokens.js";

let h: AuthHarness;

beforeAll(async () => {
  h = await startAuthHarness();
});

afterAll(async () => {
  await h.close();
});

async function createToken(roles: string[], extra: { ttlS?: number; project?: string; subject?: string } = {}): Promise<{ id: string; secret: string }> {
  const admin = await h.connect(h.adminToken);
  try {
    const reply = await admin.call("tokenCreate", { roles, ...extra });
    return { id: reply.tokenCreated!.token!.tokenId!, secret: reply.tokenCreated!.secret! };
  } finally {
    await admin.close();
  }
}

describe("API tokens", () => {
  it("are 256-bit random secrets stored only as their SHA-256", async () => {
    const { id, secret } = await createToken(["viewer"]);
    expect(secret).toMatch(/^ens_[\w-]{43}$/);
    const file = sqliteFileFor(h.dataDir);
    const db = new Database(file, { readonly: true });
    const row = db.prepare("SELECT * FROM auth_tokens WHERE id = ?").get(id) as Record<string, unknown>;
    db.close();
    expect(row["hash"]).toBe(hashSecret(secret));
    for (const f of [file, `${file}-wal`]) {
      if (existsSync(f)) expect(readFileSync(f).includes(Buffer.from(secret))).toBe(false);
    }
  });

  it("carry their subject, roles and project into the session", async () => {
    const { secret } = await createToken(["designer", "game"], { subject: "ada", project: "north" });
    const client = await h.connect(secret);
    expect(client.welcome?.roles).toEqual(["designer", "game"]);
    await client.close();
  });

  it("refuse an unknown or tampered token", async () => {
    const { secret } = await createToken(["viewer"]);
    const tampered = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    const e = await refusal(h.connect(tampered));
    expect(e.code).toBe("UNAUTHENTICATED");
    expect(e.message).toMatch(/not valid for this sidecar/);
    expect((await refusal(h.connect(""))).code).toBe("UNAUTHENTICATED");
    expect((await refusal(h.connect("bearer-nonsense"))).code).toBe("UNAUTHENTICATED");
  });

  it("refuse an expired token at Hello, and at the next request of an open connection", async () => {
    const { id, secret } = await createToken(["viewer"], { ttlS: 60 });
    const client = await h.connect(secret);
    await client.call("ping", {});
    h.advance(61_000);
    const e = await refusal(client.call("ping", {}));
    expect(e.code).toBe("UNAUTHENTICATED");
    expect(e.message).toMatch(/expired/);
    const again = await refusal(h.connect(secret));
    expect(again.message).toMatch(new RegExp(`token ${id} expired`));
  });

  it("refuse a revoked token on a connection that is already open, at its next request", async () => {
    const { id, secret } = await createToken(["game"]);
    const client = await h.connect(secret);
    await client.call("ping", {});
    const admin = await h.connect(h.adminToken);
    const revoked = await admin.call("tokenRevoke", { tokenId: id });
    expect(Number(revoked.tokenRevoked!.token!.revokedAtMs)).toBeGreaterThan(0);
    const e = await refusal(client.call("ping", {}));
    expect(e.code).toBe("UNAUTHENTICATED");
    expect(e.message).toMatch(/revoked/);
    expect(client.isOpen).toBe(false);
    const http = await fetch(`${h.httpBase}/v1/system/ping`, { method: "POST", headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, body: "{}" });
    expect(http.status).toBe(401);
    const list = (await admin.call("tokenList", { includeRevoked: true })).tokenListReply!.tokens!;
    expect(list.find((t) => t.tokenId === id)?.revokedAtMs).toBeTruthy();
    const live = (await admin.call("tokenList", {})).tokenListReply!.tokens!;
    expect(live.some((t) => t.tokenId === id)).toBe(false);
    expect((await refusal(admin.call("tokenRevoke", { tokenId: id }))).code).toBe("FAILED_PRECONDITION");
    expect((await refusal(admin.call("tokenRevoke", { tokenId: "tok_nope" }))).code).toBe("NOT_FOUND");
    await admin.close();
  });

  it("stay revoked after a restart", async () => {
    const { id, secret } = await createToken(["viewer"]);
    const admin = await h.connect(h.adminToken);
    await admin.call("tokenRevoke", { tokenId: id });
    await admin.close();
    const again = await startAuthHarness({ dataDir: h.dataDir });
    try {
      expect((await refusal(again.connect(secret))).message).toMatch(/revoked/);
      expect(again.adminToken).toBe(h.adminToken);
      expect(again.auth.adminToken.created).toBe(false);
    } finally {
      await again.close();
    }
  });

  it("reject bad create requests with the field named", async () => {
    const admin = await h.connect(h.adminToken);
    const cases: [object, string][] = [
      [{ roles: [] }, "tokenCreate.roles"],
      [{ roles: ["superuser"] }, "tokenCreate.roles"],
      [{ roles: ["viewer"], project: "a/b" }, "tokenCreate.project"],
      [{ roles: ["viewer"], subject: "has space" }, "tokenCreate.subject"],
      [{ roles: ["viewer"], ttlS: 400 * 86_400 }, "tokenCreate.ttlS"],
    ];
    for (const [request, field] of cases) {
      const e = await refusal(admin.call("tokenCreate", request));
      expect(e.code).toBe("INVALID_ARGUMENT");
      expect(e.field).toBe(field);
    }
    await admin.close();
  });

  it("let a project-scoped admin make and see tokens of its own project only", async () => {
    const scoped = await createToken(["admin"], { project: "north" });
    const other = await createToken(["viewer"], { project: "south" });
    const client = await h.connect(scoped.secret);
    const made = await client.call("tokenCreate", { roles: ["viewer"] });
    expect(made.tokenCreated!.token!.project).toBe("north");
    expect((await refusal(client.call("tokenCreate", { roles: ["viewer"], project: "south" }))).code).toBe("PERMISSION_DENIED");
    const listed = (await client.call("tokenList", {})).tokenListReply!.tokens!;
    expect(listed.every((t) => t.project === "north")).toBe(true);
    expect((await refusal(client.call("tokenRevoke", { tokenId: other.id }))).code).toBe("NOT_FOUND");
    await client.close();
  });
});

describe("parseTtl", () => {
  it("reads days, hours, minutes and seconds", () => {
    expect(parseTtl("30d")).toBe(30 * 86_400_000);
    expect(parseTtl("12h")).toBe(12 * 3_600_000);
    expect(parseTtl("15m")).toBe(900_000);
    expect(parseTtl("90")).toBe(90_000);
  });

  it("refuses anything else with the flag named", () => {
    for (const bad of ["", "0d", "1w", "-3h", "1.5h", "d"]) expect(() => parseTtl(bad, "ttl")).toThrow(/ttl must be a duration/);
  });
});

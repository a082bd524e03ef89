import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EnsoulError } from "../../lib/errors.js";
import { sqliteFileFor } from "../data/index.js";
import { auditEntryHash } from "./audit.js";
import { startAuthHarness, type AuthHarness } from "./auth.testkit.js";

let h: AuthHarness;

beforeEach(async () => {
  h = await startAuthHarness();
});

afterEach(async () => {
  await h.close();
});

interface Entry {
  seq: number;
  kind: string;
  subject: string;
  outcome: string;
  detail: Record<string, unknown>;
}

/** The log as stored, read through a second connection (as someone with the file would). */
function entries(): Entry[] {
  const db = new Database(sqliteFileFor(h.dataDir), { readonly: true });
  try {
    return (db.prepare("SELECT * FROM auth_audit ORDER BY seq").all() as Record<string, unknown>[]).map((r) => ({
      seq: Number(r["seq"]),
      kind: String(r["kind"]),
      subject: String(r["subject"]),
      outcome: String(r["outcome"]),
      detail: JSON.parse(String(r["detail"])) as Record<string, unknown>,
    }));
  } finally {
    db.close();
  }
}

function tamper(sql: string, ...params: unknown[]): void {
  const db = new Database(sqliteFileFor(h.dataDir));
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

/** Some history: a login, a denial, a token made and revoked, a refused login. */
async function makeHistory(): Promise<void> {
  const admin = await h.connect(h.adminToken);
  const made = await admin.call("tokenCreate", { roles: ["viewer"], subject: "vic" });
  const viewer = await h.connect(made.tokenCreated!.secret!);
  await viewer.call("tokenList", {}).catch((e: EnsoulError) => e);
  await admin.call("tokenRevoke", { tokenId: made.tokenCreated!.token!.tokenId! });
  await h.connect("ens_not-a-token").catch((e: EnsoulError) => e);
  await viewer.close();
  await admin.close();
}

describe("the audit log", () => {
  it("records authentications, refusals and token changes, never a secret", async () => {
    await makeHistory();
    const log = entries();
    const summary = log.map((e) => `${e.kind} ${e.subject} ${e.outcome}`);
    expect(summary).toEqual([
      "token.create first-run ok",
      "auth.authenticate admin ok",
      "token.create admin ok",
      "auth.authenticate vic ok",
      "auth.deny vic denied",
      "token.revoke admin ok",
      "auth.authenticate anonymous denied",
    ]);
    expect(log[4]!.detail).toMatchObject({ method: "auth/tokenList", code: "PERMISSION_DENIED" });
    const text = JSON.stringify(log);
    expect(text).not.toContain(h.adminToken);
    expect(text).not.toMatch(/ens_[\w-]{43}/);
  });

  it("verifies an untouched chain over the protocol", async () => {
    await makeHistory();
    const admin = await h.connect(h.adminToken);
    const report = (await admin.call("auditVerify", {})).auditReport!;
    expect(report.ok).toBe(true);
    expect(Number(report.entries)).toBe(entries().length);
    expect(report.headHash).toMatch(/^[0-9a-f]{64}$/);
    await admin.close();
  });

  it("names an entry whose contents were changed", async () => {
    await makeHistory();
    tamper("UPDATE auth_audit SET outcome = 'ok' WHERE seq = 5");
    const report = await h.auth.audit.verify();
    expect(report).toMatchObject({ ok: false, badSeq: 5 });
    expect(report.problem).toMatch(/entry 5 was changed/);
  });

  it("names an entry that was rewritten with a fresh hash, by the next entry's link", async () => {
    await makeHistory();
    const db = new Database(sqliteFileFor(h.dataDir));
    const row = db.prepare("SELECT * FROM auth_audit WHERE seq = 3").get() as Record<string, unknown>;
    const forged = { seq: 3, atMs: Number(row["at_ms"]), kind: "token.create", subject: "someone-else", outcome: "ok", detail: String(row["detail"]), prevHash: String(row["prev_hash"]) };
    db.prepare("UPDATE auth_audit SET subject = ?, hash = ? WHERE seq = 3").run(forged.subject, auditEntryHash(forged));
    db.close();
    const report = await h.auth.audit.verify();
    expect(report).toMatchObject({ ok: false, badSeq: 3 });
    expect(report.problem).toMatch(/entry 3 was changed or replaced: entry 4 holds the hash of a different entry/);
  });

  it("names an entry removed from the middle", async () => {
    await makeHistory();
    tamper("DELETE FROM auth_audit WHERE seq = 4");
    const report = await h.auth.audit.verify();
    expect(report).toMatchObject({ ok: false, badSeq: 4 });
    expect(report.problem).toMatch(/entry 4 is missing/);
  });

  it("names entries cut off the end", async () => {
    await makeHistory();
    const last = entries().length;
    tamper("DELETE FROM auth_audit WHERE seq >= ?", last - 1);
    const report = await h.auth.audit.verify();
    expect(report).toMatchObject({ ok: false, badSeq: last - 1 });
    expect(report.problem).toMatch(new RegExp(`entries ${last - 1}–${last} are missing from the end`));
  });

  it("keeps one chain across a restart", async () => {
    await makeHistory();
    const again = await startAuthHarness({ dataDir: h.dataDir });
    try {
      const admin = await again.connect(again.adminToken);
      await admin.close();
      expect((await again.auth.audit.verify()).ok).toBe(true);
    } finally {
      await again.close();
    }
  });

  it("takes entries from other services through the sink, in order", async () => {
    await Promise.all([1, 2, 3, 4, 5].map((n) => h.auth.audit.record({ kind: "secret.get", subject: "sidecar", outcome: "ok", detail: { path: `p${n}` } })));
    const tail = entries().slice(-5);
    expect(tail.map((e) => e.kind)).toEqual(Array(5).fill("secret.get"));
    expect((await h.auth.audit.verify()).ok).toBe(true);
  });
});

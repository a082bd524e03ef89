/**
 * The AuthStore over the data service: the auth service's own tables (made by its migrations)
 * in the embedded SQLite file or on PostgreSQL in server mode, through SQL both dialects
 * accept, so every replica shares tokens, enrolments, the signing key and one audit chain.
 */
import type { Role } from "../../gateway/methods.js";
import type { DataStore, Migration, SqlRow } from "../data/index.js";
import { GENESIS_HASH, type AuditHead, type AuditRow, type AuthStore, type MfaRecord, type StoredToken } from "./store.js";

const TABLES = `
CREATE TABLE auth_tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL,
  roles TEXT NOT NULL,
  project TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE auth_mfa (
  subject TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  confirmed_at_ms BIGINT NOT NULL,
  last_step BIGINT NOT NULL
);
CREATE TABLE auth_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE auth_audit (
  seq BIGINT PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE auth_audit_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL);
INSERT INTO auth_audit_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}')`;

/**
 * auth_audit_head holds the newest entry, written in the same transaction as it: cutting
 * entries off the end of the log leaves it pointing past the last row. Appenders lock it, so
 * replicas appending at once take turns instead of forking the chain.
 */
export const AUTH_MIGRATIONS: readonly Migration[] = [{ version: 1, description: "API tokens, TOTP enrolments, settings, audit log", up: TABLES }];

// PostgreSQL hands BIGINT back as a string; SQLite as a number.
const int = (v: unknown): number => Number(v);

const tokenFromRow = (r: SqlRow): StoredToken => ({
  id: String(r["id"]),
  hash: String(r["hash"]),
  subject: String(r["subject"]),
  roles: JSON.parse(String(r["roles"])) as Role[],
  project: String(r["project"]),
  createdAtMs: int(r["created_at_ms"]),
  expiresAtMs: int(r["expires_at_ms"]),
  revokedAtMs: int(r["revoked_at_ms"]),
  createdBy: String(r["created_by"]),
});

const auditFromRow = (r: SqlRow): AuditRow => ({
  seq: int(r["seq"]),
  atMs: int(r["at_ms"]),
  kind: String(r["kind"]),
  subject: String(r["subject"]),
  outcome: String(r["outcome"]),
  detail: String(r["detail"]),
  prevHash: String(r["prev_hash"]),
  hash: String(r["hash"]),
});

const headFromRow = (r: SqlRow | undefined): AuditHead => (r ? { seq: int(r["seq"]), hash: String(r["hash"]) } : { seq: 0, hash: GENESIS_HASH });

/** Applies the auth service's migrations and returns its store over `data` (app/ closes `data`). */
export async function openDataAuthStore(data: DataStore): Promise<AuthStore> {
  await data.migrate("auth", AUTH_MIGRATIONS);
  const sql = data.sql;
  // SQLite's transactions are already exclusive (BEGIN IMMEDIATE); PostgreSQL needs the row lock.
  const lockHead = data.kind === "postgres" ? " FOR UPDATE" : "";
  const tokenWhere = async (where: string, params: unknown[]): Promise<StoredToken | undefined> => {
    const rows = await sql.query(`SELECT * FROM auth_tokens WHERE ${where}`, params);
    return rows[0] ? tokenFromRow(rows[0]) : undefined;
  };
  const mfa = async (subject: string): Promise<MfaRecord | undefined> => {
    const r = (await sql.query("SELECT * FROM auth_mfa WHERE subject = ?", [subject]))[0];
    return r && { subject: String(r["subject"]), secret: String(r["secret"]), confirmedAtMs: int(r["confirmed_at_ms"]), lastStep: int(r["last_step"]) };
  };
  const setting = async (name: string): Promise<string | undefined> => {
    const r = (await sql.query("SELECT value FROM auth_settings WHERE name = ?", [name]))[0];
    return r ? String(r["value"]) : undefined;
  };

  return {
    async insertToken(t) {
      await sql.execute(
        `INSERT INTO auth_tokens (id, hash, subject, roles, project, created_at_ms, expires_at_ms, revoked_at_ms, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [t.id, t.hash, t.subject, JSON.stringify(t.roles), t.project, t.createdAtMs, t.expiresAtMs, t.revokedAtMs, t.createdBy],
      );
    },
    tokenByHash: (hash) => tokenWhere("hash = ?", [hash]),
    tokenById: (id) => tokenWhere("id = ?", [id]),
    async listTokens(includeRevoked) {
      const where = includeRevoked ? "" : "WHERE revoked_at_ms = 0 ";
      return (await sql.query(`SELECT * FROM auth_tokens ${where}ORDER BY created_at_ms, id`)).map(tokenFromRow);
    },
    async countTokens() {
      return int((await sql.query("SELECT count(*) AS n FROM auth_tokens"))[0]!["n"]);
    },
    async revokeToken(id, atMs) {
      return (await sql.execute("UPDATE auth_tokens SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms = 0", [atMs, id])) === 1;
    },
    async revokedTokenIds(nowMs) {
      const rows = await sql.query("SELECT id FROM auth_tokens WHERE revoked_at_ms > 0 AND (expires_at_ms = 0 OR expires_at_ms > ?)", [nowMs]);
      return rows.map((r) => String(r["id"]));
    },
    mfa,
    async putMfa(m) {
      await sql.execute(
        `INSERT INTO auth_mfa (subject, secret, confirmed_at_ms, last_step) VALUES (?, ?, ?, ?)
         ON CONFLICT (subject) DO UPDATE SET secret = excluded.secret, confirmed_at_ms = excluded.confirmed_at_ms, last_step = excluded.last_step`,
        [m.subject, m.secret, m.confirmedAtMs, m.lastStep],
      );
    },
    async anyConfirmedMfa() {
      return (await sql.query("SELECT 1 AS one FROM auth_mfa WHERE confirmed_at_ms > 0 LIMIT 1")).length > 0;
    },
    async advanceMfaStep(subject, step) {
      return (await sql.execute("UPDATE auth_mfa SET last_step = ? WHERE subject = ? AND last_step < ?", [step, subject, step])) === 1;
    },
    async mfaSecrets() {
      return (await sql.query("SELECT subject, secret FROM auth_mfa ORDER BY subject")).map((r) => ({ subject: String(r["subject"]), secret: String(r["secret"]) }));
    },
    async replaceMfaSecret(subject, from, to) {
      return (await sql.execute("UPDATE auth_mfa SET secret = ? WHERE subject = ? AND secret = ?", [to, subject, from])) === 1;
    },
    async replaceSetting(name, from, to) {
      return (await sql.execute("UPDATE auth_settings SET value = ? WHERE name = ? AND value = ?", [to, name, from])) === 1;
    },
    setting,
    async putSettingOnce(name, value) {
      await sql.execute("INSERT INTO auth_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [name, value]);
      return (await setting(name))!;
    },
    async appendAudit(build) {
      return data.transaction(async (tx) => {
        const head = headFromRow((await tx.sql.query(`SELECT seq, hash FROM auth_audit_head WHERE id = 1${lockHead}`))[0]);
        const row = build(head);
        await tx.sql.execute(
          "INSERT INTO auth_audit (seq, at_ms, kind, subject, outcome, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          [row.seq, row.atMs, row.kind, row.subject, row.outcome, row.detail, row.prevHash, row.hash],
        );
        await tx.sql.execute("UPDATE auth_audit_head SET seq = ?, hash = ? WHERE id = 1", [row.seq, row.hash]);
        return row;
      });
    },
    async auditEntries(afterSeq, limit) {
      return (await sql.query("SELECT * FROM auth_audit WHERE seq > ? ORDER BY seq LIMIT ?", [afterSeq, limit])).map(auditFromRow);
    },
    async auditHead() {
      return headFromRow((await sql.query("SELECT seq, hash FROM auth_audit_head WHERE id = 1"))[0]);
    },
    // The data store belongs to whoever opened it.
    async close() {},
  };
}

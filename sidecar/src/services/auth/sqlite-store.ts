/**
 * The embedded-mode AuthStore: one better-sqlite3 file, `<dataDir>/auth.db` (mode 0600), in WAL
 * mode. Calls are synchronous underneath; the interface is async so a server-mode store on the
 * data service fits the same shape.
 */
import Database from "better-sqlite3";
import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Role } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import { dataDirError } from "./bootstrap.js";
import { GENESIS_HASH, type AuditHead, type AuditRow, type AuthStore, type MfaRecord, type StoredToken } from "./store.js";

export const AUTH_DB_FILE = "auth.db";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL,
  roles TEXT NOT NULL,
  project TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mfa (
  subject TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  confirmed_at_ms INTEGER NOT NULL,
  last_step INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
-- The newest entry, written in the same transaction as it: cutting entries off the end of
-- the log leaves this pointing past the last row.
CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
`;

interface TokenRow {
  id: string;
  hash: string;
  subject: string;
  roles: string;
  project: string;
  created_at_ms: number;
  expires_at_ms: number;
  revoked_at_ms: number;
  created_by: string;
}

const tokenFromRow = (r: TokenRow): StoredToken => ({
  id: r.id,
  hash: r.hash,
  subject: r.subject,
  roles: JSON.parse(r.roles) as Role[],
  project: r.project,
  createdAtMs: r.created_at_ms,
  expiresAtMs: r.expires_at_ms,
  revokedAtMs: r.revoked_at_ms,
  createdBy: r.created_by,
});

interface AuditDbRow {
  seq: number;
  at_ms: number;
  kind: string;
  subject: string;
  outcome: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

const auditFromRow = (r: AuditDbRow): AuditRow => ({
  seq: r.seq,
  atMs: r.at_ms,
  kind: r.kind,
  subject: r.subject,
  outcome: r.outcome,
  detail: r.detail,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** Opens (creating if needed) the auth database in the data dir. */
export function openSqliteAuthStore(dataDir: string): AuthStore {
  const file = path.join(dataDir, AUTH_DB_FILE);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw dataDirError(dataDir, err);
  }
  let db: Database.Database;
  try {
    db = new Database(file);
    chmodSync(file, 0o600);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA);
  } catch (err) {
    throw new EnsoulError("FAILED_PRECONDITION", `cannot open the auth database ${file}: ${(err as Error).message}`, { field: "data", cause: err });
  }
  return new SqliteAuthStore(db);
}

class SqliteAuthStore implements AuthStore {
  private readonly q;
  private readonly appendTx;

  constructor(private readonly db: Database.Database) {
    this.q = {
      insertToken: db.prepare(
        `INSERT INTO tokens (id, hash, subject, roles, project, created_at_ms, expires_at_ms, revoked_at_ms, created_by)
         VALUES (@id, @hash, @subject, @roles, @project, @createdAtMs, @expiresAtMs, @revokedAtMs, @createdBy)`,
      ),
      tokenByHash: db.prepare("SELECT * FROM tokens WHERE hash = ?"),
      tokenById: db.prepare("SELECT * FROM tokens WHERE id = ?"),
      listAll: db.prepare("SELECT * FROM tokens ORDER BY created_at_ms, id"),
      listLive: db.prepare("SELECT * FROM tokens WHERE revoked_at_ms = 0 ORDER BY created_at_ms, id"),
      count: db.prepare("SELECT count(*) AS n FROM tokens"),
      revoke: db.prepare("UPDATE tokens SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms = 0"),
      revokedIds: db.prepare("SELECT id FROM tokens WHERE revoked_at_ms > 0 AND (expires_at_ms = 0 OR expires_at_ms > ?)"),
      mfa: db.prepare("SELECT * FROM mfa WHERE subject = ?"),
      putMfa: db.prepare(
        `INSERT INTO mfa (subject, secret, confirmed_at_ms, last_step) VALUES (@subject, @secret, @confirmedAtMs, @lastStep)
         ON CONFLICT (subject) DO UPDATE SET secret = excluded.secret, confirmed_at_ms = excluded.confirmed_at_ms, last_step = excluded.last_step`,
      ),
      anyMfa: db.prepare("SELECT 1 FROM mfa WHERE confirmed_at_ms > 0 LIMIT 1"),
      advanceStep: db.prepare("UPDATE mfa SET last_step = ? WHERE subject = ? AND last_step < ?"),
      setting: db.prepare("SELECT value FROM settings WHERE key = ?"),
      putSettingOnce: db.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"),
      head: db.prepare("SELECT seq, hash FROM audit_head WHERE id = 1"),
      insertAudit: db.prepare(
        `INSERT INTO audit (seq, at_ms, kind, subject, outcome, detail, prev_hash, hash)
         VALUES (@seq, @atMs, @kind, @subject, @outcome, @detail, @prevHash, @hash)`,
      ),
      putHead: db.prepare("INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash"),
      entries: db.prepare("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?"),
    };
    this.appendTx = db.transaction((build: (head: AuditHead) => AuditRow): AuditRow => {
      const row = build(this.headNow());
      this.q.insertAudit.run(row);
      this.q.putHead.run(row.seq, row.hash);
      return row;
    });
  }

  private headNow(): AuditHead {
    const head = this.q.head.get() as AuditHead | undefined;
    return head ?? { seq: 0, hash: GENESIS_HASH };
  }

  async insertToken(token: StoredToken): Promise<void> {
    this.q.insertToken.run({ ...token, roles: JSON.stringify(token.roles) });
  }

  async tokenByHash(hash: string): Promise<StoredToken | undefined> {
    const row = this.q.tokenByHash.get(hash) as TokenRow | undefined;
    return row && tokenFromRow(row);
  }

  async tokenById(id: string): Promise<StoredToken | undefined> {
    const row = this.q.tokenById.get(id) as TokenRow | undefined;
    return row && tokenFromRow(row);
  }

  async listTokens(includeRevoked: boolean): Promise<StoredToken[]> {
    return ((includeRevoked ? this.q.listAll : this.q.listLive).all() as TokenRow[]).map(tokenFromRow);
  }

  async countTokens(): Promise<number> {
    return (this.q.count.get() as { n: number }).n;
  }

  async revokeToken(id: string, atMs: number): Promise<boolean> {
    return this.q.revoke.run(atMs, id).changes === 1;
  }

  async revokedTokenIds(nowMs: number): Promise<string[]> {
    return (this.q.revokedIds.all(nowMs) as { id: string }[]).map((r) => r.id);
  }

  async mfa(subject: string): Promise<MfaRecord | undefined> {
    const row = this.q.mfa.get(subject) as { subject: string; secret: string; confirmed_at_ms: number; last_step: number } | undefined;
    return row && { subject: row.subject, secret: row.secret, confirmedAtMs: row.confirmed_at_ms, lastStep: row.last_step };
  }

  async putMfa(record: MfaRecord): Promise<void> {
    this.q.putMfa.run(record);
  }

  async anyConfirmedMfa(): Promise<boolean> {
    return this.q.anyMfa.get() !== undefined;
  }

  async advanceMfaStep(subject: string, step: number): Promise<boolean> {
    return this.q.advanceStep.run(step, subject, step).changes === 1;
  }

  async setting(key: string): Promise<string | undefined> {
    return (this.q.setting.get(key) as { value: string } | undefined)?.value;
  }

  async putSettingOnce(key: string, value: string): Promise<string> {
    this.q.putSettingOnce.run(key, value);
    return (this.q.setting.get(key) as { value: string }).value;
  }

  async appendAudit(build: (head: AuditHead) => AuditRow): Promise<AuditRow> {
    return this.appendTx(build);
  }

  async auditEntries(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return (this.q.entries.all(afterSeq, limit) as AuditDbRow[]).map(auditFromRow);
  }

  async auditHead(): Promise<AuditHead> {
    return this.headNow();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/**
 * The embedded SecurityStore: one better-sqlite3 file in the data dir (WAL mode, so a reader
 * never waits for a writer). Every multi-row change runs in one transaction.
 */
import Database from "better-sqlite3";
import { EnsoulError } from "../../lib/errors.js";
import type { NewSecretRow, SecretRow, SecurityStore, WrappedKeyRow } from "./store.js";

export const SECURITY_DB_FILE = "security.db";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS security_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS security_keys (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  wrapped BLOB NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS security_secrets (
  path TEXT NOT NULL,
  version INTEGER NOT NULL,
  sealed BLOB,
  key_version INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  lease_id TEXT UNIQUE,
  expires_at_ms INTEGER,
  revoked_at_ms INTEGER,
  PRIMARY KEY (path, version)
);
`;

interface KeyRecord {
  name: string;
  version: number;
  wrapped: Buffer;
  created_at_ms: number;
}

interface SecretRecord {
  path: string;
  version: number;
  sealed: Buffer | null;
  key_version: number;
  created_at_ms: number;
  lease_id: string | null;
  expires_at_ms: number | null;
  revoked_at_ms: number | null;
}

const keyRow = (r: KeyRecord): WrappedKeyRow => ({ name: r.name, version: r.version, wrapped: r.wrapped, createdAtMs: r.created_at_ms });

const secretRow = (r: SecretRecord): SecretRow => ({
  path: r.path,
  version: r.version,
  sealed: r.sealed,
  keyVersion: r.key_version,
  createdAtMs: r.created_at_ms,
  leaseId: r.lease_id,
  expiresAtMs: r.expires_at_ms,
  revokedAtMs: r.revoked_at_ms,
});

/** LIKE pattern for "starts with prefix", with the wildcards in the prefix escaped. */
const startsWith = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function openSqliteSecurityStore(file: string): SecurityStore {
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    // Overwrite freed pages: a revoked secret's sealed bytes do not linger in the file.
    db.pragma("secure_delete = ON");
    db.exec(SCHEMA);
  } catch (err) {
    throw new EnsoulError("FAILED_PRECONDITION", `cannot open the keystore database ${file}: ${(err as Error).message}`, {
      field: "data",
      cause: err,
    });
  }
  const q = {
    meta: db.prepare<[string], { value: string }>("SELECT value FROM security_meta WHERE name = ?"),
    claimMeta: db.prepare("INSERT OR IGNORE INTO security_meta (name, value) VALUES (?, ?)"),
    swapMeta: db.prepare("UPDATE security_meta SET value = ? WHERE name = ? AND value = ?"),
    keyVersions: db.prepare<[string], KeyRecord>("SELECT * FROM security_keys WHERE name = ? ORDER BY version"),
    allKeys: db.prepare<[], KeyRecord>("SELECT * FROM security_keys"),
    keyNames: db.prepare<[string], { name: string }>(
      "SELECT DISTINCT name FROM security_keys WHERE name LIKE ? ESCAPE '\\' ORDER BY name",
    ),
    addKey: db.prepare("INSERT OR IGNORE INTO security_keys (name, version, wrapped, created_at_ms) VALUES (?, ?, ?, ?)"),
    setWrapped: db.prepare("UPDATE security_keys SET wrapped = ? WHERE name = ? AND version = ?"),
    latestSecret: db.prepare<[string], SecretRecord>("SELECT * FROM security_secrets WHERE path = ? ORDER BY version DESC LIMIT 1"),
    secret: db.prepare<[string, number], SecretRecord>("SELECT * FROM security_secrets WHERE path = ? AND version = ?"),
    secretByLease: db.prepare<[string], SecretRecord>("SELECT * FROM security_secrets WHERE lease_id = ?"),
    secretPaths: db.prepare<[string, number], { path: string }>(
      "SELECT DISTINCT path FROM security_secrets WHERE path LIKE ? ESCAPE '\\' ORDER BY path LIMIT ?",
    ),
    insertSecret: db.prepare(
      `INSERT INTO security_secrets (path, version, sealed, key_version, created_at_ms, lease_id, expires_at_ms, revoked_at_ms)
       VALUES (@path, @version, @sealed, @keyVersion, @createdAtMs, @leaseId, @expiresAtMs, @revokedAtMs)`,
    ),
    extendLease: db.prepare("UPDATE security_secrets SET expires_at_ms = ? WHERE lease_id = ?"),
    revokeLease: db.prepare("UPDATE security_secrets SET revoked_at_ms = ?, sealed = NULL WHERE lease_id = ?"),
  };
  const MASTER = "master_key_id";

  const rewrapAll = db.transaction((fromId: string, toId: string, rewrap: (row: WrappedKeyRow) => Buffer): boolean => {
    if (q.swapMeta.run(toId, MASTER, fromId).changes !== 1) return false;
    for (const record of q.allKeys.all()) {
      q.setWrapped.run(rewrap(keyRow(record)), record.name, record.version);
    }
    return true;
  });
  const appendSecret = db.transaction((path: string, make: (version: number, latest: SecretRow | undefined) => NewSecretRow) => {
    const latestRecord = q.latestSecret.get(path);
    const latest = latestRecord ? secretRow(latestRecord) : undefined;
    const version = (latest?.version ?? 0) + 1;
    q.insertSecret.run({ path, version, ...make(version, latest) });
    return version;
  });

  return {
    async masterKeyId() {
      return q.meta.get(MASTER)?.value;
    },
    async claimMasterKeyId(id) {
      q.claimMeta.run(MASTER, id);
      return q.meta.get(MASTER)!.value;
    },
    async keyVersions(name) {
      return q.keyVersions.all(name).map(keyRow);
    },
    async keyNames(prefix) {
      return q.keyNames.all(startsWith(prefix)).map((r) => r.name);
    },
    async addKeyVersion(row) {
      return q.addKey.run(row.name, row.version, row.wrapped, row.createdAtMs).changes === 1;
    },
    async rewrapAll(fromId, toId, rewrap) {
      return rewrapAll(fromId, toId, rewrap);
    },
    async appendSecret(path, make) {
      return appendSecret(path, make);
    },
    async secret(path, version) {
      const record = version === undefined ? q.latestSecret.get(path) : q.secret.get(path, version);
      return record ? secretRow(record) : undefined;
    },
    async secretByLease(leaseId) {
      const record = q.secretByLease.get(leaseId);
      return record ? secretRow(record) : undefined;
    },
    async secretPaths(prefix, limit) {
      return q.secretPaths.all(startsWith(prefix), limit).map((r) => r.path);
    },
    async updateLease(leaseId, change) {
      if ("revokedAtMs" in change) q.revokeLease.run(change.revokedAtMs, leaseId);
      else q.extendLease.run(change.expiresAtMs, leaseId);
    },
    async close() {
      db.close();
    },
  };
}

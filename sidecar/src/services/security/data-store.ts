/**
 * The SecurityStore over the data service: the security service's own tables (made by its
 * migrations), in the embedded SQLite file or on PostgreSQL in server mode, through plain SQL
 * both dialects accept. Every multi-row change runs in one data-service transaction.
 */
import { EnsoulError } from "../../lib/errors.js";
import type { DataStore, Migration, SqlAccess, SqlRow } from "../data/index.js";
import type { NewSecretRow, SecretRow, SecurityStore, WrappedKeyRow } from "./store.js";

const bytes = (dialect: "sqlite" | "postgres"): string => (dialect === "sqlite" ? "BLOB" : "BYTEA");
const tables = (dialect: "sqlite" | "postgres"): string => `
CREATE TABLE security_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE security_keys (
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  wrapped ${bytes(dialect)} NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE TABLE security_secrets (
  path TEXT NOT NULL,
  version BIGINT NOT NULL,
  sealed ${bytes(dialect)},
  key_version BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  lease_id TEXT UNIQUE,
  expires_at_ms BIGINT,
  revoked_at_ms BIGINT,
  PRIMARY KEY (path, version)
)`;

export const SECURITY_MIGRATIONS: readonly Migration[] = [
  { version: 1, description: "keystore keys and secrets", up: { sqlite: tables("sqlite"), postgres: tables("postgres") } },
];

const MASTER = "master_key_id";
/** Appends race on the next version number (another replica); this many tries, then give up. */
const APPEND_TRIES = 8;

// PostgreSQL hands BIGINT back as a string; SQLite as a number.
const int = (v: unknown): number => Number(v);
const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const buffer = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v as Uint8Array));

const keyRow = (r: SqlRow): WrappedKeyRow => ({
  name: String(r["name"]),
  version: int(r["version"]),
  wrapped: buffer(r["wrapped"]),
  createdAtMs: int(r["created_at_ms"]),
});

const secretRow = (r: SqlRow): SecretRow => ({
  path: String(r["path"]),
  version: int(r["version"]),
  sealed: r["sealed"] === null ? null : buffer(r["sealed"]),
  keyVersion: int(r["key_version"]),
  createdAtMs: int(r["created_at_ms"]),
  leaseId: r["lease_id"] === null ? null : String(r["lease_id"]),
  expiresAtMs: intOrNull(r["expires_at_ms"]),
  revokedAtMs: intOrNull(r["revoked_at_ms"]),
});

/** "starts with" without LIKE, whose case rules and wildcards differ between the dialects. */
const STARTS_WITH = (column: string): string => `substr(${column}, 1, ?) = ?`;

async function latestSecret(sql: SqlAccess, path: string): Promise<SecretRow | undefined> {
  const rows = await sql.query("SELECT * FROM security_secrets WHERE path = ? ORDER BY version DESC LIMIT 1", [path]);
  return rows[0] ? secretRow(rows[0]) : undefined;
}

/** Applies the security service's migrations and returns its store over `data`. */
export async function openDataSecurityStore(data: DataStore): Promise<SecurityStore> {
  await data.migrate("security", SECURITY_MIGRATIONS);
  const sql = data.sql;
  const masterKeyId = async (): Promise<string | undefined> => {
    const rows = await sql.query("SELECT value FROM security_meta WHERE name = ?", [MASTER]);
    return rows[0] ? String(rows[0]["value"]) : undefined;
  };

  return {
    masterKeyId,
    async claimMasterKeyId(id) {
      await sql.execute("INSERT INTO security_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [MASTER, id]);
      return (await masterKeyId())!;
    },
    async keyVersions(name) {
      return (await sql.query("SELECT * FROM security_keys WHERE name = ? ORDER BY version", [name])).map(keyRow);
    },
    async keyNames(prefix) {
      const rows = await sql.query(`SELECT DISTINCT name FROM security_keys WHERE ${STARTS_WITH("name")} ORDER BY name`, [prefix.length, prefix]);
      return rows.map((r) => String(r["name"]));
    },
    async addKeyVersion(row, wrappedWith) {
      // One statement, so a master key rotation cannot slip between the check and the insert.
      const added = await sql.execute(
        `INSERT INTO security_keys (name, version, wrapped, created_at_ms)
         SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM security_meta WHERE name = ? AND value = ?)
         ON CONFLICT (name, version) DO NOTHING`,
        [row.name, row.version, row.wrapped, row.createdAtMs, MASTER, wrappedWith],
      );
      if (added === 1) return "added";
      return (await masterKeyId()) === wrappedWith ? "exists" : "master-changed";
    },
    async rewrapAll(fromId, toId, rewrap) {
      return data.transaction(async (tx) => {
        const swapped = await tx.sql.execute("UPDATE security_meta SET value = ? WHERE name = ? AND value = ?", [toId, MASTER, fromId]);
        if (swapped !== 1) return false;
        for (const row of (await tx.sql.query("SELECT * FROM security_keys")).map(keyRow)) {
          await tx.sql.execute("UPDATE security_keys SET wrapped = ? WHERE name = ? AND version = ?", [rewrap(row), row.name, row.version]);
        }
        return true;
      }).then(async (done) => {
        // Embedded: the re-wrap must be on disk before master.key.next replaces master.key.
        if (done && sql.dialect === "sqlite") await sql.query("PRAGMA wal_checkpoint(FULL)");
        return done;
      });
    },
    async appendSecret(path, make) {
      for (let attempt = 1; ; attempt++) {
        const version = await data.transaction(async (tx) => {
          const latest = await latestSecret(tx.sql, path);
          const next = (latest?.version ?? 0) + 1;
          const row: NewSecretRow = make(next, latest);
          const inserted = await tx.sql.execute(
            `INSERT INTO security_secrets (path, version, sealed, key_version, created_at_ms, lease_id, expires_at_ms, revoked_at_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path, version) DO NOTHING`,
            [path, next, row.sealed, row.keyVersion, row.createdAtMs, row.leaseId, row.expiresAtMs, row.revokedAtMs],
          );
          return inserted === 1 ? next : undefined;
        });
        if (version !== undefined) return version;
        if (attempt === APPEND_TRIES) {
          throw new EnsoulError("UNAVAILABLE", `secret "${path}" is being written by others: ${APPEND_TRIES} times in a row they took the next version first; try again`);
        }
      }
    },
    async secret(path, version) {
      if (version === undefined) return latestSecret(sql, path);
      const rows = await sql.query("SELECT * FROM security_secrets WHERE path = ? AND version = ?", [path, version]);
      return rows[0] ? secretRow(rows[0]) : undefined;
    },
    async secretByLease(leaseId) {
      const rows = await sql.query("SELECT * FROM security_secrets WHERE lease_id = ?", [leaseId]);
      return rows[0] ? secretRow(rows[0]) : undefined;
    },
    async secretPaths(prefix, limit) {
      const rows = await sql.query(`SELECT DISTINCT path FROM security_secrets WHERE ${STARTS_WITH("path")} ORDER BY path LIMIT ?`, [
        prefix.length,
        prefix,
        limit,
      ]);
      return rows.map((r) => String(r["path"]));
    },
    async updateLease(leaseId, change) {
      if (!("revokedAtMs" in change)) {
        await sql.execute("UPDATE security_secrets SET expires_at_ms = ? WHERE lease_id = ?", [change.expiresAtMs, leaseId]);
        return;
      }
      await data.transaction(async (tx) => {
        // Zeros over the sealed bytes first, so the page written keeps no copy of them.
        const rows = await tx.sql.query("SELECT sealed FROM security_secrets WHERE lease_id = ?", [leaseId]);
        const sealed = rows[0]?.["sealed"];
        if (sealed) await tx.sql.execute("UPDATE security_secrets SET sealed = ? WHERE lease_id = ?", [Buffer.alloc(buffer(sealed).length), leaseId]);
        await tx.sql.execute("UPDATE security_secrets SET sealed = NULL, revoked_at_ms = ? WHERE lease_id = ?", [change.revokedAtMs, leaseId]);
      });
    },
    // The data store belongs to app/, which closes it.
    async close() {},
  };
}

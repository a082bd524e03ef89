/**
 * What the security service keeps, behind one small interface: wrapped data keys and sealed
 * secret versions. Nothing here is ever plaintext; the store sees only sealed bytes. The
 * adapter is `data-store.ts`, over the data service (SQLite embedded, PostgreSQL in server mode);
 * another backend (OpenBao's storage, say) implements the same interface in one file.
 */

/** One version of a named data key, wrapped (sealed) by the master key. */
export interface WrappedKeyRow {
  name: string;
  version: number;
  wrapped: Buffer;
  createdAtMs: number;
}

/** One version of a secret: its key/value data sealed by a version of the "secrets" data key. */
export interface SecretRow {
  path: string;
  version: number;
  /** Null once the version's lease was revoked (revoking destroys the data). */
  sealed: Buffer | null;
  /** The version of the data key that sealed it. */
  keyVersion: number;
  createdAtMs: number;
  /** Set when the version was written with a time to live. */
  leaseId: string | null;
  expiresAtMs: number | null;
  revokedAtMs: number | null;
}

export type NewSecretRow = Omit<SecretRow, "path" | "version">;

export interface SecurityStore {
  /** The id of the master key every data key is wrapped with; undefined for a new keystore. */
  masterKeyId(): Promise<string | undefined>;
  /**
   * Claims a new keystore for a master key: sets its id when none is set yet. Resolves with the
   * id the keystore has afterwards (another replica may have claimed it first).
   */
  claimMasterKeyId(id: string): Promise<string>;
  /** Every version of a named key, oldest first (empty when the key does not exist). */
  keyVersions(name: string): Promise<WrappedKeyRow[]>;
  /** Names of the keys that start with `prefix`, sorted. */
  keyNames(prefix: string): Promise<string[]>;
  /**
   * Adds a key version wrapped with master key `masterKeyId`, only while the keystore is still
   * wrapped with that key. "exists": that version was added first by someone else (a concurrent
   * rotation); "master-changed": the master key was rotated meanwhile, nothing was added.
   */
  addKeyVersion(row: WrappedKeyRow, masterKeyId: string): Promise<"added" | "exists" | "master-changed">;
  /**
   * Re-wraps every data key in one transaction: replaces each row's wrapped bytes with
   * `rewrap(row)` and the master key id `fromId` with `toId`. Resolves false, changing nothing,
   * when the keystore's id is no longer `fromId` (another replica did it).
   */
  rewrapAll(fromId: string, toId: string, rewrap: (row: WrappedKeyRow) => Buffer): Promise<boolean>;

  /**
   * Appends the next version of a secret: `make(version)` builds the row (it may throw, e.g. on
   * a check-and-set mismatch, and nothing is written). Resolves with the new version.
   */
  appendSecret(path: string, make: (version: number, latest: SecretRow | undefined) => NewSecretRow): Promise<number>;
  /** A version of a secret, or its latest version when `version` is undefined. */
  secret(path: string, version?: number): Promise<SecretRow | undefined>;
  secretByLease(leaseId: string): Promise<SecretRow | undefined>;
  /** Paths of the secrets that start with `prefix`, sorted; at most `limit`. */
  secretPaths(prefix: string, limit: number): Promise<string[]>;
  /** Updates a lease's end; `revokedAtMs` also destroys the sealed data. */
  updateLease(leaseId: string, change: { expiresAtMs: number } | { revokedAtMs: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the auth service keeps, behind one small interface: API tokens (by hash), TOTP
 * enrolments, the signing key of its access tokens and the hash-chained audit log. Embedded
 * mode keeps them in a better-sqlite3 file (sqlite-store.ts); server mode puts the same
 * interface on the data service so that every replica shares them.
 */
import type { Role } from "../../gateway/methods.js";

export interface StoredToken {
  id: string;
  /** SHA-256 hex of the bearer secret; the secret itself is never stored. */
  hash: string;
  subject: string;
  roles: Role[];
  /** Empty: every project. */
  project: string;
  createdAtMs: number;
  /** 0: never. */
  expiresAtMs: number;
  /** 0: not revoked. */
  revokedAtMs: number;
  createdBy: string;
}

export interface MfaRecord {
  subject: string;
  /** Base32 TOTP secret. */
  secret: string;
  /** 0 until a first code confirms the enrolment. */
  confirmedAtMs: number;
  /** The last TOTP time step a code was accepted for: a code works once. */
  lastStep: number;
}

/** One audit entry as stored: `hash` is SHA-256 over `prevHash` and the entry's other fields. */
export interface AuditRow {
  seq: number;
  atMs: number;
  kind: string;
  subject: string;
  outcome: string;
  /** JSON object text. */
  detail: string;
  prevHash: string;
  hash: string;
}

/** The newest entry's seq and hash; the chain starts from seq 0 and GENESIS_HASH. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuthStore {
  insertToken(token: StoredToken): Promise<void>;
  tokenByHash(hash: string): Promise<StoredToken | undefined>;
  tokenById(id: string): Promise<StoredToken | undefined>;
  listTokens(includeRevoked: boolean): Promise<StoredToken[]>;
  countTokens(): Promise<number>;
  /** Marks a token revoked; false when it was not found or already revoked. */
  revokeToken(id: string, atMs: number): Promise<boolean>;
  /** Ids of revoked tokens that have not expired yet (what a replica must refuse). */
  revokedTokenIds(nowMs: number): Promise<string[]>;

  mfa(subject: string): Promise<MfaRecord | undefined>;
  putMfa(record: MfaRecord): Promise<void>;
  /** Whether any subject has a confirmed enrolment (then admin token changes need a code). */
  anyConfirmedMfa(): Promise<boolean>;
  /** Stores `lastStep` only if it is greater than the stored one; false if it is not (a replay). */
  advanceMfaStep(subject: string, step: number): Promise<boolean>;
  /** Every enrolment's subject and stored secret (for sealing rows kept in plain text). */
  mfaSecrets(): Promise<{ subject: string; secret: string }[]>;
  /** Replaces a stored secret only if it is still `from`; false if it is not. */
  replaceMfaSecret(subject: string, from: string, to: string): Promise<boolean>;

  /** A named value (e.g. the access-token signing key); `putSettingOnce` keeps an existing one. */
  setting(key: string): Promise<string | undefined>;
  /** Stores the value unless the key exists; returns the value that is stored afterwards. */
  putSettingOnce(key: string, value: string): Promise<string>;
  /** Replaces a setting only if it is still `from`; false if it is not. */
  replaceSetting(key: string, from: string, to: string): Promise<boolean>;

  /**
   * Appends one audit entry atomically: `build` gets the current head and returns the row to
   * insert (its seq must be head.seq + 1), so concurrent writers cannot fork the chain.
   */
  appendAudit(build: (head: AuditHead) => AuditRow): Promise<AuditRow>;
  /** Entries with seq > afterSeq, oldest first, at most `limit`. */
  auditEntries(afterSeq: number, limit: number): Promise<AuditRow[]>;
  auditHead(): Promise<AuditHead>;

  close(): Promise<void>;
}

/** The hash the first entry chains to. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * Versioned key/value secrets (a studio's storage credentials, an API key), sealed at rest with
 * the keystore's "secrets" data key. Every write adds a version; a version written with a time
 * to live carries a lease that can be renewed or revoked, and once the lease has ended the
 * version reads as NOT_FOUND (revoking also destroys the sealed bytes).
 */
import { EnsoulError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { open, seal } from "./aead.js";
import type { Keystore } from "./keystore.js";
import type { SecretRow, SecurityStore } from "./store.js";

export type SecretData = Record<string, string>;

export interface Lease {
  id: string;
  path: string;
  version: number;
  expiresAtMs: number;
  /** 0 while the lease holds. */
  revokedAtMs: number;
}

export interface SecretVersion {
  path: string;
  version: number;
  createdAtMs: number;
  /** Absent for a version written without a time to live. */
  lease?: Lease;
}

export interface Secret extends SecretVersion {
  data: SecretData;
}

export interface PutOptions {
  /** Time to live; the version gets a lease that ends then. Absent: it lives until replaced. */
  ttlMs?: number;
  /** Check-and-set: write only if the latest version is this one (0: only if none exists). */
  expectedVersion?: number;
}

export interface SecretsEngine {
  put(path: string, data: SecretData, options?: PutOptions): Promise<SecretVersion>;
  /** The latest version, or the one asked for; NOT_FOUND when it does not exist or its lease ended. */
  get(path: string, version?: number): Promise<Secret>;
  /** The paths that start with `prefix`, sorted. */
  list(prefix: string, limit?: number): Promise<string[]>;
  /** Moves a live lease's end to `incrementMs` from now. */
  renew(leaseId: string, incrementMs: number): Promise<Lease>;
  /** Ends a lease now and destroys the version's data. */
  revoke(leaseId: string): Promise<Lease>;
}

export const SECRETS_KEY = "secrets";
export const MAX_LEASE_MS = 366 * 24 * 3600_000;
const MAX_ENTRIES = 256;
const MAX_DATA_BYTES = 256 * 1024;
const PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export function checkSecretPath(path: string, field = "path"): void {
  if (path.length === 0 || path.length > 512 || !PATH.test(path) || path.split("/").some((s) => s === "." || s === "..")) {
    throw new EnsoulError(
      "INVALID_ARGUMENT",
      `secret path "${path}" must be up to 512 characters of segments of A-Z a-z 0-9 . _ - joined by "/"`,
      { field },
    );
  }
}

function checkData(data: SecretData): Buffer {
  const entries = Object.entries(data);
  if (entries.length === 0 || entries.length > MAX_ENTRIES) {
    throw new EnsoulError("INVALID_ARGUMENT", `a secret holds 1 to ${MAX_ENTRIES} entries, got ${entries.length}`, { field: "entries" });
  }
  for (const [key, value] of entries) {
    if (key === "" || typeof value !== "string") {
      throw new EnsoulError("INVALID_ARGUMENT", `every entry needs a non-empty key and a string value`, { field: "entries" });
    }
  }
  const json = Buffer.from(JSON.stringify(data));
  if (json.length > MAX_DATA_BYTES) {
    throw new EnsoulError("INVALID_ARGUMENT", `a secret holds at most ${MAX_DATA_BYTES} bytes, got ${json.length}`, { field: "entries" });
  }
  return json;
}

function checkDuration(ms: number, field: string): void {
  if (!Number.isInteger(ms) || ms <= 0 || ms > MAX_LEASE_MS) {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} must be from 1 ms to 366 days, got ${ms} ms`, { field });
  }
}

/** Binds a sealed secret to its path and version: a row moved elsewhere does not open. */
const secretLabel = (path: string, version: number): string => `ensoul/secret/${path}/v${version}`;

function leaseOf(row: SecretRow): Lease | undefined {
  if (row.leaseId === null || row.expiresAtMs === null) return undefined;
  return { id: row.leaseId, path: row.path, version: row.version, expiresAtMs: row.expiresAtMs, revokedAtMs: row.revokedAtMs ?? 0 };
}

/** Why a version cannot be read any more, or undefined while it can. */
function endedBecause(row: SecretRow, nowMs: number): string | undefined {
  if (row.revokedAtMs !== null) return `its lease was revoked at ${new Date(row.revokedAtMs).toISOString()}`;
  if (row.expiresAtMs !== null && row.expiresAtMs <= nowMs) return `its lease expired at ${new Date(row.expiresAtMs).toISOString()}`;
  return undefined;
}

export function createLocalSecrets(store: SecurityStore, keystore: Keystore, now: () => number = Date.now): SecretsEngine {
  const versionOf = (row: SecretRow): SecretVersion => {
    const lease = leaseOf(row);
    return { path: row.path, version: row.version, createdAtMs: row.createdAtMs, ...(lease ? { lease } : {}) };
  };

  async function liveLease(leaseId: string): Promise<SecretRow> {
    const row = leaseId ? await store.secretByLease(leaseId) : undefined;
    if (!row) throw new EnsoulError("NOT_FOUND", `there is no lease "${leaseId}"`, { field: "leaseId" });
    return row;
  }

  return {
    async put(path, data, options = {}) {
      checkSecretPath(path);
      const json = checkData(data);
      if (options.ttlMs !== undefined) checkDuration(options.ttlMs, "ttlMs");
      const dataKey = await keystore.latest(SECRETS_KEY, { create: true });
      const createdAtMs = now();
      const version = await store.appendSecret(path, (next, latest) => {
        if (options.expectedVersion !== undefined && options.expectedVersion !== (latest?.version ?? 0)) {
          throw new EnsoulError(
            "FAILED_PRECONDITION",
            `secret "${path}" is at version ${latest?.version ?? 0}, not ${options.expectedVersion}: read it again before writing`,
            { field: "casVersion" },
          );
        }
        return {
          sealed: seal(dataKey.bytes, json, secretLabel(path, next)),
          keyVersion: dataKey.version,
          createdAtMs,
          leaseId: options.ttlMs === undefined ? null : newId("lease"),
          expiresAtMs: options.ttlMs === undefined ? null : createdAtMs + options.ttlMs,
          revokedAtMs: null,
        };
      });
      return versionOf((await store.secret(path, version))!);
    },

    async get(path, version) {
      checkSecretPath(path);
      const row = await store.secret(path, version);
      const which = version === undefined ? `secret "${path}"` : `secret "${path}" version ${version}`;
      if (!row) throw new EnsoulError("NOT_FOUND", `there is no ${which}`, { field: "path" });
      const ended = endedBecause(row, now());
      if (ended !== undefined || row.sealed === null) {
        throw new EnsoulError("NOT_FOUND", `${which} (version ${row.version}) is gone: ${ended ?? "its data was destroyed"}`, {
          field: "path",
        });
      }
      const dataKey = await keystore.version(SECRETS_KEY, row.keyVersion);
      let data: SecretData;
      try {
        data = JSON.parse(open(dataKey.bytes, row.sealed, secretLabel(row.path, row.version)).toString("utf8")) as SecretData;
      } catch (err) {
        throw new EnsoulError("FAILED_PRECONDITION", `${which} does not open: the stored version was altered or damaged`, {
          field: "path",
          cause: err,
        });
      }
      return { ...versionOf(row), data };
    },

    async list(prefix, limit = 1000) {
      if (prefix !== "") checkSecretPath(prefix.replace(/\/$/, ""), "prefix");
      return store.secretPaths(prefix, Math.max(1, Math.min(limit, 10_000)));
    },

    async renew(leaseId, incrementMs) {
      checkDuration(incrementMs, "incrementMs");
      const row = await liveLease(leaseId);
      const ended = endedBecause(row, now());
      if (ended !== undefined) throw new EnsoulError("NOT_FOUND", `lease "${leaseId}" cannot be renewed: ${ended}`, { field: "leaseId" });
      const expiresAtMs = now() + incrementMs;
      await store.updateLease(leaseId, { expiresAtMs });
      return { ...leaseOf(row)!, expiresAtMs };
    },

    async revoke(leaseId) {
      const row = await liveLease(leaseId);
      const revokedAtMs = row.revokedAtMs ?? now();
      if (row.revokedAtMs === null) await store.updateLease(leaseId, { revokedAtMs });
      return { ...leaseOf(row)!, revokedAtMs };
    },
  };
}

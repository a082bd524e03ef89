/**
 * The master key: the one key that wraps every data key of the keystore. Embedded mode keeps it
 * in the data dir (`master.key`, mode 0600, made on first run); server mode takes it from the
 * environment (`ENSOUL_MASTER_KEY`), so replicas share it and it never sits on a volume.
 *
 * Rotation without losing anything: the new key is written first (`master.key.next`, or
 * `ENSOUL_MASTER_KEY` with the old one in `ENSOUL_MASTER_KEY_PREVIOUS`); the keystore, opened
 * with both, re-wraps its data keys to the new one in one transaction; only then does
 * `master.key.next` replace `master.key`. A crash at any point leaves a pair that still opens.
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { writeFileAtomicSync } from "../../lib/atomic-write.js";
import { EnsoulError } from "../../lib/errors.js";
import { KEY_BYTES } from "./aead.js";

export const MASTER_KEY_FILE = "master.key";
export const NEXT_MASTER_KEY_FILE = "master.key.next";
export const MASTER_KEY_ENV = "ENSOUL_MASTER_KEY";
export const PREVIOUS_MASTER_KEY_ENV = "ENSOUL_MASTER_KEY_PREVIOUS";

export interface MasterKey {
  bytes: Buffer;
  /** A fingerprint that names the key without revealing it (HMAC of a fixed label). */
  id: string;
  /** Where it came from, for messages: an environment variable or a file path. */
  origin: string;
}

export interface MasterKeys {
  /** The key the keystore must be wrapped with once opened. */
  current: MasterKey;
  /** The key it may still be wrapped with (a rotation under way). */
  previous?: MasterKey;
  /** Finishes a file rotation once the keystore is wrapped with `current` (no-op otherwise). */
  settle(): void;
}

export function masterKeyId(bytes: Uint8Array): string {
  return createHmac("sha256", bytes).update("ensoul/master-key-id").digest("hex").slice(0, 16);
}

function masterKey(bytes: Buffer, origin: string): MasterKey {
  return { bytes, id: masterKeyId(bytes), origin };
}

/** Parses 32 bytes written as 64 hex digits or as base64 (standard or URL-safe). */
export function parseMasterKey(text: string, origin: string): MasterKey {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)
      ? Buffer.from(trimmed, "base64")
      : Buffer.alloc(0);
  if (bytes.length !== KEY_BYTES) {
    throw new EnsoulError(
      "INVALID_ARGUMENT",
      `${origin} must hold a ${KEY_BYTES}-byte key as 64 hex digits or base64 (make one with: openssl rand -base64 32)`,
      { field: origin },
    );
  }
  return masterKey(bytes, origin);
}

function readKeyFile(file: string): MasterKey | undefined {
  let text: string;
  try {
    if (process.platform !== "win32" && (statSync(file).mode & 0o077) !== 0) {
      throw new EnsoulError("FAILED_PRECONDITION", `${file} may be read by other users of this machine: chmod 600 it`, {
        field: "data",
      });
    }
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof EnsoulError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new EnsoulError("FAILED_PRECONDITION", `cannot read the master key ${file} (${(err as NodeJS.ErrnoException).code})`, {
      field: "data",
      cause: err,
    });
  }
  return parseMasterKey(text, file);
}

function writeKeyFile(file: string): MasterKey {
  const bytes = randomBytes(KEY_BYTES);
  writeFileAtomicSync(file, `${bytes.toString("base64")}\n`, { mode: 0o600, fsync: true });
  return masterKey(bytes, file);
}

/**
 * The master key(s) to open the keystore with: from the environment when `ENSOUL_MASTER_KEY`
 * is set, else from the data dir, making `master.key` there on first run. Server mode takes
 * only the environment: replicas sharing a database must share the key, and a key made by one
 * replica's disk would lock the others out.
 */
export function loadMasterKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env, mode: "embedded" | "server" = "embedded"): MasterKeys {
  const fromEnv = env[MASTER_KEY_ENV];
  if (mode === "server" && !fromEnv) {
    throw new EnsoulError(
      "FAILED_PRECONDITION",
      `server mode needs ${MASTER_KEY_ENV}: every replica must open the shared keystore with the same key (make one with: openssl rand -base64 32)`,
      { field: MASTER_KEY_ENV },
    );
  }
  if (fromEnv !== undefined && fromEnv !== "") {
    const previous = env[PREVIOUS_MASTER_KEY_ENV];
    return {
      current: parseMasterKey(fromEnv, MASTER_KEY_ENV),
      ...(previous ? { previous: parseMasterKey(previous, PREVIOUS_MASTER_KEY_ENV) } : {}),
      settle: () => undefined,
    };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, MASTER_KEY_FILE);
  const nextFile = path.join(dataDir, NEXT_MASTER_KEY_FILE);
  const next = readKeyFile(nextFile);
  const existing = readKeyFile(file);
  if (next) {
    return {
      current: next,
      ...(existing ? { previous: existing } : {}),
      settle: () => renameSync(nextFile, file),
    };
  }
  return { current: existing ?? writeKeyFile(file), settle: () => undefined };
}

/**
 * Starts a rotation of the data dir's master key: writes a fresh `master.key.next` (or keeps the
 * one a rotation that did not finish left). Opening the keystore next completes it.
 */
export function beginMasterKeyRotation(dataDir: string, env: NodeJS.ProcessEnv = process.env): MasterKey {
  if (env[MASTER_KEY_ENV]) {
    throw new EnsoulError(
      "FAILED_PRECONDITION",
      `the master key comes from ${MASTER_KEY_ENV}: rotate it by setting the new key there and the old one in ${PREVIOUS_MASTER_KEY_ENV}, then start the sidecar`,
      { field: MASTER_KEY_ENV },
    );
  }
  const nextFile = path.join(dataDir, NEXT_MASTER_KEY_FILE);
  return readKeyFile(nextFile) ?? writeKeyFile(nextFile);
}

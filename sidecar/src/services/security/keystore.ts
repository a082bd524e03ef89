/**
 * The keystore: named data keys, each with numbered versions, every version wrapped (sealed)
 * by the master key. This is envelope encryption: data is sealed by data keys, data keys by
 * the master key, so rotating the master key re-wraps a handful of data keys and never touches
 * the data; rotating a data key adds a version, new data uses it, old data still opens.
 */
import { randomBytes } from "node:crypto";
import { EnsoulError } from "../../lib/errors.js";
import { KEY_BYTES, open, seal, SealOpenError } from "./aead.js";
import { MASTER_KEY_ENV, MASTER_KEY_FILE, type MasterKey, type MasterKeys } from "./master-key.js";
import type { SecurityStore, WrappedKeyRow } from "./store.js";

export interface DataKey {
  name: string;
  version: number;
  bytes: Buffer;
}

const KEY_NAME = /^[a-z0-9][a-z0-9._/-]{0,127}$/;

/** Throws INVALID_ARGUMENT unless `name` can name a key (lower case, digits, . _ - /). */
export function checkKeyName(name: string, field = "key"): void {
  if (!KEY_NAME.test(name) || name.includes("//") || name.endsWith("/")) {
    throw new EnsoulError(
      "INVALID_ARGUMENT",
      `key name "${name}" must be 1-128 of a-z 0-9 . _ - / (starting with a letter or digit, no empty path segment)`,
      { field },
    );
  }
}

/** Binds a wrapped key to its name and version: a row copied elsewhere does not unwrap. */
const wrapLabel = (name: string, version: number): string => `ensoul/key/${name}/v${version}`;

function keystoreLocked(stored: string, current: MasterKey): EnsoulError {
  return new EnsoulError(
    "FAILED_PRECONDITION",
    `the master key does not open this keystore: it is sealed with master key ${stored}, ` +
      `but ${current.origin} holds master key ${current.id}. Supply the key it was made with ` +
      `(in ${MASTER_KEY_ENV}, or the data dir's ${MASTER_KEY_FILE})`,
    { field: current.origin === MASTER_KEY_ENV ? MASTER_KEY_ENV : "data" },
  );
}

export class Keystore {
  /** Unwrapped keys by "name/vN"; a version's key never changes, so entries never go stale. */
  private readonly unwrapped = new Map<string, Buffer>();

  private constructor(
    private readonly store: SecurityStore,
    private readonly master: MasterKey,
    /** The id of the master key this open re-wrapped the keystore from, if it did. */
    readonly rewrappedFrom: string | undefined,
  ) {}

  /**
   * Opens the keystore with the master key(s): claims a new keystore for `current`, re-wraps
   * one sealed with `previous` to `current`, and refuses any other key with FAILED_PRECONDITION.
   */
  static async open(store: SecurityStore, keys: MasterKeys): Promise<Keystore> {
    const { current, previous } = keys;
    let stored = (await store.masterKeyId()) ?? (await store.claimMasterKeyId(current.id));
    if (stored !== current.id && previous && stored === previous.id) {
      const rewrap = (row: WrappedKeyRow): Buffer => {
        const label = wrapLabel(row.name, row.version);
        return seal(current.bytes, unwrapRow(previous, row), label);
      };
      if (await store.rewrapAll(previous.id, current.id, rewrap)) {
        keys.settle();
        return new Keystore(store, current, previous.id);
      }
      stored = (await store.masterKeyId()) ?? stored;
    }
    if (stored !== current.id) throw keystoreLocked(stored, current);
    keys.settle();
    return new Keystore(store, current, undefined);
  }

  get masterKeyId(): string {
    return this.master.id;
  }

  /** The newest version of a key; with `create`, makes version 1 of a key that does not exist. */
  async latest(name: string, options: { create?: boolean } = {}): Promise<DataKey> {
    checkKeyName(name);
    const rows = await this.store.keyVersions(name);
    const newest = rows[rows.length - 1];
    if (newest) return this.unwrap(newest);
    if (!options.create) throw new EnsoulError("NOT_FOUND", `there is no key "${name}"`, { field: "key" });
    return this.addVersion(name, 1);
  }

  /** A given version of a key, for opening what it sealed. */
  async version(name: string, version: number): Promise<DataKey> {
    checkKeyName(name);
    const cached = this.unwrapped.get(`${name}/v${version}`);
    if (cached) return { name, version, bytes: cached };
    const row = (await this.store.keyVersions(name)).find((r) => r.version === version);
    if (!row) throw new EnsoulError("NOT_FOUND", `key "${name}" has no version ${version}`, { field: "key" });
    return this.unwrap(row);
  }

  /** Adds a new version of an existing key; later seals use it, earlier ones still open. */
  async rotate(name: string): Promise<DataKey> {
    const newest = await this.latest(name);
    return this.addVersion(name, newest.version + 1);
  }

  /** Every version number of a key, oldest first. */
  async versions(name: string): Promise<number[]> {
    checkKeyName(name);
    return (await this.store.keyVersions(name)).map((r) => r.version);
  }

  async names(prefix: string): Promise<string[]> {
    return this.store.keyNames(prefix);
  }

  private async addVersion(name: string, version: number): Promise<DataKey> {
    const bytes = randomBytes(KEY_BYTES);
    const row = { name, version, wrapped: seal(this.master.bytes, bytes, wrapLabel(name, version)), createdAtMs: Date.now() };
    const outcome = await this.store.addKeyVersion(row, this.master.id);
    if (outcome === "added") {
      this.unwrapped.set(`${name}/v${version}`, bytes);
      return { name, version, bytes };
    }
    if (outcome === "master-changed") {
      throw new EnsoulError(
        "FAILED_PRECONDITION",
        `the keystore's master key was rotated by another process since this one opened it with master key ${this.master.id}: restart with the new key`,
      );
    }
    // Another caller (or replica) added this version first: use theirs, so no data is sealed
    // with a key that was never stored.
    return this.version(name, version);
  }

  private unwrap(row: WrappedKeyRow): DataKey {
    const label = `${row.name}/v${row.version}`;
    let bytes = this.unwrapped.get(label);
    if (!bytes) {
      bytes = unwrapRow(this.master, row);
      this.unwrapped.set(label, bytes);
    }
    return { name: row.name, version: row.version, bytes };
  }
}

function unwrapRow(master: MasterKey, row: WrappedKeyRow): Buffer {
  try {
    return open(master.bytes, row.wrapped, wrapLabel(row.name, row.version));
  } catch (err) {
    if (!(err instanceof SealOpenError)) throw err;
    throw new EnsoulError(
      "FAILED_PRECONDITION",
      `key "${row.name}" version ${row.version} does not open with master key ${master.id}: the keystore was altered or damaged`,
      { cause: err },
    );
  }
}

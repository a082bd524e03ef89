import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { open, seal, SealOpenError } from "./aead.js";
import { Keystore } from "./keystore.js";
import {
  beginMasterKeyRotation,
  loadMasterKeys,
  MASTER_KEY_ENV,
  MASTER_KEY_FILE,
  NEXT_MASTER_KEY_FILE,
  PREVIOUS_MASTER_KEY_ENV,
} from "./master-key.js";
import { openEmbeddedData, rejection } from "./security.testkit.js";
import { openDataSecurityStore } from "./data-store.js";
import { sqliteFileFor } from "../data/index.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ensoul-keystore-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const NO_ENV = {};
const dbFile = (): string => sqliteFileFor(dir);

async function withKeystore<T>(env: NodeJS.ProcessEnv, use: (keystore: Keystore) => Promise<T>): Promise<T> {
  const keys = loadMasterKeys(dir, env);
  const data = await openEmbeddedData(dir);
  try {
    return await use(await Keystore.open(await openDataSecurityStore(data), keys));
  } finally {
    await data.close();
  }
}

describe("aead", () => {
  it("refuses a box with one altered byte or other associated data instead of returning garbage", () => {
    const key = Buffer.alloc(32, 7);
    const box = seal(key, Buffer.from("hello"), "a");
    expect(open(key, box, "a").toString()).toBe("hello");
    const altered = Buffer.from(box);
    altered[14]! ^= 1;
    expect(() => open(key, altered, "a")).toThrow(SealOpenError);
    expect(() => open(key, box, "b")).toThrow(SealOpenError);
    expect(() => open(Buffer.alloc(32, 8), box, "a")).toThrow(SealOpenError);
    expect(() => open(key, box.subarray(0, 20), "a")).toThrow(SealOpenError);
  });

  it("seals the same plaintext differently every time (random nonces)", () => {
    const key = Buffer.alloc(32, 1);
    expect(seal(key, Buffer.from("x"), "")).not.toEqual(seal(key, Buffer.from("x"), ""));
  });
});

describe("master key", () => {
  it("is made on first run with mode 0600 and read back the same afterwards", () => {
    const first = loadMasterKeys(dir, NO_ENV).current;
    const file = path.join(dir, MASTER_KEY_FILE);
    if (process.platform !== "win32") expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadMasterKeys(dir, NO_ENV).current;
    expect(again.bytes).toEqual(first.bytes);
    expect(again.id).toBe(first.id);
  });

  it("comes from ENSOUL_MASTER_KEY as hex or base64, and writes no file then", () => {
    const hex = "ab".repeat(32);
    const fromHex = loadMasterKeys(dir, { [MASTER_KEY_ENV]: hex }).current;
    const fromBase64 = loadMasterKeys(dir, { [MASTER_KEY_ENV]: Buffer.from(hex, "hex").toString("base64") }).current;
    expect(fromHex.bytes).toEqual(Buffer.from(hex, "hex"));
    expect(fromBase64.id).toBe(fromHex.id);
    expect(existsSync(path.join(dir, MASTER_KEY_FILE))).toBe(false);
  });

  it("rejects an ENSOUL_MASTER_KEY that is not 32 bytes, naming the variable", () => {
    for (const bad of ["abc", "ab".repeat(31), "not base64 !!"]) {
      let err: unknown;
      try {
        loadMasterKeys(dir, { [MASTER_KEY_ENV]: bad });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: "INVALID_ARGUMENT", field: MASTER_KEY_ENV });
    }
  });

  it.skipIf(process.platform === "win32")("refuses a master key file other users may read", () => {
    loadMasterKeys(dir, NO_ENV);
    chmodSync(path.join(dir, MASTER_KEY_FILE), 0o644);
    expect(() => loadMasterKeys(dir, NO_ENV)).toThrow(/chmod 600/);
  });
});

describe("keystore", () => {
  it("keeps data keys across a restart, and never stores them unwrapped", async () => {
    const made = await withKeystore(NO_ENV, (ks) => ks.latest("secrets", { create: true }));
    expect(made.version).toBe(1);
    const reopened = await withKeystore(NO_ENV, (ks) => ks.latest("secrets"));
    expect(reopened.bytes).toEqual(made.bytes);
    expect(readFileSync(dbFile()).includes(made.bytes)).toBe(false);
  });

  it("says clearly that a wrong master key does not open the keystore", async () => {
    await withKeystore(NO_ENV, (ks) => ks.latest("secrets", { create: true }));
    const err = await rejection(withKeystore({ [MASTER_KEY_ENV]: "cd".repeat(32) }, async () => undefined));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toMatch(/the master key does not open this keystore/);
    expect(err.field).toBe(MASTER_KEY_ENV);
  });

  it("rotates a data key: new version for new data, the old version still the same key", async () => {
    await withKeystore(NO_ENV, async (ks) => {
      const v1 = await ks.latest("transit/game", { create: true });
      const v2 = await ks.rotate("transit/game");
      expect(v2.version).toBe(2);
      expect(v2.bytes).not.toEqual(v1.bytes);
      expect((await ks.latest("transit/game")).version).toBe(2);
      expect(await ks.versions("transit/game")).toEqual([1, 2]);
    });
    await withKeystore(NO_ENV, async (ks) => {
      const v1 = await ks.version("transit/game", 1);
      expect(v1.version).toBe(1);
      expect(await ks.names("transit/")).toEqual(["transit/game"]);
    });
  });

  it("answers NOT_FOUND for a key or version that does not exist, INVALID_ARGUMENT for a bad name", async () => {
    await withKeystore(NO_ENV, async (ks) => {
      expect((await rejection(ks.latest("nope"))).code).toBe("NOT_FOUND");
      expect((await rejection(ks.rotate("nope"))).code).toBe("NOT_FOUND");
      await ks.latest("k", { create: true });
      expect((await rejection(ks.version("k", 9))).code).toBe("NOT_FOUND");
      for (const bad of ["", "Upper", "a//b", "a/", "../x", "x".repeat(129)]) {
        expect((await rejection(ks.latest(bad, { create: true }))).code).toBe("INVALID_ARGUMENT");
      }
    });
  });

  it("re-wraps every data key when the master key rotates, leaving the data keys themselves unchanged", async () => {
    const before = await withKeystore(NO_ENV, async (ks) => [await ks.latest("a", { create: true }), await ks.latest("b", { create: true })]);
    const oldMaster = readFileSync(path.join(dir, MASTER_KEY_FILE), "utf8");
    const next = beginMasterKeyRotation(dir, NO_ENV);
    const after = await withKeystore(NO_ENV, async (ks) => {
      expect(ks.masterKeyId).toBe(next.id);
      return [await ks.latest("a"), await ks.latest("b")];
    });
    expect(after.map((k) => k.bytes)).toEqual(before.map((k) => k.bytes));
    expect(existsSync(path.join(dir, NEXT_MASTER_KEY_FILE))).toBe(false);
    expect(readFileSync(path.join(dir, MASTER_KEY_FILE), "utf8")).not.toBe(oldMaster);
    // The old master key no longer opens it.
    const err = await rejection(withKeystore({ [MASTER_KEY_ENV]: oldMaster }, async () => undefined));
    expect(err.message).toMatch(/does not open this keystore/);
  });

  it("finishes a master key rotation that stopped after the re-wrap but before the file swap", async () => {
    const key = await withKeystore(NO_ENV, (ks) => ks.latest("a", { create: true }));
    beginMasterKeyRotation(dir, NO_ENV);
    const keys = loadMasterKeys(dir, NO_ENV);
    const data = await openEmbeddedData(dir);
    await Keystore.open(await openDataSecurityStore(data), { ...keys, settle: () => undefined }); // "crash" before settle
    await data.close();
    expect(existsSync(path.join(dir, NEXT_MASTER_KEY_FILE))).toBe(true);
    const again = await withKeystore(NO_ENV, (ks) => ks.latest("a"));
    expect(again.bytes).toEqual(key.bytes);
    expect(existsSync(path.join(dir, NEXT_MASTER_KEY_FILE))).toBe(false);
  });

  it("rotates an environment master key when the old one is given as ENSOUL_MASTER_KEY_PREVIOUS", async () => {
    const oldKey = "11".repeat(32);
    const newKey = "22".repeat(32);
    const key = await withKeystore({ [MASTER_KEY_ENV]: oldKey }, (ks) => ks.latest("a", { create: true }));
    const again = await withKeystore({ [MASTER_KEY_ENV]: newKey, [PREVIOUS_MASTER_KEY_ENV]: oldKey }, (ks) => ks.latest("a"));
    expect(again.bytes).toEqual(key.bytes);
    expect((await withKeystore({ [MASTER_KEY_ENV]: newKey }, (ks) => ks.latest("a"))).bytes).toEqual(key.bytes);
  });

  it("refuses to add key versions after another process rotated the master key under it", async () => {
    const oldKey = "41".repeat(32);
    const data = await openEmbeddedData(dir);
    try {
      const store = await openDataSecurityStore(data);
      const stale = await Keystore.open(store, loadMasterKeys(dir, { [MASTER_KEY_ENV]: oldKey }));
      await stale.latest("a", { create: true });
      await Keystore.open(store, loadMasterKeys(dir, { [MASTER_KEY_ENV]: "42".repeat(32), [PREVIOUS_MASTER_KEY_ENV]: oldKey }));
      const err = await rejection(stale.rotate("a"));
      expect(err.code).toBe("FAILED_PRECONDITION");
      expect(err.message).toMatch(/rotated by another process/);
      expect(await stale.versions("a")).toEqual([1]);
    } finally {
      await data.close();
    }
  });

  it("refuses a wrapped key that was altered in the database rather than using garbage", async () => {
    await withKeystore(NO_ENV, (ks) => ks.latest("a", { create: true }));
    const db = new Database(dbFile());
    const row = db.prepare<[], { wrapped: Buffer }>("SELECT wrapped FROM security_keys").get()!;
    row.wrapped[20]! ^= 0xff;
    db.prepare("UPDATE security_keys SET wrapped = ?").run(row.wrapped);
    db.close();
    const err = await rejection(withKeystore(NO_ENV, (ks) => ks.latest("a")));
    expect(err.code).toBe("FAILED_PRECONDITION");
    expect(err.message).toMatch(/altered or damaged/);
  });
});

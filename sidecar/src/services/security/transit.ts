/**
 * Transit encryption: the sidecar encrypts and decrypts for its callers with named keys it
 * never hands out, in the spirit of OpenBao's transit engine. Ciphertext says which key
 * version made it (`ensoul:v2:…`, like OpenBao's `vault:v2:…`), so after a rotation new data
 * uses the newest version and old ciphertext still decrypts; `rewrap` moves old ciphertext to
 * the newest version without the caller seeing the plaintext.
 */
import { EnsoulError } from "../../lib/errors.js";
import { open, seal, SealOpenError } from "./aead.js";
import { checkKeyName, type Keystore } from "./keystore.js";

export interface TransitCiphertext {
  /** `<engine>:v<version>:<base64>`; opaque to callers except for the version. */
  ciphertext: string;
  keyVersion: number;
}

export interface TransitKeyState {
  name: string;
  latestVersion: number;
  versions: number[];
}

/**
 * What a transit engine offers. The local engine below implements it over the keystore; an
 * OpenBao adapter implements it over /transit/encrypt|decrypt|keys/:name/rotate|rewrap
 * (base64 plaintext, `associated_data` for the context) and keeps OpenBao's `vault:` prefix.
 */
export interface TransitEngine {
  /** Encrypts with the key's newest version, making the key on first use. */
  encrypt(key: string, plaintext: Uint8Array, context?: Uint8Array): Promise<TransitCiphertext>;
  /** Decrypts ciphertext of any version of the key; the context must be the one it was made with. */
  decrypt(key: string, ciphertext: string, context?: Uint8Array): Promise<Buffer>;
  /** Adds a key version; later encryptions use it. NOT_FOUND for a key never used. */
  rotate(key: string): Promise<TransitKeyState>;
  /** Re-encrypts ciphertext with the key's newest version. */
  rewrap(key: string, ciphertext: string, context?: Uint8Array): Promise<TransitCiphertext>;
}

const PREFIX = "ensoul";
const CIPHERTEXT = /^([a-z]+):v([1-9][0-9]{0,9}):([A-Za-z0-9+/]+={0,2})$/;

/** Where transit keys live in the keystore, apart from the sidecar's own keys. */
const keystoreName = (key: string): string => `transit/${key}`;

/** Binds ciphertext to its key, version and the caller's context. */
function associatedData(key: string, version: number, context: Uint8Array | undefined): Buffer {
  return Buffer.concat([Buffer.from(`ensoul/transit/${key}/v${version}\0`), context ?? Buffer.alloc(0)]);
}

/** The key version a ciphertext claims (undefined when it does not look like transit ciphertext). */
export function ciphertextVersion(ciphertext: string): number | undefined {
  const match = CIPHERTEXT.exec(ciphertext);
  return match ? Number(match[2]) : undefined;
}

function parseCiphertext(text: string): { version: number; box: Buffer } {
  const match = CIPHERTEXT.exec(text);
  if (!match) {
    throw new EnsoulError("INVALID_ARGUMENT", `ciphertext must look like "${PREFIX}:v<version>:<base64>"`, { field: "ciphertext" });
  }
  if (match[1] !== PREFIX) {
    throw new EnsoulError("INVALID_ARGUMENT", `this ciphertext was made by "${match[1]}", not by the sidecar's transit engine`, {
      field: "ciphertext",
    });
  }
  return { version: Number(match[2]), box: Buffer.from(match[3]!, "base64") };
}

export function createLocalTransit(keystore: Keystore): TransitEngine {
  const check = (key: string): void => checkKeyName(key, "key");

  async function encrypt(key: string, plaintext: Uint8Array, context?: Uint8Array): Promise<TransitCiphertext> {
    check(key);
    const dataKey = await keystore.latest(keystoreName(key), { create: true });
    const box = seal(dataKey.bytes, plaintext, associatedData(key, dataKey.version, context));
    return { ciphertext: `${PREFIX}:v${dataKey.version}:${box.toString("base64")}`, keyVersion: dataKey.version };
  }

  async function decrypt(key: string, ciphertext: string, context?: Uint8Array): Promise<Buffer> {
    check(key);
    const { version, box } = parseCiphertext(ciphertext);
    const versions = await keystore.versions(keystoreName(key));
    if (versions.length === 0) throw new EnsoulError("NOT_FOUND", `there is no transit key "${key}"`, { field: "key" });
    if (!versions.includes(version)) {
      throw new EnsoulError("INVALID_ARGUMENT", `transit key "${key}" has no version ${version} (it has ${versions.length})`, {
        field: "ciphertext",
      });
    }
    const dataKey = await keystore.version(keystoreName(key), version);
    try {
      return open(dataKey.bytes, box, associatedData(key, version, context));
    } catch (err) {
      if (!(err instanceof SealOpenError)) throw err;
      throw new EnsoulError(
        "INVALID_ARGUMENT",
        `the ciphertext does not decrypt with transit key "${key}" version ${version}: it was altered, or made with another key or context`,
        { field: "ciphertext", cause: err },
      );
    }
  }

  return {
    encrypt,
    decrypt,
    async rotate(key) {
      check(key);
      const versions = await keystore.versions(keystoreName(key));
      if (versions.length === 0) throw new EnsoulError("NOT_FOUND", `there is no transit key "${key}" to rotate`, { field: "key" });
      const newest = await keystore.rotate(keystoreName(key));
      return { name: key, latestVersion: newest.version, versions: await keystore.versions(keystoreName(key)) };
    },
    async rewrap(key, ciphertext, context) {
      return encrypt(key, await decrypt(key, ciphertext, context), context);
    },
  };
}

/**
 * AES-256-GCM sealing, the one cipher of the security service. A sealed box is
 * `nonce (12 bytes) | ciphertext | tag (16 bytes)`; the nonce is random for every seal (with
 * 96-bit random nonces one key may seal about 2^32 boxes before a repeat becomes a real risk,
 * far beyond what a data key sees before rotation). The associated data binds a box to where
 * it belongs (a key's name and version, a secret's path and version), so a box copied to
 * another row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A box that did not open: wrong key, wrong associated data, or altered bytes. */
export class SealOpenError extends Error {
  constructor() {
    super("the sealed data does not open with this key (wrong key, or the data was altered)");
    this.name = "SealOpenError";
  }
}

export function seal(key: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array | string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(typeof associatedData === "string" ? Buffer.from(associatedData) : associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Opens a box made by `seal`; throws SealOpenError rather than ever returning garbage. */
export function open(key: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array | string): Buffer {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new SealOpenError();
  const box = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv("aes-256-gcm", key, box.subarray(0, NONCE_BYTES));
  decipher.setAAD(typeof associatedData === "string" ? Buffer.from(associatedData) : associatedData);
  decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(box.subarray(NONCE_BYTES, box.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealOpenError();
  }
}

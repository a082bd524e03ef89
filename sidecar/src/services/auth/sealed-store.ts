/**
 * Secrets the auth service keeps (each admin's TOTP secret, the access-token signing key) are
 * stored sealed, never in plain text: a `Sealer` that app/ builds over the security service's
 * keystore encrypts them before they reach the data service and decrypts them on read. Each
 * value is sealed with its row as context (`auth_mfa/<subject>`, `auth_settings/<name>`), so a
 * sealed value copied into another row does not open.
 */
import type { AuthStore, MfaRecord } from "./store.js";

/** Encrypts and decrypts text bound to a context; app/ implements it with the keystore. */
export interface Sealer {
  seal(plain: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

/** The settings that hold secrets (the others, e.g. the first admin token's id, are not). */
export const SEALED_SETTINGS: readonly string[] = ["jwt.signing_key"];

/** Sealed values carry the engine's version prefix; a TOTP secret (base32) or a JWK never does. */
const looksSealed = (value: string): boolean => /^[a-z]+:v[0-9]+:/.test(value);

const mfaContext = (subject: string): string => `auth_mfa/${subject}`;
const settingContext = (name: string): string => `auth_settings/${name}`;

/** The store with TOTP secrets and the secret settings sealed on write and opened on read. */
export function sealedAuthStore(store: AuthStore, sealer: Sealer): AuthStore {
  const openMfa = async (record: MfaRecord | undefined): Promise<MfaRecord | undefined> =>
    record && { ...record, secret: await sealer.open(record.secret, mfaContext(record.subject)) };
  const openSetting = async (name: string, value: string | undefined): Promise<string | undefined> =>
    value === undefined || !SEALED_SETTINGS.includes(name) ? value : sealer.open(value, settingContext(name));
  return {
    ...store,
    mfa: async (subject) => openMfa(await store.mfa(subject)),
    putMfa: async (record) => store.putMfa({ ...record, secret: await sealer.seal(record.secret, mfaContext(record.subject)) }),
    setting: async (name) => openSetting(name, await store.setting(name)),
    async putSettingOnce(name, value) {
      const stored = SEALED_SETTINGS.includes(name) ? await sealer.seal(value, settingContext(name)) : value;
      return (await openSetting(name, await store.putSettingOnce(name, stored)))!;
    },
  };
}

/**
 * Start-up step for databases made before sealing: seals every TOTP secret and secret setting
 * still in plain text. Each row is replaced only if it still holds the plain text read (compare
 * and set), so replicas starting at once cannot overwrite one another's sealed value or a
 * newer enrolment. Returns how many rows it sealed.
 */
export async function sealPlaintextRows(store: AuthStore, sealer: Sealer): Promise<number> {
  let sealed = 0;
  for (const { subject, secret } of await store.mfaSecrets()) {
    if (looksSealed(secret)) continue;
    if (await store.replaceMfaSecret(subject, secret, await sealer.seal(secret, mfaContext(subject)))) sealed++;
  }
  for (const name of SEALED_SETTINGS) {
    const value = await store.setting(name);
    if (value === undefined || looksSealed(value)) continue;
    if (await store.replaceSetting(name, value, await sealer.seal(value, settingContext(name)))) sealed++;
  }
  return sealed;
}

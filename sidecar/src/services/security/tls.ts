/**
 * TLS for the gateway: a certificate from the sidecar's own local CA, or files the user gives.
 *
 * The CA (ECDSA P-256, ten years) is made once and kept as a secret (`_sidecar/tls-ca`), sealed
 * by the keystore like any other, so every replica sharing the keystore shares the CA; its
 * certificate is also written to `<dataDir>/tls/ca.crt` for clients to trust. The server
 * certificate is issued afresh at each start and never written anywhere: its key lives only in
 * memory. Node cannot make X.509 certificates itself; @peculiar/x509 builds them on WebCrypto
 * (no openssl binary needed, so it works the same on Windows and in slim containers).
 */
import "reflect-metadata"; // @peculiar/x509's dependency injection (tsyringe) needs it loaded first
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import os from "node:os";
import path from "node:path";
import { createSecureContext } from "node:tls";
import { writeFileAtomicSync } from "../../lib/atomic-write.js";
import { EnsoulError } from "../../lib/errors.js";
import type { SecretsEngine } from "./secrets.js";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

// Node's WebCrypto is the one the library expects; only the TypeScript lib types differ.
x509.cryptoProvider.set(webcrypto as never);

export interface TlsMaterial {
  /** PEM: the server certificate (and the chain above it). */
  cert: string;
  /** PEM: its private key. */
  key: string;
  /** Where the CA certificate clients should trust was written (local CA only). */
  caFile?: string;
}

export const CA_SECRET_PATH = "_sidecar/tls-ca";
export const CA_FILE = path.join("tls", "ca.crt");

const EC: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const DAY_MS = 24 * 3600_000;
const CA_LIFETIME_MS = 3650 * DAY_MS;
/** Browsers cap server certificates at 398 days; a sidecar running longer restarts to renew. */
const SERVER_LIFETIME_MS = 397 * DAY_MS;

/** A positive 128-bit serial, as RFC 5280 asks (unique, at most 20 octets, not negative). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString("hex");
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0]!;
  return webcrypto.subtle.importKey("pkcs8", der, EC, false, ["sign"]);
}

interface LocalCa {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function makeCa(): Promise<{ cert: string; key: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - DAY_MS); // a client whose clock runs slow still accepts it
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=Ensoul local CA ${randomBytes(4).toString("hex")}, O=Ensoul`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + CA_LIFETIME_MS),
    signingAlgorithm: EC,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await privateKeyPem(keys.privateKey) };
}

/** The local CA, made on first use; replicas racing to make it all end up with the same one. */
async function localCa(secrets: SecretsEngine): Promise<LocalCa> {
  let stored: { cert: string; key: string } | undefined;
  try {
    const secret = await secrets.get(CA_SECRET_PATH);
    stored = { cert: secret.data["cert"]!, key: secret.data["key"]! };
  } catch (err) {
    if (!(err instanceof EnsoulError && err.code === "NOT_FOUND")) throw err;
  }
  if (!stored) {
    const made = await makeCa();
    try {
      await secrets.put(CA_SECRET_PATH, made, { expectedVersion: 0 });
      stored = made;
    } catch (err) {
      if (!(err instanceof EnsoulError && err.code === "FAILED_PRECONDITION")) throw err;
      const secret = await secrets.get(CA_SECRET_PATH); // another replica made it first
      stored = { cert: secret.data["cert"]!, key: secret.data["key"]! };
    }
  }
  return { cert: new x509.X509Certificate(stored.cert), key: await importPrivateKey(stored.key) };
}

/** The names a server certificate covers: loopback, this machine's name, and the listen host. */
export function serverNames(host: string): string[] {
  const names = new Set(["localhost", "127.0.0.1", "::1", os.hostname()]);
  if (host !== "" && host !== "0.0.0.0" && host !== "::") names.add(host);
  return [...names];
}

async function issueServerCertificate(ca: LocalCa, names: string[]): Promise<{ cert: string; key: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - DAY_MS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${names.find((n) => isIP(n) === 0) ?? names[0]}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + SERVER_LIFETIME_MS),
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: isIP(value) ? "ip" : "dns", value }))),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
    ],
  });
  return { cert: `${cert.toString("pem")}\n${ca.cert.toString("pem")}\n`, key: await privateKeyPem(keys.privateKey) };
}

/**
 * A server certificate for `names` from the local CA (made on first run), and the CA
 * certificate written to `<dataDir>/tls/ca.crt` for clients to trust.
 */
export async function tlsFromLocalCa(secrets: SecretsEngine, dataDir: string, names: string[]): Promise<TlsMaterial> {
  const ca = await localCa(secrets);
  const caFile = path.join(dataDir, CA_FILE);
  const caPem = `${ca.cert.toString("pem")}\n`;
  let written: string | undefined;
  try {
    written = readFileSync(caFile, "utf8");
  } catch {
    written = undefined;
  }
  if (written !== caPem) {
    mkdirSync(path.dirname(caFile), { recursive: true, mode: 0o755 });
    writeFileAtomicSync(caFile, caPem, { mode: 0o644 });
  }
  return { ...(await issueServerCertificate(ca, names)), caFile };
}

/** A certificate and key from the user's PEM files, checked to belong together. */
export function tlsFromFiles(certFile: string, keyFile: string): TlsMaterial {
  const read = (file: string, field: string): string => {
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      throw new EnsoulError("INVALID_ARGUMENT", `cannot read ${file} (${(err as NodeJS.ErrnoException).code}): check --${field}`, {
        field,
        cause: err,
      });
    }
  };
  const material = { cert: read(certFile, "tls-cert"), key: read(keyFile, "tls-key") };
  try {
    createSecureContext(material);
  } catch (err) {
    throw new EnsoulError(
      "INVALID_ARGUMENT",
      `${certFile} and ${keyFile} are not a PEM certificate and its private key: ${(err as Error).message}`,
      { field: "tls-cert", cause: err },
    );
  }
  return material;
}

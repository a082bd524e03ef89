/**
 * The security service: the keystore (a master key wrapping versioned data keys), transit
 * encryption and versioned secrets with leases, every access recorded in the audit log.
 * Other code uses it only through `SecurityService`; app/ builds it with `createSecurityService`.
 */
import type { Method } from "../../gateway/methods.js";
import type { DataStore } from "../data/index.js";
import { auditedSecrets, auditedTransit, type SecurityAuditSink } from "./audit.js";
import { Keystore } from "./keystore.js";
import { loadMasterKeys } from "./master-key.js";
import { securityMethods } from "./rpc.js";
import { createLocalSecrets, type SecretsEngine } from "./secrets.js";
import { openDataSecurityStore } from "./data-store.js";
import type { TlsMaterial } from "./tls.js";
import { createLocalTransit, type TransitEngine } from "./transit.js";

export type { SecurityAuditEvent, SecurityAuditSink } from "./audit.js";
export type { Keystore } from "./keystore.js";
export type { Lease, Secret, SecretData, SecretsEngine, SecretVersion } from "./secrets.js";
export type { TransitCiphertext, TransitEngine, TransitKeyState } from "./transit.js";
export type { TlsMaterial } from "./tls.js";
export { beginMasterKeyRotation, MASTER_KEY_ENV, PREVIOUS_MASTER_KEY_ENV } from "./master-key.js";

/** The subject the sidecar records for its own use of secrets (e.g. the TLS CA's key). */
export const SIDECAR_SUBJECT = "sidecar";

export interface SecurityServiceOptions {
  /** Embedded mode keeps the master key here (master.key). */
  dataDir: string;
  /** Where keys and secrets are kept (the security service's own tables). */
  data: DataStore;
  /** Where the audit entries go (app/ passes the auth service's audit log). */
  audit: SecurityAuditSink;
  /** For ENSOUL_MASTER_KEY (server mode); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Server mode takes the master key only from ENSOUL_MASTER_KEY (default embedded). */
  mode?: "embedded" | "server";
  now?: () => number;
}

export interface SecurityEngines {
  /** The secrets engine as `subject` uses it; every call is audited under that subject. */
  secretsFor(subject: string): SecretsEngine;
  /** The transit engine as `subject` uses it; every call is audited under that subject. */
  transitFor(subject: string): TransitEngine;
  /** The secret a lease belongs to, for access checks (no secret data). */
  leaseInfo(leaseId: string): Promise<{ path: string } | undefined>;
}

export interface SecurityService extends SecurityEngines {
  readonly keystore: Keystore;
  /** Transit and secrets methods for the gateway's table. */
  readonly methods: Method[];
  close(): Promise<void>;
}

/**
 * Opens the keystore (making the master key on first run in embedded mode) and the engines.
 * Fails with FAILED_PRECONDITION when the master key does not open the keystore.
 */
export async function createSecurityService(options: SecurityServiceOptions): Promise<SecurityService> {
  const keys = loadMasterKeys(options.dataDir, options.env ?? process.env, options.mode);
  const store = await openDataSecurityStore(options.data);
  const keystore = await Keystore.open(store, keys);
  if (keystore.rewrappedFrom !== undefined) {
    const detail = { from: keystore.rewrappedFrom, to: keystore.masterKeyId };
    await options.audit.record({ kind: "keystore.rotate-master", subject: SIDECAR_SUBJECT, outcome: "ok", detail });
  }
  const secrets = createLocalSecrets(store, keystore, options.now);
  const transit = createLocalTransit(keystore);
  const engines: SecurityEngines = {
    secretsFor: (subject) => auditedSecrets(secrets, options.audit, subject),
    transitFor: (subject) => auditedTransit(transit, options.audit, subject),
    leaseInfo: async (leaseId) => {
      const row = await store.secretByLease(leaseId);
      return row ? { path: row.path } : undefined;
    },
  };
  return { ...engines, keystore, methods: securityMethods(engines), close: () => store.close() };
}

export interface GatewayTlsOptions {
  dataDir: string;
  /** The listen host, named in the local CA's server certificate. */
  host: string;
  tls: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/**
 * The certificate the gateway serves: the user's PEM files, else one from the local CA when TLS
 * is asked for, else none. Loads the X.509 code only when it is needed.
 */
export async function gatewayTls(service: SecurityService, options: GatewayTlsOptions): Promise<TlsMaterial | undefined> {
  if (!options.tls && !options.tlsCertFile) return undefined;
  const tls = await import("./tls.js");
  if (options.tlsCertFile && options.tlsKeyFile) return tls.tlsFromFiles(options.tlsCertFile, options.tlsKeyFile);
  return tls.tlsFromLocalCa(service.secretsFor(SIDECAR_SUBJECT), options.dataDir, tls.serverNames(options.host));
}

/**
 * How the security service reports what it does. The shape matches the auth service's audit
 * log (`services/auth/audit.ts`), so app/ hands that log in as it is; the security service
 * needs nothing else from auth.
 */
import { EnsoulError } from "../../lib/errors.js";
import type { SecretsEngine, SecretVersion } from "./secrets.js";
import { ciphertextVersion, type TransitCiphertext, type TransitEngine } from "./transit.js";

export interface SecurityAuditEvent {
  /** secret.put, secret.get, secret.list, secret.renew, secret.revoke, transit.encrypt, … */
  kind: string;
  /** Who asked (a token's subject, or "sidecar" for the sidecar's own use). */
  subject: string;
  outcome: "ok" | "denied" | "failed";
  /** What it was about (a path, a key, a version, an error code); never a secret's value. */
  detail?: Record<string, string | number | boolean | undefined>;
}

export interface SecurityAuditSink {
  record(event: SecurityAuditEvent): Promise<void>;
}

/**
 * Runs `action` and records its outcome, failed or not. When the log cannot take the entry the
 * call fails with UNAVAILABLE: a read hands out nothing unaudited (a change already made is at
 * least not reported as done).
 */
export async function audited<T>(
  sink: SecurityAuditSink,
  event: Omit<SecurityAuditEvent, "outcome">,
  action: () => Promise<T>,
  describe: (result: T) => SecurityAuditEvent["detail"] = () => ({}),
): Promise<T> {
  let result: T;
  try {
    result = await action();
  } catch (err) {
    const code = err instanceof EnsoulError ? err.code : "INTERNAL";
    const outcome = code === "PERMISSION_DENIED" ? "denied" : "failed";
    await record(sink, { ...event, outcome, detail: { ...event.detail, code } });
    throw err;
  }
  await record(sink, { ...event, outcome: "ok", detail: { ...event.detail, ...describe(result) } });
  return result;
}

async function record(sink: SecurityAuditSink, event: SecurityAuditEvent): Promise<void> {
  try {
    await sink.record(event);
  } catch (err) {
    throw new EnsoulError("UNAVAILABLE", `the audit log did not take the ${event.kind} entry, so the request is refused: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The secrets engine as `subject` uses it: every call, done or refused, lands in the log. */
export function auditedSecrets(engine: SecretsEngine, sink: SecurityAuditSink, subject: string): SecretsEngine {
  const version = (v: SecretVersion): SecurityAuditEvent["detail"] => ({ version: v.version, lease: v.lease?.id });
  return {
    put: (path, data, options = {}) =>
      audited(sink, { kind: "secret.put", subject, detail: { path, ttlMs: options.ttlMs } }, () => engine.put(path, data, options), version),
    get: (path, v) => audited(sink, { kind: "secret.get", subject, detail: { path, version: v } }, () => engine.get(path, v), version),
    list: (prefix, limit) =>
      audited(sink, { kind: "secret.list", subject, detail: { prefix } }, () => engine.list(prefix, limit), (paths) => ({ count: paths.length })),
    renew: (lease, incrementMs) =>
      audited(sink, { kind: "secret.renew", subject, detail: { lease, incrementMs } }, () => engine.renew(lease, incrementMs), (l) => ({
        path: l.path,
        version: l.version,
      })),
    revoke: (lease) =>
      audited(sink, { kind: "secret.revoke", subject, detail: { lease } }, () => engine.revoke(lease), (l) => ({ path: l.path, version: l.version })),
  };
}

/** The transit engine as `subject` uses it, every call recorded (the key and version, never data). */
export function auditedTransit(engine: TransitEngine, sink: SecurityAuditSink, subject: string): TransitEngine {
  const made = (c: TransitCiphertext): SecurityAuditEvent["detail"] => ({ version: c.keyVersion });
  return {
    encrypt: (key, plaintext, context) =>
      audited(sink, { kind: "transit.encrypt", subject, detail: { key } }, () => engine.encrypt(key, plaintext, context), made),
    decrypt: (key, ciphertext, context) =>
      audited(sink, { kind: "transit.decrypt", subject, detail: { key, version: ciphertextVersion(ciphertext) } }, () =>
        engine.decrypt(key, ciphertext, context),
      ),
    rotate: (key) =>
      audited(sink, { kind: "transit.rotate", subject, detail: { key } }, () => engine.rotate(key), (s) => ({ version: s.latestVersion })),
    rewrap: (key, ciphertext, context) =>
      audited(sink, { kind: "transit.rewrap", subject, detail: { key, from: ciphertextVersion(ciphertext) } }, () =>
        engine.rewrap(key, ciphertext, context), made),
  };
}


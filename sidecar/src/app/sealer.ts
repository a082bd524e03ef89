/**
 * What app/ hands the auth service so it keeps its secrets sealed: a `Sealer` over the security
 * service's transit engine (a data key of the keystore, wrapped by the master key), and the
 * audit sink the security service records into while the auth service's log is not open yet.
 */
import type { AuditSink, Sealer } from "../services/auth/index.js";
import type { SecurityAuditEvent, SecurityAuditSink, TransitEngine } from "../services/security/index.js";

/** The transit key the auth service's secrets are sealed with. */
export const AUTH_SEALING_KEY = "sidecar/auth";

export function transitSealer(transit: TransitEngine, key = AUTH_SEALING_KEY): Sealer {
  return {
    async seal(plain, context) {
      return (await transit.encrypt(key, Buffer.from(plain, "utf8"), Buffer.from(context, "utf8"))).ciphertext;
    },
    async open(sealed, context) {
      return (await transit.decrypt(key, sealed, Buffer.from(context, "utf8"))).toString("utf8");
    },
  };
}

/**
 * The security service opens before the auth service (auth needs its keystore to open the
 * signing key), but records into auth's audit log: entries made before `attach` (a master key
 * re-wrap, the auth secrets' own sealing) are held and written, in order, when it is attached.
 */
export function deferredAudit(): SecurityAuditSink & { attach(sink: AuditSink): Promise<void> } {
  let target: AuditSink | undefined;
  const held: SecurityAuditEvent[] = [];
  return {
    async record(event) {
      if (target) await target.record(event);
      else held.push(event);
    },
    async attach(sink) {
      while (held.length > 0) await sink.record(held.shift()!);
      target = sink;
    },
  };
}

/**
 * The security service over the protocol: transit (`/v1/transit/encrypt|decrypt|rotate|rewrap`)
 * and secrets (`/v1/secrets/put|get|list|renew|revoke`), every call audited under the caller's
 * subject.
 *
 * Roles, as the access table (services/auth/policy.ts) grants them, and why: secrets hold a studio's credentials, which only the sidecar and its operators
 * need, so every secrets method is admin-only. Transit encrypt/decrypt serve authoring tools
 * (admin, designer); game builds run on players' machines and viewers only read, so neither
 * may. Rotating and rewrapping change key material: admin only.
 * Attribute rule: a project-scoped token reaches only keys and paths under
 * `projects/<its project>/`.
 */
import type { Lease as WireLease, SecretEntry, SecretMeta } from "../../generated/ensoul_v1.js";
import { unary, type Method, type Principal } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import type { SecurityEngines } from "./index.js";
import { ciphertextVersion, type TransitEngine } from "./transit.js";
import { MAX_LEASE_MS, type Lease, type SecretData, type SecretVersion } from "./secrets.js";

/** Throws PERMISSION_DENIED when a project-scoped principal names something outside its project. */
export function checkProjectScope(principal: Principal, name: string, field: string): void {
  if (principal.project === undefined || name.startsWith(`projects/${principal.project}/`)) return;
  throw new EnsoulError("PERMISSION_DENIED", `this token reaches only names under projects/${principal.project}/, not "${name}"`, {
    field,
  });
}

/**
 * Names the sidecar keeps for itself: the transit key that seals the auth service's secrets
 * (`sidecar/auth`) and the local CA (`_sidecar/tls-ca`). The sidecar uses them through the
 * engines directly; over the protocol nobody, admin included, may use, read or overwrite them.
 */
export const RESERVED_TRANSIT_KEYS = "sidecar/";
export const RESERVED_SECRET_PATHS = "_sidecar/";

function checkNotReserved(name: string, reserved: string, field: string): void {
  if (!name.startsWith(reserved)) return;
  throw new EnsoulError("PERMISSION_DENIED", `names under ${reserved} are the sidecar's own and not served, got "${name}"`, { field });
}

/** Re-labels an error's field with the request message it came in (e.g. "path" → "secretGet.path"). */
async function inMessage<T>(message: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof EnsoulError && err.field !== undefined && !err.field.includes(".")) {
      throw new EnsoulError(err.code, err.message, { field: `${message}.${err.field}`, cause: err.cause });
    }
    throw err;
  }
}

/** Request bytes as a Buffer (the codec may hand an empty field over as a plain array). */
const bytesOf = (value: Uint8Array | number[] | null | undefined): Buffer => Buffer.from(value ?? []);
/** An optional context: absent when empty. */
const contextOf = (value: Uint8Array | null | undefined): Buffer | undefined => (value && value.length > 0 ? bytesOf(value) : undefined);

function seconds(value: number | undefined, field: string, required: boolean): number | undefined {
  const s = value ?? 0;
  if (s === 0 && !required) return undefined;
  if (s <= 0 || s * 1000 > MAX_LEASE_MS) {
    throw new EnsoulError("INVALID_ARGUMENT", `${field} must be from 1 second to 366 days, got ${s}`, { field });
  }
  return s * 1000;
}

function entriesToData(entries: SecretEntry[] | undefined): SecretData {
  const data: SecretData = {};
  for (const entry of entries ?? []) {
    const key = entry.key ?? "";
    if (Object.prototype.hasOwnProperty.call(data, key)) {
      throw new EnsoulError("INVALID_ARGUMENT", `entry "${key}" is given twice`, { field: "secretPut.entries" });
    }
    data[key] = entry.value ?? "";
  }
  return data;
}

const wireLease = (lease: Lease): WireLease => ({ leaseId: lease.id, ...lease });

function secretMeta(version: SecretVersion): SecretMeta {
  return {
    path: version.path,
    version: version.version,
    createdAtMs: version.createdAtMs,
    lease: version.lease ? wireLease(version.lease) : null,
  };
}

export function securityMethods(service: SecurityEngines): Method[] {
  const transit = (principal: Principal, key: string | undefined, message: string): { key: string; engine: TransitEngine } => {
    const name = key ?? "";
    checkNotReserved(name, RESERVED_TRANSIT_KEYS, `${message}.key`);
    checkProjectScope(principal, name, `${message}.key`);
    return { key: name, engine: service.transitFor(principal.subject) };
  };
  const secrets = (principal: Principal) => service.secretsFor(principal.subject);
  /** A secret path from a request, once it is checked: not the sidecar's own, inside the caller's project. */
  const secretPath = (principal: Principal, path: string | undefined, field: string): string => {
    const name = path ?? "";
    checkNotReserved(name, RESERVED_SECRET_PATHS, field);
    checkProjectScope(principal, name, field);
    return name;
  };
  const leasePath = async (principal: Principal, leaseId: string, message: string): Promise<void> => {
    // A scoped token may touch only leases of its project's secrets; look the lease up first.
    if (principal.project === undefined) return;
    const lease = await service.leaseInfo(leaseId);
    if (lease) checkProjectScope(principal, lease.path, `${message}.leaseId`);
  };

  return [
    unary({
      service: "transit",
      name: "encrypt",
      request: "transitEncrypt",
      response: "transitCiphertext",
      handle: async (request, ctx) => {
        const { key, engine } = transit(ctx.principal, request.key, "transitEncrypt");
        const made = await inMessage("transitEncrypt", () => engine.encrypt(key, bytesOf(request.plaintext), contextOf(request.context)));
        return { key, ...made };
      },
    }),
    unary({
      service: "transit",
      name: "decrypt",
      request: "transitDecrypt",
      response: "transitPlaintext",
      handle: async (request, ctx) => {
        const { key, engine } = transit(ctx.principal, request.key, "transitDecrypt");
        const ciphertext = request.ciphertext ?? "";
        const plaintext = await inMessage("transitDecrypt", () => engine.decrypt(key, ciphertext, contextOf(request.context)));
        return { key, plaintext, keyVersion: ciphertextVersion(ciphertext) ?? 0 };
      },
    }),
    unary({
      service: "transit",
      name: "rotate",
      request: "transitRotate",
      response: "transitKeyState",
      handle: async (request, ctx) => {
        const { key, engine } = transit(ctx.principal, request.key, "transitRotate");
        const state = await inMessage("transitRotate", () => engine.rotate(key));
        return { key, latestVersion: state.latestVersion, versions: state.versions };
      },
    }),
    unary({
      service: "transit",
      name: "rewrap",
      request: "transitRewrap",
      response: "transitCiphertext",
      handle: async (request, ctx) => {
        const { key, engine } = transit(ctx.principal, request.key, "transitRewrap");
        const made = await inMessage("transitRewrap", () => engine.rewrap(key, request.ciphertext ?? "", contextOf(request.context)));
        return { key, ...made };
      },
    }),
    unary({
      service: "secrets",
      name: "put",
      request: "secretPut",
      response: "secretMeta",
      handle: async (request, ctx) => {
        const path = secretPath(ctx.principal, request.path, "secretPut.path");
        const data = entriesToData(request.entries);
        const ttlMs = seconds(request.ttlS, "secretPut.ttlS", false);
        const options = { ...(ttlMs === undefined ? {} : { ttlMs }), ...(request.cas ? { expectedVersion: request.casVersion ?? 0 } : {}) };
        return secretMeta(await inMessage("secretPut", () => secrets(ctx.principal).put(path, data, options)));
      },
    }),
    unary({
      service: "secrets",
      name: "get",
      request: "secretGet",
      response: "secret",
      handle: async (request, ctx) => {
        const path = secretPath(ctx.principal, request.path, "secretGet.path");
        const secret = await inMessage("secretGet", () => secrets(ctx.principal).get(path, request.version || undefined));
        return { meta: secretMeta(secret), entries: Object.entries(secret.data).map(([key, value]) => ({ key, value })) };
      },
    }),
    unary({
      service: "secrets",
      name: "list",
      request: "secretList",
      response: "secretListReply",
      handle: async (request, ctx) => {
        const scope = ctx.principal.project === undefined ? "" : `projects/${ctx.principal.project}/`;
        const prefix = request.prefix || scope;
        checkNotReserved(prefix, RESERVED_SECRET_PATHS, "secretList.prefix");
        checkProjectScope(ctx.principal, prefix, "secretList.prefix");
        const paths = await inMessage("secretList", () => secrets(ctx.principal).list(prefix, request.limit || undefined));
        return { paths: paths.filter((p) => !p.startsWith(RESERVED_SECRET_PATHS)) };
      },
    }),
    unary({
      service: "secrets",
      name: "renew",
      request: "leaseRenew",
      response: "lease",
      handle: async (request, ctx) => {
        const leaseId = request.leaseId ?? "";
        const incrementMs = seconds(request.incrementS, "leaseRenew.incrementS", true)!;
        await leasePath(ctx.principal, leaseId, "leaseRenew");
        return wireLease(await inMessage("leaseRenew", () => secrets(ctx.principal).renew(leaseId, incrementMs)));
      },
    }),
    unary({
      service: "secrets",
      name: "revoke",
      request: "leaseRevoke",
      response: "lease",
      handle: async (request, ctx) => {
        const leaseId = request.leaseId ?? "";
        await leasePath(ctx.principal, leaseId, "leaseRevoke");
        return wireLease(await inMessage("leaseRevoke", () => secrets(ctx.principal).revoke(leaseId)));
      },
    }),
  ];
}

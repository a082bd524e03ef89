/**
 * Who may call what: the one table of the sidecar's role-based access rules, keyed by the
 * method's HTTP path ("service/name"). The gateway asks it on every request; ServerInfo shows
 * it; the matrix test walks it against the live method table, so a method served without an
 * entry here fails that test (and is denied to every caller, admin included, at run time).
 *
 * Roles:
 *  - admin: everything, including tokens, MFA and the audit log.
 *  - designer: generates characters and bodies, writes assets and planner domains.
 *  - game: runs planner sessions, reads assets and generation results.
 *  - viewer: read-only.
 * Attribute rules (a project-scoped token reaches only its project) are enforced by the
 * services that keep per-project data, from `principal.project`.
 */
import type { Method, Principal, Role } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";

const ALL: readonly Role[] = ["admin", "designer", "game", "viewer"];
const AUTHORS: readonly Role[] = ["admin", "designer"];
const PLAYERS: readonly Role[] = ["admin", "designer", "game"];
const ADMIN: readonly Role[] = ["admin"];

export type AccessTable = Readonly<Record<string, readonly Role[]>>;

export const ACCESS: AccessTable = {
  "system/ping": ALL,
  "system/info": ALL,

  "planner/domainPut": AUTHORS,
  "planner/plan": PLAYERS,
  "planner/agentOpen": PLAYERS,
  "planner/agentReport": PLAYERS,
  "planner/agentSetGoal": PLAYERS,
  "planner/agentClose": PLAYERS,

  "generate/generate": AUTHORS,
  "generate/body": AUTHORS,
  "generate/submit": AUTHORS,

  "assets/putBegin": AUTHORS,
  "assets/putChunk": AUTHORS,
  "assets/putCommit": AUTHORS,
  "assets/get": ALL,
  "assets/stat": ALL,
  "assets/list": ALL,

  "auth/tokenCreate": ADMIN,
  "auth/tokenList": ADMIN,
  "auth/tokenRevoke": ADMIN,
  "auth/mfaEnrol": ADMIN,
  "auth/mfaConfirm": ADMIN,
  "auth/accessToken": ALL,
  "auth/auditVerify": ADMIN,

  "transit/encrypt": AUTHORS,
  "transit/decrypt": AUTHORS,
  "transit/rotate": ADMIN,
  "transit/rewrap": ADMIN,

  "secrets/put": ADMIN,
  "secrets/get": ADMIN,
  "secrets/list": ADMIN,
  "secrets/renew": ADMIN,
  "secrets/revoke": ADMIN,

  "characters/put": AUTHORS,
  "characters/get": ALL,
  "characters/list": ALL,
  "characters/search": ALL,
  "characters/delete": AUTHORS,

  "queue/get": ALL,
  "queue/cancel": PLAYERS,
  "queue/list": ALL,
  "queue/watch": ALL,
};

export const methodPath = (method: Pick<Method, "service" | "name">): string => `${method.service}/${method.name}`;

/**
 * The table compiled for the hot path: each method object maps to a bit mask of the roles that
 * may call it, so a check is one WeakMap lookup and an AND.
 */
export class AccessPolicy {
  private readonly masks = new WeakMap<Method, number>();

  constructor(private readonly table: AccessTable = ACCESS) {}

  /** The roles the table allows for a method (none when the method is missing). */
  rolesFor(method: Pick<Method, "service" | "name">): readonly Role[] {
    return this.table[methodPath(method)] ?? [];
  }

  /** Whether the table has an entry for the method. */
  covers(method: Pick<Method, "service" | "name">): boolean {
    return Object.prototype.hasOwnProperty.call(this.table, methodPath(method));
  }

  allows(roleMask: number, method: Method): boolean {
    let mask = this.masks.get(method);
    if (mask === undefined) {
      mask = roleMaskOf(this.rolesFor(method));
      this.masks.set(method, mask);
    }
    return (mask & roleMask) !== 0;
  }

  /** Throws PERMISSION_DENIED, saying why, unless the principal's roles may call the method. */
  check(principal: Principal, method: Method): void {
    if (this.allows(roleMaskOf(principal.roles), method)) return;
    const path = methodPath(method);
    throw new EnsoulError(
      "PERMISSION_DENIED",
      this.covers(method)
        ? `${principal.subject} (roles: ${principal.roles.join(", ") || "none"}) may not call ${path}`
        : `${path} has no entry in the access table (services/auth/policy.ts), so nobody may call it`,
    );
  }
}

const ROLE_BITS: Record<Role, number> = { admin: 1, designer: 2, game: 4, viewer: 8 };

/** The roles as a bit mask (computed once per principal, not per request). */
export function roleMaskOf(roles: readonly Role[]): number {
  let mask = 0;
  for (const role of roles) mask |= ROLE_BITS[role] ?? 0;
  return mask;
}

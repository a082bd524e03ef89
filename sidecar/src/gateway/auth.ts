/**
 * The authentication seam. The gateway asks an Authenticator who a bearer token belongs to and
 * checks the method's roles itself; the identity service plugs its own Authenticator in here.
 */
import { EnsoulError } from "../lib/errors.js";
import type { Method, Principal } from "./methods.js";

export interface Authenticator {
  /** Resolves a bearer token to a principal, or throws UNAUTHENTICATED. */
  authenticate(token: string): Promise<Principal>;
}

/** Throws PERMISSION_DENIED unless one of the principal's roles may call the method. */
export function authorize(principal: Principal, method: Method): void {
  if (principal.roles.some((role) => method.roles.includes(role))) return;
  throw new EnsoulError(
    "PERMISSION_DENIED",
    `${principal.subject} (roles: ${principal.roles.join(", ") || "none"}) may not call ${method.service}.${method.name}`,
  );
}

/**
 * The authentication seam. The gateway asks an Authenticator who a bearer token belongs to
 * (once per WebSocket connection, at Hello; once per HTTP request) and, on every request,
 * whether that principal may still call the method: the credential may have been revoked or
 * expired since Hello, and the access table decides the roles. The auth service implements it.
 */
import type { Method, Principal } from "./methods.js";

export interface Authenticator {
  /** Resolves a bearer token to a principal, or throws UNAUTHENTICATED. */
  authenticate(token: string): Promise<Principal>;
  /**
   * Throws UNAUTHENTICATED when the principal's credential no longer holds (revoked, expired)
   * and PERMISSION_DENIED when its roles may not call the method. Synchronous and cheap: it
   * runs before every request.
   */
  authorize(principal: Principal, method: Method): void;
}

/**
 * The gateway's Authenticator: who a bearer token is (API token or JWT), and on every request
 * whether that credential still holds and the access table lets its roles call the method.
 * Every authentication and every refusal goes to the audit log.
 */
import type { Authenticator } from "../../gateway/auth.js";
import type { Method, Principal } from "../../gateway/methods.js";
import { EnsoulError, toEnsoulError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import type { AuditEvent, AuditLog } from "./audit.js";
import { AccessTokens } from "./jwt.js";
import { methodPath, type AccessPolicy } from "./policy.js";
import { TOKEN_PREFIX, tokenRefusal, type TokenRegistry } from "./tokens.js";

export interface AuthenticatorDeps {
  tokens: TokenRegistry;
  accessTokens: AccessTokens;
  policy: AccessPolicy;
  audit: AuditLog;
  log: Logger;
  now: () => number;
}

const refused = (message: string): EnsoulError => new EnsoulError("UNAUTHENTICATED", message, { field: "token" });

export class TokenAuthenticator implements Authenticator {
  constructor(private readonly deps: AuthenticatorDeps) {}

  async authenticate(token: string): Promise<Principal> {
    let principal: Principal;
    try {
      principal = await this.resolve(token);
    } catch (err) {
      const e = toEnsoulError(err);
      await this.deps.audit.record({ kind: "auth.authenticate", subject: "anonymous", outcome: "denied", detail: { reason: e.message } });
      throw e;
    }
    await this.deps.audit.record({
      kind: "auth.authenticate",
      subject: principal.subject,
      outcome: "ok",
      detail: { credential: principal.credential, tokenId: principal.tokenId },
    });
    return principal;
  }

  private async resolve(token: string): Promise<Principal> {
    if (token === "") throw refused("no token: send an API token (ens_…) or an access token (JWT)");
    const now = this.deps.now();
    if (token.startsWith(TOKEN_PREFIX)) {
      const stored = await this.deps.tokens.bySecret(token);
      if (!stored) throw refused("the token is not valid for this sidecar");
      const refusal = tokenRefusal(stored, now, this.deps.tokens.isRevoked(stored.id));
      if (refusal) throw refused(refusal);
      return {
        subject: stored.subject,
        roles: stored.roles,
        ...(stored.project === "" ? {} : { project: stored.project }),
        tokenId: stored.id,
        ...(stored.expiresAtMs > 0 ? { expiresAtMs: stored.expiresAtMs } : {}),
        credential: "api-token",
      };
    }
    if (!AccessTokens.looksLikeJwt(token)) throw refused("the token is neither an API token (ens_…) nor a JWT");
    const principal = await this.deps.accessTokens.verify(token);
    // A sidecar JWT lives only as long as the API token it came from.
    if (principal.tokenId !== undefined) {
      if (this.deps.tokens.isRevoked(principal.tokenId)) throw refused(`the access token's token ${principal.tokenId} was revoked`);
      const parent = await this.deps.tokens.byId(principal.tokenId);
      const refusal = parent ? tokenRefusal(parent, now, this.deps.tokens.isRevoked(parent.id)) : `token ${principal.tokenId} no longer exists`;
      if (refusal) throw refused(`the access token's ${refusal}`);
    }
    return principal;
  }

  /** Runs before every request: cheap (a set lookup, a clock read, a mask AND). */
  authorize(principal: Principal, method: Method): void {
    if (principal.tokenId !== undefined && this.deps.tokens.isRevoked(principal.tokenId)) {
      this.refuse(principal, method, refused(`token ${principal.tokenId} was revoked`));
    }
    if (principal.expiresAtMs !== undefined && this.deps.now() >= principal.expiresAtMs) {
      this.refuse(principal, method, refused(`the credential of ${principal.subject} has expired`));
    }
    try {
      this.deps.policy.check(principal, method);
    } catch (err) {
      this.refuse(principal, method, err as EnsoulError);
    }
  }

  private refuse(principal: Principal, method: Method, err: EnsoulError): never {
    this.record({ kind: "auth.deny", subject: principal.subject, outcome: "denied", detail: { method: methodPath(method), code: err.code, reason: err.message } });
    throw err;
  }

  /** Appends without waiting (authorize is synchronous); a failed append is logged loudly. */
  private record(event: AuditEvent): void {
    this.deps.audit.record(event).catch((err: unknown) => this.deps.log.error({ err, event: event.kind }, "audit append failed"));
  }
}

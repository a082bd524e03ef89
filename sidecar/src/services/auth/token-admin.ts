/**
 * Changes to credentials, as the admin methods make them: create, list and revoke API tokens,
 * enrol in TOTP, issue access tokens. Changes to admin tokens need the caller's TOTP code
 * (mfa.ts decides when); a project-scoped admin works only inside its project. Every change is
 * audited, refusals included.
 */
import type { Principal } from "../../gateway/methods.js";
import { EnsoulError, toEnsoulError } from "../../lib/errors.js";
import type { AuditLog } from "./audit.js";
import { DEFAULT_ACCESS_TTL_S, MAX_ACCESS_TTL_S, type AccessTokens, type IssuedAccessToken } from "./jwt.js";
import type { Enrolment, TotpMfa } from "./mfa.js";
import type { StoredToken } from "./store.js";
import { checkRoles, DEFAULT_TOKEN_TTL_MS, hashSecret, MAX_TOKEN_TTL_MS, mintSecret, newTokenId, type TokenRegistry } from "./tokens.js";

export interface NewToken {
  subject?: string;
  roles: readonly string[];
  project?: string;
  ttlMs?: number;
  totp?: string;
}

/** A token as shown to people: everything but the hash. */
export type TokenView = Omit<StoredToken, "hash">;

export function viewToken(token: StoredToken): TokenView {
  const { hash: _hash, ...view } = token;
  return view;
}

const SUBJECT_PATTERN = /^[\w.@:-]{1,128}$/;
const PROJECT_PATTERN = /^[\w.-]{1,128}$/;

export class TokenAdmin {
  constructor(
    private readonly tokens: TokenRegistry,
    private readonly mfa: TotpMfa,
    private readonly accessTokens: AccessTokens,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  /** Creates a token and returns it with its secret (the only time the secret is seen). */
  async create(caller: Principal, request: NewToken): Promise<{ token: TokenView; secret: string }> {
    return this.audited(caller, "token.create", {}, async (detail) => {
      const roles = checkRoles(request.roles, "tokenCreate.roles");
      const project = this.projectFor(caller, request.project ?? "");
      const ttlMs = request.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
      if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TOKEN_TTL_MS) {
        throw new EnsoulError("INVALID_ARGUMENT", `a token lives from 1 second to ${MAX_TOKEN_TTL_MS / 86_400_000} days`, { field: "tokenCreate.ttlS" });
      }
      if (roles.includes("admin")) await this.mfa.requireCode(caller.subject, request.totp ?? "", "tokenCreate.totp");
      const id = newTokenId();
      const subject = request.subject || id;
      if (!SUBJECT_PATTERN.test(subject)) {
        throw new EnsoulError("INVALID_ARGUMENT", "a subject is 1–128 letters, digits or . _ @ : -", { field: "tokenCreate.subject" });
      }
      const secret = mintSecret();
      const nowMs = this.now();
      const token: StoredToken = { id, hash: hashSecret(secret), subject, roles, project, createdAtMs: nowMs, expiresAtMs: nowMs + ttlMs, revokedAtMs: 0, createdBy: caller.subject };
      await this.tokens.add(token);
      Object.assign(detail, { tokenId: id, tokenSubject: subject, roles: roles.join(","), project });
      return { token: viewToken(token), secret };
    });
  }

  async list(caller: Principal, includeRevoked: boolean): Promise<TokenView[]> {
    const all = await this.tokens.list(includeRevoked);
    return all.filter((t) => caller.project === undefined || t.project === caller.project).map(viewToken);
  }

  /** Revokes a token; connections using it are refused at their next request. */
  async revoke(caller: Principal, tokenId: string, totp: string): Promise<TokenView> {
    return this.audited(caller, "token.revoke", { tokenId }, async () => {
      const field = "tokenRevoke.tokenId";
      const token = tokenId === "" ? undefined : await this.tokens.byId(tokenId);
      // A scoped admin does not learn that other projects' tokens exist.
      if (!token || (caller.project !== undefined && token.project !== caller.project)) {
        throw new EnsoulError("NOT_FOUND", `no token ${tokenId || "(empty id)"}: ensoul token list shows them`, { field });
      }
      if (token.revokedAtMs > 0) throw new EnsoulError("FAILED_PRECONDITION", `token ${tokenId} is already revoked`, { field });
      if (token.roles.includes("admin")) await this.mfa.requireCode(caller.subject, totp, "tokenRevoke.totp");
      const atMs = this.now();
      await this.tokens.revoke(tokenId, atMs);
      return viewToken({ ...token, revokedAtMs: atMs });
    });
  }

  async enrolMfa(caller: Principal, totp: string): Promise<Enrolment> {
    return this.audited(caller, "mfa.enrol", {}, () => this.mfa.enrol(caller.subject, totp, "mfaEnrol.totp"));
  }

  async confirmMfa(caller: Principal, totp: string): Promise<void> {
    return this.audited(caller, "mfa.confirm", {}, () => this.mfa.confirm(caller.subject, totp, "mfaConfirm.totp"));
  }

  /** Exchanges the caller's API token for a short-lived JWT (a JWT cannot mint another). */
  async issueAccessToken(caller: Principal, ttlS: number): Promise<IssuedAccessToken> {
    return this.audited(caller, "jwt.issue", {}, async (detail) => {
      if (caller.credential !== "api-token") {
        throw new EnsoulError("PERMISSION_DENIED", "access tokens are issued for an API token, not for another access token");
      }
      const ttl = ttlS === 0 ? DEFAULT_ACCESS_TTL_S : ttlS;
      if (ttl > MAX_ACCESS_TTL_S) throw new EnsoulError("INVALID_ARGUMENT", `an access token lives at most ${MAX_ACCESS_TTL_S} s`, { field: "accessTokenRequest.ttlS" });
      const issued = await this.accessTokens.issue(caller, ttl);
      detail["expiresAtMs"] = issued.expiresAtMs;
      return issued;
    });
  }

  /** The project a new token gets: a scoped caller can only make tokens for its own project. */
  private projectFor(caller: Principal, requested: string): string {
    if (requested !== "" && !PROJECT_PATTERN.test(requested)) {
      throw new EnsoulError("INVALID_ARGUMENT", "a project is 1–128 letters, digits or . _ -", { field: "tokenCreate.project" });
    }
    if (caller.project === undefined) return requested;
    if (requested === "" || requested === caller.project) return caller.project;
    throw new EnsoulError("PERMISSION_DENIED", `this token reaches only project ${caller.project}`, { field: "tokenCreate.project" });
  }

  /** Runs a change and appends its outcome to the audit log, refusals included. */
  private async audited<T>(caller: Principal, kind: string, detail: Record<string, string | number>, change: (detail: Record<string, string | number>) => Promise<T>): Promise<T> {
    try {
      const result = await change(detail);
      await this.audit.record({ kind, subject: caller.subject, outcome: "ok", detail });
      return result;
    } catch (err) {
      const e = toEnsoulError(err);
      await this.audit.record({ kind, subject: caller.subject, outcome: e.code === "PERMISSION_DENIED" ? "denied" : "failed", detail: { ...detail, reason: e.message } });
      throw e;
    }
  }
}

/**
 * The auth service over the protocol: token create/list/revoke, TOTP enrolment, access-token
 * issue and audit verification. Who may call each is in policy.ts like every other method.
 */
import type { TokenInfo } from "../../generated/ensoul_v1.js";
import { unary, type Method } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import type { AuditLog } from "./audit.js";
import type { TokenAdmin, TokenView } from "./token-admin.js";

function tokenInfo(t: TokenView): TokenInfo {
  return {
    tokenId: t.id,
    subject: t.subject,
    roles: t.roles,
    project: t.project,
    createdAtMs: t.createdAtMs,
    expiresAtMs: t.expiresAtMs,
    revokedAtMs: t.revokedAtMs,
    createdBy: t.createdBy,
  };
}

/** A uint64 field as a number of seconds turned into ms (0 stays "use the default"). */
function secondsToMs(value: { toNumber(): number } | number | null | undefined, field: string): number | undefined {
  const s = value === null || value === undefined ? 0 : typeof value === "number" ? value : value.toNumber();
  if (!Number.isSafeInteger(s) || s < 0) throw new EnsoulError("INVALID_ARGUMENT", `${field} must be a whole number of seconds`, { field });
  return s === 0 ? undefined : s * 1000;
}

export function authMethods(admin: TokenAdmin, audit: AuditLog): Method[] {
  return [
    unary({
      service: "auth",
      name: "tokenCreate",
      request: "tokenCreate",
      response: "tokenCreated",
      handle: async (req, ctx) => {
        const ttlMs = secondsToMs(req.ttlS, "tokenCreate.ttlS");
        const { token, secret } = await admin.create(ctx.principal, {
          subject: req.subject ?? "",
          roles: req.roles ?? [],
          project: req.project ?? "",
          ...(ttlMs === undefined ? {} : { ttlMs }),
          totp: req.totp ?? "",
        });
        return { token: tokenInfo(token), secret };
      },
    }),
    unary({
      service: "auth",
      name: "tokenList",
      request: "tokenList",
      response: "tokenListReply",
      handle: async (req, ctx) => ({ tokens: (await admin.list(ctx.principal, req.includeRevoked ?? false)).map(tokenInfo) }),
    }),
    unary({
      service: "auth",
      name: "tokenRevoke",
      request: "tokenRevoke",
      response: "tokenRevoked",
      handle: async (req, ctx) => ({ token: tokenInfo(await admin.revoke(ctx.principal, req.tokenId ?? "", req.totp ?? "")) }),
    }),
    unary({
      service: "auth",
      name: "mfaEnrol",
      request: "mfaEnrol",
      response: "mfaEnrolment",
      handle: async (req, ctx) => {
        const enrolment = await admin.enrolMfa(ctx.principal, req.totp ?? "");
        return { subject: ctx.principal.subject, secret: enrolment.secret, otpauthUrl: enrolment.otpauthUrl };
      },
    }),
    unary({
      service: "auth",
      name: "mfaConfirm",
      request: "mfaConfirm",
      response: "mfaConfirmed",
      handle: async (req, ctx) => {
        await admin.confirmMfa(ctx.principal, req.totp ?? "");
        return { subject: ctx.principal.subject };
      },
    }),
    unary({
      service: "auth",
      name: "accessToken",
      request: "accessTokenRequest",
      response: "accessToken",
      handle: async (req, ctx) => admin.issueAccessToken(ctx.principal, req.ttlS ?? 0),
    }),
    unary({
      service: "auth",
      name: "auditVerify",
      request: "auditVerify",
      response: "auditReport",
      handle: async () => audit.verify(),
    }),
  ];
}

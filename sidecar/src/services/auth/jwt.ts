/**
 * Access tokens as JWTs (jose). The sidecar issues short-lived ones (EdDSA over Ed25519) from an
 * API token, and, when configured, accepts those of an external OIDC issuer verified against
 * its JWKS. Verification pins the algorithms (so `alg: none` and an HS256 token signed with a
 * public key are refused before any key is used), and checks `iss`, `aud`, `exp` and `nbf` with
 * a bounded clock skew.
 */
import {
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { createHash } from "node:crypto";
import { ROLES, type Principal, type Role } from "../../gateway/methods.js";
import type { OidcSettings } from "../../lib/config.js";
import { EnsoulError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { AuthStore } from "./store.js";

/** `iss` of the sidecar's own access tokens. */
export const SIDECAR_ISSUER = "urn:ensoul:sidecar";
/** `aud` the sidecar's own access tokens carry and require. */
export const SIDECAR_AUDIENCE = "ensoul";
export const CLOCK_SKEW_S = 30;
export const DEFAULT_ACCESS_TTL_S = 15 * 60;
export const MAX_ACCESS_TTL_S = 3600;
const SIGNING_KEY_SETTING = "jwt.signing_key";
/** Verified tokens remembered; past this the cache starts again. */
const VERIFIED_CACHE_LIMIT = 10_000;
/** Asymmetric algorithms only: a symmetric (HS*) token is never checked against a public key. */
const OIDC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];

/**
 * An external OpenID Connect issuer whose tokens the sidecar accepts: `jwksUrl` is the
 * `jwks_uri` of its discovery document; the roles claim may be an array or a space-separated
 * string.
 */
export type OidcConfig = OidcSettings;

export interface IssuedAccessToken {
  jwt: string;
  expiresAtMs: number;
}

const unauthenticated = (message: string, cause?: unknown): EnsoulError =>
  new EnsoulError("UNAUTHENTICATED", message, { field: "token", cause });

/** Turns jose's verification failures into messages a person can act on. */
function verifyFailure(err: unknown, who: string): EnsoulError {
  const code = (err as { code?: string }).code ?? "";
  const claim = (err as { claim?: string }).claim;
  const reasons: Record<string, string> = {
    ERR_JWT_EXPIRED: "has expired",
    ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "has a signature that does not verify",
    ERR_JOSE_ALG_NOT_ALLOWED: "uses a signing algorithm that is not accepted",
    ERR_JWKS_NO_MATCHING_KEY: "is signed with a key the issuer does not publish",
    ERR_JWS_INVALID: "is not a well-formed signed token",
    ERR_JWT_INVALID: "is not a well-formed token",
  };
  let reason = reasons[code];
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
    reason = claim === "nbf" ? "is not valid yet (nbf)" : `fails its ${claim ?? "claims"} check (${(err as Error).message})`;
  }
  return unauthenticated(`the ${who} access token ${reason ?? `was refused (${(err as Error).message})`}`, err);
}

function rolesFromClaim(value: unknown): Role[] {
  const names = Array.isArray(value) ? value : typeof value === "string" ? value.split(/\s+/) : [];
  return (ROLES as readonly string[]).filter((r) => names.includes(r)) as Role[];
}

export class AccessTokens {
  private readonly oidcKeys: JWTVerifyGetKey | undefined;
  private readonly verified = new Map<string, Principal>();

  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly keyId: string,
    private readonly now: () => number,
    private readonly oidc: OidcConfig | undefined,
  ) {
    this.oidcKeys = oidc && createRemoteJWKSet(new URL(oidc.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  }

  /** Loads the signing key from the store, creating it on first run (every replica shares it). */
  static async open(store: AuthStore, now: () => number, oidc?: OidcConfig): Promise<AccessTokens> {
    let stored = await store.setting(SIGNING_KEY_SETTING);
    if (stored === undefined) {
      const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      stored = await store.putSettingOnce(SIGNING_KEY_SETTING, JSON.stringify(await exportJWK(privateKey)));
    }
    const jwk = JSON.parse(stored) as JWK;
    const privateKey = (await importJWK(jwk, "EdDSA")) as CryptoKey;
    const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
    const publicKey = (await importJWK(publicJwk, "EdDSA")) as CryptoKey;
    const keyId = createHash("sha256").update(jwk.x ?? "").digest("base64url").slice(0, 16);
    return new AccessTokens(privateKey, publicKey, keyId, now, oidc);
  }

  /** Whether a bearer token looks like a JWT (three base64url parts). */
  static looksLikeJwt(token: string): boolean {
    return /^[\w-]+\.[\w-]*\.[\w-]*$/.test(token);
  }

  /**
   * Issues an access token for the principal of an API token. It never outlives that token,
   * and carries the token's id so revoking the API token also stops its access tokens.
   */
  async issue(principal: Principal, ttlS: number): Promise<IssuedAccessToken> {
    const nowS = Math.floor(this.now() / 1000);
    let expS = nowS + ttlS;
    if (principal.expiresAtMs !== undefined) expS = Math.min(expS, Math.floor(principal.expiresAtMs / 1000));
    const claims: JWTPayload = { roles: principal.roles, tid: principal.tokenId };
    if (principal.project !== undefined) claims["project"] = principal.project;
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: "EdDSA", kid: this.keyId, typ: "JWT" })
      .setIssuer(SIDECAR_ISSUER)
      .setAudience(SIDECAR_AUDIENCE)
      .setSubject(principal.subject)
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(expS)
      .setJti(newId("jwt", 9))
      .sign(this.privateKey);
    return { jwt, expiresAtMs: expS * 1000 };
  }

  /**
   * Verifies a JWT from this sidecar or the configured OIDC issuer and returns who it names.
   * A token verified once is remembered until it expires, so a client that sends the same JWT
   * with every HTTP request pays for the signature check once (revocation and expiry are still
   * checked on every request by the authenticator).
   */
  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known && this.now() < known.expiresAtMs!) return known;
    const principal = await this.verifyOnce(token);
    if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.clear();
    this.verified.set(token, principal);
    return principal;
  }

  private async verifyOnce(token: string): Promise<Principal> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch (err) {
      throw unauthenticated("the bearer token is not a well-formed JWT", err);
    }
    const currentDate = new Date(this.now());
    if (issuer === SIDECAR_ISSUER) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, this.publicKey, {
          issuer: SIDECAR_ISSUER,
          audience: SIDECAR_AUDIENCE,
          algorithms: ["EdDSA"],
          clockTolerance: CLOCK_SKEW_S,
          currentDate,
          requiredClaims: ["exp", "nbf", "sub", "tid"],
        }));
      } catch (err) {
        throw verifyFailure(err, "sidecar");
      }
      return this.principalFrom(payload, "roles", "project", payload.sub!, String(payload["tid"]));
    }
    const oidc = this.oidc;
    if (oidc && issuer === oidc.issuer) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, this.oidcKeys!, {
          issuer: oidc.issuer,
          audience: oidc.audience,
          algorithms: OIDC_ALGORITHMS,
          clockTolerance: CLOCK_SKEW_S,
          currentDate,
          requiredClaims: ["exp", "sub"],
        }));
      } catch (err) {
        throw verifyFailure(err, `${oidc.issuer}`);
      }
      return this.principalFrom(payload, oidc.rolesClaim ?? "roles", oidc.projectClaim ?? "project", `oidc:${payload.sub}`, undefined);
    }
    throw unauthenticated(`the access token's issuer ${JSON.stringify(issuer ?? "")} is not trusted by this sidecar`);
  }

  private principalFrom(payload: JWTPayload, rolesClaim: string, projectClaim: string, subject: string, tokenId: string | undefined): Principal {
    const roles = rolesFromClaim(payload[rolesClaim]);
    if (roles.length === 0) throw unauthenticated(`the access token grants no Ensoul role (claim "${rolesClaim}": ${ROLES.join(", ")})`);
    const project = payload[projectClaim];
    return {
      subject,
      roles,
      ...(typeof project === "string" && project !== "" ? { project } : {}),
      ...(tokenId === undefined ? {} : { tokenId }),
      // The skew allowed at verification holds for the checks on later requests as well.
      expiresAtMs: (payload.exp! + CLOCK_SKEW_S) * 1000,
      credential: tokenId === undefined ? "oidc" : "jwt",
    };
  }
}

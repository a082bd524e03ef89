/**
 * The auth service: API tokens, access tokens (JWT, sidecar-issued or from an OIDC issuer),
 * TOTP for admin changes, the access table and the hash-chained audit log. app/ creates it,
 * hands `authenticator` to the gateway, `methods` to the method table and `audit` to any
 * service that must record what it does (secret access, for one).
 */
import type { Authenticator } from "../../gateway/auth.js";
import type { Method } from "../../gateway/methods.js";
import type { Logger } from "../../lib/logger.js";
import { openDataStore, type DataStore } from "../data/index.js";
import { AuditLog, type AuditSink } from "./audit.js";
import { openDataAuthStore } from "./data-store.js";
import { TokenAuthenticator } from "./authenticator.js";
import { ensureAdminToken, type AdminToken } from "./bootstrap.js";
import { AccessTokens, type OidcConfig } from "./jwt.js";
import { TotpMfa } from "./mfa.js";
import { AccessPolicy, ACCESS, type AccessTable } from "./policy.js";
import { authMethods } from "./rpc.js";
import { sealedAuthStore, sealPlaintextRows, type Sealer } from "./sealed-store.js";
import type { AuthStore } from "./store.js";
import { TokenAdmin } from "./token-admin.js";
import { TokenRegistry } from "./tokens.js";

export type { AuditEvent, AuditSink, AuditVerification } from "./audit.js";
export type { AdminToken } from "./bootstrap.js";
export type { OidcConfig } from "./jwt.js";
export type { Sealer } from "./sealed-store.js";
export { ACCESS, AccessPolicy, type AccessTable } from "./policy.js";

export interface AuthServiceOptions {
  dataDir: string;
  log: Logger;
  /**
   * The data service, where tokens, enrolments, the signing key and the audit log live. When
   * absent the service opens the embedded store in `dataDir` itself and closes it again.
   */
  data?: DataStore;
  /** Another AuthStore instead of the data service's tables. */
  store?: AuthStore;
  /**
   * Seals the TOTP secrets and the signing key before they are stored (app/ passes one over the
   * security service's keystore). Without it they are stored as they are: tests only.
   */
  sealer?: Sealer;
  /** An external OIDC issuer whose JWTs are accepted as well. */
  oidc?: OidcConfig;
  /** The access table (default: ACCESS; tests add their own methods). */
  access?: AccessTable;
  /**
   * How often to reload revocations made by other replicas (server mode); 0: never, because
   * this process makes every revocation itself (embedded mode).
   */
  revocationPollMs?: number;
  now?: () => number;
}

export interface AuthService {
  authenticator: Authenticator;
  policy: AccessPolicy;
  audit: AuditSink & Pick<AuditLog, "verify">;
  admin: TokenAdmin;
  /** The first admin token (created on the first run and written to admin.token). */
  adminToken: AdminToken;
  methods: Method[];
  close(): Promise<void>;
}

export async function createAuthService(options: AuthServiceOptions): Promise<AuthService> {
  const now = options.now ?? Date.now;
  const ownData = options.store || options.data ? undefined : await openDataStore({ mode: "embedded", dataDir: options.dataDir });
  const data = options.data ?? ownData;
  const closeOwned = async (): Promise<void> => {
    await store?.close();
    await ownData?.close();
  };
  let store: AuthStore | undefined;
  try {
    store = options.store ?? (await openDataAuthStore(data!));
    if (options.sealer) {
      const sealedRows = await sealPlaintextRows(store, options.sealer);
      if (sealedRows > 0) options.log.info({ rows: sealedRows }, "sealed auth secrets stored in plain text by an earlier version");
      store = sealedAuthStore(store, options.sealer);
    }
    const audit = new AuditLog(store, now);
    const tokens = new TokenRegistry(store);
    await tokens.refreshRevocations(now());
    const accessTokens = await AccessTokens.open(store, now, options.oidc);
    const policy = new AccessPolicy(options.access ?? ACCESS);
    const admin = new TokenAdmin(tokens, new TotpMfa(store, now), accessTokens, audit, now);
    const claimFirstAdmin = async (id: string): Promise<boolean> => (await store!.putSettingOnce("first_admin_token", id)) === id;
    const adminToken = await ensureAdminToken(options.dataDir, tokens, audit, now(), claimFirstAdmin);
    const authenticator = new TokenAuthenticator({ tokens, accessTokens, policy, audit, log: options.log, now });
    let poll: NodeJS.Timeout | undefined;
    if (options.revocationPollMs) {
      poll = setInterval(() => {
        tokens.refreshRevocations(now()).catch((err: unknown) => options.log.error({ err }, "reloading token revocations failed"));
      }, options.revocationPollMs);
      poll.unref();
    }
    return {
      authenticator,
      policy,
      audit,
      admin,
      adminToken,
      methods: authMethods(admin, audit),
      close: async () => {
        if (poll) clearInterval(poll);
        await closeOwned();
      },
    };
  } catch (err) {
    await closeOwned();
    throw err;
  }
}

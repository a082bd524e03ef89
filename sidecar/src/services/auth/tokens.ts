/**
 * API tokens: opaque bearer secrets ("ens_" + 256 random bits, base64url), shown once and kept
 * only as their SHA-256. A plain hash is enough here: the secret is random and long, so there
 * is nothing to guess that a slow hash would protect. The registry keeps what the gateway needs
 * on every request in memory: a cache of tokens by hash and the set of revoked ids.
 */
import { createHash, randomBytes } from "node:crypto";
import { ROLES, type Role } from "../../gateway/methods.js";
import { EnsoulError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { AuthStore, StoredToken } from "./store.js";

export const TOKEN_PREFIX = "ens_";
const SECRET_BYTES = 32;
export const DEFAULT_TOKEN_TTL_MS = 30 * 24 * 3600_000;
export const MAX_TOKEN_TTL_MS = 366 * 24 * 3600_000;
/** Tokens kept in memory by hash; past this the cache starts again (the store has them all). */
const CACHE_LIMIT = 10_000;

/** A new bearer secret. */
export function mintSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString("base64url")}`;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export const newTokenId = (): string => newId("tok", 9);

// The duration parser moved to lib/ so every CLI reads --ttl alike; re-exported for auth's callers.
export { parseTtl } from "../../lib/duration.js";

/** Checks a list of role names from a request: at least one, each known, no repeats. */
export function checkRoles(names: readonly string[], field: string): Role[] {
  if (names.length === 0) throw new EnsoulError("INVALID_ARGUMENT", `give at least one role (${ROLES.join(", ")})`, { field });
  const roles: Role[] = [];
  for (const name of names) {
    if (!(ROLES as readonly string[]).includes(name)) {
      throw new EnsoulError("INVALID_ARGUMENT", `unknown role "${name}": roles are ${ROLES.join(", ")}`, { field });
    }
    if (!roles.includes(name as Role)) roles.push(name as Role);
  }
  return roles;
}

/** Why a stored token may not be used now, or undefined when it may. */
export function tokenRefusal(token: StoredToken, nowMs: number, revoked: boolean): string | undefined {
  if (revoked || token.revokedAtMs > 0) return `token ${token.id} was revoked`;
  if (token.expiresAtMs > 0 && nowMs >= token.expiresAtMs) return `token ${token.id} expired at ${new Date(token.expiresAtMs).toISOString()}`;
  return undefined;
}

export class TokenRegistry {
  private readonly byHash = new Map<string, StoredToken>();
  private revoked = new Set<string>();

  constructor(private readonly store: AuthStore) {}

  /** Loads the revoked ids; called at start and, in server mode, on a timer (other replicas revoke too). */
  async refreshRevocations(nowMs: number): Promise<void> {
    this.revoked = new Set(await this.store.revokedTokenIds(nowMs));
  }

  isRevoked(id: string): boolean {
    return this.revoked.has(id);
  }

  async add(token: StoredToken): Promise<void> {
    await this.store.insertToken(token);
    this.remember(token);
  }

  /**
   * The token a bearer secret belongs to, or undefined. A cached copy may predate a revocation
   * made elsewhere: callers check `isRevoked` as well as the record's own fields.
   */
  async bySecret(secret: string): Promise<StoredToken | undefined> {
    const hash = hashSecret(secret);
    const cached = this.byHash.get(hash);
    if (cached) return cached;
    const stored = await this.store.tokenByHash(hash);
    if (stored) this.remember(stored);
    return stored;
  }

  byId(id: string): Promise<StoredToken | undefined> {
    return this.store.tokenById(id);
  }

  count(): Promise<number> {
    return this.store.countTokens();
  }

  list(includeRevoked: boolean): Promise<StoredToken[]> {
    return this.store.listTokens(includeRevoked);
  }

  /** Revokes in the store and at once in memory, so this replica refuses it at the next request. */
  async revoke(id: string, nowMs: number): Promise<boolean> {
    const changed = await this.store.revokeToken(id, nowMs);
    this.revoked.add(id);
    return changed;
  }

  private remember(token: StoredToken): void {
    if (this.byHash.size >= CACHE_LIMIT) this.byHash.clear();
    this.byHash.set(token.hash, token);
  }
}

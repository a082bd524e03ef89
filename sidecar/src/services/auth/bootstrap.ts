/**
 * The first admin token. On the first run (no tokens stored yet) the sidecar makes an admin API
 * token, stores its hash like any other token and writes the secret once to
 * `<dataDir>/admin.token` (mode 0600) so the CLI and the editor on this machine can use it;
 * `ensoul serve` prints it once. A data dir from before API tokens, whose admin.token already
 * exists, has that token registered instead. The token never expires; revoke it with
 * `ensoul token revoke` once other admin tokens exist.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { writeFileAtomicSync } from "../../lib/atomic-write.js";
import { EnsoulError } from "../../lib/errors.js";
import type { AuditLog } from "./audit.js";
import { hashSecret, mintSecret, newTokenId, TOKEN_PREFIX, type TokenRegistry } from "./tokens.js";

export const ADMIN_TOKEN_FILE = "admin.token";
/** The subject of the first admin token. */
export const FIRST_ADMIN_SUBJECT = "admin";

export interface AdminToken {
  /** The secret, as admin.token holds it ("" when that file was deleted after the first run). */
  token: string;
  file: string;
  /** True when this start made the token (so the caller prints it, once). */
  created: boolean;
}

/** The error for a data dir that cannot be made or written (the CLI exits 6 on field "data"). */
export function dataDirError(dir: string, err: unknown): EnsoulError {
  const code = (err as NodeJS.ErrnoException).code ?? "unknown error";
  return new EnsoulError("FAILED_PRECONDITION", `data dir ${dir} is not usable (${code}): choose another with --data`, {
    field: "data",
    cause: err,
  });
}

/** The admin.token file's secret, or undefined when there is no such file. */
function readAdminTokenFile(dataDir: string, file: string): string | undefined {
  try {
    const token = readFileSync(file, "utf8").trim();
    if (!token.startsWith(TOKEN_PREFIX) || token.length < 32) {
      throw new EnsoulError("FAILED_PRECONDITION", `${file} holds no valid token; delete it to make a new one`, { field: "data" });
    }
    return token;
  } catch (err) {
    if (err instanceof EnsoulError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw dataDirError(dataDir, err);
  }
}

/**
 * Makes the first admin token when no token exists yet; otherwise reads admin.token. `claim`
 * records which token is the first one and says whether this call won: replicas starting at
 * once on a fresh database make one first admin token between them, not one each.
 */
export async function ensureAdminToken(
  dataDir: string,
  tokens: TokenRegistry,
  audit: AuditLog,
  nowMs: number,
  claim: (tokenId: string) => Promise<boolean>,
): Promise<AdminToken> {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw dataDirError(dataDir, err);
  }
  const existing = readAdminTokenFile(dataDir, file);
  if ((await tokens.count()) > 0) return { token: existing ?? "", file, created: false };
  const secret = existing ?? mintSecret();
  const id = newTokenId();
  if (!(await claim(id))) return { token: existing ?? "", file, created: false };
  await tokens.add({ id, hash: hashSecret(secret), subject: FIRST_ADMIN_SUBJECT, roles: ["admin"], project: "", createdAtMs: nowMs, expiresAtMs: 0, revokedAtMs: 0, createdBy: "first-run" });
  await audit.record({ kind: "token.create", subject: "first-run", outcome: "ok", detail: { tokenId: id, tokenSubject: FIRST_ADMIN_SUBJECT, roles: "admin", project: "" } });
  if (existing !== undefined) return { token: existing, file, created: false };
  try {
    writeFileAtomicSync(file, `${secret}\n`, { mode: 0o600, fsync: true });
  } catch (err) {
    throw dataDirError(dataDir, err);
  }
  return { token: secret, file, created: true };
}

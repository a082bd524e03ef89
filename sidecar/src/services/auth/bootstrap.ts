/**
 * Bootstrap authentication: one random admin token, generated on first run into the data dir
 * (mode 0600) and printed once. It holds the seam until the identity service's real tokens,
 * roles and audit replace it.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Authenticator } from "../../gateway/auth.js";
import type { Principal } from "../../gateway/methods.js";
import { writeFileAtomicSync } from "../../lib/atomic-write.js";
import { EnsoulError } from "../../lib/errors.js";

export const ADMIN_TOKEN_FILE = "admin.token";

export interface AdminToken {
  token: string;
  file: string;
  /** True when this call made the token (so the caller prints it, once). */
  created: boolean;
}

function dataDirError(dir: string, err: unknown): EnsoulError {
  const code = (err as NodeJS.ErrnoException).code ?? "unknown error";
  return new EnsoulError("FAILED_PRECONDITION", `data dir ${dir} is not usable (${code}): choose another with --data`, {
    field: "data",
    cause: err,
  });
}

/** Reads the admin token from the data dir, creating the dir and the token if they are missing. */
export function loadOrCreateAdminToken(dataDir: string): AdminToken {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw dataDirError(dataDir, err);
  }
  try {
    const token = readFileSync(file, "utf8").trim();
    if (token.length < 32) {
      throw new EnsoulError("FAILED_PRECONDITION", `${file} holds no valid token; delete it to make a new one`);
    }
    return { token, file, created: false };
  } catch (err) {
    if (err instanceof EnsoulError) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw dataDirError(dataDir, err);
  }
  const token = `ens_${randomBytes(32).toString("base64url")}`;
  try {
    writeFileAtomicSync(file, `${token}\n`, { mode: 0o600, fsync: true });
  } catch (err) {
    throw dataDirError(dataDir, err);
  }
  return { token, file, created: true };
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

export class BootstrapAuthenticator implements Authenticator {
  private readonly expected: Buffer;

  constructor(adminToken: string) {
    this.expected = digest(adminToken);
  }

  async authenticate(token: string): Promise<Principal> {
    // Compare digests in constant time: the token's length and content leak nothing.
    if (token === "" || !timingSafeEqual(digest(token), this.expected)) {
      throw new EnsoulError("UNAUTHENTICATED", "the token is not valid for this sidecar", { field: "token" });
    }
    return { subject: "bootstrap-admin", roles: ["admin"] };
  }
}

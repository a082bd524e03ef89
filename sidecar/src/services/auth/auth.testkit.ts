/**
 * A real gateway with the auth service, the system service and the auth methods, on a clock the
 * test moves: for tests of tokens, JWTs and MFA that need time to pass.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MethodTable } from "../../gateway/methods.js";
import { createGateway, type Gateway } from "../../gateway/server.js";
import { EnsoulClient } from "../../lib/client.js";
import { DEFAULT_LIMITS } from "../../lib/config.js";
import type { EnsoulError } from "../../lib/errors.js";
import { createLogger } from "../../lib/logger.js";
import { createSystemService } from "../system/index.js";
import { createAuthService, type AuthService, type AuthServiceOptions } from "./index.js";

export interface AuthHarness {
  auth: AuthService;
  gateway: Gateway;
  url: string;
  httpBase: string;
  dataDir: string;
  adminToken: string;
  /** The clock the auth service reads; move it with `advance`. */
  nowMs: number;
  advance(ms: number): void;
  connect(token: string): Promise<EnsoulClient>;
  close(): Promise<void>;
}

export async function startAuthHarness(options: Partial<AuthServiceOptions> = {}): Promise<AuthHarness> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "ensoul-auth-"));
  const clock = { nowMs: Date.now() };
  const auth = await createAuthService({ log: createLogger("silent"), now: () => clock.nowMs, ...options, dataDir });
  const methods = new MethodTable();
  for (const m of createSystemService({ mode: "embedded", listMethods: () => methods.all(), rolesFor: (m) => auth.policy.rolesFor(m) })) methods.add(m);
  for (const m of auth.methods) methods.add(m);
  const gateway = createGateway({ methods, auth: auth.authenticator, limits: DEFAULT_LIMITS, log: createLogger("silent") });
  const address = await gateway.listen("127.0.0.1", 0);
  return {
    auth,
    gateway,
    url: `ws://127.0.0.1:${address.port}/v1/ws`,
    httpBase: `http://127.0.0.1:${address.port}`,
    dataDir,
    adminToken: auth.adminToken.token,
    get nowMs() {
      return clock.nowMs;
    },
    advance(ms: number) {
      clock.nowMs += ms;
    },
    connect(token: string) {
      return EnsoulClient.connect(`ws://127.0.0.1:${address.port}/v1/ws`, { token });
    },
    async close() {
      await gateway.close();
      await auth.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The EnsoulError a call is refused with; fails the test when the call succeeds. */
export async function refusal(promise: Promise<unknown>): Promise<EnsoulError> {
  return promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (err: EnsoulError) => err,
  );
}

import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { authenticator } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import { EXIT } from "../../cli/exit-codes.js";
import { runCli } from "../../cli/main.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { sqliteFileFor } from "../data/index.js";

let dataDir: string;
let sidecar: RunningSidecar;

/** Runs `ensoul …` against the test sidecar (the admin token comes from --data). */
async function ensoul(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, "--url", sidecar.url, "--data", dataDir], (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-auth-cli-"));
  sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
});

afterAll(async () => {
  await sidecar.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("ensoul token", () => {
  it("creates a token whose secret is printed once and works, lists it, and revokes it", async () => {
    const made = await ensoul("token", "create", "--role", "designer", "--project", "north", "--ttl", "30d", "--subject", "dee");
    expect(made.code).toBe(EXIT.OK);
    const id = /^(tok_\S+)\s+dee\s+\[designer\]\s+project north\s+expires 20\d\d-/.exec(made.out)?.[1];
    expect(id).toBeDefined();
    const secret = /shown once[^\n]*\n\s+(ens_\S+)/.exec(made.out)?.[1];
    expect(secret).toBeDefined();

    expect((await ensoul("ping", "--count", "1", "--token", secret!)).code).toBe(EXIT.OK);
    expect((await ensoul("token", "list")).out).toContain(id);

    const revoked = await ensoul("token", "revoke", id!);
    expect(revoked.code).toBe(EXIT.OK);
    expect(revoked.out).toMatch(/revoked 20\d\d-/);
    expect((await ensoul("ping", "--count", "1", "--token", secret!)).code).toBe(EXIT.AUTH);
    expect((await ensoul("token", "list")).out).not.toContain(id);
    expect((await ensoul("token", "list", "--all")).out).toContain(id);
  });

  it("prints an access token for the API token", async () => {
    const r = await ensoul("token", "jwt", "--ttl", "5m");
    expect(r.code).toBe(EXIT.OK);
    expect((await ensoul("ping", "--count", "1", "--token", r.out.trim())).code).toBe(EXIT.OK);
  });

  it("refuses bad flags with exit 2 and non-admins with exit 4", async () => {
    expect((await ensoul("token", "create", "--role", "designer", "--ttl", "forever")).code).toBe(EXIT.USAGE);
    expect((await ensoul("token", "create", "--role", "wizard")).code).toBe(EXIT.USAGE);
    const viewer = /(ens_\S+)/.exec((await ensoul("token", "create", "--role", "viewer")).out)![1]!;
    expect((await ensoul("token", "list", "--token", viewer)).code).toBe(EXIT.AUTH);
  });
});

describe("ensoul mfa", () => {
  it("enrols, confirms, and from then on admin tokens need --totp", async () => {
    const enrolled = await ensoul("mfa", "enrol");
    expect(enrolled.code).toBe(EXIT.OK);
    const secret = /secret: ([A-Z2-7]+)/.exec(enrolled.out)![1]!;
    expect(enrolled.out).toContain("otpauth://totp/Ensoul:admin?");
    expect((await ensoul("mfa", "confirm", authenticator.generate(secret))).code).toBe(EXIT.OK);

    const without = await ensoul("token", "create", "--role", "admin");
    expect(without.code).toBe(EXIT.AUTH);
    expect(without.err).toMatch(/needs a current TOTP code/);
    // The confirm used this step's code; the next step's is accepted within the drift window.
    const next = authenticator.clone({ epoch: Date.now() + 30_000 }).generate(secret);
    expect((await ensoul("token", "create", "--role", "admin", "--totp", next)).code).toBe(EXIT.OK);
  });
});

describe("ensoul audit verify", () => {
  it("says the log is intact, then names the entry someone changed", async () => {
    const ok = await ensoul("audit", "verify");
    expect(ok.code).toBe(EXIT.OK);
    expect(ok.out).toMatch(/^audit log intact: \d+ entries, head [0-9a-f]{64}$/);

    const db = new Database(sqliteFileFor(dataDir));
    db.prepare("UPDATE auth_audit SET subject = 'nobody' WHERE seq = 2").run();
    db.close();
    const broken = await ensoul("audit", "verify");
    expect(broken.code).toBe(EXIT.FAILURE);
    expect(broken.err).toMatch(/audit log is broken at entry 2: entry 2 was changed/);
  });
});

/**
 * The access matrix over the real sidecar: every role × every method the live method table
 * serves, over WebSocket and the HTTP mirror, allowed or refused exactly as policy.ts says.
 * Each call carries an empty request: an allowed call may fail on its arguments, but never with
 * the gateway's role refusal.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import type { MethodInfo } from "../../generated/ensoul_v1.js";
import { ROLES, type BodyName, type Role } from "../../gateway/methods.js";
import { EnsoulClient } from "../../lib/client.js";
import { loadConfig } from "../../lib/config.js";
import { EnsoulError, toEnsoulError } from "../../lib/errors.js";
import { createLogger } from "../../lib/logger.js";
import { ACCESS } from "./policy.js";

let dataDir: string;
let sidecar: RunningSidecar;
let served: (MethodInfo & { service: string })[] = [];
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-matrix-"));
  sidecar = await startSidecar(loadConfig({ port: 0, dataDir }, {}), createLogger("silent"));
  const admin = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token });
  tokens.admin = sidecar.adminToken.token;
  for (const role of ROLES.filter((r) => r !== "admin")) {
    const created = await admin.call("tokenCreate", { subject: `matrix-${role}`, roles: [role] });
    tokens[role] = created.tokenCreated!.secret!;
  }
  const info = (await admin.call("serverInfoRequest", {})).serverInfo!;
  served = (info.services ?? []).flatMap((s) => (s.methods ?? []).map((m) => ({ ...m, service: s.name! })));
  await admin.close();
});

afterAll(async () => {
  await sidecar?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Whether an error is the gateway's role refusal (not a service's own PERMISSION_DENIED). */
const isRoleRefusal = (e: EnsoulError): boolean => e.code === "PERMISSION_DENIED" && !e.field && / may not call /.test(e.message);

async function outcomeOverWs(client: EnsoulClient, m: MethodInfo): Promise<"allowed" | "denied"> {
  const body = m.request as BodyName;
  try {
    if (m.streaming) await client.stream(body, {} as never, () => undefined, { timeoutMs: 20_000 });
    else await client.call(body, {} as never, { timeoutMs: 20_000 });
  } catch (err) {
    if (isRoleRefusal(toEnsoulError(err))) return "denied";
  }
  return "allowed";
}

async function outcomeOverHttp(token: string, m: MethodInfo & { service: string }): Promise<"allowed" | "denied"> {
  const res = await fetch(`http://127.0.0.1:${sidecar.port}/v1/${m.service}/${m.name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  });
  const text = await res.text();
  if (res.status !== 403) return "allowed";
  const error = (JSON.parse(text) as { error: { code: string; message: string; field?: string } }).error;
  return isRoleRefusal(new EnsoulError("PERMISSION_DENIED", error.message, { field: error.field })) ? "denied" : "allowed";
}

describe("the access table", () => {
  it("has an entry for every method the sidecar serves", () => {
    expect(served.length).toBeGreaterThan(20);
    const missing = served.map((m) => `${m.service}/${m.name}`).filter((p) => !Object.prototype.hasOwnProperty.call(ACCESS, p));
    expect(missing, "methods served without an entry in services/auth/policy.ts").toEqual([]);
  });

  it("is what ServerInfo reports for each method", () => {
    for (const m of served) expect(m.roles, `${m.service}/${m.name}`).toEqual([...(ACCESS[`${m.service}/${m.name}`] ?? [])]);
  });
});

describe("every role × every method", () => {
  for (const role of ROLES) {
    it(`${role}: allowed and refused exactly as the table says, over WebSocket and HTTP`, async () => {
      const client = await EnsoulClient.connect(sidecar.url, { token: tokens[role] });
      const expected: string[] = [];
      const actualWs: string[] = [];
      const actualHttp: string[] = [];
      try {
        for (const m of served) {
          const path = `${m.service}/${m.name}`;
          const want = (ACCESS[path] ?? []).includes(role) ? "allowed" : "denied";
          expected.push(`${path} ${want}`);
          actualWs.push(`${path} ${await outcomeOverWs(client, m)}`);
          actualHttp.push(`${path} ${await outcomeOverHttp(tokens[role], m)}`);
        }
      } finally {
        await client.close();
      }
      expect(actualWs).toEqual(expected);
      expect(actualHttp).toEqual(expected);
    }, 60_000);
  }

  it("refuses every method over HTTP without a token", async () => {
    for (const m of served) {
      const res = await fetch(`http://127.0.0.1:${sidecar.port}/v1/${m.service}/${m.name}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      expect(res.status, `${m.service}/${m.name}`).toBe(401);
    }
  });
});

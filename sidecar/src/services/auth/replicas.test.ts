/**
 * Server mode: two sidecar replicas on one PostgreSQL share tokens, revocations and one audit
 * chain (ENSOUL_DATABASE_URL, as .ci/run sets it; the test fails without it).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataStore } from "../data/index.js";
import { databaseUrl } from "../data/contract.testkit.js";
import { openPostgresStore } from "../data/postgres.js";
import { refusal, startAuthHarness, type AuthHarness } from "./auth.testkit.js";

const schema = `ensoul_auth_${process.pid}_${randomBytes(4).toString("hex")}`;
let dataA: DataStore;
let dataB: DataStore;
let a: AuthHarness;
let b: AuthHarness;

beforeAll(async () => {
  dataA = await openPostgresStore({ url: databaseUrl(), schema });
  dataB = await openPostgresStore({ url: databaseUrl(), schema });
  // Both start at once on the fresh database, as replicas of a new deployment would.
  const started = await Promise.all([startAuthHarness({ data: dataA, revocationPollMs: 100 }), startAuthHarness({ data: dataB, revocationPollMs: 100 })]);
  [a, b] = started[0].auth.adminToken.created ? started : [started[1], started[0]];
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await dataA?.close();
  await dataB?.close();
  const dropper = await openPostgresStore({ url: databaseUrl(), schema, dropSchemaOnClose: true });
  await dropper.close();
});

describe("replicas on one database", () => {
  it("make one first admin token between them", async () => {
    expect(a.auth.adminToken.created).toBe(true);
    expect(b.auth.adminToken.created).toBe(false);
    const admin = await b.connect(a.adminToken);
    const tokens = (await admin.call("tokenList", {})).tokenListReply!.tokens!;
    expect(tokens.filter((t) => t.roles!.includes("admin"))).toHaveLength(1);
    await admin.close();
  });

  it("accept a token made on the other, and refuse it soon after the other revokes it", async () => {
    const adminA = await a.connect(a.adminToken);
    const made = (await adminA.call("tokenCreate", { roles: ["game"] })).tokenCreated!;
    const onB = await b.connect(made.secret!);
    await onB.call("ping", {});
    await adminA.call("tokenRevoke", { tokenId: made.token!.tokenId! });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await refusal(onB.call("ping", {}))).message).toMatch(/revoked/);
    expect((await refusal(b.connect(made.secret!))).message).toMatch(/revoked/);
    await adminA.close();
  });

  it("append to one audit chain without forking it", async () => {
    const writes = [];
    for (let i = 0; i < 20; i++) {
      writes.push(a.auth.audit.record({ kind: "secret.get", subject: "replica-a", outcome: "ok", detail: { i } }));
      writes.push(b.auth.audit.record({ kind: "secret.get", subject: "replica-b", outcome: "ok", detail: { i } }));
    }
    await Promise.all(writes);
    const fromA = await a.auth.audit.verify();
    const fromB = await b.auth.audit.verify();
    expect(fromA.ok).toBe(true);
    expect(fromA).toEqual(fromB);
    expect(fromA.entries).toBeGreaterThanOrEqual(40);
  });
});

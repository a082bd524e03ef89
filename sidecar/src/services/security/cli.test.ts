import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import { runCli } from "../../cli/main.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { tempDataDir } from "./security.testkit.js";

describe("ensoul secret and ensoul transit", () => {
  const data = tempDataDir();
  let sidecar: RunningSidecar;

  /** Runs the CLI against the sidecar with the data dir's admin token. */
  async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli([...args, "--url", sidecar.url, "--data", data.dir], (l) => out.push(l), (l) => err.push(l));
    return { code, out, err };
  }

  beforeAll(async () => {
    sidecar = await startSidecar(loadConfig({ port: 0, dataDir: data.dir }, {}), createLogger("silent"));
  });
  afterAll(async () => {
    await sidecar.close();
    data.remove();
  });

  it("puts, gets, lists and revokes a leased secret", async () => {
    const put = await cli("secret", "put", "studio/s3", "user=ada", "password=a=b", "--ttl", "1h");
    expect(put.code).toBe(0);
    expect(put.out[0]).toMatch(/^studio\/s3 v1 {2}written /);
    const leaseId = /lease (lease_\S+)/.exec(put.out[1] ?? "")?.[1];
    expect(leaseId).toBeDefined();
    expect((await cli("secret", "get", "studio/s3")).out).toEqual(["user=ada", "password=a=b"]);
    expect((await cli("secret", "get", "studio/s3", "--json")).out).toEqual(['{"user":"ada","password":"a=b"}']);
    expect((await cli("secret", "list", "studio/")).out).toEqual(["studio/s3"]);
    expect((await cli("secret", "renew", leaseId!, "--increment", "2h")).out[0]).toMatch(/expires /);
    expect((await cli("secret", "revoke", leaseId!)).out[0]).toMatch(/revoked /);
    const gone = await cli("secret", "get", "studio/s3");
    expect(gone.code).not.toBe(0);
    expect(gone.err.join("\n")).toMatch(/revoked/);
  });

  it("refuses an entry that is not KEY=VALUE and a bad --ttl, with usage exit code 2", async () => {
    expect((await cli("secret", "put", "a", "novalue")).code).toBe(2);
    expect((await cli("secret", "put", "a", "k=v", "--ttl", "soon")).code).toBe(2);
  });

  it("encrypts, rotates and still decrypts the old ciphertext", async () => {
    const made = await cli("transit", "encrypt", "saves", "slot one", "--context", "player-7");
    expect(made.out[0]).toMatch(/^ensoul:v1:/);
    expect((await cli("transit", "rotate", "saves")).out).toEqual(["saves: version 2 (versions 1, 2)"]);
    expect((await cli("transit", "decrypt", "saves", made.out[0]!, "--context", "player-7")).out).toEqual(["slot one"]);
    expect((await cli("transit", "decrypt", "saves", made.out[0]!)).code).toBe(2);
  });
});

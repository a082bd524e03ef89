import { readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSidecar, type RunningSidecar } from "../../app/index.js";
import { runCli } from "../../cli/main.js";
import { EnsoulClient } from "../../lib/client.js";
import { loadConfig, type ConfigOverrides } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { sqliteFileFor } from "../data/index.js";
import { RecordingAudit, rejection, startSecurity, tempDataDir } from "./security.testkit.js";
import { tlsFromLocalCa } from "./tls.js";

const quiet = createLogger("silent");
const start = (overrides: ConfigOverrides, log = quiet): Promise<RunningSidecar> => startSidecar(loadConfig({ port: 0, ...overrides }, {}), log);

/** GET over HTTPS with Node's own TLS client, trusting only `ca`. */
function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("ensoul serve --tls with the local CA", () => {
  const data = tempDataDir();
  let sidecar: RunningSidecar;
  let ca: Buffer;

  beforeAll(async () => {
    sidecar = await start({ dataDir: data.dir, tls: true });
    ca = readFileSync(sidecar.caFile!);
  });
  afterAll(async () => {
    await sidecar.close();
    data.remove();
  });

  it("serves wss:// to a client that trusts the CA, under the names localhost and 127.0.0.1", async () => {
    expect(sidecar.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/v1\/ws$/);
    expect(sidecar.caFile).toBe(path.join(data.dir, "tls", "ca.crt"));
    for (const host of ["127.0.0.1", "localhost"]) {
      const client = await EnsoulClient.connect(`wss://${host}:${sidecar.port}/v1/ws`, { token: sidecar.adminToken.token, ca });
      try {
        expect((await client.call("ping", { payload: Buffer.from("hi") })).pong?.payload).toEqual(Buffer.from("hi"));
      } finally {
        await client.close();
      }
    }
  });

  it("serves the HTTP mirror and health over https://", async () => {
    expect(sidecar.httpUrl).toMatch(/^https:\/\//);
    expect(await httpsGet(`${sidecar.httpUrl}/healthz`, ca)).toEqual({ status: 200, body: '{"status":"ok"}' });
  });

  it("is refused by a client that does not trust the CA, with a message that says so", async () => {
    const err = await rejection(EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token, timeoutMs: 5000 }));
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toMatch(/TLS certificate is not trusted/);
    await expect(httpsGet(`${sidecar.httpUrl}/healthz`, Buffer.from(""))).rejects.toThrow();
  });

  it("lets `ensoul ping` reach it, trusting the data dir's CA by default", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(["ping", "--url", sidecar.url, "--data", data.dir, "--count", "1"], (l) => out.push(l), (l) => err.push(l));
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.at(-1)).toMatch(/^1 pings/);
  });

  it("keeps the same CA across a restart, its private key sealed in the database", async () => {
    await sidecar.close();
    sidecar = await start({ dataDir: data.dir, tls: true });
    expect(readFileSync(sidecar.caFile!)).toEqual(ca);
    expect(readFileSync(sqliteFileFor(data.dir)).includes("PRIVATE KEY")).toBe(false);
    const client = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token, ca });
    await client.close();
  });
});

describe("ensoul serve --tls-cert/--tls-key", () => {
  const data = tempDataDir();
  let certFile: string;
  let keyFile: string;
  let ca: Buffer;

  beforeAll(async () => {
    // A certificate from another CA (made by a second keystore), handed over as files.
    const issuer = tempDataDir();
    const security = await startSecurity(issuer.dir, new RecordingAudit());
    const material = await tlsFromLocalCa(security.secretsFor("test"), issuer.dir, ["localhost", "127.0.0.1"]);
    ca = readFileSync(material.caFile!);
    await security.close();
    issuer.remove();
    certFile = path.join(data.dir, "server.crt");
    keyFile = path.join(data.dir, "server.key");
    writeFileSync(certFile, material.cert);
    writeFileSync(keyFile, material.key, { mode: 0o600 });
  });
  afterAll(() => data.remove());

  it("serves the user's certificate", async () => {
    const sidecar = await start({ dataDir: data.dir, tlsCertFile: certFile, tlsKeyFile: keyFile });
    try {
      expect(sidecar.caFile).toBeUndefined();
      const client = await EnsoulClient.connect(sidecar.url, { token: sidecar.adminToken.token, ca });
      await client.close();
    } finally {
      await sidecar.close();
    }
  });

  it("says which file is wrong when one is missing or the key does not fit", async () => {
    const missing = await rejection(start({ dataDir: data.dir, tlsCertFile: path.join(data.dir, "nope.crt"), tlsKeyFile: keyFile }));
    expect(missing).toMatchObject({ code: "INVALID_ARGUMENT", field: "tls-cert" });
    const mismatched = await rejection(start({ dataDir: data.dir, tlsCertFile: certFile, tlsKeyFile: certFile }));
    expect(mismatched.code).toBe("INVALID_ARGUMENT");
    expect(mismatched.message).toMatch(/not a PEM certificate and its private key/);
    expect(() => loadConfig({ tlsCertFile: certFile }, {})).toThrow(/go together/);
  });
});

describe("listening beyond loopback", () => {
  const data = tempDataDir();
  afterAll(() => data.remove());

  it("needs TLS or --insecure-listen", async () => {
    const err = await rejection(start({ dataDir: data.dir, host: "0.0.0.0" }));
    expect(err).toMatchObject({ code: "FAILED_PRECONDITION", field: "host" });
    expect(err.message).toMatch(/--tls .* --insecure-listen/);
  });

  it("starts with --insecure-listen and logs a warning", async () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    const sidecar = await start({ dataDir: data.dir, host: "0.0.0.0", insecureListen: true }, log);
    await sidecar.close();
    expect(lines.join("")).toMatch(/WITHOUT TLS/);
  });

  it("starts with TLS and no flag", async () => {
    const sidecar = await start({ dataDir: data.dir, host: "0.0.0.0", tls: true });
    await sidecar.close();
    expect(sidecar.url).toMatch(/^wss:/);
  });

  it("still honours the variable's earlier name ENSOUL_ALLOW_INSECURE_REMOTE", () => {
    expect(loadConfig({}, { ENSOUL_ALLOW_INSECURE_REMOTE: "1" }).insecureListen).toBe(true);
    expect(loadConfig({}, { ENSOUL_INSECURE_LISTEN: "1" }).insecureListen).toBe(true);
    expect(loadConfig({}, {}).insecureListen).toBe(false);
  });
});

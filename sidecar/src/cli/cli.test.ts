import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "./exit-codes.js";
import { runCli } from "./main.js";

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "main.ts");
let dataDir: string;
let server: ChildProcess;
let url: string;
let port: number;
let banner = "";

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-cli-"));
  server = spawn(process.execPath, ["--import", "tsx", MAIN, "serve", "--port", "0", "--data", dataDir, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${banner}`)), 20_000);
    server.stdout!.on("data", (chunk: Buffer) => {
      banner += chunk.toString();
      const match = /listening on (ws:\/\/\S+)/.exec(banner);
      if (match && /admin token[^\n]*\n\s+ens_\S+\n/.test(banner)) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    server.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${banner}`)));
  });
  port = Number(new URL(url).port);
});

afterAll(() => {
  server.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("ensoul serve", () => {
  it("prints the admin token once and keeps it in the data dir with mode 0600", () => {
    const token = /admin token[^\n]*\n\s+(ens_\S+)/.exec(banner)?.[1];
    expect(token).toBeDefined();
    expect(statSync(path.join(dataDir, "admin.token")).mode & 0o777).toBe(0o600);
  });

  it("answers /healthz on the same port", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("exits 5 with a clear message when the port is busy", async () => {
    const r = await run(["serve", "--port", String(port), "--data", dataDir]);
    expect(r.code).toBe(EXIT.CANNOT_LISTEN);
    expect(r.err.join("\n")).toMatch(/port \d+ .* already in use/);
  });

  it("exits 6 when the data dir cannot be used", async () => {
    const file = path.join(dataDir, "a-file");
    writeFileSync(file, "x");
    const r = await run(["serve", "--port", "0", "--data", path.join(file, "sub")]);
    expect(r.code).toBe(EXIT.DATA_DIR);
    expect(r.err.join("\n")).toMatch(/data dir .* is not usable/);
  });

  it("refuses to listen beyond loopback without the explicit flag", async () => {
    const r = await run(["serve", "--host", "0.0.0.0", "--port", "0", "--data", dataDir]);
    expect(r.code).toBe(EXIT.FAILURE);
    expect(r.err.join("\n")).toMatch(/without TLS/);
  });
});

describe("ensoul ping and info", () => {
  it("ping --count 3 prints three round trips and a summary", async () => {
    const r = await run(["ping", "--url", url, "--data", dataDir, "--count", "3"]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.out.filter((l) => /^pong \d: time=\d+\.\d+ ms$/.test(l))).toHaveLength(3);
    expect(r.out.at(-1)).toMatch(/^3 pings: min\/avg\/max = /);
  });

  it("info lists the services and their methods", async () => {
    const r = await run(["info", "--url", url, "--data", dataDir]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.out[0]).toMatch(/^ensoul \d+\.\d+\.\d+ \(protocol 1, embedded mode/);
    expect(r.out.join("\n")).toMatch(/ping\s+ping → pong/);
  });

  it("exits 3 when no sidecar answers", async () => {
    const r = await run(["ping", "--url", "ws://127.0.0.1:1/v1/ws", "--token", "x"]);
    expect(r.code).toBe(EXIT.UNREACHABLE);
    expect(r.err.join("\n")).toMatch(/no sidecar answers at ws:\/\/127.0.0.1:1\/v1\/ws \(/);
  });

  it("exits 4 when the token is refused", async () => {
    const r = await run(["ping", "--url", url, "--token", "ens_not_it"]);
    expect(r.code).toBe(EXIT.AUTH);
  });

  it("exits 2 on bad usage", async () => {
    expect((await run(["ping", "--url", url, "--data", dataDir, "--count", "many"])).code).toBe(EXIT.USAGE);
    expect((await run(["frobnicate"])).code).toBe(EXIT.USAGE);
  });
});

/**
 * npm run bench:auth — what authentication and authorization cost per request. The sidecar runs
 * in its own process; over keep-alive HTTP the bench calls
 *   - GET /healthz, the unauthenticated path (the reference),
 *   - POST /v1/system/ping with an API token, and with a sidecar access token (JWT): each
 *     request is authenticated (hash lookup or EdDSA verify), re-checked for revocation and
 *     expiry, authorized against the access table and written to the audit log,
 * and prints each path's requests/s and latency, its ratio to /healthz and the server time it
 * adds per request. Then the same for WebSocket Ping frames, where authentication happens once
 * at Hello and every frame pays only the revocation/expiry re-check and the table lookup; and
 * last the auth service alone, in process: authenticate (with its audit append) and authorize.
 *
 * Rounds alternate between the paths; the median round is printed. Options (env): BENCH_N
 * (requests per path per round, default 4000), BENCH_CLIENTS (concurrent requests, default 8).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Method } from "../src/gateway/methods.js";
import { EnsoulClient } from "../src/lib/client.js";
import { createLogger } from "../src/lib/logger.js";
import { createAuthService } from "../src/services/auth/index.js";
import { waitForLine } from "./child-output.js";

const N = Number(process.env["BENCH_N"] ?? 4000);
const CLIENTS = Number(process.env["BENCH_CLIENTS"] ?? 8);
const ROUNDS = 5;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(HERE, "../src/cli/main.ts");

interface Result {
  rps: number;
  p50: number;
  p99: number;
}


const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

/** One HTTP request; resolves with its status once the body is read. */
function request(port: number, method: string, urlPath: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** `n` requests spread over CLIENTS concurrent loops; every answer must be 200. */
async function run(n: number, send: () => Promise<number>): Promise<Result> {
  const latencies = new Float64Array(n);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        const status = await send();
        latencies[i] = (performance.now() - t) * 1000;
        if (status !== 200) throw new Error(`request answered ${status}`);
      }
    }),
  );
  const wallMs = performance.now() - start;
  latencies.sort();
  return { rps: (n / wallMs) * 1000, p50: latencies[Math.floor(n * 0.5)]!, p99: latencies[Math.floor(n * 0.99)]! };
}

const median = (rounds: Result[]): Result => [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)]!;
const fmt = (r: Result): string => `${Math.round(r.rps).toLocaleString("en-US").padStart(7)} req/s   p50 ${r.p50.toFixed(0).padStart(5)} µs   p99 ${r.p99.toFixed(0).padStart(6)} µs`;
/** The extra server time one request costs against the reference (the sidecar is one thread). */
const addedUs = (r: Result, ref: Result): number => 1e6 / r.rps - 1e6 / ref.rps;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-bench-auth-"));
  const sidecar = spawn(process.execPath, ["--import", "tsx", MAIN, "serve", "--port", "0", "--data", dataDir, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const url = (await waitForLine(sidecar, /listening on (ws:\/\/\S+)/))[1]!;
    const port = Number(new URL(url).port);
    const apiToken = readFileSync(path.join(dataDir, "admin.token"), "utf8").trim();
    const admin = await EnsoulClient.connect(url, { token: apiToken });
    const jwt = (await admin.call("accessTokenRequest", { ttlS: 3600 })).accessToken!.jwt!;

    const healthz = (): Promise<number> => request(port, "GET", "/healthz", {});
    const ping = (token: string) => (): Promise<number> =>
      request(port, "POST", "/v1/system/ping", { authorization: `Bearer ${token}`, "content-type": "application/json" }, "{}");
    const paths: [string, () => Promise<number>][] = [
      ["GET /healthz (no auth, reference)", healthz],
      ["POST system/ping, API token", ping(apiToken)],
      ["POST system/ping, access token (JWT)", ping(jwt)],
    ];

    console.log(`bench:auth  ${N} requests per path per round, ${CLIENTS} concurrent, ${ROUNDS} rounds, node ${process.version}`);
    for (const [, send] of paths) await run(Math.min(N, 1000), send); // warm up JIT and connections
    const rounds = paths.map(() => [] as Result[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (let p = 0; p < paths.length; p++) rounds[p]!.push(await run(N, paths[p]![1]));
    }
    const results = rounds.map(median);
    const reference = results[0]!;
    console.log("\nHTTP (every request authenticated, authorized and audited):");
    for (let p = 0; p < paths.length; p++) {
      const r = results[p]!;
      const ratio = p === 0 ? "" : `   ratio to /healthz ${(r.rps / reference.rps).toFixed(2)}× throughput, +${addedUs(r, reference).toFixed(0)} µs server time a request`;
      console.log(`  ${paths[p]![0].padEnd(38)} ${fmt(r)}${ratio}`);
    }

    // WebSocket: authentication at Hello; each frame is re-checked and authorized.
    const wsN = N * 4;
    const wsRun = async (): Promise<Result> => {
      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => EnsoulClient.connect(url, { token: apiToken })));
      let next = 0;
      const latencies = new Float64Array(wsN);
      const start = performance.now();
      await Promise.all(
        clients.map(async (c) => {
          while (next < wsN) {
            const i = next++;
            const t = performance.now();
            await c.call("ping", {});
            latencies[i] = (performance.now() - t) * 1000;
          }
        }),
      );
      const wallMs = performance.now() - start;
      await Promise.all(clients.map((c) => c.close()));
      latencies.sort();
      return { rps: (wsN / wallMs) * 1000, p50: latencies[Math.floor(wsN * 0.5)]!, p99: latencies[Math.floor(wsN * 0.99)]! };
    };
    await wsRun();
    const wsRounds: Result[] = [];
    const refRounds: Result[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      wsRounds.push(await wsRun());
      refRounds.push(await run(N, healthz));
    }
    const ws = median(wsRounds);
    const ref = median(refRounds);
    console.log("\nWebSocket (authenticated once at Hello; every frame re-checked and authorized):");
    console.log(`  ${"Ping frames, API token".padEnd(38)} ${fmt(ws)}   ratio to /healthz ${(ws.rps / ref.rps).toFixed(2)}× throughput`);
    console.log(`  ${"GET /healthz (same rounds)".padEnd(38)} ${fmt(ref)}`);
    const report = (await admin.call("auditVerify", {})).auditReport!;
    console.log(`\naudit log after the run: ${report.entries} entries, chain ${report.ok ? "intact" : `BROKEN: ${report.problem}`}`);
    await admin.close();
    await inProcess();
  } finally {
    agent.destroy();
    sidecar.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The auth service alone, in this process on a fresh data dir: what authenticate (with
 * its audit append) and the per-frame authorize cost, with no HTTP or codec around them.
 */
async function inProcess(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "ensoul-bench-auth-inproc-"));
  const auth = await createAuthService({ dataDir: dir, log: createLogger("silent") });
  try {
    const token = auth.adminToken.token;
    const principal = await auth.authenticator.authenticate(token);
    const ping = { service: "system", name: "ping", request: "ping", response: "pong", streaming: false, handle: () => ({}) } as unknown as Method;
    const time = async (n: number, fn: () => unknown): Promise<number> => {
      for (let i = 0; i < Math.min(n, 2000); i++) await fn();
      const t = performance.now();
      for (let i = 0; i < n; i++) await fn();
      return ((performance.now() - t) * 1000) / n;
    };
    const authenticateUs = await time(N, () => auth.authenticator.authenticate(token));
    const auditUs = await time(N, () => auth.audit.record({ kind: "bench", subject: "bench", outcome: "ok" }));
    // authorize is synchronous: timed in a plain loop, without an await per call.
    const frames = N * 100;
    for (let i = 0; i < frames; i++) auth.authenticator.authorize(principal, ping);
    const t = performance.now();
    for (let i = 0; i < frames; i++) auth.authenticator.authorize(principal, ping);
    const authorizeNs = ((performance.now() - t) * 1e6) / frames;
    console.log("\nin process (the auth service alone, no HTTP):");
    console.log(`  authenticate (API token, incl. audit append)  ${authenticateUs.toFixed(1).padStart(7)} µs`);
    console.log(`    of which the audit append                   ${auditUs.toFixed(1).padStart(7)} µs`);
    console.log(`  authorize (revocation, expiry, access table)  ${authorizeNs.toFixed(0).padStart(7)} ns   (every request and frame)`);
  } finally {
    await auth.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

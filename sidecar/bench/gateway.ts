/**
 * npm run bench:gateway — Ping RPCs over the real gateway (Hello first, then Envelope frames
 * through auth, routing and the protobuf codec) against the same number of round trips over a
 * bare `ws` echo server, measured in the same run. Both servers run in their own processes.
 * Prints RPC/s and p50/p99 latency for one client and for 8 concurrent clients, and the ratio.
 *
 * Each side runs 5 alternating rounds of BENCH_N/5 round trips per client; the median round is
 * printed. Options (env): BENCH_N (round trips per client, default 20000).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { codecs, type Envelope } from "../src/generated/ensoul_v1.js";
import { PROTOCOL_VERSION } from "../src/lib/version.js";
import { waitForLine } from "./child-output.js";

const N = Number(process.env["BENCH_N"] ?? 20_000);
const CLIENTS = 8;
const ROUNDS = 5;
const perRound = Math.max(1000, Math.floor(N / ROUNDS));

/** The round with the median throughput (its latencies come with it). */
function median(rounds: Result[]): Result {
  return [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)]!;
}
const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.join(HERE, "../src/cli/main.ts");

const ECHO_SERVER = `
const { WebSocketServer } = require("ws");
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false }, () => {
  console.log("listening " + wss.address().port);
});
wss.on("connection", (ws) => ws.on("message", (data) => ws.send(data, { binary: true })));
`;


async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return ws;
}

/** Sends one frame at a time and waits for the answer; returns per-round-trip latencies in µs. */
async function roundTrips(ws: WebSocket, n: number, frame: (i: number) => Uint8Array, check?: (data: Buffer, i: number) => void): Promise<Float64Array> {
  const latencies = new Float64Array(n);
  let i = 0;
  let sentAt = 0n;
  return new Promise((resolve) => {
    ws.on("message", (data: Buffer) => {
      latencies[i] = Number(process.hrtime.bigint() - sentAt) / 1000;
      check?.(data, i);
      i++;
      if (i === n) {
        ws.removeAllListeners("message");
        resolve(latencies);
        return;
      }
      sentAt = process.hrtime.bigint();
      ws.send(frame(i));
    });
    sentAt = process.hrtime.bigint();
    ws.send(frame(0));
  });
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
}

function summarize(all: Float64Array[], wallMs: number): Result {
  const merged = Float64Array.from(all.flatMap((a) => [...a])).sort();
  const q = (p: number): number => merged[Math.min(merged.length - 1, Math.floor(p * merged.length))]!;
  return { rps: (merged.length / wallMs) * 1000, p50: q(0.5), p99: q(0.99) };
}

async function run(clients: WebSocket[], n: number, frame: (i: number) => Uint8Array, check?: (d: Buffer, i: number) => void): Promise<Result> {
  const start = performance.now();
  const all = await Promise.all(clients.map((ws) => roundTrips(ws, n, frame, check)));
  return summarize(all, performance.now() - start);
}

async function helloed(url: string, token: string): Promise<WebSocket> {
  const ws = await open(url);
  await new Promise<void>((resolve, reject) => {
    ws.once("message", (data: Buffer) => {
      const env = codecs.Envelope.decode(data);
      if (env.body === "welcome") resolve();
      else reject(new Error(`no Welcome: ${env.error?.message}`));
    });
    ws.send(codecs.Envelope.encode({ id: 1, hello: { protocolVersion: PROTOCOL_VERSION, token, clientName: "bench" } }));
  });
  return ws;
}

function codecBench(): { reflection: number; json: number } {
  const envelope: Envelope = { id: 12345, ping: { payload: new Uint8Array(16), sentAtUs: Date.now() * 1000 } };
  const iterations = 200_000;
  let t = performance.now();
  for (let i = 0; i < iterations; i++) codecs.Envelope.decode(codecs.Envelope.encode(envelope));
  const reflection = iterations / ((performance.now() - t) / 1000);
  const plain = { id: 12345, ping: { payload: "AAAAAAAAAAAAAAAAAAAAAA==", sentAtUs: String(Date.now() * 1000) } };
  t = performance.now();
  for (let i = 0; i < iterations; i++) JSON.parse(JSON.stringify(plain));
  const json = iterations / ((performance.now() - t) / 1000);
  return { reflection, json };
}

const fmt = (r: Result): string => `${Math.round(r.rps).toLocaleString("en-US").padStart(8)} RPC/s   p50 ${r.p50.toFixed(0).padStart(4)} µs   p99 ${r.p99.toFixed(0).padStart(5)} µs`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-bench-"));
  const sidecar = spawn(process.execPath, ["--import", "tsx", MAIN, "serve", "--port", "0", "--data", dataDir, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const echo = spawn(process.execPath, ["-e", ECHO_SERVER], { stdio: ["ignore", "pipe", "inherit"], cwd: path.join(HERE, "..") });
  try {
    const sidecarUrl = (await waitForLine(sidecar, /listening on (ws:\/\/\S+)/))[1]!;
    const echoUrl = `ws://127.0.0.1:${(await waitForLine(echo, /listening (\d+)/))[1]}`;
    const token = readFileSync(path.join(dataDir, "admin.token"), "utf8").trim();

    // Frames are encoded up front: the client's own encoding is not the gateway's cost.
    const frames = Array.from({ length: Math.max(N, 2000) }, (_, i) => codecs.Envelope.encode({ id: i + 2, ping: { payload: new Uint8Array(16) } }));
    const pingFrame = (i: number): Uint8Array => frames[i]!;
    const checkPong = (data: Buffer, i: number): void => {
      const env = codecs.Envelope.decode(data);
      if (env.body !== "pong" || Number(env.replyTo) !== i + 2) throw new Error(`unexpected reply ${env.body}`);
    };
    const echoFrame = pingFrame(0);

    console.log(`bench:gateway  ${N} round trips per client, node ${process.version}`);
    for (const clients of [1, CLIENTS]) {
      const ours = await Promise.all(Array.from({ length: clients }, () => helloed(sidecarUrl, token)));
      const bare = await Promise.all(Array.from({ length: clients }, () => open(echoUrl)));
      // Warm both paths (JIT, protobufjs codegen), then alternate rounds so that a burst of
      // load from elsewhere on the machine hits both sides alike; report each side's median.
      await run(ours, 2000, pingFrame, checkPong);
      await run(bare, 2000, () => echoFrame);
      const oursRounds: Result[] = [];
      const bareRounds: Result[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        oursRounds.push(await run(ours, perRound, pingFrame, checkPong));
        bareRounds.push(await run(bare, perRound, () => echoFrame));
      }
      const oursResult = median(oursRounds);
      const bareResult = median(bareRounds);
      console.log(`\n${clients} client${clients > 1 ? "s" : ""}:`);
      console.log(`  ensoul gateway (Ping→Pong)  ${fmt(oursResult)}`);
      console.log(`  bare ws echo (reference)    ${fmt(bareResult)}`);
      console.log(`  ratio gateway/echo          ${(oursResult.rps / bareResult.rps).toFixed(2)}× throughput, p99 ${(oursResult.p99 / bareResult.p99).toFixed(2)}× latency`);
      for (const ws of [...ours, ...bare]) ws.close();
    }
    const codec = codecBench();
    console.log(`\ncodec (protobufjs reflection, Envelope{ping} encode+decode): ${Math.round(codec.reflection).toLocaleString("en-US")}/s`);
    console.log(`  JSON.stringify+parse of the same message (reference):   ${Math.round(codec.json).toLocaleString("en-US")}/s`);
    console.log(`  ratio protobuf/JSON: ${(codec.reflection / codec.json).toFixed(2)}×`);
  } finally {
    sidecar.kill("SIGTERM");
    echo.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

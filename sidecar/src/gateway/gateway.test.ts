import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { codecs, ErrorCode, type Envelope } from "../generated/ensoul_v1.js";
import { EnsoulClient } from "../lib/client.js";
import { DEFAULT_LIMITS } from "../lib/config.js";
import { EnsoulError } from "../lib/errors.js";
import { createLogger } from "../lib/logger.js";
import { PROTOCOL_VERSION } from "../lib/version.js";
import { ACCESS, createAuthService, type AuthService } from "../services/auth/index.js";
import { createSystemService } from "../services/system/index.js";
import { MethodTable, streaming, unary } from "./methods.js";
import { createGateway, type Gateway } from "./server.js";

const MAX_FRAME = 4096;
const FLOOD_FRAMES = 20_000;
const FLOOD_FRAME_BYTES = 4000;
let floodSent = 0;
/** How each test/tick stream ended: asked-for ticks, and whether its signal was aborted. */
const tickOutcomes: { ticks: number; aborted: boolean }[] = [];
let dataDir: string;
let gateway: Gateway;
let url: string;
let httpBase: string;
let token: string;
let auth: AuthService;

/** The real access table plus the test methods below. */
const TEST_ACCESS = { ...ACCESS, "test/count": ["admin"], "test/slow": ["admin"], "test/flood": ["admin"], "test/forbidden": ["viewer"], "test/tick": ["admin"] } as const;

/** Test-only methods: a slow one (for the in-flight limit) and a stream, on bodies the protocol has. */
function testMethods(): MethodTable {
  const table = new MethodTable();
  for (const m of createSystemService({ mode: "embedded", listMethods: () => table.all(), rolesFor: (m) => auth.policy.rolesFor(m), startedAtMs: 0 })) table.add(m);
  table.add(
    streaming({
      service: "test",
      name: "count",
      request: "endOfStream",
      response: "pong",
      handle: async (req, _ctx, sink) => {
        const n = Number(req.frames ?? 0);
        if (n > 100) throw new EnsoulError("INVALID_ARGUMENT", "at most 100 frames", { field: "frames" });
        for (let i = 0; i < n; i++) sink.send("pong", { sentAtUs: i });
      },
    }),
  );
  table.add(
    unary({
      service: "test",
      name: "slow",
      request: "welcome",
      response: "pong",
      handle: async () => {
        await new Promise((r) => setTimeout(r, 300));
        return {};
      },
    }),
  );
  table.add(
    streaming({
      service: "test",
      name: "flood",
      request: "assetListReply",
      response: "pong",
      handle: async (_req, _ctx, sink) => {
        const payload = new Uint8Array(FLOOD_FRAME_BYTES);
        for (floodSent = 0; floodSent < FLOOD_FRAMES; floodSent++) {
          sink.send("pong", { payload });
          await sink.drained();
        }
      },
    }),
  );
  table.add(
    streaming({
      service: "test",
      name: "tick",
      request: "agentAck",
      response: "pong",
      // One frame every 5 ms, `revision` of them; stops early when its signal aborts.
      handle: async (req, ctx, sink) => {
        const ticks = req.revision ?? 0;
        for (let i = 0; i < ticks && !ctx.signal.aborted; i++) {
          sink.send("pong", { sentAtUs: i });
          await new Promise((r) => setTimeout(r, 5));
        }
        tickOutcomes.push({ ticks, aborted: ctx.signal.aborted });
      },
    }),
  );
  table.add(
    unary({ service: "test", name: "forbidden", request: "pong", response: "pong", handle: () => ({}) }),
  );
  return table;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "ensoul-gw-"));
  auth = await createAuthService({ dataDir, log: createLogger("silent"), access: TEST_ACCESS });
  token = auth.adminToken.token;
  gateway = createGateway({
    methods: testMethods(),
    auth: auth.authenticator,
    limits: { ...DEFAULT_LIMITS, maxFrameBytes: MAX_FRAME, maxInFlight: 4, idleTimeoutMs: 1500, helloTimeoutMs: 400 },
    log: createLogger("silent"),
  });
  const address = await gateway.listen("127.0.0.1", 0);
  url = `ws://127.0.0.1:${address.port}/v1/ws`;
  httpBase = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await gateway.close();
  await auth.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A raw WebSocket that records every decoded frame and the close code. */
async function rawSocket(): Promise<{
  ws: WebSocket;
  frames: Envelope[];
  closed: Promise<number>;
  next(): Promise<Envelope>;
}> {
  const ws = new WebSocket(url);
  const frames: Envelope[] = [];
  const waiters: ((e: Envelope) => void)[] = [];
  ws.on("message", (data) => {
    const env = codecs.Envelope.decode(data as Buffer);
    const waiter = waiters.shift();
    if (waiter) waiter(env);
    else frames.push(env);
  });
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return {
    ws,
    frames,
    closed,
    next: () => {
      const queued = frames.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

const hello = (t = token, id = 1): Uint8Array =>
  codecs.Envelope.encode({ id, hello: { protocolVersion: PROTOCOL_VERSION, token: t, clientName: "test" } });

function expectError(env: Envelope, code: keyof typeof ErrorCode): void {
  expect(env.body).toBe("error");
  expect(env.error!.code).toBe(ErrorCode[code]);
  expect(env.error!.message!.length).toBeGreaterThan(5);
}

async function stillServes(): Promise<void> {
  const client = await EnsoulClient.connect(url, { token });
  const reply = await client.call("ping", { payload: new Uint8Array([9]) });
  expect(reply.body).toBe("pong");
  await client.close();
}

describe("WebSocket session", () => {
  it("answers Hello with Welcome, then Ping with a Pong that echoes the payload", async () => {
    const client = await EnsoulClient.connect(url, { token });
    expect(client.welcome?.roles).toEqual(["admin"]);
    expect(client.welcome?.protocolVersion).toBe(PROTOCOL_VERSION);
    const reply = await client.call("ping", { payload: new Uint8Array([1, 2, 3]), sentAtUs: 42 });
    expect(reply.body).toBe("pong");
    expect([...reply.pong!.payload!]).toEqual([1, 2, 3]);
    expect(Number(reply.pong!.sentAtUs)).toBe(42);
    expect(Number(reply.pong!.serverTimeUs)).toBeGreaterThan(Date.now() * 1000 - 60e6);
    await client.close();
  });

  it("matches replies to requests by id when many are in flight", async () => {
    const client = await EnsoulClient.connect(url, { token });
    const replies = await Promise.all(
      Array.from({ length: 4 }, (_, i) => client.call("ping", { payload: new Uint8Array([i]) })),
    );
    expect(replies.map((r) => r.pong!.payload![0])).toEqual([0, 1, 2, 3]);
    await client.close();
  });

  it("refuses a first frame that is not Hello with UNAUTHENTICATED and closes", async () => {
    const s = await rawSocket();
    s.ws.send(codecs.Envelope.encode({ id: 5, ping: {} }));
    const env = await s.next();
    expectError(env, "UNAUTHENTICATED");
    expect(Number(env.replyTo)).toBe(5);
    expect(await s.closed).toBe(1008);
    await stillServes();
  });

  it("refuses a bad token with UNAUTHENTICATED naming the token field", async () => {
    const s = await rawSocket();
    s.ws.send(hello("ens_wrong"));
    const env = await s.next();
    expectError(env, "UNAUTHENTICATED");
    expect(env.error!.field).toBe("token");
    expect(await s.closed).toBe(1008);
    await expect(EnsoulClient.connect(url, { token: "nope" })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await stillServes();
  });

  it("closes a connection that never says Hello", async () => {
    const s = await rawSocket();
    expectError(await s.next(), "UNAUTHENTICATED");
    expect(await s.closed).toBe(1008);
  });

  it("answers garbage bytes with INVALID_ARGUMENT and closes with 1007", async () => {
    const s = await rawSocket();
    s.ws.send(hello());
    expect((await s.next()).body).toBe("welcome");
    s.ws.send(Buffer.from([0x08, 0x07, 0xff, 0xff, 0xff]));
    const env = await s.next();
    expectError(env, "INVALID_ARGUMENT");
    expect(Number(env.replyTo)).toBe(7); // the id is salvaged from the raw bytes
    expect(await s.closed).toBe(1007);
    await stillServes();
  });

  it("answers a text frame with INVALID_ARGUMENT and closes with 1003", async () => {
    const s = await rawSocket();
    s.ws.send("hello?");
    expectError(await s.next(), "INVALID_ARGUMENT");
    expect(await s.closed).toBe(1003);
  });

  it("answers a frame over the limit with RESOURCE_EXHAUSTED and keeps the connection", async () => {
    const s = await rawSocket();
    s.ws.send(hello());
    expect((await s.next()).body).toBe("welcome");
    s.ws.send(codecs.Envelope.encode({ id: 9, ping: { payload: new Uint8Array(MAX_FRAME + 10) } }));
    const env = await s.next();
    expectError(env, "RESOURCE_EXHAUSTED");
    expect(Number(env.replyTo)).toBe(9);
    s.ws.send(codecs.Envelope.encode({ id: 10, ping: {} }));
    const pong = await s.next();
    expect(pong.body).toBe("pong");
    expect(Number(pong.replyTo)).toBe(10);
    s.ws.close();
  });

  it("closes with 1009 when a frame exceeds even the hard cap", async () => {
    const s = await rawSocket();
    s.ws.send(hello());
    await s.next();
    s.ws.send(new Uint8Array(MAX_FRAME + 128 * 1024));
    expect(await s.closed).toBe(1009);
    await stillServes();
  });

  it("answers an unknown body type with UNIMPLEMENTED and a reply type with INVALID_ARGUMENT", async () => {
    const s = await rawSocket();
    s.ws.send(hello());
    await s.next();
    // Field 999 (length-delimited, empty) is a body this server does not know.
    s.ws.send(Buffer.concat([Buffer.from([0x08, 0x03]), Buffer.from([0xba, 0x3e, 0x00])]));
    const unknown = await s.next();
    expectError(unknown, "UNIMPLEMENTED");
    expect(Number(unknown.replyTo)).toBe(3);
    s.ws.send(codecs.Envelope.encode({ id: 4, serverInfo: {} }));
    expectError(await s.next(), "INVALID_ARGUMENT");
    s.ws.send(codecs.Envelope.encode({ id: 5, ping: {} }));
    expect((await s.next()).body).toBe("pong");
    s.ws.close();
  });

  it("refuses a method the principal's roles do not allow with PERMISSION_DENIED", async () => {
    const client = await EnsoulClient.connect(url, { token });
    await expect(client.call("pong", {})).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await client.close();
  });

  it("limits requests in flight per connection", async () => {
    const client = await EnsoulClient.connect(url, { token });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => client.call("welcome", {})));
    const refused = results.filter((r) => r.status === "rejected");
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    expect(refused).toHaveLength(2);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: "RESOURCE_EXHAUSTED" });
    await client.close();
  });

  it("streams frames with the request's id and ends with EndOfStream", async () => {
    const client = await EnsoulClient.connect(url, { token });
    const frames: Envelope[] = [];
    const end = await client.stream("endOfStream", { frames: 3 }, (e) => frames.push(e));
    expect(frames.map((f) => Number(f.pong!.sentAtUs))).toEqual([0, 1, 2]);
    expect(end.body).toBe("endOfStream");
    expect(Number(end.endOfStream!.frames)).toBe(3);
    await expect(client.stream("endOfStream", { frames: 1000 }, () => undefined)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "frames",
    });
    await client.close();
  });

  it("holds a stream back while the client does not read (StreamSink.drained)", async () => {
    const s = await rawSocket();
    s.ws.send(hello());
    await s.next();
    const socket = (s.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    s.ws.send(codecs.Envelope.encode({ id: 2, assetListReply: {} }));
    await new Promise((r) => setTimeout(r, 400));
    // 20,000 frames are 80 MB; with back-pressure only the high-water mark plus what the kernel
    // buffers has left the server.
    expect(floodSent).toBeGreaterThan(0);
    expect(floodSent).toBeLessThan(FLOOD_FRAMES / 2);
    const sentWhilePaused = floodSent;
    socket.resume();
    let frames = 0;
    for (;;) {
      const env = await s.next();
      if (env.body === "endOfStream") break;
      frames++;
    }
    expect(frames).toBe(FLOOD_FRAMES);
    expect(sentWhilePaused).toBeLessThan(frames);
    s.ws.close();
  });

  it("aborts a stream's signal on Cancel and ends it with CANCELLED while others go on", async () => {
    tickOutcomes.length = 0;
    const client = await EnsoulClient.connect(url, { token });
    const cancel = new AbortController();
    let cancelledFrames = 0;
    const long = client.stream("agentAck", { revision: 10_000 }, () => {
      if (++cancelledFrames === 3) cancel.abort();
    }, { signal: cancel.signal });
    const otherFrames: Envelope[] = [];
    const other = client.stream("agentAck", { revision: 20 }, (e) => otherFrames.push(e));
    await expect(long).rejects.toMatchObject({ code: "CANCELLED" });
    const end = await other;
    expect(end.body).toBe("endOfStream");
    expect(otherFrames).toHaveLength(20);
    await vi.waitFor(() => expect(tickOutcomes).toHaveLength(2));
    expect(tickOutcomes).toContainEqual({ ticks: 10_000, aborted: true });
    expect(tickOutcomes).toContainEqual({ ticks: 20, aborted: false });
    await client.close();
  });

  it("answers Cancel with one CANCELLED error, ignores it for unknown ids, and never counts it in flight", async () => {
    const s = await rawSocket();
    s.ws.send(hello());
    await s.next();
    // Four long streams fill the in-flight limit; Cancels still pass.
    for (const id of [2, 3, 4, 5]) s.ws.send(codecs.Envelope.encode({ id, agentAck: { revision: 10_000 } }));
    s.ws.send(codecs.Envelope.encode({ id: 6, cancel: { requestId: 99 } }));
    s.ws.send(codecs.Envelope.encode({ id: 7, cancel: { requestId: 3 } }));
    s.ws.send(codecs.Envelope.encode({ id: 8, cancel: { requestId: 3 } }));
    const ends: Envelope[] = [];
    for (const id of [2, 4, 5]) s.ws.send(codecs.Envelope.encode({ id: 10 + id, cancel: { requestId: id } }));
    while (ends.length < 4) {
      const env = await s.next();
      if (env.body !== "pong") ends.push(env);
    }
    for (const env of ends) expectError(env, "CANCELLED");
    expect(ends.map((e) => Number(e.replyTo)).sort()).toEqual([2, 3, 4, 5]);
    // Nothing more for the cancelled streams (no EndOfStream, no second error); the slots are free again.
    s.ws.send(codecs.Envelope.encode({ id: 20, ping: { payload: new Uint8Array([1]) } }));
    let next = await s.next();
    while (next.body === "pong" && Number(next.replyTo) !== 20) next = await s.next();
    expect(Number(next.replyTo)).toBe(20);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.frames.filter((f) => f.body !== "pong")).toEqual([]);
    s.ws.close();
  });

  it("closes an idle connection with DEADLINE_EXCEEDED", async () => {
    const s = await rawSocket();
    s.ws.send(hello());
    await s.next();
    expectError(await s.next(), "DEADLINE_EXCEEDED");
    expect(await s.closed).toBe(1000);
  });
});

async function post(pathName: string, body: unknown, auth: string | null = token): Promise<{ status: number; json: any }> {
  const res = await fetch(`${httpBase}${pathName}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe("HTTP mirror", () => {
  it("gives the same answers as the WebSocket for the same request", async () => {
    const client = await EnsoulClient.connect(url, { token });
    const ws = await client.call("ping", { payload: new Uint8Array([4, 5]), sentAtUs: 77 });
    const http = await post("/v1/system/ping", { payload: "BAU=", sentAtUs: "77" });
    expect(http.status).toBe(200);
    const wsJson = codecs.Pong.toJson(ws.pong!);
    delete wsJson["serverTimeUs"];
    delete http.json.serverTimeUs;
    expect(http.json).toEqual(wsJson);

    const wsInfo = codecs.ServerInfo.toJson((await client.call("serverInfoRequest", {})).serverInfo!);
    const httpInfo = await post("/v1/system/info", {});
    delete wsInfo["uptimeS"];
    delete httpInfo.json.uptimeS;
    expect(httpInfo.json).toEqual(wsInfo);
    await client.close();

    const wsError = await EnsoulClient.connect(url, { token }).then(async (c) => {
      const err = await c.stream("endOfStream", { frames: 1000 }, () => undefined).catch((e: EnsoulError) => e);
      await c.close();
      return err as EnsoulError;
    });
    const httpError = await post("/v1/test/count", { frames: "1000" });
    expect(httpError.status).toBe(400);
    expect(httpError.json.error).toEqual({ code: wsError.code, message: wsError.message, field: wsError.field });
  });

  it("streams as newline-delimited JSON ending with endOfStream", async () => {
    const res = await fetch(`${httpBase}/v1/test/count`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ frames: "2" }),
    });
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual([{ pong: { sentAtUs: "0" } }, { pong: { sentAtUs: "1" } }, { endOfStream: { frames: "2" } }]);
  });

  it("answers without a token with 401 UNAUTHENTICATED", async () => {
    const res = await post("/v1/system/ping", {}, null);
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe("UNAUTHENTICATED");
  });

  it("answers an unknown method with 404 NOT_FOUND", async () => {
    const res = await post("/v1/system/teleport", {});
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("NOT_FOUND");
  });

  it("answers bad JSON and bad fields with 400 INVALID_ARGUMENT naming the field", async () => {
    const bad = await post("/v1/system/ping", "{not json");
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("INVALID_ARGUMENT");
    const field = await post("/v1/system/ping", { sentAtUs: "soon" });
    expect(field.status).toBe(400);
    expect(field.json.error).toMatchObject({ code: "INVALID_ARGUMENT", field: "ping.sentAtUs" });
  });

  it("answers a body over the limit with 413 RESOURCE_EXHAUSTED", async () => {
    const res = await post("/v1/system/ping", { payload: "A".repeat(MAX_FRAME * 2) });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe("RESOURCE_EXHAUSTED");
  });

  it("serves /healthz, /readyz and /metrics without a token", async () => {
    expect((await fetch(`${httpBase}/healthz`)).status).toBe(200);
    expect((await fetch(`${httpBase}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${httpBase}/metrics`)).text();
    expect(metrics).toMatch(/ensoul_requests_total\{service="system",method="ping",transport="ws",code="OK"\} \d+/);
    expect(metrics).toContain("ensoul_request_duration_seconds_bucket");
    expect(metrics).toContain("ensoul_ws_connections");
  });
});

describe("metrics", () => {
  it("counts requests by outcome and keeps a cumulative latency histogram", async () => {
    const before = await (await fetch(`${httpBase}/metrics`)).text();
    const count = (text: string, code: string): number =>
      Number(new RegExp(`ensoul_requests_total\\{service="system",method="ping",transport="http",code="${code}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    await post("/v1/system/ping", {});
    await post("/v1/system/ping", { sentAtUs: "bad" });
    const after = await (await fetch(`${httpBase}/metrics`)).text();
    expect(count(after, "OK") - count(before, "OK")).toBe(1);
    expect(count(after, "INVALID_ARGUMENT") - count(before, "INVALID_ARGUMENT")).toBe(1);
    const buckets = [...after.matchAll(/ensoul_request_duration_seconds_bucket\{service="system",method="ping",transport="http",le="([^"]+)"\} (\d+)/g)];
    expect(buckets.length).toBe(13);
    const values = buckets.map((m) => Number(m[2]));
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    const allCodes = [...after.matchAll(/ensoul_requests_total\{service="system",method="ping",transport="http",code="[A-Z_]+"\} (\d+)/g)];
    expect(values.at(-1)).toBe(allCodes.reduce((sum, m) => sum + Number(m[1]), 0));
  });
});

/**
 * The gateway: one port for everything. fastify serves the HTTP mirror, health and metrics;
 * `ws` takes the upgrade at /v1/ws and hands each socket to a WebSocketSession.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { WebSocketServer } from "ws";
import type { GatewayLimits } from "../lib/config.js";
import { EnsoulError } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import type { Authenticator } from "./auth.js";
import { mapFrameworkError, registerHttpMirror } from "./http.js";
import type { MethodTable } from "./methods.js";
import { GatewayMetrics } from "./metrics.js";
import { WebSocketSession } from "./websocket.js";

export const WS_PATH = "/v1/ws";

export interface GatewayOptions {
  methods: MethodTable;
  auth: Authenticator;
  limits: GatewayLimits;
  log: Logger;
  /** Serve HTTPS and WSS with this PEM certificate (and chain) and key; absent: plain HTTP/WS. */
  tls?: { cert: string; key: string };
  /** Whether every part the sidecar depends on is ready to serve (for /readyz). */
  ready?: () => Promise<boolean> | boolean;
}

export interface Gateway {
  readonly http: FastifyInstance;
  readonly metrics: GatewayMetrics;
  /** Starts listening; resolves with the address actually bound. */
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const metrics = new GatewayMetrics();
  // With `https` fastify makes an https.Server; the routes and hooks are the same either way.
  const http = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key, minVersion: "TLSv1.2" as const } } : {}),
    // fastify pins its own pino types; the instance is the same logger.
    loggerInstance: options.log as unknown as FastifyBaseLogger,
    // Per-request lines would cost more than a Ping; failures are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.limits.maxFrameBytes,
    genReqId: () => newId("req", 9),
  }) as unknown as FastifyInstance;
  http.setErrorHandler((err, _request, reply) => mapFrameworkError(err as Parameters<typeof mapFrameworkError>[0], reply));
  http.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: "NOT_FOUND", message: `no route ${request.method} ${request.url}` } }),
  );
  http.get("/healthz", async () => ({ status: "ok" }));
  http.get("/readyz", async (_request, reply) => {
    const ready = options.ready ? await options.ready() : true;
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready" });
  });
  http.get("/metrics", async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  registerHttpMirror(http, { methods: options.methods, auth: options.auth, metrics, maxReplyBytes: options.limits.maxFrameBytes });

  // Frames above the limit are still read (up to a hard cap) so the client gets an Error
  // frame it can act on; beyond the cap ws closes the connection with 1009.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.limits.maxFrameBytes + 64 * 1024,
    perMessageDeflate: false,
  });
  const sessions = new Set<WebSocketSession>();
  http.server.on("upgrade", (request, socket, head) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== WS_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const session = new WebSocketSession(ws, {
        methods: options.methods,
        auth: options.auth,
        limits: options.limits,
        log: options.log,
        metrics,
      });
      sessions.add(session);
      ws.on("close", () => sessions.delete(session));
    });
  });

  return {
    http,
    metrics,
    async listen(host, port) {
      try {
        await http.listen({ host, port });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE") {
          throw new EnsoulError("UNAVAILABLE", `port ${port} on ${host} is already in use: stop the other process or pass --port`, {
            field: "port",
            cause: err,
          });
        }
        if (code === "EACCES") {
          throw new EnsoulError("PERMISSION_DENIED", `not allowed to listen on ${host}:${port}`, { field: "port", cause: err });
        }
        throw err;
      }
      const address = http.server.address();
      if (address === null || typeof address === "string") return { host, port };
      return { host: address.address, port: address.port };
    },
    async close() {
      for (const session of sessions) session.shutdown();
      wss.close();
      await http.close();
    },
  };
}

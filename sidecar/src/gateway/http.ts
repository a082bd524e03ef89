/**
 * The HTTP JSON mirror of the protocol: POST /v1/<service>/<method> with a bearer token and the
 * request in the protobuf JSON mapping; the reply comes back the same way. Streaming methods
 * answer with newline-delimited JSON, one `{ "<body>": {...} }` object a frame.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { EnsoulError, toEnsoulError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import type { Authenticator } from "./auth.js";
import type { GatewayMetrics } from "./metrics.js";
import { bodyCodec, type BodyName, type CallContext, type MethodTable } from "./methods.js";

export interface HttpMirrorDeps {
  /** The frame limit, which also bounds what one stream frame carries over HTTP. */
  maxReplyBytes: number;
  methods: MethodTable;
  auth: Authenticator;
  metrics: GatewayMetrics;
}

export function errorBody(err: EnsoulError): { error: { code: string; message: string; field?: string } } {
  return { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } };
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw new EnsoulError("UNAUTHENTICATED", "missing Authorization: Bearer <token> header");
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new EnsoulError("UNAUTHENTICATED", "the Authorization header must be 'Bearer <token>'");
  return match[1]!;
}

export function registerHttpMirror(app: FastifyInstance, deps: HttpMirrorDeps): void {
  app.post<{ Params: { service: string; method: string } }>("/v1/:service/:method", async (request, reply) => {
    const { service, method: name } = request.params;
    const method = deps.methods.forPath(service, name);
    const timer = deps.metrics.startRequest(method?.service ?? "unknown", method?.name ?? "unknown", "http");
    try {
      const principal = await deps.auth.authenticate(bearerToken(request));
      if (!method) throw new EnsoulError("NOT_FOUND", `no method ${service}/${name}; GET ServerInfo lists them`);
      deps.auth.authorize(principal, method);
      const message = bodyCodec(method.request).fromJson(request.body ?? {}, method.request);
      const controller = new AbortController();
      request.raw.once("close", () => {
        if (!reply.raw.writableEnded) controller.abort();
      });
      const ctx: CallContext = { principal, requestId: String(request.id), connectionId: undefined, signal: controller.signal, log: request.log as unknown as Logger, maxReplyBytes: deps.maxReplyBytes };
      if (!method.streaming) {
        const result = await method.handle(message as never, ctx);
        timer.done("OK");
        return bodyCodec(method.response).toJson(result as object);
      }
      const lines: string[] = [];
      await method.handle(message as never, ctx, {
        send: (body: BodyName, frame: object) => lines.push(JSON.stringify({ [body]: bodyCodec(body).toJson(frame) })),
        drained: async () => undefined, // the mirror answers once, at the end
      });
      lines.push(JSON.stringify({ endOfStream: { frames: String(lines.length) } }));
      timer.done("OK");
      return reply.type("application/x-ndjson").send(`${lines.join("\n")}\n`);
    } catch (err) {
      const e = toEnsoulError(err);
      timer.done(e.code);
      if (e.code === "INTERNAL") request.log.error({ err }, "request failed");
      return reply.status(e.httpStatus).send(errorBody(e));
    }
  });
}

/** Maps fastify's own errors (bad JSON, body too large, wrong content type) to our error shape. */
export function mapFrameworkError(err: { code?: string; statusCode?: number; message: string }, reply: FastifyReply): FastifyReply {
  const send = (status: number, e: EnsoulError): FastifyReply => reply.status(status).send(errorBody(e));
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return send(413, new EnsoulError("RESOURCE_EXHAUSTED", "request body exceeds the frame size limit"));
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return send(415, new EnsoulError("INVALID_ARGUMENT", "send the request as application/json"));
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return send(400, new EnsoulError("INVALID_ARGUMENT", `the body is not valid JSON: ${err.message}`));
    default:
      if (err.statusCode && err.statusCode < 500) return send(err.statusCode, new EnsoulError("INVALID_ARGUMENT", err.message));
      return send(500, toEnsoulError(err));
  }
}

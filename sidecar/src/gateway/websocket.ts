/**
 * One WebSocket connection: Hello first, then Envelopes routed by body to the method table.
 * Every refusal is an Error frame with a code; only an unreadable envelope, a missing Hello or
 * a text frame also closes the connection. Nothing a client sends can throw out of here.
 */
import type { RawData, WebSocket } from "ws";
import { codecs, ErrorCode as WireErrorCode, type Envelope } from "../generated/ensoul_v1.js";
import { EnsoulError, toEnsoulError, type ErrorCode } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import type { GatewayLimits } from "../lib/config.js";
import type { Logger } from "../lib/logger.js";
import { PROTOCOL_VERSION, SERVER_VERSION } from "../lib/version.js";
import type { Authenticator } from "./auth.js";
import type { GatewayMetrics } from "./metrics.js";
import type { BodyName, BodyOf, CallContext, Method, MethodTable, Principal, StreamSink } from "./methods.js";

type Id = NonNullable<Envelope["id"]>;

/** A stream waits (StreamSink.drained) while more than this is queued on the socket. */
const SEND_HIGH_WATER_BYTES = 4 * 1024 * 1024;

export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY_VIOLATION = 1008;

export interface SessionDeps {
  methods: MethodTable;
  auth: Authenticator;
  limits: GatewayLimits;
  log: Logger;
  metrics: GatewayMetrics;
}

/** Reads the request id from raw bytes when the envelope as a whole cannot be decoded. */
function idFromRawFrame(bytes: Uint8Array): number {
  if (bytes[0] !== 0x08) return 0; // field 1, varint
  let value = 0;
  for (let i = 1, shift = 0; i < bytes.length && i < 8; i++, shift += 7) {
    value += (bytes[i]! & 0x7f) * 2 ** shift;
    if (bytes[i]! < 0x80) return value;
  }
  return 0;
}

/** A map key for a request id: a number (ids past 2^53 may collide, which only weakens duplicate detection). */
function idKey(id: Id | undefined): number {
  if (id === undefined) return 0;
  return typeof id === "number" ? id : id.toNumber();
}

/** One request in flight; its AbortController is made only if a handler asks for the signal. */
class InFlight {
  private controller: AbortController | undefined;
  private aborted = false;
  /** Set once the client's Cancel was answered with CANCELLED: the handler's own end sends nothing. */
  cancelled = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    this.aborted = true;
    this.controller?.abort();
  }
}

export class WebSocketSession {
  readonly id = newId("sess", 12);
  private state: "hello" | "authenticating" | "open" | "closed" = "hello";
  private principal: Principal | undefined;
  private clientMaxFrameBytes: number;
  private readonly pending: RawData[] = [];
  private readonly inFlight = new Map<number, InFlight>();
  private readonly helloTimer: NodeJS.Timeout;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: SessionDeps,
  ) {
    this.log = deps.log.child({ session: this.id });
    this.clientMaxFrameBytes = deps.limits.maxFrameBytes;
    deps.metrics.connections.inc();
    this.helloTimer = setTimeout(() => this.onHelloTimeout(), deps.limits.helloTimeoutMs);
    socket.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    socket.on("close", () => this.onClose());
    socket.on("error", (err) => this.log.debug({ err }, "socket error"));
  }

  private onHelloTimeout(): void {
    if (this.state === "hello" || this.state === "authenticating") {
      this.refuse(0, "UNAUTHENTICATED", "no Hello within the time allowed", "hello", CLOSE_POLICY_VIOLATION);
    }
  }

  private onIdleTimeout(): void {
    if (this.state !== "open") return;
    if (this.inFlight.size > 0) {
      this.idleTimer?.refresh(); // a long stream is not idleness
      return;
    }
    this.refuse(0, "DEADLINE_EXCEEDED", `idle for ${this.deps.limits.idleTimeoutMs} ms`, undefined, CLOSE_NORMAL);
  }

  private stopTimers(): void {
    clearTimeout(this.helloTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
  }

  /** Marks the session closed once: timers stop, requests in flight are aborted, the gauge drops. */
  private onClose(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.stopTimers();
    for (const state of this.inFlight.values()) state.abort();
    this.inFlight.clear();
    this.deps.metrics.connections.dec();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === "closed") return;
    if (!isBinary) {
      this.refuse(0, "INVALID_ARGUMENT", "frames must be binary protobuf Envelopes", undefined, CLOSE_UNSUPPORTED_DATA);
      return;
    }
    if (this.state === "authenticating") {
      this.pending.push(data);
      return;
    }
    this.idleTimer?.refresh();
    const bytes = data as Buffer;
    if (bytes.length > this.deps.limits.maxFrameBytes) {
      this.deps.metrics.frameErrors.labels("oversize").inc();
      this.sendError(
        idFromRawFrame(bytes),
        new EnsoulError(
          "RESOURCE_EXHAUSTED",
          `frame of ${bytes.length} bytes exceeds the limit of ${this.deps.limits.maxFrameBytes} bytes`,
        ),
      );
      return;
    }
    let envelope: Envelope;
    try {
      envelope = codecs.Envelope.decode(bytes);
    } catch (err) {
      this.deps.metrics.frameErrors.labels("undecodable").inc();
      this.refuse(idFromRawFrame(bytes), "INVALID_ARGUMENT", (err as Error).message, undefined, CLOSE_INVALID_PAYLOAD);
      return;
    }
    if (this.state === "hello") {
      this.onHello(envelope);
      return;
    }
    this.route(envelope);
  }

  private onHello(envelope: Envelope): void {
    const hello = envelope.body === "hello" ? envelope.hello : undefined;
    if (!hello) {
      this.deps.metrics.frameErrors.labels("no_hello").inc();
      this.refuse(envelope.id ?? 0, "UNAUTHENTICATED", "the first frame must be Hello", "hello", CLOSE_POLICY_VIOLATION);
      return;
    }
    const version = hello.protocolVersion ?? 0;
    if (version !== PROTOCOL_VERSION) {
      this.refuse(
        envelope.id ?? 0,
        "FAILED_PRECONDITION",
        `this server speaks protocol ${PROTOCOL_VERSION}, the client ${version}`,
        "hello.protocolVersion",
        CLOSE_POLICY_VIOLATION,
      );
      return;
    }
    this.state = "authenticating";
    this.deps.auth.authenticate(hello.token ?? "").then(
      (principal) => {
        if (this.state !== "authenticating") return;
        this.principal = principal;
        this.state = "open";
        const max = hello.maxFrameBytes ?? 0;
        if (max > 0) this.clientMaxFrameBytes = Math.min(max, this.deps.limits.maxFrameBytes);
        clearTimeout(this.helloTimer);
        this.idleTimer = setTimeout(() => this.onIdleTimeout(), this.deps.limits.idleTimeoutMs);
        this.send({
          replyTo: envelope.id ?? 0,
          welcome: {
            sessionId: this.id,
            serverVersion: SERVER_VERSION,
            protocolVersion: PROTOCOL_VERSION,
            roles: principal.roles,
            maxFrameBytes: this.deps.limits.maxFrameBytes,
          },
        });
        this.log.info({ subject: principal.subject, client: hello.clientName }, "session opened");
        for (const data of this.pending.splice(0)) this.onMessage(data, true);
      },
      (err: unknown) => {
        this.deps.metrics.frameErrors.labels("unauthenticated").inc();
        const e = toEnsoulError(err);
        this.refuse(envelope.id ?? 0, e.code, e.message, e.field ?? "hello.token", CLOSE_POLICY_VIOLATION);
      },
    );
  }

  private route(envelope: Envelope): void {
    const id = envelope.id ?? 0;
    const body = envelope.body;
    if (body === undefined) {
      this.sendError(id, new EnsoulError("UNIMPLEMENTED", "the envelope carries no request this server knows"));
      return;
    }
    if (body === "cancel") {
      this.cancel(envelope.cancel?.requestId);
      return;
    }
    if (body === "hello") {
      this.sendError(id, new EnsoulError("FAILED_PRECONDITION", "Hello was already accepted on this connection", { field: "hello" }));
      return;
    }
    const method = this.deps.methods.forBody(body);
    if (!method) {
      this.sendError(id, new EnsoulError("INVALID_ARGUMENT", `${body} is not a request`, { field: body }));
      return;
    }
    const key = idKey(id);
    if (this.inFlight.has(key)) {
      this.sendError(id, new EnsoulError("INVALID_ARGUMENT", `request id ${key} is already in flight`, { field: "id" }));
      return;
    }
    if (this.inFlight.size >= this.deps.limits.maxInFlight) {
      this.sendError(
        id,
        new EnsoulError("RESOURCE_EXHAUSTED", `more than ${this.deps.limits.maxInFlight} requests in flight on this connection`),
      );
      return;
    }
    const metrics = this.deps.metrics.forMethod(method.service, method.name, "ws");
    const startMs = performance.now();
    const principal = this.principal!;
    try {
      this.deps.auth.authorize(principal, method);
    } catch (err) {
      const e = toEnsoulError(err);
      metrics.record(e.code, startMs);
      // A credential revoked or expired since Hello ends the connection; a role refusal does not.
      if (e.code === "UNAUTHENTICATED") this.refuse(id, e.code, e.message, e.field, CLOSE_POLICY_VIOLATION);
      else this.sendError(id, e);
      return;
    }
    const state = new InFlight();
    this.inFlight.set(key, state);
    const ctx: CallContext = {
      principal,
      requestId: `${this.id}:${key}`,
      connectionId: this.id,
      get signal() {
        return state.signal;
      },
      maxReplyBytes: this.clientMaxFrameBytes,
      log: this.log,
    };
    const finish = (err?: unknown): void => {
      this.inFlight.delete(key);
      if (state.cancelled) {
        // The client already has CANCELLED; the metric keeps how the handler itself ended (OK when
        // it finished its work anyway), so /metrics shows whether Cancel stopped the work.
        metrics.record(err === undefined ? "OK" : toEnsoulError(err).code, startMs);
        return;
      }
      if (err === undefined) {
        metrics.record("OK", startMs);
        return;
      }
      const e = toEnsoulError(err);
      metrics.record(e.code, startMs);
      if (e.code === "INTERNAL") this.log.error({ err, requestId: ctx.requestId }, "request failed");
      this.sendError(id, e);
    };
    const request = envelope[body] as BodyOf<BodyName>;
    if (!method.streaming) {
      // Synchronous handlers (Ping, most planner calls) answer without a trip through the microtask queue.
      let reply: ReturnType<typeof method.handle>;
      try {
        reply = method.handle(request, ctx);
      } catch (err) {
        finish(err);
        return;
      }
      if (reply instanceof Promise) {
        reply.then((r) => {
          if (!state.cancelled) this.send({ replyTo: id, [method.response]: r } as Envelope);
          finish();
        }, finish);
      } else {
        this.send({ replyTo: id, [method.response]: reply } as Envelope);
        finish();
      }
      return;
    }
    this.stream(method, request, ctx, id).then(() => finish(), finish);
  }

  private async stream(method: Method & { streaming: true }, request: BodyOf<BodyName>, ctx: CallContext, id: Id): Promise<void> {
    let frames = 0;
    const sink: StreamSink = {
      send: (body, message) => {
        if (ctx.signal.aborted) return;
        frames++;
        this.send({ replyTo: id, [body]: message } as Envelope);
      },
      drained: async () => {
        while (this.state !== "closed" && !ctx.signal.aborted && this.socket.bufferedAmount > SEND_HIGH_WATER_BYTES) {
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      },
    };
    await method.handle(request, ctx, sink);
    if (!ctx.signal.aborted) this.send({ replyTo: id, endOfStream: { frames } });
  }

  /**
   * The client's Cancel: aborts the request's signal and ends it with CANCELLED at once. An id
   * not in flight (unknown, or its request just ended) is ignored, as a Cancel races with the
   * end by design; a Cancel takes no in-flight slot and gets no reply of its own.
   */
  private cancel(requestId: Id | undefined): void {
    const state = this.inFlight.get(idKey(requestId));
    if (!state || state.cancelled) return;
    state.cancelled = true;
    state.abort();
    this.sendError(requestId!, new EnsoulError("CANCELLED", "cancelled by the client"));
  }

  private send(envelope: Envelope): void {
    if (this.state === "closed") return;
    let bytes = codecs.Envelope.encode(envelope);
    if (bytes.length > this.clientMaxFrameBytes) {
      bytes = codecs.Envelope.encode({
        replyTo: envelope.replyTo ?? 0,
        error: {
          code: WireErrorCode.RESOURCE_EXHAUSTED,
          message: `the reply of ${bytes.length} bytes exceeds the client's frame limit of ${this.clientMaxFrameBytes} bytes`,
        },
      });
    }
    this.socket.send(bytes, { binary: true });
  }

  private sendError(replyTo: Id, err: EnsoulError): void {
    this.send({
      replyTo,
      error: { code: WireErrorCode[err.code], message: err.message, field: err.field ?? "" },
    });
  }

  /** Sends an Error and closes the connection with the given WebSocket close code. */
  private refuse(replyTo: Id, code: ErrorCode, message: string, field: string | undefined, closeCode: number): void {
    this.sendError(replyTo, new EnsoulError(code, message, { field }));
    this.onClose();
    this.socket.close(closeCode, message.slice(0, 120));
  }

  /** Closes the connection because the server is shutting down. */
  shutdown(): void {
    if (this.state === "closed") return;
    this.refuse(0, "UNAVAILABLE", "the server is shutting down", undefined, CLOSE_GOING_AWAY);
  }
}

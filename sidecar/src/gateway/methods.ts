/**
 * The method table: every request the sidecar serves, the Envelope body that carries it, the
 * body of its reply and the service function that answers it. The WebSocket router, the HTTP
 * mirror and ServerInfo all read this one table. Who may call each method is not here but in
 * the access table (services/auth/policy.ts), which the gateway's Authenticator consults.
 */
import type { Logger } from "../lib/logger.js";
import { codecs, type Envelope } from "../generated/ensoul_v1.js";
import type { MessageCodec } from "../lib/protocodec.js";

/** The name of an Envelope body field, e.g. "ping". */
export type BodyName = NonNullable<Envelope["body"]>;
/** The message type an Envelope body field carries. */
export type BodyOf<K extends BodyName> = NonNullable<Envelope[K]>;

export const ROLES = ["admin", "designer", "game", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as the authenticator established it. */
export interface Principal {
  subject: string;
  roles: Role[];
  /** A project-scoped token reaches only this project's data. */
  project?: string;
  /** The API token behind the credential (also behind a sidecar-issued JWT): checked for revocation on every request. */
  tokenId?: string;
  /** When the credential stops being valid (checked on every request); absent: never. */
  expiresAtMs?: number;
  /** What the caller presented: an API token, a sidecar-issued JWT or an external OIDC JWT. */
  credential?: "api-token" | "jwt" | "oidc";
}

export interface CallContext {
  principal: Principal;
  /** Unique per request, in every log line about it. */
  requestId: string;
  /**
   * The WebSocket session the call came on, or undefined for an HTTP mirror call (which has no
   * connection that outlives the request).
   */
  connectionId: string | undefined;
  /** Aborted when the client goes away or cancels. */
  signal: AbortSignal;
  /**
   * The largest reply frame this client takes, in bytes: what it announced in Hello, capped by
   * the server's own limit. Streams of bulk data size their frames below it.
   */
  maxReplyBytes: number;
  log: Logger;
}

/** Where a streaming method sends its frames; the router adds EndOfStream or Error at the end. */
export interface StreamSink {
  send<K extends BodyName>(body: K, message: BodyOf<K>): void;
  /**
   * Resolves once the connection has taken what was sent so far (its send buffer is below a
   * high-water mark). Bulk streams await it between frames so a slow client is not flooded.
   */
  drained(): Promise<void>;
}

interface MethodBase<Req extends BodyName> {
  /** Service name, the first path segment of the HTTP mirror: POST /v1/<service>/<name>. */
  service: string;
  name: string;
  request: Req;
  /** The body of the reply (or of each stream frame). */
  response: BodyName;
}

export interface UnaryMethod<Req extends BodyName = BodyName, Res extends BodyName = BodyName> extends MethodBase<Req> {
  streaming: false;
  response: Res;
  handle(request: BodyOf<Req>, ctx: CallContext): Promise<BodyOf<Res>> | BodyOf<Res>;
}

export interface StreamMethod<Req extends BodyName = BodyName> extends MethodBase<Req> {
  streaming: true;
  handle(request: BodyOf<Req>, ctx: CallContext, sink: StreamSink): Promise<void>;
}

export type Method = UnaryMethod<BodyName, BodyName> | StreamMethod<BodyName>;

/** Declares a unary method with its request and response types checked against the protocol. */
export function unary<Req extends BodyName, Res extends BodyName>(
  spec: Omit<UnaryMethod<Req, Res>, "streaming">,
): Method {
  return { ...spec, streaming: false } as unknown as Method;
}

export function streaming<Req extends BodyName>(spec: Omit<StreamMethod<Req>, "streaming">): Method {
  return { ...spec, streaming: true } as unknown as Method;
}

const BODY_TYPE_NAMES = new Map<string, string>(
  codecs.Envelope.type.oneofs["body"]!.fieldsArray.map((f) => [f.name, f.type]),
);

/** The codec of the message an Envelope body field carries. */
export function bodyCodec(body: BodyName): MessageCodec<object> {
  const typeName = BODY_TYPE_NAMES.get(body);
  const codec = typeName === undefined ? undefined : (codecs as Record<string, MessageCodec<object>>)[typeName];
  if (!codec) throw new Error(`no codec for body ${body}`);
  return codec;
}

export class MethodTable {
  private readonly byBody = new Map<string, Method>();
  private readonly byPath = new Map<string, Method>();

  constructor(methods: Iterable<Method> = []) {
    for (const m of methods) this.add(m);
  }

  add(method: Method): void {
    if (!BODY_TYPE_NAMES.has(method.request)) throw new Error(`${method.request} is not an Envelope body`);
    const path = `${method.service}/${method.name}`;
    if (this.byBody.has(method.request)) throw new Error(`two methods take ${method.request}`);
    if (this.byPath.has(path)) throw new Error(`two methods are called ${path}`);
    this.byBody.set(method.request, method);
    this.byPath.set(path, method);
  }

  forBody(body: string): Method | undefined {
    return this.byBody.get(body);
  }

  forPath(service: string, name: string): Method | undefined {
    return this.byPath.get(`${service}/${name}`);
  }

  all(): Method[] {
    return [...this.byPath.values()];
  }
}

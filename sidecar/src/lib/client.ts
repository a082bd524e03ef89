/**
 * A TypeScript client of the sidecar's WebSocket protocol, used by the CLI, the benchmarks and
 * the tests: Hello on connect, request/reply matching by id, streams, timeouts, and Error
 * frames surfaced as EnsoulErrors.
 */
import { rootCertificates } from "node:tls";
import WebSocket from "ws";
import { codecs, ErrorCode as WireErrorCode, type Envelope, type Welcome } from "../generated/ensoul_v1.js";
import type { BodyName, BodyOf } from "../gateway/methods.js";
import { EnsoulError, isErrorCode } from "./errors.js";
import { PROTOCOL_VERSION, SERVER_VERSION } from "./version.js";

export interface ConnectOptions {
  token: string;
  clientName?: string;
  timeoutMs?: number;
  /** The largest frame this client takes (announced in Hello; 0 or absent: the server's limit). */
  maxFrameBytes?: number;
  /** For wss://: PEM certificate(s) of a CA to trust (e.g. the sidecar's local CA) beside Node's bundled roots. */
  ca?: string | Buffer;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Aborting it rejects the request with CANCELLED at once and sends the server a Cancel. */
  signal?: AbortSignal;
}

/** TLS verification failures Node reports by code: the server's certificate is not trusted. */
const UNTRUSTED_CERT = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/;

interface Pending {
  resolve(envelope: Envelope): void;
  reject(err: EnsoulError): void;
  /** For streams: called with every frame before the end. */
  onFrame?: (envelope: Envelope) => void;
  timer?: NodeJS.Timeout;
}

const WIRE_CODE_NAMES = Object.fromEntries(Object.entries(WireErrorCode).map(([k, v]) => [v, k])) as Record<number, string>;

/** Turns an Error frame into an EnsoulError with the same code, message and field. */
export function errorFromFrame(error: NonNullable<Envelope["error"]>): EnsoulError {
  const name = WIRE_CODE_NAMES[error.code ?? 0] ?? "INTERNAL";
  return new EnsoulError(isErrorCode(name) ? name : "INTERNAL", error.message ?? "", {
    field: error.field ? error.field : undefined,
  });
}

export class EnsoulClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedError: EnsoulError | undefined;
  welcome: Welcome | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => this.onMessage(data as Buffer));
    socket.on("close", (code, reason) => {
      this.closedError = new EnsoulError("UNAVAILABLE", `connection closed (${code}${reason.length ? ` ${reason}` : ""})`);
      for (const p of this.pending.values()) {
        if (p.timer) clearTimeout(p.timer);
        p.reject(this.closedError);
      }
      this.pending.clear();
    });
  }

  /** Connects, says Hello and waits for Welcome. */
  static async connect(url: string, options: ConnectOptions): Promise<EnsoulClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs, ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}) });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", (err: NodeJS.ErrnoException) => {
        const why =
          err.code === "ECONNREFUSED"
            ? "connection refused"
            : UNTRUSTED_CERT.test(err.code ?? "")
              ? `its TLS certificate is not trusted (${err.message}); give the CA certificate it uses (ensoul: --ca <data>/tls/ca.crt)`
              : err.message;
        reject(new EnsoulError("UNAVAILABLE", `no sidecar answers at ${url} (${why})`, { cause: err }));
      });
    });
    socket.on("error", () => undefined); // reported through "close"
    const client = new EnsoulClient(socket);
    const reply = await client.request(
      "hello",
      {
        protocolVersion: PROTOCOL_VERSION,
        token: options.token,
        clientName: options.clientName ?? `ensoul-ts/${SERVER_VERSION}`,
        maxFrameBytes: options.maxFrameBytes ?? 0,
      },
      timeoutMs,
    );
    client.welcome = reply.welcome ?? undefined;
    return client;
  }

  private onMessage(data: Buffer): void {
    let envelope: Envelope;
    try {
      envelope = codecs.Envelope.decode(data);
    } catch {
      return; // a server never sends garbage; if it did, the request times out
    }
    const replyTo = Number(envelope.replyTo ?? 0);
    const pending = this.pending.get(replyTo);
    if (!pending) return;
    if (envelope.body === "error") {
      this.finish(replyTo);
      pending.reject(errorFromFrame(envelope.error!));
    } else if (pending.onFrame && envelope.body !== "endOfStream") {
      pending.onFrame(envelope);
    } else {
      this.finish(replyTo);
      pending.resolve(envelope);
    }
  }

  private finish(id: number): void {
    const p = this.pending.get(id);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(id);
  }

  private request<K extends BodyName>(
    body: K,
    message: BodyOf<K>,
    timeoutMs: number | undefined,
    onFrame?: (envelope: Envelope) => void,
    signal?: AbortSignal,
  ): Promise<Envelope> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (signal?.aborted) return Promise.reject(new EnsoulError("CANCELLED", `${body} was cancelled by the caller`));
    const id = this.nextId++;
    return new Promise<Envelope>((resolve, reject) => {
      const settle = (): void => signal?.removeEventListener("abort", onAbort);
      const pending: Pending = {
        resolve: (envelope) => (settle(), resolve(envelope)),
        reject: (err) => (settle(), reject(err)),
        onFrame,
      };
      // Cancelling ends the request here at once and tells the server to stop its work (no reply).
      const onAbort = (): void => {
        if (!this.pending.has(id)) return;
        this.finish(id);
        if (this.socket.readyState === WebSocket.OPEN) this.socket.send(codecs.Envelope.encode({ cancel: { requestId: id } }));
        pending.reject(new EnsoulError("CANCELLED", `${body} was cancelled by the caller`));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new EnsoulError("DEADLINE_EXCEEDED", `${body} got no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(id, pending);
      this.socket.send(codecs.Envelope.encode({ id, [body]: message } as Envelope));
    });
  }

  /** Sends a request and resolves with the reply envelope (rejects with the Error frame's code). */
  call<K extends BodyName>(body: K, message: BodyOf<K>, options: RequestOptions = {}): Promise<Envelope> {
    return this.request(body, message, options.timeoutMs ?? 30_000, undefined, options.signal);
  }

  /** Sends a streaming request; every frame goes to onFrame, the promise settles at the end. */
  stream<K extends BodyName>(
    body: K,
    message: BodyOf<K>,
    onFrame: (envelope: Envelope) => void,
    options: RequestOptions = {},
  ): Promise<Envelope> {
    return this.request(body, message, options.timeoutMs, onFrame, options.signal);
  }

  /** Sends raw bytes as one binary frame (for tests of the server's defences). */
  sendRaw(bytes: Uint8Array | string): void {
    this.socket.send(bytes);
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close(1000);
    });
  }
}

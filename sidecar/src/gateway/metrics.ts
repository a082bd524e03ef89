/** Prometheus metrics of the gateway: requests by method and outcome, latency, open connections. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface RequestTimer {
  /** Records one finished request with its outcome ("OK" or an error code). */
  done(code: string): void;
}

export class BoundMethodMetrics {
  private readonly byCode = new Map<string, { inc(): void }>();

  constructor(
    private readonly requests: Counter<"service" | "method" | "transport" | "code">,
    private readonly latency: { observe(value: number): void },
    private readonly labels: [string, string, string],
  ) {}

  /** Records one finished request that started at `startMs` (performance.now()). */
  record(code: string, startMs: number): void {
    this.latency.observe((performance.now() - startMs) / 1000);
    let counter = this.byCode.get(code);
    if (!counter) {
      counter = this.requests.labels(...this.labels, code);
      this.byCode.set(code, counter);
    }
    counter.inc();
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"service" | "method" | "transport" | "code">;
  private readonly latency: Histogram<"service" | "method" | "transport">;
  readonly connections: Gauge;
  readonly frameErrors: Counter<"reason">;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "ensoul_process_" });
    this.requests = new Counter({
      name: "ensoul_requests_total",
      help: "Requests served, by method, transport and outcome code",
      labelNames: ["service", "method", "transport", "code"],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: "ensoul_request_duration_seconds",
      help: "Time from a request's arrival to its reply (or a stream's end)",
      labelNames: ["service", "method", "transport"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 30],
      registers: [this.registry],
    });
    this.connections = new Gauge({
      name: "ensoul_ws_connections",
      help: "Open WebSocket connections",
      registers: [this.registry],
    });
    this.frameErrors = new Counter({
      name: "ensoul_ws_frame_errors_total",
      help: "Frames refused before routing (undecodable, oversize, no Hello, …)",
      labelNames: ["reason"],
      registers: [this.registry],
    });
  }

  private readonly bound = new Map<string, BoundMethodMetrics>();

  /**
   * The metric children of one method and transport, bound once: label hashing on every
   * request would cost more than a Ping itself.
   */
  forMethod(service: string, method: string, transport: "ws" | "http"): BoundMethodMetrics {
    const key = `${service}/${method}/${transport}`;
    let bound = this.bound.get(key);
    if (!bound) {
      bound = new BoundMethodMetrics(this.requests, this.latency.labels(service, method, transport), [service, method, transport]);
      this.bound.set(key, bound);
    }
    return bound;
  }

  /** Starts timing a request. */
  startRequest(service: string, method: string, transport: "ws" | "http"): RequestTimer {
    const bound = this.forMethod(service, method, transport);
    const start = performance.now();
    return { done: (code: string) => bound.record(code, start) };
  }
}

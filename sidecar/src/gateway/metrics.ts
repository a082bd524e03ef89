/** Prometheus metrics of the gateway: requests by method and outcome, latency, open connections. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface RequestTimer {
  /** Records one finished request with its outcome ("OK" or an error code). */
  done(code: string): void;
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

  /** Starts timing a request; bound label children keep the hot path free of label hashing. */
  startRequest(service: string, method: string, transport: "ws" | "http"): RequestTimer {
    const start = process.hrtime.bigint();
    const latency = this.latency.labels(service, method, transport);
    const requests = this.requests;
    return {
      done(code: string): void {
        latency.observe(Number(process.hrtime.bigint() - start) / 1e9);
        requests.labels(service, method, transport, code).inc();
      },
    };
  }
}

/**
 * Prometheus metrics of the gateway: requests by method and outcome, latency, open connections.
 *
 * The per-request metrics are kept in plain typed arrays and rendered at scrape time: a
 * prom-client observe() hashes its labels on every call, which cost about a microsecond, more
 * than routing a Ping. Process metrics and the connection gauge stay with prom-client.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export interface RequestTimer {
  /** Records one finished request with its outcome ("OK" or an error code). */
  done(code: string): void;
}

/** Latency bucket bounds in seconds. */
const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5, 30];

type Labels = Record<string, string | number>;

interface MetricValue {
  metricName?: string;
  labels: Labels;
  value: number;
}

/** The shape prom-client's Registry reads from a metric at scrape time. */
interface ScrapedMetric {
  name: string;
  help: string;
  type: "counter" | "histogram";
  aggregator: "sum";
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }>;
}

/** One method on one transport: its latency histogram and its outcome counts. */
export class BoundMethodMetrics {
  readonly bucketCounts = new Float64Array(BUCKETS.length);
  sumSeconds = 0;
  count = 0;
  readonly byCode = new Map<string, number>();

  constructor(readonly labels: { service: string; method: string; transport: string }) {}

  /** Records one finished request that started at `startMs` (performance.now()). */
  record(code: string, startMs: number): void {
    const seconds = (performance.now() - startMs) / 1000;
    this.sumSeconds += seconds;
    this.count++;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        this.bucketCounts[i]!++;
        break;
      }
    }
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly frameErrors: Counter<"reason">;
  private readonly bound = new Map<string, BoundMethodMetrics>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "ensoul_process_" });
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
    this.registry.registerMetric(this.requestsMetric() as never);
    this.registry.registerMetric(this.latencyMetric() as never);
  }

  /** The metrics of one method and transport, made on first use. */
  forMethod(service: string, method: string, transport: "ws" | "http"): BoundMethodMetrics {
    const key = `${service}/${method}/${transport}`;
    let bound = this.bound.get(key);
    if (!bound) {
      bound = new BoundMethodMetrics({ service, method, transport });
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

  private requestsMetric(): ScrapedMetric {
    const name = "ensoul_requests_total";
    const help = "Requests served, by method, transport and outcome code";
    return {
      name,
      help,
      type: "counter",
      aggregator: "sum",
      get: async () => {
        const values: MetricValue[] = [];
        for (const b of this.bound.values()) {
          for (const [code, value] of b.byCode) values.push({ labels: { ...b.labels, code }, value });
        }
        return { name, help, type: "counter", aggregator: "sum", values };
      },
    };
  }

  private latencyMetric(): ScrapedMetric {
    const name = "ensoul_request_duration_seconds";
    const help = "Time from a request's arrival to its reply (or a stream's end)";
    return {
      name,
      help,
      type: "histogram",
      aggregator: "sum",
      get: async () => {
        const values: MetricValue[] = [];
        for (const b of this.bound.values()) {
          let cumulative = 0;
          BUCKETS.forEach((le, i) => {
            cumulative += b.bucketCounts[i]!;
            values.push({ metricName: `${name}_bucket`, labels: { ...b.labels, le }, value: cumulative });
          });
          values.push({ metricName: `${name}_bucket`, labels: { ...b.labels, le: "+Inf" }, value: b.count });
          values.push({ metricName: `${name}_sum`, labels: b.labels, value: b.sumSeconds });
          values.push({ metricName: `${name}_count`, labels: b.labels, value: b.count });
        }
        return { name, help, type: "histogram", aggregator: "sum", values };
      },
    };
  }
}

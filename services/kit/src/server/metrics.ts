import { collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** One Prometheus registry per service process, served at /metrics. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const rpcDuration = new Histogram({
    name: "rpc_duration_seconds",
    help: "Duration of Connect/gRPC calls, by procedure and code.",
    labelNames: ["procedure", "code"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, rpcDuration };
}

export type Metrics = ReturnType<typeof createMetrics>;

import { createServer } from "node:net";
import { Writable } from "node:stream";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOtlpReceiver, type OtlpReceiver } from "@acme/testing/otlp-receiver";
import { z } from "zod";
import { parseEnv } from "../src/env.js";
import { createLogger } from "../src/logging.js";
import { inSpan } from "../src/observability/spans.js";
import { startTelemetry } from "../src/observability/telemetry.js";
import { telemetryEnv } from "../src/observability/telemetry-env.js";

const schema = z.object(telemetryEnv());
const parse = (env: Record<string, string>) => parseEnv(schema, env);

function logSink() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: createLogger("kit-test", "info", sink) };
}

describe("OpenTelemetry from the standard environment", () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());

  it.each([
    ["OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"],
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector:4318"],
    ["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"],
    ["OTEL_TRACES_SAMPLER", "sometimes"],
    ["OTEL_TRACES_SAMPLER_ARG", "1.5"],
    ["OTEL_SDK_DISABLED", "yes"],
    ["OTEL_EXPORTER_OTLP_HEADERS", "novalue"],
    ["OTEL_BSP_MAX_QUEUE_SIZE", "-3"],
  ])("a malformed %s=%j stops the service at start, naming the variable", (name, value) => {
    expect(() => parse({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });

  it("takes an empty value as unset, and defaults to http/protobuf with parent-based always-on sampling", () => {
    expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_TRACES_SAMPLER: "" })).toEqual({});
    expect(parse({ OTEL_EXPORTER_OTLP_HEADERS: "a=1,b=x%20y" }).OTEL_EXPORTER_OTLP_HEADERS).toEqual({ a: "1", b: "x y" });
  });

  it("exports with http/json when OTEL_EXPORTER_OTLP_PROTOCOL says so, with the resource it names", async () => {
    const { logger } = logSink();
    const telemetry = startTelemetry({
      service: "kit-test",
      env: parse({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "renamed",
        OTEL_BSP_SCHEDULE_DELAY: "10",
      }),
      logger,
    });
    await inSpan(telemetry.tracer, "json-span", {}, async () => {});
    await telemetry.shutdown();
    const [span] = await receiver.waitFor((s) => s.name === "json-span");
    expect(span).toMatchObject({ encoding: "json", resource: { "service.name": "renamed", "service.instance.id": telemetry.instanceId } });
    expect(receiver.requests.json).toBeGreaterThan(0);
  });

  it("with no endpoint exports nothing but still makes spans, so trace context and log ids flow", async () => {
    const { lines, logger } = logSink();
    const telemetry = startTelemetry({ service: "kit-test", env: {}, logger });
    expect(telemetry.exportingTo).toBeUndefined();
    const ids = await inSpan(telemetry.tracer, "local", {}, async (span) => {
      logger.info("inside");
      return span.spanContext();
    });
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines.find((l) => l.msg === "inside")).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    logger.info("outside");
    expect(lines.find((l) => l.msg === "outside")).not.toHaveProperty("trace_id");
    await telemetry.shutdown();
  });

  it("with an exporter that refuses connections, work goes on: spans are dropped, counted, and warned about once", async () => {
    // A port with nothing listening: bind one, note it, close it.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { lines, logger } = logSink();
    const telemetry = startTelemetry({
      service: "kit-test",
      env: parse({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_BSP_SCHEDULE_DELAY: "10",
        OTEL_BSP_MAX_QUEUE_SIZE: "20",
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "10",
        OTEL_EXPORTER_OTLP_TIMEOUT: "500",
      }),
      logger,
    });
    const registry = new Registry();
    telemetry.registerMetrics(registry);
    for (let i = 0; i < 200; i++) await inSpan(telemetry.tracer, `work ${i}`, {}, async () => {});
    const dropped = async () => ((await registry.getSingleMetric("otel_spans_dropped_total")!.get()).values ?? []).reduce((n, v) => n + v.value, 0);
    const deadline = Date.now() + 20_000;
    while ((await dropped()) < 180 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await dropped()).toBeGreaterThanOrEqual(180);
    expect(lines.filter((l) => String(l.msg).startsWith("spans are being dropped"))).toHaveLength(1);
    await telemetry.shutdown();
  });
});

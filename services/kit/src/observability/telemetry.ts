import { randomUUID } from "node:crypto";
import { context, propagation, trace, TraceFlags, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { Counter, type Registry } from "prom-client";
import type { Logger } from "../logging.js";
import { tracesEndpoint, type TelemetryEnv } from "./telemetry-env.js";

/** The instrumentation scope of every span kit makes. */
export const TRACER_NAME = "@acme/kit";

export interface Telemetry {
  /** This process's tracer: spans carry its service.name, even with several services in one test process. */
  readonly tracer: Tracer;
  /** service.instance.id: also how auth's admin RPC names the relaying instance. */
  readonly instanceId: string;
  readonly serviceName: string;
  /** Where spans are exported, if anywhere. */
  readonly exportingTo: string | undefined;
  /** Counts spans dropped because the exporter is down or slow (served at /metrics). */
  registerMetrics(registry: Registry): void;
  /** Exports what is queued (bounded by the export timeout) and stops. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** auth, profile, billing (OTEL_SERVICE_NAME overrides). */
  service: string;
  env: TelemetryEnv;
  logger: Logger;
  /** service.version; SERVICE_VERSION in the environment, else the package version. */
  version?: string;
}

let globalsInstalled = false;

/**
 * The active-context machinery, once per process: spans follow async work
 * (AsyncLocalStorage), and W3C trace context is the propagation format.
 * Tracer providers are per service (not global), so each test process can
 * host auth, profile and billing with their own service.name.
 */
function installGlobals(): void {
  if (globalsInstalled) return;
  globalsInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

function samplerFrom(env: TelemetryEnv): Sampler {
  const ratio = env.OTEL_TRACES_SAMPLER_ARG ?? 1;
  switch (env.OTEL_TRACES_SAMPLER ?? "parentbased_always_on") {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio);
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * A tracer provider for one service. Without an endpoint nothing is
 * exported, but spans still get real ids, so trace context flows through
 * RPCs, the outbox and NATS, and logs carry trace_id/span_id. With one, a
 * batch processor with a bounded queue exports in the background: a down or
 * slow collector never delays or fails a request; what cannot be queued or
 * exported is dropped, counted in `otel_spans_dropped_total` and warned
 * about once.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  installGlobals();
  const { env, logger } = options;
  const serviceName = env.OTEL_SERVICE_NAME ?? options.service;
  const instanceId = randomUUID();
  const dropped = new Counter({
    name: "otel_spans_dropped_total",
    help: "Spans not exported: the queue was full or the exporter failed (the collector is down or slow).",
    labelNames: ["reason"],
    registers: [],
  });
  if (env.OTEL_SDK_DISABLED) {
    logger.info("OpenTelemetry disabled (OTEL_SDK_DISABLED=true): no spans are made; incoming trace context is passed on");
    return {
      tracer: trace.getTracer(TRACER_NAME),
      instanceId,
      serviceName,
      exportingTo: undefined,
      registerMetrics: (registry) => registry.registerMetric(dropped),
      shutdown: async () => {},
    };
  }

  const endpoint = tracesEndpoint(env);
  const spanProcessors = endpoint ? [exportingProcessor(env, endpoint, dropped, logger)] : [];
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      ...env.OTEL_RESOURCE_ATTRIBUTES,
      [ATTR_SERVICE_NAME]: serviceName,
      [ATTR_SERVICE_INSTANCE_ID]: instanceId,
      [ATTR_SERVICE_VERSION]: options.version ?? (process.env.SERVICE_VERSION || "0.1.0"),
    }),
    sampler: samplerFrom(env),
    spanProcessors,
  });
  if (endpoint) logger.info({ endpoint: endpoint.url, protocol: endpoint.protocol }, "exporting traces (OTLP)");
  return {
    tracer: provider.getTracer(TRACER_NAME),
    instanceId,
    serviceName,
    exportingTo: endpoint?.url,
    registerMetrics: (registry) => registry.registerMetric(dropped),
    shutdown: () => provider.shutdown().catch(() => {}),
  };
}

/**
 * The batch processor exporting to the OTLP endpoint: what cannot be queued
 * or exported is counted in `dropped` and warned about once.
 */
function exportingProcessor(
  env: TelemetryEnv,
  endpoint: NonNullable<ReturnType<typeof tracesEndpoint>>,
  dropped: Counter<"reason">,
  logger: Logger,
): SpanProcessor {
  let warned = false;
  const warnOnce = (reason: string) => {
    if (warned) return;
    warned = true;
    logger.warn(
      { endpoint: endpoint.url, reason },
      "spans are being dropped (the trace exporter is down or slow); requests are not affected; counted in otel_spans_dropped_total, this warning is not repeated",
    );
  };
  const exporterOptions = {
    url: endpoint.url,
    headers: { ...env.OTEL_EXPORTER_OTLP_HEADERS, ...env.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    timeoutMillis: env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
  };
  const exporter = lazyExporter(() =>
    endpoint.protocol === "http/json"
      ? import("@opentelemetry/exporter-trace-otlp-http").then((m) => new m.OTLPTraceExporter(exporterOptions))
      : import("@opentelemetry/exporter-trace-otlp-proto").then((m) => new m.OTLPTraceExporter(exporterOptions)),
  );
  return new CountingBatchProcessor(exporter, {
    maxQueueSize: env.OTEL_BSP_MAX_QUEUE_SIZE ?? 2_048,
    maxExportBatchSize: env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? 512,
    scheduledDelayMillis: env.OTEL_BSP_SCHEDULE_DELAY ?? 1_000,
    exportTimeoutMillis: env.OTEL_BSP_EXPORT_TIMEOUT ?? 30_000,
    onDropped: (count, reason) => {
      dropped.inc({ reason }, count);
      warnOnce(reason);
    },
  });
}

/**
 * The OTLP exporter, loaded on the first export: its modules (HTTP, the
 * protobuf serialiser) cost a process about 2 MB, and a service that
 * exports nothing never loads them. A load that fails fails that export.
 */
function lazyExporter(load: () => Promise<SpanExporter>): SpanExporter {
  let loaded: Promise<SpanExporter> | undefined;
  const exporter = () => (loaded ??= load());
  return {
    export: (spans, done) => {
      exporter().then(
        (e) => e.export(spans, done),
        (error: unknown) => done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
      );
    },
    shutdown: async () => (loaded ? (await loaded).shutdown() : undefined),
    forceFlush: async () => (loaded ? (await loaded).forceFlush?.() : undefined),
  };
}

interface CountingOptions {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  onDropped: (count: number, reason: "queue_full" | "export_failed") => void;
}

/**
 * The SDK's BatchSpanProcessor, with the spans it drops counted: it keeps
 * no count of its own that we can read. Spans it holds = spans handed in
 * minus spans handed to the exporter, so a span ending while that reaches
 * the queue size is one it drops; an export that fails loses its batch.
 */
class CountingBatchProcessor implements SpanProcessor {
  private readonly inner: BatchSpanProcessor;
  private queued = 0;

  constructor(
    exporter: SpanExporter,
    private readonly options: CountingOptions,
  ) {
    const counting: SpanExporter = {
      export: (spans: ReadableSpan[], done: (result: ExportResult) => void) => {
        this.queued = Math.max(0, this.queued - spans.length);
        exporter.export(spans, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) options.onDropped(spans.length, "export_failed");
          done(result);
        });
      },
      shutdown: () => exporter.shutdown(),
      ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush!() } : {}),
    };
    this.inner = new BatchSpanProcessor(counting, options);
  }

  onStart(span: Span, parentContext: Parameters<SpanProcessor["onStart"]>[1]): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.options.maxQueueSize) this.options.onDropped(1, "queue_full");
    else this.queued++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

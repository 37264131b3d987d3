import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logging.js";
import { ATTR, contextFromTraceparent, context, recordFailure, SpanKind, trace, traceparentOf, type Span, type Tracer } from "../observability/spans.js";
import { traceparentFor } from "../tracing.js";
import type { Metrics } from "./metrics.js";

/** The W3C traceparent of the call in hand (its server span); handlers may put it on what they write. */
export const traceparentKey = createContextKey<string>("", { description: "traceparent of this call" });

/** Connect's names for codes: invalid_argument, not_found, ... */
export function codeName(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase());
}

const SERVER_FAULTS = new Set([Code.Internal, Code.Unknown, Code.Unavailable, Code.DataLoss, Code.DeadlineExceeded]);

/**
 * Every RPC: a server span (Connect, gRPC and gRPC-Web alike) that
 * continues the caller's `traceparent` (absent or unparseable: a new trace,
 * never an error), answered in the `traceparent` header so the caller can
 * find the trace; one log line with procedure, code, duration and trace id;
 * the duration histogram. It runs on every call, so it keeps its own work
 * small: no closure or string it can do without, the traceparent formatted
 * from the span's context (P6.traced in docs/performance.md).
 */
export function observeRpcs(metrics: Metrics, logger: Logger, tracer: Tracer): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const service = request.service.typeName;
    const method = request.method.name;
    const system = request.header.get("content-type")?.startsWith("application/grpc") ? "grpc" : "connectrpc";
    const parent = contextFromTraceparent(request.header.get("traceparent"));
    const span = tracer.startSpan(
      `${service}/${method}`,
      {
        kind: SpanKind.SERVER,
        attributes: { [ATTR.rpcSystemName]: system, [ATTR.rpcSystem]: system, [ATTR.rpcService]: service, [ATTR.rpcMethod]: method },
      },
      parent,
    );
    const call = callTrace(span);
    request.contextValues.set(traceparentKey, call.traceparent);
    const record: CallRecord = { metrics, logger, service, method, started, traceId: call.traceId };
    return context.with(trace.setSpan(parent, span), async () => {
      try {
        const response = await next(request);
        response.header.set("traceparent", call.traceparent);
        finish(record, "ok", "info");
        return response;
      } catch (error) {
        throw failed(error, span, system, call.traceparent, record);
      } finally {
        span.end();
      }
    });
  };
}

interface CallRecord {
  metrics: Metrics;
  logger: Logger;
  service: string;
  method: string;
  started: number;
  traceId: string;
}

/**
 * The call's traceparent and trace id: its server span's, or, with the SDK
 * disabled (no span of its own), the caller's passed on, or a new one.
 */
function callTrace(span: Span): { traceparent: string; traceId: string } {
  const traceparent = traceparentOf(span);
  if (traceparent) return { traceparent, traceId: span.spanContext().traceId };
  const started = traceparentFor(undefined);
  return { traceparent: started, traceId: started.slice(3, 35) };
}

/** The error as a Connect error carrying the traceparent, its code on the span; only server faults make the span an error. */
function failed(error: unknown, span: Span, system: string, traceparent: string, record: CallRecord): ConnectError {
  const connectError = ConnectError.from(error);
  connectError.metadata.set("traceparent", traceparent);
  const code = codeName(connectError.code);
  span.setAttribute(ATTR.rpcConnectErrorCode, code);
  if (system === "grpc") span.setAttribute(ATTR.rpcGrpcStatusCode, connectError.code);
  const serverFault = SERVER_FAULTS.has(connectError.code);
  // Per the RPC conventions only server faults make a server span an error; the code is there either way.
  if (serverFault) recordFailure(span, connectError, code);
  else span.setAttribute(ATTR.errorType, code);
  finish(record, code, serverFault ? "warn" : "info");
  return connectError;
}

function finish(record: CallRecord, code: string, level: "info" | "warn"): void {
  const seconds = (performance.now() - record.started) / 1000;
  record.metrics.rpcDuration.observe({ procedure: record.method, code }, seconds);
  if (!record.logger.isLevelEnabled(level)) return;
  const procedure = `${record.service}/${record.method}`;
  record.logger[level]({ procedure, code, ms: Math.round(seconds * 10_000) / 10, traceId: record.traceId }, "rpc");
}

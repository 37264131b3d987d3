import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logging.js";
import { ATTR, contextFromTraceparent, context, recordFailure, SpanKind, trace, traceparentOf, type Tracer } from "../observability/spans.js";
import { traceIdOf, traceparentFor } from "../tracing.js";
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
 * the duration histogram.
 */
export function observeRpcs(metrics: Metrics, logger: Logger, tracer: Tracer): Interceptor {
  return (next) => async (request) => {
    const service = request.service.typeName;
    const method = request.method.name;
    const procedure = `${service}/${method}`;
    const contentType = request.header.get("content-type") ?? "";
    const system = contentType.startsWith("application/grpc") ? "grpc" : "connectrpc";
    const parent = contextFromTraceparent(request.header.get("traceparent"));
    const span = tracer.startSpan(
      procedure,
      {
        kind: SpanKind.SERVER,
        attributes: { [ATTR.rpcSystemName]: system, [ATTR.rpcSystem]: system, [ATTR.rpcService]: service, [ATTR.rpcMethod]: method },
      },
      parent,
    );
    // A disabled SDK makes no span of its own: then the caller's trace is passed on, or one is started.
    const traceparent = traceparentOf(span) ?? traceparentFor(undefined);
    request.contextValues.set(traceparentKey, traceparent);
    const started = performance.now();
    const traceId = traceIdOf(traceparent);
    const finish = (code: string, level: "info" | "warn") => {
      const seconds = (performance.now() - started) / 1000;
      metrics.rpcDuration.observe({ procedure: method, code }, seconds);
      logger[level]({ procedure, code, ms: Math.round(seconds * 10_000) / 10, traceId }, "rpc");
    };
    return context.with(trace.setSpan(parent, span), async () => {
      try {
        const response = await next(request);
        response.header.set("traceparent", traceparent);
        finish("ok", "info");
        return response;
      } catch (error) {
        const connectError = ConnectError.from(error);
        connectError.metadata.set("traceparent", traceparent);
        const code = codeName(connectError.code);
        span.setAttribute(ATTR.rpcConnectErrorCode, code);
        if (system === "grpc") span.setAttribute(ATTR.rpcGrpcStatusCode, connectError.code);
        const serverFault = SERVER_FAULTS.has(connectError.code);
        // Per the RPC conventions only server faults make a server span an error; the code is there either way.
        if (serverFault) recordFailure(span, connectError, code);
        else span.setAttribute(ATTR.errorType, code);
        finish(code, serverFault ? "warn" : "info");
        throw connectError;
      } finally {
        span.end();
      }
    });
  };
}

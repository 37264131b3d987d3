import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logging.js";
import { traceIdOf, traceparentFor } from "../tracing.js";
import type { Metrics } from "./metrics.js";

/** The W3C traceparent of the call in hand; handlers put it on what they write (outbox rows). */
export const traceparentKey = createContextKey<string>("", { description: "traceparent of this call" });

/** Connect's names for codes: invalid_argument, not_found, ... */
function codeName(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase());
}

const SERVER_FAULTS = new Set([Code.Internal, Code.Unknown, Code.Unavailable, Code.DataLoss, Code.DeadlineExceeded]);

/**
 * Every RPC: continues the caller's trace (or starts one) and hands it to the
 * handler, answers it in the `traceparent` header so the caller can find the
 * trace, logs one line with procedure, code, duration and trace id, and
 * records the duration histogram.
 */
export function observeRpcs(metrics: Metrics, logger: Logger): Interceptor {
  return (next) => async (request) => {
    const traceparent = traceparentFor(request.header.get("traceparent"));
    request.contextValues.set(traceparentKey, traceparent);
    const procedure = `${request.service.typeName}/${request.method.name}`;
    const started = performance.now();
    const finish = (code: string, level: "info" | "warn") => {
      const seconds = (performance.now() - started) / 1000;
      metrics.rpcDuration.observe({ procedure: request.method.name, code }, seconds);
      logger[level]({ procedure, code, ms: Math.round(seconds * 10_000) / 10, traceId: traceIdOf(traceparent) }, "rpc");
    };
    try {
      const response = await next(request);
      response.header.set("traceparent", traceparent);
      finish("ok", "info");
      return response;
    } catch (error) {
      const connectError = ConnectError.from(error);
      connectError.metadata.set("traceparent", traceparent);
      finish(codeName(connectError.code), SERVER_FAULTS.has(connectError.code) ? "warn" : "info");
      throw connectError;
    }
  };
}

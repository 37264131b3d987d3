import { trace } from "@opentelemetry/api";
import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";

export type { Logger };

/**
 * Structured JSON logs, one object a line, with the service name on every
 * line. Secrets never reach a log: the paths below are redacted wherever a
 * caller passes them by mistake. A line written inside a span carries its
 * trace_id and span_id, so logs and traces join.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? "info", destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name: service,
    level,
    base: { service },
    mixin: traceFields,
    redact: {
      paths: ["password", "*.password", "currentPassword", "*.currentPassword", "passwordHash", "*.passwordHash", "authorization", "*.authorization"],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId };
}

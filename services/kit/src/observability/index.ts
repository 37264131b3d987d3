export { contextFromTraceparent, inSpan, inTransactionSpan, SpanKind, trace, traceparentOf, type Tracer } from "./spans.js";
export { startTelemetry } from "./telemetry.js";
export { telemetryEnv } from "./telemetry-env.js";

import { context, defaultTextMapSetter, ROOT_CONTEXT, trace, TraceFlags } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { describe, expect, it } from "vitest";
import { traceparentOf } from "../src/observability/spans.js";
import { traceIdOf, traceparentFor } from "../src/tracing.js";

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

/** What the W3C propagator writes for a span: traceparentOf must say the same without it. */
function injected(spanContext: Parameters<typeof trace.wrapSpanContext>[0]): string | undefined {
  const carrier: Record<string, string> = {};
  new W3CTraceContextPropagator().inject(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(spanContext)), carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

describe("trace context formatting", () => {
  const ids = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" };

  it("formats a span's traceparent as the W3C propagator does, sampled or not", () => {
    for (const traceFlags of [TraceFlags.SAMPLED, TraceFlags.NONE]) {
      const spanContext = { ...ids, traceFlags };
      expect(traceparentOf(trace.wrapSpanContext(spanContext))).toBe(injected(spanContext));
    }
    expect(traceparentOf(trace.wrapSpanContext({ ...ids, traceFlags: TraceFlags.SAMPLED }))).toBe(`00-${ids.traceId}-${ids.spanId}-01`);
  });

  it("gives no traceparent for a span without a valid context, nor when no span is active", () => {
    expect(traceparentOf(trace.wrapSpanContext({ traceId: "0".repeat(32), spanId: ids.spanId, traceFlags: 1 }))).toBeUndefined();
    expect(context.with(ROOT_CONTEXT, () => traceparentOf())).toBeUndefined();
  });

  it("starts traces with ids that are well formed and do not repeat, across refills of the random pool", () => {
    const started = Array.from({ length: 1_000 }, () => traceparentFor(undefined));
    for (const traceparent of started) expect(traceparent).toMatch(TRACEPARENT);
    expect(new Set(started.map(traceIdOf)).size).toBe(started.length);
    expect(new Set(started.map((t) => t.slice(36, 52))).size).toBe(started.length);
  });

  it("continues a valid incoming trace with a new span id, and starts a new trace for an all-zero or malformed one", () => {
    const continued = traceparentFor(`00-${ids.traceId}-${ids.spanId}-01`);
    expect(traceIdOf(continued)).toBe(ids.traceId);
    expect(continued).not.toContain(ids.spanId);
    expect(traceIdOf(traceparentFor(`00-${"0".repeat(32)}-${ids.spanId}-01`))).not.toBe("0".repeat(32));
    expect(traceparentFor("garbage")).toMatch(TRACEPARENT);
  });
});

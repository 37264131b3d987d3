import { describe, expect, it } from "vitest";
import { SpanRing, type StoredSpan } from "../src/span-ring.js";

function span(traceId: string, spanId: string, eventId: string): StoredSpan {
  return {
    traceId,
    spanId,
    parentSpanId: "",
    name: "auth.events process",
    service: "profile",
    kind: "SPAN_KIND_CONSUMER",
    start: spanId,
    end: spanId,
    statusCode: "",
    statusMessage: "",
    attributes: [["messaging.message.id", eventId]],
    events: [],
    links: [],
  };
}

describe("SpanRing indexes", () => {
  it("drops an overwritten slot from its trace's and its event's index, and keeps the rest of both", () => {
    const ring = new SpanRing(4);
    ring.add([span("t1", "1", "e1"), span("t1", "2", "e1"), span("t2", "3", "e2"), span("t1", "4", "e1")]);
    // Two more overwrite slots 0 and 1 (t1/e1's first two spans).
    ring.add([span("t3", "5", "e3"), span("t2", "6", "e2")]);
    expect(ring.size).toBe(4);
    expect(ring.trace("t1").map((s) => s.spanId)).toEqual(["4"]);
    expect(ring.forEvent("e1").map((s) => s.spanId)).toEqual(["4"]);
    expect(ring.trace("t2").map((s) => s.spanId)).toEqual(["3", "6"]);
    expect(
      ring
        .forEvent("e2")
        .map((s) => s.spanId)
        .sort(),
    ).toEqual(["3", "6"]);
    // One more wrap removes t1 and e1 altogether.
    ring.add([span("t3", "7", "e3"), span("t3", "8", "e3")]);
    expect(ring.trace("t1")).toEqual([]);
    expect(ring.forEvent("e1")).toEqual([]);
    expect(ring.traceIds().sort()).toEqual(["t2", "t3"]);
    expect(
      ring
        .forEvent("e3")
        .map((s) => s.spanId)
        .sort(),
    ).toEqual(["5", "7", "8"]);
  });
});

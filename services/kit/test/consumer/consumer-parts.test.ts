import { create, toBinary } from "@bufbuild/protobuf";
import type { JsMsg } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { UserRegisteredSchema, type UserRegistered } from "@acme/gen/acme/auth/events/v1/events_pb";
import { BatchFailure } from "../../src/consumer/apply-batch.js";
import { decodeDelivery, PendingEvents } from "../../src/consumer/delivery-decoder.js";
import { createEventDecoder, type Envelope } from "../../src/consumer/event-decoder.js";
import { eventRoute, PermanentEventError } from "../../src/consumer/event-route.js";
import { triageFailure } from "../../src/consumer/failure-triage.js";
import { redeliveryDelayMs } from "../../src/consumer/redelivery.js";

/** The runner's parts that decide without I/O: decoding a delivery, grouping a batch, triaging a failure, the redelivery delay. */
describe("consumer runner parts", () => {
  const route = eventRoute(UserRegisteredSchema, { key: (e: UserRegistered) => e.userId, handle: async () => {} });
  const decode = createEventDecoder([route]);
  const envelope = (id: string, deliveryCount: number, type: string = UserRegisteredSchema.typeName): Envelope => {
    const headers: Record<string, string> = { "ce-type": type, "ce-id": id };
    return {
      subject: "auth.events.user.registered.v1",
      data: toBinary(UserRegisteredSchema, create(UserRegisteredSchema, { userId: `u-${id}`, email: "a@example.com", revision: 1n })),
      header: (name) => headers[name],
      streamSequence: 7,
      deliveryCount,
    };
  };

  it("decodeDelivery passes an event within its deliveries and dead-letters one past its last", () => {
    const within = decodeDelivery(decode, envelope("e1", 3), 3);
    expect(within.kind).toBe("event");
    const past = decodeDelivery(decode, envelope("e1", 4), 3);
    expect(past).toEqual({ kind: "dead", reason: "max-deliveries", error: "no outcome after 3 deliveries (the consumer stopped while handling it)" });
  });

  it("decodeDelivery leaves ignored types and undecodable messages as the decoder says, whatever their delivery count", () => {
    expect(decodeDelivery(decode, envelope("e2", 99, "acme.other.v1.Thing"), 3)).toEqual({ kind: "ignore", type: "acme.other.v1.Thing" });
    const broken = { ...envelope("e3", 99), data: new Uint8Array([0xff, 0xff, 0xff]) };
    expect(decodeDelivery(decode, broken, 3)).toMatchObject({ kind: "dead", reason: "undecodable" });
  });

  it("PendingEvents keeps one entry per event id, in arrival order, with every message that carried it", () => {
    const pending = new PendingEvents<never>();
    // Only their identity matters here: PendingEvents never reads a message.
    const [m1, m2, m3] = [{}, {}, {}] as JsMsg[];
    const event = (id: string) => {
      const decoded = decode(envelope(id, 1));
      if (decoded.kind !== "event") throw new Error("expected an event");
      return decoded.event as never;
    };
    pending.add(event("a"), m1!);
    pending.add(event("b"), m2!);
    pending.add(event("a"), m3!);
    expect(pending.list.map((p) => [p.event.meta.id, p.msgs])).toEqual([
      ["a", [m1, m3]],
      ["b", [m2]],
    ]);
  });

  it("triageFailure: a batch of one fails that event, a permanent refusal is set aside, anything else goes one by one", () => {
    const p = (id: string) => ({ event: { meta: { id } } });
    const [a, b] = [p("a"), p("b")];
    const transient = new Error("connection reset");
    expect(triageFailure([a], new BatchFailure("a", transient))).toEqual({ kind: "fail", pending: a, cause: transient });
    expect(triageFailure([a], transient)).toEqual({ kind: "fail", pending: a, cause: transient });
    const refused = new PermanentEventError("no user id");
    expect(triageFailure([a, b], new BatchFailure("b", refused))).toEqual({ kind: "set-aside", pending: b, cause: refused });
    expect(triageFailure([a, b], new BatchFailure("b", transient))).toEqual({ kind: "one-by-one" });
    expect(triageFailure([a, b], refused)).toEqual({ kind: "one-by-one" }); // no culprit named: pin it down
  });

  it("redeliveryDelayMs takes the entry for the delivery and repeats the last", () => {
    expect([1, 2, 3, 4, 9].map((n) => redeliveryDelayMs([100, 200, 300], n))).toEqual([100, 200, 300, 300, 300]);
    expect(redeliveryDelayMs([], 1)).toBe(1_000);
  });
});

import type { JsMsg } from "@nats-io/jetstream";
import type { Decoded, Envelope, PendingEvent } from "./event-decoder.js";

/**
 * Decodes one delivery, and turns an event whose last allowed delivery went
 * unanswered (the consumer died or stopped while handling it) into a dead
 * letter: that check needs the delivery count, which the decoder itself
 * does not judge.
 */
export function decodeDelivery<Tx>(decode: (envelope: Envelope) => Decoded<Tx>, envelope: Envelope, maxDeliver: number): Decoded<Tx> {
  const decoded = decode(envelope);
  if (decoded.kind !== "event" || decoded.event.meta.deliveryCount <= maxDeliver) return decoded;
  const deliveries = decoded.event.meta.deliveryCount - 1;
  return { kind: "dead", reason: "max-deliveries", error: `no outcome after ${deliveries} deliveries (the consumer stopped while handling it)` };
}

/** A batch's events in arrival order, one entry per event id: a redelivery that arrives twice in one batch is applied once and both copies acked. */
export class PendingEvents<Tx> {
  readonly list: PendingEvent<Tx>[] = [];
  private readonly byId = new Map<string, PendingEvent<Tx>>();

  add(event: PendingEvent<Tx>["event"], msg: JsMsg): void {
    const same = this.byId.get(event.meta.id);
    if (same) {
      same.msgs.push(msg);
      return;
    }
    const pending = { event, msgs: [msg] };
    this.byId.set(event.meta.id, pending);
    this.list.push(pending);
  }
}

import { fromBinary, type Message } from "@bufbuild/protobuf";
import type { JsMsg } from "@nats-io/jetstream";
import { CE, PROTOBUF_CONTENT_TYPE } from "../cloudevents.js";
import { traceIdOf } from "../tracing.js";
import type { DecodedEvent } from "./apply-batch.js";
import type { DeadLetterReason } from "./dead-letter.js";
import type { EventMeta, EventRoute } from "./event-route.js";

/** A decoded event and the message(s) that carried it (a redelivery can arrive twice in one batch). */
export interface PendingEvent<Tx> {
  event: DecodedEvent<Tx>;
  msgs: JsMsg[];
}

/** What decoding needs of a message: a delivered JsMsg, or a dead letter being replayed. */
export interface Envelope {
  subject: string;
  data: Uint8Array;
  header(name: string): string | undefined;
  streamSequence: number;
  deliveryCount: number;
}

export function envelopeOf(msg: JsMsg): Envelope {
  return {
    subject: msg.subject,
    data: msg.data,
    header: (name) => msg.headers?.get(name) || undefined,
    streamSequence: msg.info.streamSequence,
    deliveryCount: msg.info.deliveryCount,
  };
}

export type Decoded<Tx> =
  | { kind: "event"; event: DecodedEvent<Tx> }
  /** A type this service has no handler for: not an error, the stream carries more than we need. */
  | { kind: "ignore"; type: string }
  | { kind: "dead"; reason: DeadLetterReason; error: string };

/** Routes by ce-type (the full protobuf message name) and decodes the body with the route's schema. */
export function createEventDecoder<Tx>(routes: EventRoute<Tx>[]) {
  const byType = new Map(routes.map((route) => [route.schema.typeName, route]));
  return (msg: Envelope): Decoded<Tx> => {
    const header = msg.header;
    const type = header(CE.type);
    if (!type) return { kind: "dead", reason: "missing-header", error: `no ${CE.type} header` };
    const route = byType.get(type);
    if (!route) return { kind: "ignore", type };
    const id = header(CE.id) ?? header("Nats-Msg-Id");
    if (!id) return { kind: "dead", reason: "missing-header", error: `no ${CE.id} header` };
    const contentType = header(CE.contentType);
    if (contentType && contentType !== PROTOBUF_CONTENT_TYPE) {
      return { kind: "dead", reason: "undecodable", error: `content type ${contentType}, expected ${PROTOBUF_CONTENT_TYPE}` };
    }
    let event: Message;
    try {
      event = fromBinary(route.schema, msg.data);
    } catch (error) {
      return { kind: "dead", reason: "undecodable", error: `body does not decode as ${type}: ${(error as Error).message}` };
    }
    let key: string;
    try {
      key = route.key(event);
    } catch (error) {
      return { kind: "dead", reason: "invalid-event", error: (error as Error).message };
    }
    if (!key) return { kind: "dead", reason: "invalid-event", error: `${type} names no entity (empty key)` };
    const traceId = traceIdOf(header(CE.traceparent));
    const timeHeader = header(CE.time);
    const time = timeHeader ? new Date(timeHeader) : undefined;
    const meta: EventMeta = {
      id,
      type,
      subject: msg.subject,
      streamSequence: msg.streamSequence,
      deliveryCount: msg.deliveryCount,
      ...(time && !Number.isNaN(time.getTime()) ? { time } : {}),
      ...(traceId ? { traceId, traceparent: header(CE.traceparent)!.trim() } : {}),
    };
    return { kind: "event", event: { route, event, meta, key } };
  };
}

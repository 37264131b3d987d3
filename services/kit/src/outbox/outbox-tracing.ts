import { SpanKind, type Tracer } from "@opentelemetry/api";
import { ATTR, inSpan, traceparentOf } from "../observability/spans.js";
import type { OutboxEvent } from "./outbox-table.js";

/**
 * The messaging `create` span of an event written to the outbox: its
 * context, not the RPC's, is what the row's `traceparent` header carries,
 * so the relay's `send` and every consumer's `process` span hang under it.
 * `write` gets the event with that header set and runs inside the span.
 */
export function withOutboxCreateSpan<T>(tracer: Tracer, event: OutboxEvent, write: (event: OutboxEvent) => Promise<T>): Promise<T> {
  return inSpan(
    tracer,
    `create ${event.subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [ATTR.messagingSystem]: "nats",
        [ATTR.messagingOperationType]: "create",
        [ATTR.messagingOperationName]: "create",
        [ATTR.messagingDestination]: event.subject,
        [ATTR.messagingMessageId]: event.eventId,
        [ATTR.eventType]: event.headers["ce-type"] ?? "",
      },
    },
    (span) => {
      const traceparent = traceparentOf(span);
      return write(traceparent ? { ...event, headers: { ...event.headers, traceparent } } : event);
    },
  );
}

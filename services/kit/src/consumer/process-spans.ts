import type { JsMsg } from "@nats-io/jetstream";
import {
  ATTR,
  context,
  contextFromTraceparent,
  linkTo,
  recordFailure,
  SpanKind,
  trace,
  type EventOutcomeAttribute,
  type Span,
  type Tracer,
} from "../observability/spans.js";

/** Something that happened to a message on its way out, recorded on its span. */
export interface SpanEvent {
  name: string;
  attributes: Record<string, string | number>;
}

/**
 * Each delivered message's `process` span, from decoding until its outcome
 * (acked, naked, dead-lettered) is known. Messages without a span (ignored
 * types) pass through every method untouched.
 */
export interface ProcessSpans {
  start(msg: JsMsg): void;
  /** The open spans of these messages, in their order. */
  of(msgs: JsMsg[]): Span[];
  end(msg: JsMsg, outcome: EventOutcomeAttribute, error?: unknown, event?: SpanEvent): void;
  /** Runs `write` (a log line) inside the message's span, so the line carries its trace. */
  withSpanOf(msg: JsMsg | undefined, write: () => void): void;
}

export function createProcessSpans(tracer: Tracer, consumerGroup: string): ProcessSpans {
  const spans = new WeakMap<JsMsg, Span>();
  return {
    start(msg) {
      spans.set(msg, startProcessSpan(tracer, consumerGroup, msg));
    },
    of: (msgs) => msgs.map((m) => spans.get(m)).filter((s): s is Span => s !== undefined),
    end(msg, outcome, error, event) {
      const span = spans.get(msg);
      if (!span) return;
      spans.delete(msg);
      span.setAttribute(ATTR.eventOutcome, outcome);
      if (event) span.addEvent(event.name, event.attributes);
      if (error !== undefined) recordFailure(span, error);
      span.end();
    },
    withSpanOf(msg, write) {
      const span = msg ? spans.get(msg) : undefined;
      if (span) context.with(trace.setSpan(context.active(), span), write);
      else write();
    },
  };
}

function startProcessSpan(tracer: Tracer, consumerGroup: string, msg: JsMsg): Span {
  const traceparent = msg.headers?.get("traceparent");
  const eventId = msg.headers?.get("ce-id") || msg.headers?.get("Nats-Msg-Id") || "";
  return tracer.startSpan(
    `process ${msg.subject}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [ATTR.messagingSystem]: "nats",
        [ATTR.messagingOperationType]: "process",
        [ATTR.messagingOperationName]: "process",
        [ATTR.messagingDestination]: msg.subject,
        [ATTR.messagingMessageId]: eventId,
        [ATTR.messagingConsumerGroup]: consumerGroup,
        [ATTR.eventType]: msg.headers?.get("ce-type") || "",
        "messaging.delivery.count": msg.info.deliveryCount,
        "acme.stream.sequence": msg.info.streamSequence,
      },
      // Child of the producer's create span (same trace) and linked to it, as the messaging conventions describe.
      links: linkTo(traceparent),
    },
    contextFromTraceparent(traceparent),
  );
}

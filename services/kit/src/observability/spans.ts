import {
  context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_SUMMARY, ATTR_DB_SYSTEM_NAME, DB_SYSTEM_NAME_VALUE_POSTGRESQL } from "@opentelemetry/semantic-conventions";

/**
 * Span and attribute names kit uses. Messaging and RPC attributes are
 * still "development" in the semantic conventions, which advise copying
 * them rather than importing the incubating entry point.
 */
export const ATTR = {
  messagingSystem: "messaging.system",
  messagingOperationType: "messaging.operation.type",
  messagingOperationName: "messaging.operation.name",
  messagingDestination: "messaging.destination.name",
  messagingMessageId: "messaging.message.id",
  messagingConsumerGroup: "messaging.consumer.group.name",
  messagingBatchCount: "messaging.batch.message_count",
  /** Project attribute on every consumer `process` span: applied | duplicate | dead-lettered | retry. */
  eventOutcome: "acme.event.outcome",
  /** Project attribute: the CloudEvents type (protobuf message name) of an event. */
  eventType: "acme.event.type",
  rpcSystem: "rpc.system",
  rpcSystemName: "rpc.system.name",
  rpcService: "rpc.service",
  rpcMethod: "rpc.method",
  rpcConnectErrorCode: "rpc.connect_rpc.error_code",
  rpcGrpcStatusCode: "rpc.grpc.status_code",
  errorType: "error.type",
} as const;

export type EventOutcomeAttribute = "applied" | "duplicate" | "dead-lettered" | "retry";

const W3C = "traceparent";
// W3C trace context, used directly rather than through the global propagator, so it works even where no SDK was started (tools, tests).
const w3c = new W3CTraceContextPropagator();

/** The context a W3C `traceparent` names; an absent or unparseable one gives the root (a new trace). */
export function contextFromTraceparent(traceparent: string | null | undefined, base: Context = ROOT_CONTEXT): Context {
  if (!traceparent) return base;
  return w3c.extract(base, { [W3C]: traceparent }, defaultTextMapGetter);
}

/**
 * The `traceparent` of a span (or of the active one), for headers written
 * now and read elsewhere; undefined for a span without a valid context.
 * Formatted here rather than through the propagator's inject (a context, a
 * carrier and a setter per call): every RPC asks for it.
 */
export function traceparentOf(span: Span | undefined = trace.getActiveSpan()): string | undefined {
  const spanContext = span?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return `00-${spanContext.traceId}-${spanContext.spanId}-${spanContext.traceFlags.toString(16).padStart(2, "0")}`;
}

/** A link to the span a `traceparent` names, if it names one. */
export function linkTo(traceparent: string | null | undefined): Link[] {
  const spanContext = trace.getSpanContext(contextFromTraceparent(traceparent));
  return spanContext && trace.isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

/** Marks a span failed with an error's type and message (never its data). */
export function recordFailure(span: Span, error: unknown, message = error instanceof Error ? error.message : String(error)): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute(ATTR.errorType, error instanceof Error ? error.name : "error");
}

/** Runs `work` inside a new active span, ending it after; a throw marks it failed and is rethrown. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: { kind?: SpanKind; attributes?: Attributes; links?: Link[]; parent?: Context },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes ?? {}, links: options.links ?? [] }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * One database transaction as a client span: `transaction <what>`, with
 * db.system.name=postgresql and db.query.summary=<what>. Never the query
 * text or its parameters (they hold emails and hashes).
 */
export function inTransactionSpan<T>(
  tracer: Tracer,
  what: string,
  work: (span: Span) => Promise<T>,
  options: { parent?: Context; links?: Link[] } = {},
): Promise<T> {
  return inSpan(
    tracer,
    `transaction ${what}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL, [ATTR_DB_OPERATION_NAME]: "transaction", [ATTR_DB_QUERY_SUMMARY]: what },
      ...options,
    },
    work,
  );
}

export { SpanKind, SpanStatusCode, trace, context };
export type { Span, Tracer, Context };

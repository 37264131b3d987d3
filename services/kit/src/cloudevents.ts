/**
 * CloudEvents NATS protocol binding, binary mode: the attributes travel as
 * `ce-*` headers and the body is the event's protobuf bytes, so a consumer in
 * any language routes on headers and decodes with the .proto file alone.
 */
export const CE = {
  id: "ce-id",
  source: "ce-source",
  type: "ce-type",
  specversion: "ce-specversion",
  time: "ce-time",
  subject: "ce-subject",
  contentType: "ce-datacontenttype",
  traceparent: "traceparent",
} as const;

export const PROTOBUF_CONTENT_TYPE = "application/protobuf";

export interface EventHeaders {
  id: string;
  source: string;
  /** Full protobuf message name, e.g. acme.auth.events.v1.UserRegistered */
  type: string;
  time: Date;
  /** The entity the event is about (here: the user id); keeps per-entity order. */
  subject: string;
  traceparent?: string;
}

export function cloudEventHeaders(event: EventHeaders): Record<string, string> {
  const headers: Record<string, string> = {
    [CE.id]: event.id,
    [CE.source]: event.source,
    [CE.type]: event.type,
    [CE.specversion]: "1.0",
    [CE.time]: event.time.toISOString(),
    [CE.subject]: event.subject,
    [CE.contentType]: PROTOBUF_CONTENT_TYPE,
  };
  if (event.traceparent) headers[CE.traceparent] = event.traceparent;
  return headers;
}

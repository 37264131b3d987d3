import { fromJson, toBinary, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { createEventDecoder, type EventRoute } from "@acme/kit/consumer";

/** The message Pact hands a consumer test (pact-js does not export its type). */
export interface PactMessage {
  contents: { content: unknown };
  metadata?: Record<string, unknown>;
}

/**
 * Turns a pact message into what the consumer's handler gets. The body (the
 * proto3 JSON of the event) is parsed with fromJson into the generated type,
 * which refuses fields the .proto does not have. The consumer's real decoder
 * (kit's, with the service's own route table) must then accept the message
 * as NATS would deliver it: the protobuf bytes with the pact's metadata as
 * headers. A ce-type the service does not route, a missing ce-id or a wrong
 * content type fails here, as it would dead-letter or skip in production.
 */
export function decodePactMessage<S extends DescMessage>(message: PactMessage, schema: S, routes: EventRoute<never>[]): MessageShape<S> {
  const metadata = (message.metadata ?? {}) as Record<string, unknown>;
  const event = fromJson(schema, message.contents.content as JsonValue);
  const decoded = createEventDecoder(routes)({
    subject: String(metadata.subject),
    data: toBinary(schema, event),
    header: (name) => (typeof metadata[name] === "string" ? (metadata[name] as string) : undefined),
    streamSequence: 1,
    deliveryCount: 1,
  });
  if (decoded.kind === "ignore") throw new Error(`the consumer has no route for ${decoded.type}: it would skip this message`);
  if (decoded.kind === "dead") throw new Error(`the consumer would dead-letter this message (${decoded.reason}): ${decoded.error}`);
  if (decoded.event.route.schema.typeName !== schema.typeName) {
    throw new Error(`ce-type routes this message to ${decoded.event.route.schema.typeName}, not ${schema.typeName}`);
  }
  return event;
}

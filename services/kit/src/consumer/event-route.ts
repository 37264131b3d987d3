import type { DescMessage, MessageShape } from "@bufbuild/protobuf";

/** What the runner knows about a delivered event besides its body. */
export interface EventMeta {
  /** ce-id (or Nats-Msg-Id): the event id recorded in the inbox. */
  id: string;
  /** ce-type: the full protobuf message name. */
  type: string;
  /** The NATS subject the event was published on. */
  subject: string;
  /** ce-time, when present and valid. */
  time?: Date;
  streamSequence: number;
  deliveryCount: number;
  /** The trace id from the producer's traceparent: one trace from the RPC to this apply. */
  traceId?: string;
  /** The producer's traceparent itself (when valid), for work the handler leaves to later that belongs to the event's trace (a mail to send). */
  traceparent?: string;
}

/**
 * How one event type is applied. `key` names the entity whose events must be
 * applied one at a time (here: the user id); the runner serialises events of
 * one key across every instance of the service with a transaction-scoped
 * advisory lock, so `handle` may read, decide and write without races.
 */
export interface EventRoute<Tx, Desc extends DescMessage = DescMessage> {
  schema: Desc;
  key(event: MessageShape<Desc>): string;
  handle(event: MessageShape<Desc>, tx: Tx, meta: EventMeta): Promise<void>;
}

/** Keeps the event type of `key` and `handle` tied to `schema`. */
export function eventRoute<Tx, Desc extends DescMessage>(schema: Desc, route: Omit<EventRoute<Tx, Desc>, "schema">): EventRoute<Tx, DescMessage> {
  return { schema, ...route } as unknown as EventRoute<Tx, DescMessage>;
}

/**
 * Thrown by a handler when the event itself is wrong (a missing user id, a
 * revision of 0): retrying cannot help, so the message goes straight to the
 * dead-letter stream instead of being redelivered.
 */
export class PermanentEventError extends Error {
  override readonly name = "PermanentEventError";
}

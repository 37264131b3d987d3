import { randomUUID } from "node:crypto";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { cloudEventHeaders } from "../src/cloudevents.js";

/**
 * Test helpers that stand in for a producer: they declare a stream the way
 * auth declares AUTH_EVENTS (file storage, 2-minute duplicate window) and
 * publish events with the CloudEvents headers and Nats-Msg-Id the outbox
 * relay sets.
 */
export async function declareEventStream(jsm: JetStreamManager, name: string, subjectPrefix: string): Promise<void> {
  await jsm.streams.add({
    name,
    subjects: [`${subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    duplicate_window: nanos(2 * 60_000),
  });
}

export interface PublishedEvent {
  id: string;
  seq: number;
}

export async function publishEvent<Desc extends DescMessage>(
  js: JetStreamClient,
  options: {
    subject: string;
    schema: Desc;
    message: MessageInitShape<Desc>;
    /** The entity the event is about (ce-subject). */
    entity: string;
    id?: string;
    /** Nats-Msg-Id when it should differ from the event id (to get past JetStream's duplicate window). */
    natsMsgId?: string;
    source?: string;
    /** Overrides the body, e.g. to publish a poison message. */
    body?: Uint8Array;
    /** Extra or replacing headers; an empty string removes one. */
    headers?: Record<string, string>;
  },
): Promise<PublishedEvent> {
  const id = options.id ?? randomUUID();
  const ce = cloudEventHeaders({ id, source: options.source ?? "test", type: options.schema.typeName, time: new Date(), subject: options.entity });
  const h = natsHeaders();
  for (const [key, value] of Object.entries({ ...ce, ...options.headers })) if (value !== "") h.set(key, value);
  const body = options.body ?? toBinary(options.schema, create(options.schema, options.message));
  const ack = await js.publish(options.subject, body, { headers: h, msgID: options.natsMsgId ?? id });
  return { id, seq: ack.seq };
}

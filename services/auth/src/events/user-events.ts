import { randomUUID } from "node:crypto";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { cloudEventHeaders } from "@acme/kit/cloudevents";
import type { OutboxEvent } from "@acme/kit/outbox";
import type { UserEventBuilder } from "../app/ports.js";

/**
 * Auth's published events: the one place that turns a change into the bytes
 * and headers that leave the service. The outbox writer and the Pact provider
 * verification both call these functions, so the contract is checked against
 * the real thing.
 */
export const EVENT_SOURCE = "/acme/auth";

export interface EventContext {
  /** Subject prefix, `auth.events` in production; tests use their own. */
  subjectPrefix: string;
  traceparent?: string | undefined;
  /** Fixed ids make events reproducible in contract tests. */
  eventId?: string;
}

function buildEvent<S extends DescMessage>(
  schema: S,
  eventName: string,
  message: MessageInitShape<S> & { userId: string },
  at: Date,
  context: EventContext,
): OutboxEvent {
  const eventId = context.eventId ?? randomUUID();
  return {
    eventId,
    subject: `${context.subjectPrefix}.${eventName}.v1`,
    partitionKey: message.userId,
    payload: toBinary(schema, create(schema, message)),
    headers: cloudEventHeaders({
      id: eventId,
      source: EVENT_SOURCE,
      type: schema.typeName,
      time: at,
      subject: message.userId,
      traceparent: context.traceparent,
    }),
  };
}

export function userRegistered(user: { userId: string; email: string; at: Date }, context: EventContext): OutboxEvent {
  return buildEvent(
    UserRegisteredSchema,
    "user_registered",
    { userId: user.userId, email: user.email, registeredAt: timestampFromDate(user.at), revision: 1n },
    user.at,
    context,
  );
}

export function userEmailChanged(change: { userId: string; email: string; at: Date; revision: number }, context: EventContext): OutboxEvent {
  return buildEvent(
    UserEmailChangedSchema,
    "user_email_changed",
    { userId: change.userId, email: change.email, changedAt: timestampFromDate(change.at), revision: BigInt(change.revision) },
    change.at,
    context,
  );
}

export function userDeleted(deletion: { userId: string; at: Date; revision: number }, context: EventContext): OutboxEvent {
  return buildEvent(
    UserDeletedSchema,
    "user_deleted",
    { userId: deletion.userId, deletedAt: timestampFromDate(deletion.at), revision: BigInt(deletion.revision) },
    deletion.at,
    context,
  );
}

/** The builder auth's use cases receive (app/ports.ts): these functions, bound to the service's subject prefix. */
export function userEventBuilder(subjectPrefix: string): UserEventBuilder {
  return {
    registered: (user, traceparent) => userRegistered(user, { subjectPrefix, traceparent }),
    emailChanged: (change, traceparent) => userEmailChanged(change, { subjectPrefix, traceparent }),
    deleted: (deletion, traceparent) => userDeleted(deletion, { subjectPrefix, traceparent }),
  };
}

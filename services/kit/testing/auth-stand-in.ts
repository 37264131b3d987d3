import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { JetStreamClient } from "@nats-io/jetstream";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { publishEvent, type PublishedEvent } from "./event-stream.js";

/** Test support for consumers of auth's events: publishes them as auth's outbox relay would, so a consumer's tests need no auth. */
export function authStandIn(js: JetStreamClient, subjectPrefix: string) {
  return {
    registered: (userId: string, email: string, extra: { id?: string; natsMsgId?: string; at?: Date } = {}): Promise<PublishedEvent> =>
      publishEvent(js, {
        subject: `${subjectPrefix}.user_registered.v1`,
        schema: UserRegisteredSchema,
        message: { userId, email, registeredAt: timestampFromDate(extra.at ?? new Date()), revision: 1n },
        entity: userId,
        source: "/acme/auth",
        ...(extra.id ? { id: extra.id } : {}),
        ...(extra.natsMsgId ? { natsMsgId: extra.natsMsgId } : {}),
      }),
    emailChanged: (userId: string, email: string, revision: number): Promise<PublishedEvent> =>
      publishEvent(js, {
        subject: `${subjectPrefix}.user_email_changed.v1`,
        schema: UserEmailChangedSchema,
        message: { userId, email, changedAt: timestampFromDate(new Date()), revision: BigInt(revision) },
        entity: userId,
        source: "/acme/auth",
      }),
    deleted: (userId: string, revision: number): Promise<PublishedEvent> =>
      publishEvent(js, {
        subject: `${subjectPrefix}.user_deleted.v1`,
        schema: UserDeletedSchema,
        message: { userId, deletedAt: timestampFromDate(new Date()), revision: BigInt(revision) },
        entity: userId,
        source: "/acme/auth",
      }),
    /** Bytes that are not a UserRegistered, with headers that say they are. */
    poison: (userId: string): Promise<PublishedEvent> =>
      publishEvent(js, {
        subject: `${subjectPrefix}.user_registered.v1`,
        schema: UserRegisteredSchema,
        message: {},
        body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        entity: userId,
        source: "/acme/auth",
      }),
  };
}

export type AuthStandIn = ReturnType<typeof authStandIn>;

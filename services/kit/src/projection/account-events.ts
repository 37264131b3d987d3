import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { UserDeleted, UserEmailChanged, UserRegistered } from "@acme/gen/acme/auth/events/v1/events_pb";
import { PermanentEventError } from "../consumer/event-route.js";
import type { AccountDeletedFact, AccountEmailFact } from "./account-facts.js";

/*
 * Checks on auth's event fields, and the facts they carry. A violation is
 * permanent (redelivering the same bytes cannot fix it), so the consumer
 * dead-letters the event.
 */

export function requireUserId(value: string, type: string): string {
  if (!value || value.length > 128) throw new PermanentEventError(`${type}.user_id must be a non-empty id of at most 128 characters`);
  return value;
}

export function requireEmail(value: string, type: string): string {
  if (!value.includes("@") || value.length > 320) throw new PermanentEventError(`${type}.email must be an email address`);
  return value;
}

export function requireRevision(value: bigint, type: string): number {
  if (value < 1n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new PermanentEventError(`${type}.revision must be at least 1`);
  return Number(value);
}

/** The event's own time; an event without one is dated when it is applied. */
export function eventTime(value: Timestamp | undefined, now: Date): Date {
  return value ? timestampDate(value) : now;
}

/** The checked fact of an event that carries the account email; `at` is the event's own time field. */
function emailFact(
  type: string,
  event: { userId: string; email: string; revision: bigint },
  at: Timestamp | undefined,
  now: Date,
  registration: boolean,
): AccountEmailFact {
  return {
    userId: requireUserId(event.userId, type),
    email: requireEmail(event.email, type),
    revision: requireRevision(event.revision, type),
    at: eventTime(at, now),
    registration,
  };
}

export const registeredFact = (event: UserRegistered, now: Date) => emailFact("UserRegistered", event, event.registeredAt, now, true);

export const emailChangedFact = (event: UserEmailChanged, now: Date) => emailFact("UserEmailChanged", event, event.changedAt, now, false);

export function deletedFact(event: UserDeleted, now: Date): AccountDeletedFact {
  const type = "UserDeleted";
  return {
    userId: requireUserId(event.userId, type),
    revision: requireRevision(event.revision, type),
    at: eventTime(event.deletedAt, now),
  };
}

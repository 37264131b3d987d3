import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { PermanentEventError } from "@acme/kit/consumer/event-route";

/**
 * Checks on auth's event fields. A violation is permanent (redelivering the
 * same bytes cannot fix it), so the consumer dead-letters the event.
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

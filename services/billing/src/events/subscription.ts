import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { eventRoute, type EventRoute } from "@acme/kit/consumer/event-route";
import { contactRepositoryFor, type BillingDb } from "../db/contact-repository.js";
import { onUserDeleted } from "./on-user-deleted.js";
import { onUserEmailChanged } from "./on-user-email-changed.js";
import { onUserRegistered } from "./on-user-registered.js";

/**
 * The thin part: which auth event goes to which handler, keyed by user id so
 * one user's events are applied one at a time; each handler gets a
 * repository on the consumer's transaction.
 */
export function billingEventRoutes(): EventRoute<BillingDb>[] {
  return [
    eventRoute(UserRegisteredSchema, { key: (e) => e.userId, handle: (e, tx: BillingDb) => onUserRegistered(e, contactRepositoryFor(tx)).then(() => {}) }),
    eventRoute(UserEmailChangedSchema, { key: (e) => e.userId, handle: (e, tx: BillingDb) => onUserEmailChanged(e, contactRepositoryFor(tx)).then(() => {}) }),
    eventRoute(UserDeletedSchema, { key: (e) => e.userId, handle: (e, tx: BillingDb) => onUserDeleted(e, contactRepositoryFor(tx)).then(() => {}) }),
  ];
}

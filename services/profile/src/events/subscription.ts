import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { eventRoute, type EventRoute } from "@acme/kit/consumer/event-route";
import { profileRepositoryFor, type ProfileDb } from "../db/profile-repository.js";
import { onUserDeleted } from "./on-user-deleted.js";
import { onUserEmailChanged } from "./on-user-email-changed.js";
import { onUserRegistered } from "./on-user-registered.js";

/**
 * The thin part: which auth event goes to which handler, keyed by user id so
 * one user's events are applied one at a time; each handler gets a
 * repository on the consumer's transaction.
 */
export function profileEventRoutes(): EventRoute<ProfileDb>[] {
  return [
    eventRoute(UserRegisteredSchema, { key: (e) => e.userId, handle: (e, tx: ProfileDb) => onUserRegistered(e, profileRepositoryFor(tx)).then(() => {}) }),
    eventRoute(UserEmailChangedSchema, { key: (e) => e.userId, handle: (e, tx: ProfileDb) => onUserEmailChanged(e, profileRepositoryFor(tx)).then(() => {}) }),
    eventRoute(UserDeletedSchema, { key: (e) => e.userId, handle: (e, tx: ProfileDb) => onUserDeleted(e, profileRepositoryFor(tx)).then(() => {}) }),
  ];
}

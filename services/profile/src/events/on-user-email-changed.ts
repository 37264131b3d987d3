import type { UserEmailChanged } from "@acme/gen/acme/auth/events/v1/events_pb";
import { applyAccountEmail, type ProfileChange } from "../domain/account-facts.js";
import { eventTime, requireEmail, requireRevision, requireUserId } from "./event-fields.js";
import { persist, type ProfileEventStore } from "./profile-event-store.js";

/**
 * The account email changed. The display name follows it while the user has
 * not chosen one, so an old address is never left on show.
 */
export async function onUserEmailChanged(event: UserEmailChanged, store: ProfileEventStore, now = new Date()): Promise<ProfileChange> {
  const type = "UserEmailChanged";
  const fact = {
    userId: requireUserId(event.userId, type),
    email: requireEmail(event.email, type),
    revision: requireRevision(event.revision, type),
    at: eventTime(event.changedAt, now),
    registration: false,
  };
  return persist(store, fact.userId, applyAccountEmail(await store.load(fact.userId), fact, now));
}

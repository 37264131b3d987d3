import type { UserDeleted } from "@acme/gen/acme/auth/events/v1/events_pb";
import { applyAccountDeleted, type ProfileChange } from "../domain/account-facts.js";
import { eventTime, requireRevision, requireUserId } from "./event-fields.js";
import { persist, type ProfileEventStore } from "./profile-event-store.js";

/** The account is gone: its profile (all personal data) is removed. */
export async function onUserDeleted(event: UserDeleted, store: ProfileEventStore, now = new Date()): Promise<ProfileChange> {
  const type = "UserDeleted";
  const fact = {
    userId: requireUserId(event.userId, type),
    revision: requireRevision(event.revision, type),
    at: eventTime(event.deletedAt, now),
  };
  return persist(store, fact.userId, applyAccountDeleted(await store.load(fact.userId), fact));
}

import type { UserRegistered } from "@acme/gen/acme/auth/events/v1/events_pb";
import { applyAccountEmail, type ProfileChange } from "../domain/account-facts.js";
import { eventTime, requireEmail, requireRevision, requireUserId } from "./event-fields.js";
import { persist, type ProfileEventStore } from "./profile-event-store.js";

/** A new account: its profile starts with the account email as display name. */
export async function onUserRegistered(event: UserRegistered, store: ProfileEventStore, now = new Date()): Promise<ProfileChange> {
  const type = "UserRegistered";
  const fact = {
    userId: requireUserId(event.userId, type),
    email: requireEmail(event.email, type),
    revision: requireRevision(event.revision, type),
    at: eventTime(event.registeredAt, now),
    registration: true,
  };
  return persist(store, fact.userId, applyAccountEmail(await store.load(fact.userId), fact, now));
}

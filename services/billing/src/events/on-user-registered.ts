import type { UserRegistered } from "@acme/gen/acme/auth/events/v1/events_pb";
import { applyAccountEmail, type ContactChange } from "../domain/account-facts.js";
import { persist, type ContactEventStore } from "./contact-event-store.js";
import { eventTime, requireEmail, requireRevision, requireUserId } from "./event-fields.js";

/** A new account: its billing contact starts with the account email, no address. */
export async function onUserRegistered(event: UserRegistered, store: ContactEventStore, now = new Date()): Promise<ContactChange> {
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

import type { UserDeleted } from "@acme/gen/acme/auth/events/v1/events_pb";
import { applyAccountDeleted, type ContactChange } from "../domain/account-facts.js";
import { persist, type ContactEventStore } from "./contact-event-store.js";
import { eventTime, requireRevision, requireUserId } from "./event-fields.js";

/** The account is gone: its billing contact (emails, address) is removed. */
export async function onUserDeleted(event: UserDeleted, store: ContactEventStore, now = new Date()): Promise<ContactChange> {
  const type = "UserDeleted";
  const fact = {
    userId: requireUserId(event.userId, type),
    revision: requireRevision(event.revision, type),
    at: eventTime(event.deletedAt, now),
  };
  return persist(store, fact.userId, applyAccountDeleted(await store.load(fact.userId), fact));
}

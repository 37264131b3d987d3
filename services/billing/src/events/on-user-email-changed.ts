import type { UserEmailChanged } from "@acme/gen/acme/auth/events/v1/events_pb";
import { applyAccountEmail, type ContactChange } from "../domain/account-facts.js";
import { persist, type ContactEventStore } from "./contact-event-store.js";
import { eventTime, requireEmail, requireRevision, requireUserId } from "./event-fields.js";

/**
 * The account email changed. Invoices follow it unless the user set a
 * billing email of their own, which is kept (see README: "Email changes").
 */
export async function onUserEmailChanged(event: UserEmailChanged, store: ContactEventStore, now = new Date()): Promise<ContactChange> {
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

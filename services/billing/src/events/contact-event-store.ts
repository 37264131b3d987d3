import type { ContactChange } from "../domain/account-facts.js";
import type { BillingContactRecord, ContactState } from "../domain/billing-contact.js";

/** What the event handlers need from storage (db/contact-repository.ts, or an in-memory fake). */
export interface ContactEventStore {
  load(userId: string): Promise<ContactState>;
  save(contact: BillingContactRecord): Promise<void>;
  delete(userId: string, tombstone: { revision: number; at: Date }): Promise<void>;
}

export async function persist(store: ContactEventStore, userId: string, change: ContactChange): Promise<ContactChange> {
  if (change.kind === "save") await store.save(change.contact);
  else if (change.kind === "delete") await store.delete(userId, { revision: change.revision, at: change.at });
  return change;
}

import type { BillingContactRecord, ContactState } from "../domain/billing-contact.js";
import type { OwnFields } from "./contact-repository.js";

/**
 * The same contract as contact-repository.ts, in memory: for unit tests and
 * for the Pact consumer test, which calls the event handlers directly.
 * test/integration/contact-repository.test.ts runs one suite against both.
 */
export function createContactMemoryRepository() {
  const contacts = new Map<string, BillingContactRecord>();
  const tombstones = new Map<string, { revision: number; at: Date }>();
  const copy = (c: BillingContactRecord): BillingContactRecord => ({ ...c, address: c.address ? { ...c.address } : null });
  return {
    async load(userId: string): Promise<ContactState> {
      const tombstone = tombstones.get(userId);
      if (tombstone) return { kind: "deleted", revision: tombstone.revision };
      const contact = contacts.get(userId);
      return contact ? { kind: "present", contact: copy(contact) } : { kind: "absent" };
    },
    async save(contact: BillingContactRecord): Promise<void> {
      contacts.set(contact.userId, copy(contact));
    },
    async delete(userId: string, tombstone: { revision: number; at: Date }): Promise<void> {
      contacts.delete(userId);
      if (!tombstones.has(userId)) tombstones.set(userId, tombstone);
    },
    async updateOwnFields(userId: string, fields: OwnFields, now: Date): Promise<BillingContactRecord | undefined> {
      const current = contacts.get(userId);
      if (!current) return undefined;
      const updated: BillingContactRecord = {
        ...current,
        ...(fields.ownBillingEmail !== undefined ? { ownBillingEmail: fields.ownBillingEmail } : {}),
        ...(fields.address ? { address: { ...fields.address } } : {}),
        updatedAt: now,
      };
      contacts.set(userId, updated);
      return copy(updated);
    },
  };
}

import { createMemoryProjectionStore } from "@acme/kit/projection";
import type { BillingContactRecord, ContactOwnFields } from "../domain/billing-contact.js";

/**
 * The same contract as contact-repository.ts, in memory: for unit tests and
 * for the Pact consumer test, which calls the event handlers directly.
 * test/integration/contact-repository.test.ts runs one suite against both.
 */
export function createContactMemoryRepository() {
  const { store, update } = createMemoryProjectionStore<BillingContactRecord>((c) => ({ ...c, address: c.address ? { ...c.address } : null }));
  return {
    ...store,
    updateOwnFields: (userId: string, fields: ContactOwnFields, now: Date) =>
      update(userId, (current) => ({
        ...current,
        ...(fields.ownBillingEmail !== undefined ? { ownBillingEmail: fields.ownBillingEmail } : {}),
        ...(fields.address ? { address: { ...fields.address } } : {}),
        updatedAt: now,
      })),
  };
}

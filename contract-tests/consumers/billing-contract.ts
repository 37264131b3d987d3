import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { createContactMemoryRepository } from "@acme/billing/db/contact-memory-repository";
import { toBillingContact } from "@acme/billing/domain/billing-contact";
import { billingEventRoutes, billingProjection } from "@acme/billing/events/subscription";
import { emailLike, revisionLike, timestampLike, userIdLike } from "../src/proto-json-matchers.js";
import type { ConsumerContract } from "./consumer-contract.js";
import { decodePactMessage } from "./deliver.js";

const { onUserRegistered, onUserEmailChanged, onUserDeleted } = billingProjection;

const USER_ID = "1e7b9c3d-5a2f-4d6e-8b1c-9f0a3e2d7c54";
const REGISTERED_AT = "2026-04-10T08:00:00.125Z";
const CHANGED_AT = "2026-04-11T12:45:30Z";
const DELETED_AT = "2026-04-12T16:20:00Z";

/** A billing contact as billing's real handler makes it from a registration (revision 1). */
async function registeredContact() {
  const store = createContactMemoryRepository();
  await onUserRegistered(
    create(UserRegisteredSchema, { userId: USER_ID, email: "grace@example.com", registeredAt: timestampFromDate(new Date(REGISTERED_AT)), revision: 1n }),
    store,
  );
  return store;
}

/**
 * What billing needs from auth: the user id (its key), the email (where
 * invoices go until the user sets a billing email), the revision (per-user
 * order) and the event time.
 */
export const billingContract: ConsumerContract = {
  consumer: "billing",
  events: [
    {
      event: "UserRegistered",
      body: { userId: userIdLike(USER_ID), email: emailLike("grace@example.com"), registeredAt: timestampLike(REGISTERED_AT), revision: revisionLike("1") },
      async check(message) {
        const store = createContactMemoryRepository();
        await onUserRegistered(decodePactMessage(message, UserRegisteredSchema, billingEventRoutes()), store);
        const state = await store.load(USER_ID);
        assert.equal(state.kind, "present", "billing creates the contact");
        assert.equal(toBillingContact(state.record).billingEmail, "grace@example.com", "invoices go to the account email");
        assert.equal(state.record.revision, 1);
        assert.equal(state.record.createdAt.toISOString(), REGISTERED_AT);
      },
    },
    {
      event: "UserEmailChanged",
      body: { userId: userIdLike(USER_ID), email: emailLike("grace.hopper@example.com"), changedAt: timestampLike(CHANGED_AT), revision: revisionLike("2") },
      async check(message) {
        const store = await registeredContact();
        await onUserEmailChanged(decodePactMessage(message, UserEmailChangedSchema, billingEventRoutes()), store);
        const state = await store.load(USER_ID);
        assert.equal(state.kind, "present");
        assert.equal(toBillingContact(state.record).billingEmail, "grace.hopper@example.com", "invoices follow the account email");
        assert.equal(state.record.revision, 2);
      },
    },
    {
      event: "UserDeleted",
      body: { userId: userIdLike(USER_ID), deletedAt: timestampLike(DELETED_AT), revision: revisionLike("2") },
      async check(message) {
        const store = await registeredContact();
        await onUserDeleted(decodePactMessage(message, UserDeletedSchema, billingEventRoutes()), store);
        assert.deepEqual(await store.load(USER_ID), { kind: "deleted", revision: 2 }, "the contact is gone, a tombstone stays");
      },
    },
  ],
};

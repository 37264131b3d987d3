import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserDeletedSchema, UserEmailChangedSchema, UserRegisteredSchema } from "@acme/gen/acme/auth/events/v1/events_pb";
import { createProfileMemoryRepository } from "@acme/profile/db/profile-memory-repository";
import { toProfile } from "@acme/profile/domain/profile";
import { profileEventRoutes, profileProjection } from "@acme/profile/events/subscription";
import { emailLike, revisionLike, timestampLike, userIdLike } from "../src/proto-json-matchers.js";
import type { ConsumerContract } from "./consumer-contract.js";
import { decodePactMessage } from "./deliver.js";

const { onUserRegistered, onUserEmailChanged, onUserDeleted } = profileProjection;

const USER_ID = "6f1c2a4e-9b3d-4c8e-a7f5-2d1e0b9c8a76";
const REGISTERED_AT = "2026-03-01T09:30:00.250Z";
const CHANGED_AT = "2026-03-02T10:00:00Z";
const DELETED_AT = "2026-03-03T11:15:00Z";

/** A profile as profile's real handler makes it from a registration (revision 1). */
async function registeredProfile() {
  const store = createProfileMemoryRepository();
  await onUserRegistered(
    create(UserRegisteredSchema, { userId: USER_ID, email: "ada@example.com", registeredAt: timestampFromDate(new Date(REGISTERED_AT)), revision: 1n }),
    store,
  );
  return store;
}

/**
 * What profile needs from auth: the user id (its key), the email (the
 * display name until the user picks one), the revision (per-user order) and
 * the event time (the profile's creation time).
 */
export const profileContract: ConsumerContract = {
  consumer: "profile",
  events: [
    {
      event: "UserRegistered",
      body: { userId: userIdLike(USER_ID), email: emailLike("ada@example.com"), registeredAt: timestampLike(REGISTERED_AT), revision: revisionLike("1") },
      async check(message) {
        const store = createProfileMemoryRepository();
        await onUserRegistered(decodePactMessage(message, UserRegisteredSchema, profileEventRoutes()), store);
        const state = await store.load(USER_ID);
        assert.equal(state.kind, "present", "profile creates the profile");
        assert.equal(toProfile(state.record).displayName, "ada@example.com");
        assert.equal(state.record.revision, 1);
        assert.equal(state.record.createdAt.toISOString(), REGISTERED_AT);
      },
    },
    {
      event: "UserEmailChanged",
      body: { userId: userIdLike(USER_ID), email: emailLike("ada.lovelace@example.com"), changedAt: timestampLike(CHANGED_AT), revision: revisionLike("2") },
      async check(message) {
        const store = await registeredProfile();
        await onUserEmailChanged(decodePactMessage(message, UserEmailChangedSchema, profileEventRoutes()), store);
        const state = await store.load(USER_ID);
        assert.equal(state.kind, "present");
        assert.equal(toProfile(state.record).displayName, "ada.lovelace@example.com", "the display name follows the account email");
        assert.equal(state.record.revision, 2);
      },
    },
    {
      event: "UserDeleted",
      body: { userId: userIdLike(USER_ID), deletedAt: timestampLike(DELETED_AT), revision: revisionLike("2") },
      async check(message) {
        const store = await registeredProfile();
        await onUserDeleted(decodePactMessage(message, UserDeletedSchema, profileEventRoutes()), store);
        assert.deepEqual(await store.load(USER_ID), { kind: "deleted", revision: 2 }, "the profile is gone, a tombstone stays");
      },
    },
  ],
};

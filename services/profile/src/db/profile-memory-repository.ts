import { createMemoryProjectionStore } from "@acme/kit/projection";
import type { ProfileOwnFields, ProfileRecord } from "../domain/profile.js";

/**
 * The same contract as profile-repository.ts, in memory: for unit tests and
 * for the Pact consumer test, which calls the event handlers directly.
 * test/integration/profile-repository.test.ts runs one suite against both.
 */
export function createProfileMemoryRepository() {
  const { store, update } = createMemoryProjectionStore<ProfileRecord>();
  const updateOwnFields = (userId: string, fields: ProfileOwnFields, now: Date) => update(userId, (current) => ({ ...current, ...fields, updatedAt: now }));
  return { ...store, updateOwnFields };
}

import type { ProfileRecord, ProfileState } from "../domain/profile.js";
import type { OwnFields } from "./profile-repository.js";

/**
 * The same contract as profile-repository.ts, in memory: for unit tests and
 * for the Pact consumer test, which calls the event handlers directly.
 * test/integration/profile-repository.test.ts runs one suite against both.
 */
export function createProfileMemoryRepository() {
  const profiles = new Map<string, ProfileRecord>();
  const tombstones = new Map<string, { revision: number; at: Date }>();
  return {
    async load(userId: string): Promise<ProfileState> {
      const tombstone = tombstones.get(userId);
      if (tombstone) return { kind: "deleted", revision: tombstone.revision };
      const profile = profiles.get(userId);
      return profile ? { kind: "present", profile: { ...profile } } : { kind: "absent" };
    },
    async save(profile: ProfileRecord): Promise<void> {
      profiles.set(profile.userId, { ...profile });
    },
    async delete(userId: string, tombstone: { revision: number; at: Date }): Promise<void> {
      profiles.delete(userId);
      if (!tombstones.has(userId)) tombstones.set(userId, tombstone);
    },
    async updateOwnFields(userId: string, fields: OwnFields, now: Date): Promise<ProfileRecord | undefined> {
      const current = profiles.get(userId);
      if (!current) return undefined;
      const updated = { ...current, ...fields, updatedAt: now };
      profiles.set(userId, updated);
      return { ...updated };
    },
  };
}

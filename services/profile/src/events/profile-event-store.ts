import type { ProfileChange } from "../domain/account-facts.js";
import type { ProfileRecord, ProfileState } from "../domain/profile.js";

/** What the event handlers need from storage (db/profile-repository.ts, or an in-memory fake). */
export interface ProfileEventStore {
  load(userId: string): Promise<ProfileState>;
  save(profile: ProfileRecord): Promise<void>;
  delete(userId: string, tombstone: { revision: number; at: Date }): Promise<void>;
}

export async function persist(store: ProfileEventStore, userId: string, change: ProfileChange): Promise<ProfileChange> {
  if (change.kind === "save") await store.save(change.profile);
  else if (change.kind === "delete") await store.delete(userId, { revision: change.revision, at: change.at });
  return change;
}

import { createProjectionStore, perTransaction, type ProjectionDb } from "@acme/kit/projection";
import type { ProfileOwnFields, ProfileRecord } from "../domain/profile.js";
import { profiles, userTombstones } from "./schema.js";

/** Profiles in PostgreSQL: the projection's store on `profiles`, plus the owner's update. */
function profileStores(db: ProjectionDb) {
  const { store, batching } = createProjectionStore<typeof profiles, ProfileRecord>(db, { table: profiles, tombstones: userTombstones, name: "profile" });
  // The owner's fields are columns as they are.
  const updateOwnFields = (userId: string, fields: ProfileOwnFields, now: Date) => store.updateColumns(userId, fields, now);
  return { store: { ...store, updateOwnFields }, batching: { ...batching, updateOwnFields } };
}

/** For the RPCs; `db` may be a transaction. */
export const createProfileRepository = (db: ProjectionDb) => profileStores(db).store;
/** For the consumer's transactions: the loads and saves of one batch's handlers coalesce into one statement each. */
export const createBatchingProfileRepository = (db: ProjectionDb) => profileStores(db).batching;
/** One batching repository (and one set of prepared statements) per consumer transaction. */
export const profileRepositoryFor = perTransaction(createBatchingProfileRepository);

export type ProfileRepository = ReturnType<typeof createProfileRepository>;

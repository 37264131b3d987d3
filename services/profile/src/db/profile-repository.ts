import { eq, sql } from "drizzle-orm";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import type { ProfileRecord, ProfileState } from "../domain/profile.js";
import { profiles, userTombstones, type schema } from "./schema.js";

/** The service's database or one of its transactions. */
export type ProfileDb = PgDatabase<PostgresJsQueryResultHKT, typeof schema>;

export interface OwnFields {
  ownDisplayName?: string;
  avatarUrl?: string;
}

/** Profiles in PostgreSQL (Drizzle); `db` may be a transaction (the consumer's). */
export function createProfileRepository(db: ProfileDb) {
  return {
    /** One round trip: the profile, or the tombstone, or neither. */
    async load(userId: string): Promise<ProfileState> {
      const rows = await db
        .select({ profile: profiles, tombstoneRevision: userTombstones.revision })
        .from(sql`(select ${userId}::text as id) as k`)
        .leftJoin(profiles, sql`${profiles.userId} = k.id`)
        .leftJoin(userTombstones, sql`${userTombstones.userId} = k.id`);
      const row = rows[0];
      if (row?.tombstoneRevision != null) return { kind: "deleted", revision: row.tombstoneRevision };
      if (row?.profile) return { kind: "present", profile: row.profile };
      return { kind: "absent" };
    },

    async save(profile: ProfileRecord): Promise<void> {
      const { userId, ...rest } = profile;
      await db.insert(profiles).values(profile).onConflictDoUpdate({ target: profiles.userId, set: rest });
    },

    /** Removes the profile and leaves a tombstone, in one statement. */
    async delete(userId: string, tombstone: { revision: number; at: Date }): Promise<void> {
      await db.execute(sql`
        with gone as (delete from ${profiles} where ${profiles.userId} = ${userId})
        insert into ${userTombstones} (user_id, revision, deleted_at)
        values (${userId}, ${tombstone.revision}, ${tombstone.at.toISOString()}::timestamptz)
        on conflict (user_id) do nothing`);
    },

    /** Changes the owner's fields only: events change the others, so neither overwrites the other. */
    async updateOwnFields(userId: string, fields: OwnFields, now: Date): Promise<ProfileRecord | undefined> {
      const [row] = await db
        .update(profiles)
        .set({ ...fields, updatedAt: now })
        .where(eq(profiles.userId, userId))
        .returning();
      return row;
    },
  };
}

export type ProfileRepository = ReturnType<typeof createProfileRepository>;

import { eq, sql } from "drizzle-orm";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import { coalesce } from "@acme/kit/db/coalesce";
import type { ProfileRecord, ProfileState } from "../domain/profile.js";
import { profiles, userTombstones, type schema } from "./schema.js";

/** The service's database or one of its transactions. */
export type ProfileDb = PgDatabase<PostgresJsQueryResultHKT, typeof schema>;

export interface OwnFields {
  ownDisplayName?: string;
  avatarUrl?: string;
}

const userId = sql.placeholder("userId");

/**
 * The hot statements, prepared. Drizzle sends an unprepared query to
 * postgres.js as "describe, then execute": two round trips, and no
 * pipelining; a prepared one is one round trip and pipelines.
 */
function prepare(db: ProfileDb) {
  return {
    load: db
      .select({ profile: profiles, tombstoneRevision: userTombstones.revision })
      .from(sql`(select ${userId}::text as id) as k`)
      .leftJoin(profiles, sql`${profiles.userId} = k.id`)
      .leftJoin(userTombstones, sql`${userTombstones.userId} = k.id`)
      .prepare("profile_load"),
    loadMany: db
      .select({ id: sql<string>`k.id`, profile: profiles, tombstoneRevision: userTombstones.revision })
      .from(sql`unnest(${sql.placeholder("ids")}::text[]) as k(id)`)
      .leftJoin(profiles, sql`${profiles.userId} = k.id`)
      .leftJoin(userTombstones, sql`${userTombstones.userId} = k.id`)
      .prepare("profile_load_many"),
    save: db
      .insert(profiles)
      .values({
        userId,
        accountEmail: sql.placeholder("accountEmail"),
        ownDisplayName: sql.placeholder("ownDisplayName"),
        avatarUrl: sql.placeholder("avatarUrl"),
        revision: sql.placeholder("revision"),
        createdAt: sql.placeholder("createdAt"),
        updatedAt: sql.placeholder("updatedAt"),
      })
      .onConflictDoUpdate(upsert)
      .prepare("profile_save"),
  };
}

/** Saving replaces everything but the key: the caller decided the whole record. */
const upsert = {
  target: profiles.userId,
  set: {
    accountEmail: sql`excluded.account_email`,
    ownDisplayName: sql`excluded.own_display_name`,
    avatarUrl: sql`excluded.avatar_url`,
    revision: sql`excluded.revision`,
    createdAt: sql`excluded.created_at`,
    updatedAt: sql`excluded.updated_at`,
  },
};

function toState(row: { profile: ProfileRecord | null; tombstoneRevision: number | null } | undefined): ProfileState {
  if (row?.tombstoneRevision != null) return { kind: "deleted", revision: row.tombstoneRevision };
  if (row?.profile) return { kind: "present", profile: row.profile };
  return { kind: "absent" };
}

/** Profiles in PostgreSQL (Drizzle); `db` may be a transaction (the consumer's). */
export function createProfileRepository(db: ProfileDb) {
  const statements = prepare(db);
  return {
    /** One round trip: the profile, or the tombstone, or neither. */
    async load(id: string): Promise<ProfileState> {
      const [row] = await statements.load.execute({ userId: id });
      return toState(row);
    },

    async save(profile: ProfileRecord): Promise<void> {
      await statements.save.execute({ ...profile });
    },

    /** Removes the profile and leaves a tombstone, in one statement. */
    async delete(id: string, tombstone: { revision: number; at: Date }): Promise<void> {
      await db.execute(sql`
        with gone as (delete from ${profiles} where ${profiles.userId} = ${id})
        insert into ${userTombstones} (user_id, revision, deleted_at)
        values (${id}, ${tombstone.revision}, ${tombstone.at.toISOString()}::timestamptz)
        on conflict (user_id) do nothing`);
    },

    /** Changes the owner's fields only: events change the others, so neither overwrites the other. */
    async updateOwnFields(id: string, fields: OwnFields, now: Date): Promise<ProfileRecord | undefined> {
      const [row] = await db
        .update(profiles)
        .set({ ...fields, updatedAt: now })
        .where(eq(profiles.userId, id))
        .returning();
      return row;
    },
  };
}

export type ProfileRepository = ReturnType<typeof createProfileRepository>;

/**
 * For the consumer's transactions: the handlers of one batch run side by
 * side, so their loads and saves coalesce into one statement each (a
 * 200-event batch costs a handful of statements, not 400).
 */
export function createBatchingProfileRepository(db: ProfileDb): ProfileRepository {
  const plain = createProfileRepository(db);
  const statements = prepare(db);
  return {
    ...plain,
    load: coalesce(async (ids: string[]) => {
      const rows = await statements.loadMany.execute({ ids: [...new Set(ids)] });
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => toState(byId.get(id)));
    }),
    save: coalesce(async (records: ProfileRecord[]) => {
      // One row per user: a later save of the same round wins (one statement cannot touch a row twice).
      const latest = [...new Map(records.map((r) => [r.userId, r])).values()];
      await db.insert(profiles).values(latest).onConflictDoUpdate(upsert);
      return records.map(() => undefined);
    }),
  };
}

const perTransaction = new WeakMap<ProfileDb, ProfileRepository>();

/** One batching repository (and one set of prepared statements) per consumer transaction. */
export function profileRepositoryFor(tx: ProfileDb): ProfileRepository {
  let repository = perTransaction.get(tx);
  if (!repository) perTransaction.set(tx, (repository = createBatchingProfileRepository(tx)));
  return repository;
}

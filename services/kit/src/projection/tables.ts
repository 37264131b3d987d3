import { bigint, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/*
 * Table factories for what every per-user projection of auth's events holds.
 * A service calls them in its own src/db/schema.ts, so drizzle-kit sees the
 * tables among the service's own and each database keeps its own copy. The
 * SQL they describe is the one the existing migrations created: changing a
 * column here changes every consumer's table, so it needs a migration in each.
 */

/** The account columns of a projection table, mirrored from auth's events; spread them into the service's table. */
export function accountKeyColumns() {
  return {
    userId: text("user_id").primaryKey(),
    accountEmail: text("account_email").notNull(),
  };
}

/** The columns that track where the projection is in auth's history of the user. */
export function accountVersionColumns() {
  return {
    /** Auth's revision of the user that the mirrored facts are at. */
    revision: bigint("revision", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  };
}

/**
 * Deleted accounts: the user id and the revision only, no personal data, so
 * an event of that user that arrives late (or is replayed) cannot bring the
 * projection back.
 */
export function userTombstonesTable() {
  return pgTable("user_tombstones", {
    userId: text("user_id").primaryKey(),
    revision: bigint("revision", { mode: "number" }).notNull(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }).notNull(),
  });
}

export type UserTombstonesTable = ReturnType<typeof userTombstonesTable>;

/** The consumer's inbox: an event id here has been applied (kit/src/consumer/apply-batch.ts writes it). */
export function processedEventsTable() {
  return pgTable("processed_events", {
    eventId: text("event_id").primaryKey(),
    processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
  });
}

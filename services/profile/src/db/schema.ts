import { bigint, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Profiles, built from auth's events; display name and avatar changed by their owner. */
export const profiles = pgTable("profiles", {
  userId: text("user_id").primaryKey(),
  accountEmail: text("account_email").notNull(),
  ownDisplayName: text("own_display_name"),
  avatarUrl: text("avatar_url").notNull().default(""),
  revision: bigint("revision", { mode: "number" }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});

/**
 * Deleted accounts: the user id and the revision only, no personal data, so
 * an event of that user that arrives late (or is replayed) cannot recreate
 * the profile.
 */
export const userTombstones = pgTable("user_tombstones", {
  userId: text("user_id").primaryKey(),
  revision: bigint("revision", { mode: "number" }).notNull(),
  deletedAt: timestamp("deleted_at", { withTimezone: true }).notNull(),
});

/** The consumer's inbox: an event id here has been applied (see @acme/kit consumer). */
export const processedEvents = pgTable("processed_events", {
  eventId: text("event_id").primaryKey(),
  processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
});

export const schema = { profiles, userTombstones, processedEvents };

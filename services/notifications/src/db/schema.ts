import { bigint, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { mails } from "./mail-schema.js";

/**
 * The account email of each user, built from auth's events: notifications
 * keeps its own copy so that, when an email changes, it knows the OLD
 * address to warn. Nothing else about the user is kept.
 */
export const accountEmails = pgTable("account_emails", {
  userId: text("user_id").primaryKey(),
  accountEmail: text("account_email").notNull(),
  revision: bigint("revision", { mode: "number" }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});

export const userTombstones = pgTable("user_tombstones", {
  userId: text("user_id").primaryKey(),
  revision: bigint("revision", { mode: "number" }).notNull(),
  deletedAt: timestamp("deleted_at", { withTimezone: true }).notNull(),
});

export const processedEvents = pgTable("processed_events", {
  eventId: text("event_id").primaryKey(),
  processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
});

export { mails };
export const schema = { accountEmails, userTombstones, processedEvents, mails };
